/// The encoder's and decoder's `head`: `RMS_norm → SiLU → CausalConv3d(3)` (indices 0, 1, 2).
final class VAEOutputHead: VAEFrameLayer {
    let norm: VAERMSNorm
    let conv: VAECausalConv3d

    init(_ reader: VAEWeightReader, _ name: String, in inChannels: Int, out outChannels: Int) throws {
        norm = try VAERMSNorm(reader, name + ".0", channels: inChannels)
        conv = try VAECausalConv3d(reader, name + ".2", in: inChannels, out: outChannels, taps: 3, kernel: 3)
    }

    func forward(_ frame: Tensor) -> [Tensor] { [conv(norm(frame, silu: true))] }

    func reset() { conv.reset() }
}
