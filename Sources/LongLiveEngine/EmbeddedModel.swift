/// The model `longlive` runs when no weights are given: 64×64 video through the fixed pixel codec
/// (48 latent channels, 16×16 latent, 64 tokens per frame), small enough for real time on 2 cores.
///
/// Until trained weights are committed this is a *random* model (fixed seed) with the hashed
/// stand-in text encoder: the whole streaming algorithm runs for real, the pictures are not meaningful.
public enum EmbeddedModel {
    /// DiT shape of the embedded model.
    public static var config: WanConfig {
        var c = WanConfig()
        c.inDim = 48; c.outDim = 48
        c.dim = 256; c.ffnDim = 1024; c.numHeads = 4; c.numLayers = 6
        c.textLen = 32; c.textDim = 256
        return c
    }

    /// Latent frame `[C, H, W]`.
    public static let frameShape = [48, 16, 16]
    /// Playback rate; the pixel codec has no temporal compression, so latent frames are video frames.
    public static let fps = 16
    public static let codec = PixelCodec(factor: 4)
    /// Seconds ↔ frames for timelines.
    public static let clock = TimelineClock(pixelFPS: Double(fps), temporalStride: 1)

    /// Whether trained weights are built in (false: the random stand-in).
    public static let isTrained = false

    /// The built-in weights under their official names (today the random stand-in).
    public static func weights() -> TensorSource {
        InMemoryTensors(WanWeights.random(config: config, seed: 0xE3BE_DDED), description: "embedded random model")
    }

    /// `__metadata__` key/value that marks a checkpoint as the embedded model's weights (e.g. from
    /// `longlive quantize` without --weights), so `generate --weights FILE` runs it with the
    /// embedded model's codec and text encoder.
    public static let metadataKey = "longlive_model"
    public static let metadataValue = "embedded"

    /// Whether `path` is a safetensors file written for the embedded model.
    public static func isEmbeddedModelFile(_ path: String) -> Bool {
        guard path.hasSuffix(".safetensors"), let f = try? SafeTensorsFile(path: path) else { return false }
        return f.metadata[metadataKey] == metadataValue
    }

    /// Builds the model (from `source`, e.g. a quantised file, or the built-in weights) and its prompt encoder.
    public static func load(source: TensorSource? = nil) throws -> (model: WanTransformer, encoder: PromptEncoder) {
        let c = config
        let model = try WanTransformer(source: source ?? weights(), config: c)
        return (model, HashedWordEncoder(textDim: c.textDim, maxTokens: c.textLen))
    }
}
