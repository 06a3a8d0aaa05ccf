/// `Resample`: the VAE's change of resolution between stages.
///
/// * `upsample2d`: nearest ×2 in height and width, then `Conv2d(d → d/2, 3, pad 1)` (`resample.1`).
/// * `upsample3d`: first `time_conv`, a causal `(3,1,1)` convolution `d → 2d` whose two channel halves
///   become two consecutive output frames, then the same spatial path on each.
/// * `downsample2d`: zero pad right and bottom by 1, `Conv2d(d → d, 3, stride 2)`.
/// * `downsample3d`: the same, then `time_conv` `(3,1,1)` with stride 2 in time and no padding.
final class VAEResample: VAEFrameLayer {
    enum Mode: String { case upsample2d, upsample3d, downsample2d, downsample3d }

    let mode: Mode
    let channels: Int
    /// `resample.1`; the ×2 up-sampling is fused into its input reads.
    let spatial: VAEConvolution
    /// `upsample3d`: the cached causal time convolution.
    let timeUpsample: VAECausalConv3d?
    /// `downsample3d`: the strided time convolution over the last three frames.
    let timeDownsample: VAEConvolution?
    /// Frames this layer has seen in the current stream.
    private var framesSeen = 0
    /// `downsample3d`: the last two spatially down-sampled frames.
    private var recent: [Tensor] = []

    init(_ reader: VAEWeightReader, _ name: String, channels d: Int, mode: Mode) throws {
        self.mode = mode
        channels = d
        switch mode {
        case .upsample2d, .upsample3d:
            spatial = try VAEConvolution(reader, name + ".resample.1", in: d, out: d / 2, taps: nil, kernel: 3, inputUpsample: 2)
        case .downsample2d, .downsample3d:
            spatial = try VAEConvolution(reader, name + ".resample.1", in: d, out: d, taps: nil, kernel: 3, stride: 2,
                                         padding: (top: 0, left: 0, bottom: 1, right: 1))
        }
        timeUpsample = mode == .upsample3d
            ? try VAECausalConv3d(reader, name + ".time_conv", in: d, out: 2 * d, taps: 3, kernel: 1) : nil
        timeDownsample = mode == .downsample3d
            ? try VAEConvolution(reader, name + ".time_conv", in: d, out: d, taps: 3, kernel: 1) : nil
    }

    func forward(_ frame: Tensor) -> [Tensor] {
        defer { framesSeen += 1 }
        switch mode {
        case .upsample2d, .downsample2d:
            return [spatial.apply([frame])]
        case .upsample3d:
            // The official "Rep" rule: a stream's first frame skips the time convolution (one frame
            // stays one frame) and is not cached, so the second frame meets zero history.
            guard framesSeen > 0 else { return [spatial.apply([frame])] }
            let doubled = timeUpsample!(frame)  // [2d, H, W]: frame 2τ is channels 0..<d, frame 2τ+1 is d..<2d
            return [spatial.apply([doubled.rows(0..<channels)]), spatial.apply([doubled.rows(channels..<2 * channels)])]
        case .downsample3d:
            // The official cache keeps the previous chunk's last frame and runs the stride-2
            // convolution over [that frame, chunk]; chunks after the first have an even number of
            // frames, so the outputs are the windows ending at frames 2, 4, 6, … of the stream, and
            // the first frame passes through unchanged.
            let x = spatial.apply([frame])
            defer { recent = Array((recent + [x]).suffix(2)) }
            if framesSeen == 0 { return [x] }
            guard framesSeen % 2 == 0 else { return [] }
            return [timeDownsample!.apply(recent + [x])]
        }
    }

    func reset() {
        framesSeen = 0
        recent = []
        timeUpsample?.reset()
    }
}
