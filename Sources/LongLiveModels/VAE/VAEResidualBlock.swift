/// `ResidualBlock(i→o)`: `RMS_norm → SiLU → CausalConv3d(3) → RMS_norm → SiLU → CausalConv3d(3)`
/// plus the input, through a 1×1×1 `shortcut` convolution when the widths differ. Dropout (index 5
/// of `residual`) is the identity at inference. The shortcut has no temporal extent, so it needs no cache.
final class VAEResidualBlock: VAEFrameLayer {
    let norm1: VAERMSNorm
    let conv1: VAECausalConv3d
    let norm2: VAERMSNorm
    let conv2: VAECausalConv3d
    let shortcut: VAEConvolution?

    /// Loads `name.residual.{0,2,3,6}` and, when `in ≠ out`, `name.shortcut`.
    init(_ reader: VAEWeightReader, _ name: String, in inChannels: Int, out outChannels: Int) throws {
        norm1 = try VAERMSNorm(reader, name + ".residual.0", channels: inChannels)
        conv1 = try VAECausalConv3d(reader, name + ".residual.2", in: inChannels, out: outChannels, taps: 3, kernel: 3)
        norm2 = try VAERMSNorm(reader, name + ".residual.3", channels: outChannels)
        conv2 = try VAECausalConv3d(reader, name + ".residual.6", in: outChannels, out: outChannels, taps: 3, kernel: 3)
        shortcut = inChannels == outChannels ? nil
            : try VAEConvolution(reader, name + ".shortcut", in: inChannels, out: outChannels, taps: 1, kernel: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var y = conv2(norm2(conv1(norm1(x, silu: true)), silu: true))
        addInPlace(&y, shortcut?.apply([x]) ?? x)
        return y
    }

    func forward(_ frame: Tensor) -> [Tensor] { [self(frame)] }

    func reset() {
        conv1.reset()
        conv2.reset()
    }
}

/// `y += x` elementwise, in place (`y` is a fresh activation, so no copy is made).
func addInPlace(_ y: inout Tensor, _ x: Tensor) {
    precondition(y.shape == x.shape, "add: \(y.shape) vs \(x.shape)")
    let src = UnsafePointer(x.floatPointer)
    y.withMutableFloats { p in
        let dst = p.baseAddress!
        Parallel.forRanges(p.count, grain: 1 << 16) { r in
            for i in r { dst[i] += src[i] }
        }
    }
    withExtendedLifetime(x) {}
}
