/// Hyper-parameters of a Wan2.1 diffusion transformer (`config.json` of the official checkpoints).
public struct WanConfig: Equatable, Sendable, CustomStringConvertible {
    public var modelType: String = "t2v"
    public var patchSize: [Int] = [1, 2, 2]
    public var textLen: Int = 512
    public var inDim: Int = 16
    public var dim: Int = 1536
    public var ffnDim: Int = 8960
    public var freqDim: Int = 256
    public var textDim: Int = 4096
    public var outDim: Int = 16
    public var numHeads: Int = 12
    public var numLayers: Int = 30
    public var qkNorm: Bool = true
    public var crossAttnNorm: Bool = true
    public var eps: Float = 1e-6
    /// What the head's output means. Wan predicts the flow; the embedded world models predict the
    /// clean sample and ``WanTransformer/forward`` turns it into the flow, so every caller sees flow.
    public var prediction: ModelPrediction = .flow
    /// Whether a prompt embedding is zero-padded to `textLen` rows before the text MLP, as Wan pads
    /// umT5's output (every padding row attended). The embedded world models (`false`) keep one zero
    /// row after the prompt's words instead: identical padding rows act as one attention sink whose
    /// weight grows with their number, and took 77–99 % of the teacher's cross-attention.
    public var padsText: Bool = true

    public init() {}

    /// Wan2.1-T2V-1.3B.
    public static let wan1_3B = WanConfig()

    /// Wan2.1-T2V-14B (the paper's teacher).
    public static var wan14B: WanConfig {
        var c = WanConfig()
        c.dim = 5120; c.ffnDim = 13824; c.numHeads = 40; c.numLayers = 40
        return c
    }

    public var headDim: Int { dim / numHeads }
    /// Values per patch: `inDim · pt · ph · pw`.
    public var patchValues: Int { inDim * patchSize.reduce(1, *) }

    public var description: String {
        "Wan \(modelType) dim \(dim), \(numLayers) blocks, \(numHeads) heads × \(headDim), ffn \(ffnDim), text \(textLen)×\(textDim), latent \(inDim)→\(outDim) ch, patch \(patchSize)"
    }

    /// Checks the invariants the model code relies on.
    public func validate() throws {
        guard patchSize.count == 3, patchSize.allSatisfy({ $0 > 0 }) else { throw LongLiveError("config: patch_size must be 3 positive numbers, got \(patchSize)") }
        guard patchSize[0] == 1 else { throw LongLiveError("config: temporal patch size \(patchSize[0]) is not supported (Wan2.1 uses 1)") }
        guard numHeads > 0, dim % numHeads == 0 else { throw LongLiveError("config: dim \(dim) is not divisible by num_heads \(numHeads)") }
        guard headDim % 2 == 0, headDim >= 6 else { throw LongLiveError("config: head dim \(headDim) must be even and ≥ 6 for 3-D RoPE") }
        guard freqDim % 2 == 0 else { throw LongLiveError("config: freq_dim \(freqDim) must be even") }
        for (n, v) in [("dim", dim), ("ffn_dim", ffnDim), ("text_len", textLen), ("text_dim", textDim), ("in_dim", inDim), ("out_dim", outDim), ("num_layers", numLayers)] where v <= 0 {
            throw LongLiveError("config: \(n) must be positive, got \(v)")
        }
        guard qkNorm, crossAttnNorm else { throw LongLiveError("config: qk_norm and cross_attn_norm must be true (all Wan2.1 T2V models use them)") }
    }

    /// Reads a Wan / diffusers `config.json`. Missing keys keep the 1.3B defaults.
    public static func parse(json text: String, source: String) throws -> WanConfig {
        let v: JSONValue
        do { v = try JSONValue.parse(text) } catch { throw LongLiveError("\(source): \(error)") }
        guard v.objectValue != nil else { throw LongLiveError("\(source): expected a JSON object") }
        var c = WanConfig()
        func int(_ k: String) throws -> Int? {
            guard let x = v[k] else { return nil }
            guard let i = x.intValue else { throw LongLiveError("\(source): \(k) must be an integer, got \(x.serialized())") }
            return i
        }
        if let s = v["model_type"]?.stringValue { c.modelType = s }
        if let p = v["patch_size"] {
            guard let a = p.arrayValue?.compactMap({ $0.intValue }), a.count == 3 else { throw LongLiveError("\(source): patch_size must be [t, h, w]") }
            c.patchSize = a
        }
        c.textLen = try int("text_len") ?? c.textLen
        c.inDim = try int("in_dim") ?? c.inDim
        c.dim = try int("dim") ?? c.dim
        c.ffnDim = try int("ffn_dim") ?? c.ffnDim
        c.freqDim = try int("freq_dim") ?? c.freqDim
        c.textDim = try int("text_dim") ?? c.textDim
        c.outDim = try int("out_dim") ?? c.outDim
        c.numHeads = try int("num_heads") ?? c.numHeads
        c.numLayers = try int("num_layers") ?? c.numLayers
        if let b = v["qk_norm"]?.boolValue { c.qkNorm = b }
        if let b = v["cross_attn_norm"]?.boolValue { c.crossAttnNorm = b }
        if let e = v["eps"]?.doubleValue { c.eps = Float(e) }
        if let p = v["prediction"] {
            guard let name = p.stringValue, let kind = ModelPrediction(rawValue: name) else {
                throw LongLiveError("\(source): prediction must be \"flow\" or \"sample\", got \(p.serialized())")
            }
            c.prediction = kind
        }
        if let p = v["pad_text"] {
            guard let b = p.boolValue else { throw LongLiveError("\(source): pad_text must be true or false, got \(p.serialized())") }
            c.padsText = b
        }
        if let t = v["model_type"]?.stringValue, t != "t2v" {
            throw LongLiveError("\(source): model_type \"\(t)\" is not supported; only text-to-video (t2v) Wan2.1 models are")
        }
        try c.validate()
        return c
    }

    /// Serialises in the official key names (plus `prediction` for a sample-predicting model).
    public func json() -> JSONValue {
        var o: [String: JSONValue] = [
            "_class_name": .string("WanModel"), "model_type": .string(modelType),
            "patch_size": .array(patchSize.map { .number(Double($0)) }),
            "text_len": .number(Double(textLen)), "in_dim": .number(Double(inDim)), "dim": .number(Double(dim)),
            "ffn_dim": .number(Double(ffnDim)), "freq_dim": .number(Double(freqDim)), "text_dim": .number(Double(textDim)),
            "out_dim": .number(Double(outDim)), "num_heads": .number(Double(numHeads)), "num_layers": .number(Double(numLayers)),
            "qk_norm": .bool(qkNorm), "cross_attn_norm": .bool(crossAttnNorm), "eps": .number(Double(eps)),
        ]
        if prediction != .flow { o["prediction"] = .string(prediction.rawValue) }
        if !padsText { o["pad_text"] = .bool(false) }
        return .object(o)
    }

    /// Infers the configuration from tensor shapes. The head count is not visible in the shapes:
    /// Wan2.1 always uses 128-wide heads, so `dim / 128` is assumed unless `numHeads` is given.
    public static func detect(from weights: TensorSource, numHeads: Int? = nil, textLen: Int = 512) throws -> WanConfig {
        func shape(_ n: String) throws -> [Int] {
            guard let s = try weights.shape(of: n) else {
                throw LongLiveError("cannot detect the model configuration: tensor \(n) is missing from \(weights.sourceDescription); pass --config config.json")
            }
            return s
        }
        var c = WanConfig()
        let pe = try shape("patch_embedding.weight")
        guard pe.count == 5 else { throw LongLiveError("patch_embedding.weight has shape \(pe), expected [dim, in_dim, pt, ph, pw]") }
        c.dim = pe[0]; c.inDim = pe[1]; c.patchSize = Array(pe[2...])
        c.textDim = try shape("text_embedding.0.weight")[1]
        c.freqDim = try shape("time_embedding.0.weight")[1]
        c.ffnDim = try shape("blocks.0.ffn.0.weight")[0]
        c.outDim = try shape("head.head.weight")[0] / c.patchSize.reduce(1, *)
        var layers = 0
        while try weights.shape(of: "blocks.\(layers).self_attn.q.weight") != nil { layers += 1 }
        c.numLayers = layers
        c.textLen = textLen
        if let h = numHeads {
            c.numHeads = h
        } else {
            guard c.dim % 128 == 0 else {
                throw LongLiveError("cannot infer the head count of a width-\(c.dim) model (Wan uses 128-wide heads); pass --config config.json with num_heads")
            }
            c.numHeads = c.dim / 128
        }
        try c.validate()
        return c
    }
}
