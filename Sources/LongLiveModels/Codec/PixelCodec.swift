/// The embedded model's latent space: RGB frames ↔ latents by a fixed space-to-depth rearrangement
/// (no learned weights). A `factor × factor` pixel block becomes `3·factor²` channels, so 64×64 RGB
/// is a 48×16×16 latent; pixel values in [0, 1] map to [−1, 1] as the Wan VAE's range does.
/// Channel order: `(c·factor + dy)·factor + dx`.
public struct PixelCodec: Equatable, Sendable {
    public let factor: Int

    public init(factor: Int = 4) { self.factor = factor }

    /// Latent channels.
    public var latentChannels: Int { 3 * factor * factor }

    /// `[F, 3, H, W]` in [0, 1] → `[F, 3·f², H/f, W/f]` in [−1, 1].
    public func encode(_ frames: Tensor) throws -> Tensor {
        try spaceToDepth(frames) { $0 * 2 - 1 }
    }

    /// `[F, 3, H, W]` already in [−1, 1] (world clips, decoded video frames) → latents, without the
    /// round trip through [0, 1] that callers used to write out by hand.
    public func encode(signedFrames frames: Tensor) throws -> Tensor {
        try spaceToDepth(frames) { $0 }
    }

    private func spaceToDepth(_ frames: Tensor, _ value: (Float) -> Float) throws -> Tensor {
        guard frames.rank == 4, frames.shape[1] == 3, frames.shape[2] % factor == 0, frames.shape[3] % factor == 0 else {
            throw LongLiveError("PixelCodec.encode: frames \(frames.shape) must be [F, 3, H, W] with H, W multiples of \(factor)")
        }
        let n = frames.shape[0], h = frames.shape[2], w = frames.shape[3], f = factor
        let lh = h / f, lw = w / f, lc = latentChannels
        let src = frames.float32()
        return src.withFloats { s in
            Tensor(uninitialized: [n, lc, lh, lw]) { o in
                for i in 0..<n { for c in 0..<3 { for y in 0..<h { for x in 0..<w {
                    let ch = (c * f + y % f) * f + x % f
                    o[((i * lc + ch) * lh + y / f) * lw + x / f] = value(s[((i * 3 + c) * h + y) * w + x])
                }}}}
            }
        }
    }

    /// `[F, 3·f², h, w]` → `[F, 3, h·f, w·f]` in [0, 1] (clamped, as the pipelines clamp decoded video).
    public func decode(_ latents: Tensor) throws -> Tensor {
        try depthToSpace(latents) { min(max($0 * 0.5 + 0.5, 0), 1) }
    }

    /// The inverse rearrangement, with `value` applied to every element on the way.
    func depthToSpace(_ latents: Tensor, _ value: (Float) -> Float) throws -> Tensor {
        guard latents.rank == 4, latents.shape[1] == latentChannels else {
            throw LongLiveError("PixelCodec.decode: latents \(latents.shape) must be [F, \(latentChannels), h, w]")
        }
        let n = latents.shape[0], lh = latents.shape[2], lw = latents.shape[3], f = factor
        let h = lh * f, w = lw * f, lc = latentChannels
        let src = latents.float32()
        return src.withFloats { s in
            Tensor(uninitialized: [n, 3, h, w]) { o in
                for i in 0..<n { for c in 0..<3 { for y in 0..<h { for x in 0..<w {
                    let ch = (c * f + y % f) * f + x % f
                    o[((i * 3 + c) * h + y) * w + x] = value(s[((i * lc + ch) * lh + y / f) * lw + x / f])
                }}}}
            }
        }
    }
}
