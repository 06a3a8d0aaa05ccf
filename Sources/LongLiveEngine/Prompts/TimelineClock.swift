/// Converts between seconds of video and latent-frame indices, the unit in which the reference
/// expresses switch points (`switch_frame_indices`).
///
/// Wan's causal VAE compresses time by 4 except for the first frame: `T` latent frames decode to
/// `1 + 4(T−1)` pixel frames at 16 fps, so latent frame `k ≥ 1` holds pixel frames `4k−3 … 4k` and
/// latent frame 0 holds pixel frame 0 alone. A codec without temporal compression uses stride 1.
public struct TimelineClock: Equatable, Sendable {
    /// Frames per second of the decoded video.
    public var pixelFPS: Double
    /// Pixel frames per latent frame (after the first); 1 when the codec does not compress time.
    public var temporalStride: Int

    public init(pixelFPS: Double, temporalStride: Int) {
        precondition(pixelFPS > 0, "pixelFPS must be positive")
        precondition(temporalStride >= 1, "temporalStride must be at least 1")
        self.pixelFPS = pixelFPS
        self.temporalStride = temporalStride
    }

    /// Wan2.1: 16 fps, 4 pixel frames per latent frame.
    public static let wan = TimelineClock(pixelFPS: 16, temporalStride: 4)

    /// The latent frame holding the pixel frame shown at `seconds` (negative times count as 0).
    ///
    /// The time is first rounded to the nearest pixel frame `p = round(t·fps)` and then mapped to the
    /// latent frame containing it, `ceil(p / stride)`. For times on the pixel grid (every multiple of
    /// 1/16 s for Wan) this is exactly `ceil(t·16/4)`; rounding first keeps a time like 10.02 s in the
    /// latent frame of its nearest pixel frame instead of pushing it to the next one, and makes the
    /// stride-1 case plain `round(t·fps)`.
    public func latentFrame(seconds: Double) -> Int {
        guard seconds > 0, seconds.isFinite else { return 0 }
        let pixel = Int((seconds * pixelFPS).rounded())
        return (pixel + temporalStride - 1) / temporalStride
    }

    /// The time of the last pixel frame decoded from latent frame `latentFrame` (`k·stride / fps`),
    /// so that `latentFrame(seconds: seconds(latentFrame: k)) == k`.
    public func seconds(latentFrame: Int) -> Double {
        Double(max(0, latentFrame) * temporalStride) / pixelFPS
    }
}
