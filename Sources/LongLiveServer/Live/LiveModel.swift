import LongLiveEngine
import LongLiveMedia

/// The model behind live sessions (`interactive` and `serve`): loaded once and shared, with one
/// ``StreamingSession`` (its own KV cache and noise) per viewer. Uses the embedded model and its
/// pixel codec.
public final class LiveModel: @unchecked Sendable {
    public let model: WanTransformer
    public let encoder: PromptEncoder
    public let frameShape: [Int]
    /// Video frames per second (the embedded codec has no temporal compression: latent = video frames).
    public let fps: Int
    let decoder: LatentDecoder

    public init() throws {
        let loaded = try EmbeddedModel.load()
        model = loaded.model
        encoder = loaded.encoder
        frameShape = EmbeddedModel.frameShape
        fps = EmbeddedModel.fps
        decoder = PixelCodecDecoder(codec: EmbeddedModel.codec)
    }

    /// A new session over the shared model, generating from `seed` with `settings`.
    public func makeSession(seed: UInt64, settings: GenerationSettings) throws -> StreamingSession {
        let generator = try StreamingGenerator(model: model, settings: settings, frameShape: frameShape, noise: SeededNoise(seed: seed, frameShare: settings.frameNoiseShare))
        return StreamingSession(generator: generator, encoder: encoder)
    }

    /// Decodes a chunk's latents `[F, C, H, W]` into video frames.
    public func frames(_ latents: Tensor) throws -> [VideoFrame] {
        let rgb = try decoder.decodeChunk(latents)  // [F, 3, H, W] in [−1, 1]
        let shape = Array(rgb.shape.dropFirst())
        return try (0..<rgb.shape[0]).map { try VideoFrame(tensor: rgb.rows($0..<($0 + 1)).reshaped(shape)) }
    }
}
