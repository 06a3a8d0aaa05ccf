/// The VAE's `CausalConv3d` with its streaming cache.
///
/// Temporal padding is `taps − 1` frames in front only, so output frame `t` sees input frames
/// `t − 2 … t` and nothing later. The cache is the official `feat_cache` entry of this layer: the last
/// `CACHE_T = 2` frames of its *input*. Frames are pushed one at a time, so the official rule "if the
/// chunk has one frame, prepend the last frame of the previous cache" is simply the sliding window;
/// before the first frame the window holds padding (`nil`, zeros), exactly the zero padding the
/// official layer applies when its cache is empty. Decoding frame by frame therefore gives the same
/// result however the latents are split into calls.
final class VAECausalConv3d: VAEFrameLayer {
    let convolution: VAEConvolution
    /// The previous `taps − 1` input frames, oldest first; `nil` is the zero padding before a stream's first frame.
    private var history: [Tensor?]

    /// `name.weight` `[out, in, taps, k, k]` with spatial padding `(k − 1)/2` on each side.
    init(_ reader: VAEWeightReader, _ name: String, in inChannels: Int, out outChannels: Int, taps: Int, kernel: Int) throws {
        convolution = try VAEConvolution(reader, name, in: inChannels, out: outChannels, taps: taps, kernel: kernel)
        history = Array(repeating: nil, count: taps - 1)
    }

    /// The output frame for input frame `x`; `x` joins the cache.
    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = convolution.apply(history + [x])
        if !history.isEmpty {
            history.removeFirst()
            history.append(x)
        }
        return y
    }

    func forward(_ frame: Tensor) -> [Tensor] { [self(frame)] }

    func reset() { history = history.map { _ in nil } }
}
