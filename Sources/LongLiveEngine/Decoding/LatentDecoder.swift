/// Turns generated latents into RGB frames, chunk by chunk (state carried between calls where the
/// decoder is causal, so streaming decode equals decoding the whole video).
public protocol LatentDecoder: AnyObject {
    /// `[F, C, h, w]` latents → `[Fpx, 3, H, W]` pixels in [−1, 1].
    func decodeChunk(_ latents: Tensor) throws -> Tensor
    /// Forget the stream (a new video).
    func resetStream()
    /// Pixel frames per latent frame after the first (the temporal stride).
    var temporalStride: Int { get }
}

/// The embedded model's pixel codec (no state, one pixel frame per latent frame).
public final class PixelCodecDecoder: LatentDecoder {
    public let codec: PixelCodec
    public init(codec: PixelCodec) { self.codec = codec }
    public func decodeChunk(_ latents: Tensor) throws -> Tensor {
        let rgb = try codec.decode(latents)  // [0, 1]
        return Tensor(uninitialized: rgb.shape) { o in rgb.withFloats { s in for i in 0..<s.count { o[i] = s[i] * 2 - 1 } } }
    }
    public func resetStream() {}
    public var temporalStride: Int { 1 }
}

extension WanVAEDecoder: LatentDecoder {
    public func decodeChunk(_ latents: Tensor) throws -> Tensor { try decodeToPixels(latents) }
    public func resetStream() { reset() }
    public var temporalStride: Int { 4 }
}
