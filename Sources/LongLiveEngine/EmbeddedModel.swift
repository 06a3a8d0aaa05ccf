#if canImport(Glibc)
import Glibc
#endif

/// The model `longlive` runs when no weights are given: 64×64 video through the fixed pixel codec
/// (48 latent channels, 16×16 latent, 64 tokens per frame), small enough for real time on 2 cores.
///
/// The trained student ships in the repository as `models/embedded.safetensors` (a
/// ``WorldModelBundle`` with its word encoder). When that file cannot be found the random stand-in
/// (fixed seed, hashed word encoder) runs instead: the whole streaming algorithm runs for real, the
/// pictures are not meaningful, and `generate` says so.
public enum EmbeddedModel {
    /// DiT shape of the random stand-in (the trained bundle carries its own configuration).
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
    /// File name of the trained weights under `models/`.
    public static let fileName = "embedded.safetensors"

    /// Where the trained weights are: `$LONGLIVE_EMBEDDED`, `./models/`, or `models/` of the checkout
    /// the executable was built in (`.build/<config>/longlive` → `../../models`), or next to it.
    public static func locate() -> String? {
        if let env = getenv("LONGLIVE_EMBEDDED") { return String(cString: env) }
        var candidates = ["models/" + fileName]
        if let exe = executablePath() {
            let dir = String(exe[..<(exe.lastIndex(of: "/") ?? exe.startIndex)])
            candidates += [dir + "/../../models/" + fileName, dir + "/../../../models/" + fileName, dir + "/" + fileName,
                           dir + "/../share/longlive/" + fileName]
        }
        return candidates.first(where: FileIO.exists)
    }

    static func executablePath() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        buf[n] = 0
        return String(cString: buf)
    }

    /// Whether trained weights are found.
    public static var isTrained: Bool { locate() != nil }

    /// The built-in DiT weights under their official names with their configuration: the trained
    /// student's when found, else the random stand-in.
    public static func weights() throws -> (source: TensorSource, config: WanConfig) {
        if let path = locate() {
            let bundle = try WorldModelBundle.load(path)
            return (InMemoryTensors(WorldModelBundle.withoutPrefix(bundle.tensors, "dit."), description: path), bundle.dit)
        }
        return (InMemoryTensors(WanWeights.random(config: config, seed: 0xE3BE_DDED), description: "embedded random model"), config)
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

    /// Builds the model and its prompt encoder: the trained bundle when found (else the random
    /// stand-in with the hashed word encoder); `source` replaces the DiT weights (e.g. a quantised file).
    public static func load(source: TensorSource? = nil) throws -> (model: WanTransformer, encoder: PromptEncoder) {
        if let path = locate() { return try load(bundle: path, source: source) }
        let c = config
        let model = try WanTransformer(source: source ?? weights().source, config: c)
        return (model, HashedWordEncoder(textDim: c.textDim, maxTokens: c.textLen))
    }
}

extension EmbeddedModel {
    /// A world-model file (`WorldModelBundle`: the embedded default, or any student or teacher from
    /// `longlive train`) as a model at the embedded shapes with its own word encoder; `source`
    /// replaces the DiT weights.
    public static func load(bundle path: String, source: TensorSource? = nil) throws -> (model: WanTransformer, encoder: PromptEncoder) {
        let bundle = try WorldModelBundle.load(path)
        let (trained, words) = try bundle.makeModels()
        guard trained.config.inDim == frameShape[0] else {
            throw LongLiveError("\(path) is a \(trained.config.inDim)-channel model; the embedded pixel codec needs \(frameShape[0]) channels")
        }
        let model = try source.map { try WanTransformer(source: $0, config: bundle.dit) } ?? trained
        return (model, WordPromptEncoder(words))
    }
}

/// The trained word encoder as the engine's prompt encoder. Unknown words are an error that lists
/// the vocabulary (the embedded model only knows the synthetic world's words).
public final class WordPromptEncoder: PromptEncoder {
    public let words: WordEncoder
    public init(_ words: WordEncoder) { self.words = words }
    public var textDim: Int { words.config.dim }
    public func encode(_ prompt: String) throws -> Tensor { try words.encode(prompt) }
}
