/// Hyper-parameters of the umT5 encoder (`wan/modules/t5.py: umt5_xxl(encoder_only=True)`).
///
/// The defaults are umT5-XXL as Wan2.1 uses it; ``parse(json:source:)`` reads the keys of the
/// official factory (`vocab_size`, `dim`, `dim_attn`, `dim_ffn`, `num_heads`, `encoder_layers`,
/// `num_buckets`, `shared_pos`, `relative_attention_max_distance`, `layer_norm_eps`), which is also
/// the layout of the fixture's `t5_tiny_config.json`.
public struct UMT5Config: Equatable, Sendable, CustomStringConvertible {
    /// Rows of `token_embedding.weight` (the tokenizer's vocabulary may be smaller: umT5's table is padded).
    public var vocabSize: Int = 256_384
    /// Model width.
    public var dim: Int = 4096
    /// Width of q/k/v (heads × head dim).
    public var dimAttn: Int = 4096
    /// Hidden width of the gated FFN.
    public var dimFFN: Int = 10240
    /// Attention heads.
    public var numHeads: Int = 64
    /// Encoder blocks.
    public var numLayers: Int = 24
    /// Relative-position buckets (half per direction, bidirectional).
    public var numBuckets: Int = 32
    /// Distance at which the log-spaced buckets saturate.
    public var maxDistance: Int = 128
    /// RMSNorm epsilon.
    public var eps: Float = 1e-6
    /// Whether one relative-position table is shared by all layers. Wan's umT5 uses one per layer;
    /// a shared table is stored as `pos_embedding.embedding.weight`.
    public var sharedPos: Bool = false
    /// Tokens per prompt after padding (`text_len`).
    public var textLength: Int = 512

    /// umT5-XXL.
    public init() {}

    /// umT5-XXL, the Wan2.1 text encoder.
    public static let xxl = UMT5Config()

    /// Width of one head (`dim_attn / num_heads`).
    public var headDim: Int { dimAttn / numHeads }

    public var description: String {
        "umT5 encoder dim \(dim), \(numLayers) layers, \(numHeads) heads × \(headDim), ffn \(dimFFN), vocab \(vocabSize), \(numBuckets) buckets to \(maxDistance)\(sharedPos ? " (shared)" : "")"
    }

    /// Checks the invariants the encoder relies on.
    public func validate() throws {
        for (n, v) in [("vocab_size", vocabSize), ("dim", dim), ("dim_attn", dimAttn), ("dim_ffn", dimFFN),
                       ("num_heads", numHeads), ("encoder_layers", numLayers), ("text_len", textLength)] where v <= 0 {
            throw LongLiveError("umT5 config: \(n) must be positive, got \(v)")
        }
        guard dimAttn % numHeads == 0 else {
            throw LongLiveError("umT5 config: dim_attn \(dimAttn) is not divisible by num_heads \(numHeads)")
        }
        // Bidirectional buckets: half per direction, and half of those exact, so at least 4 in all.
        guard numBuckets >= 4, numBuckets % 2 == 0 else {
            throw LongLiveError("umT5 config: num_buckets must be an even number ≥ 4, got \(numBuckets)")
        }
        guard maxDistance > numBuckets / 4 else {
            throw LongLiveError("umT5 config: relative_attention_max_distance \(maxDistance) must exceed the \(numBuckets / 4) exact buckets")
        }
        guard eps > 0 else { throw LongLiveError("umT5 config: layer_norm_eps must be positive, got \(eps)") }
    }

    /// Reads a JSON config; missing keys keep the umT5-XXL defaults. Unknown keys (`decoder_layers`,
    /// `dropout`, …) are ignored: the encoder has no decoder and no dropout at inference.
    public static func parse(json text: String, source: String) throws -> UMT5Config {
        let v: JSONValue
        do { v = try JSONValue.parse(text) } catch { throw LongLiveError("\(source): \(error)") }
        guard v.objectValue != nil else { throw LongLiveError("\(source): expected a JSON object with the umT5 hyper-parameters") }
        var c = UMT5Config()
        func int(_ keys: String...) throws -> Int? {
            for k in keys {
                guard let x = v[k] else { continue }
                guard let i = x.intValue else { throw LongLiveError("\(source): \(k) must be an integer, got \(x.serialized())") }
                return i
            }
            return nil
        }
        // HF `T5Config` spellings are accepted next to Wan's factory names, so either config works.
        c.vocabSize = try int("vocab_size") ?? c.vocabSize
        c.dim = try int("dim", "d_model") ?? c.dim
        c.dimFFN = try int("dim_ffn", "d_ff") ?? c.dimFFN
        c.numHeads = try int("num_heads") ?? c.numHeads
        c.dimAttn = try int("dim_attn") ?? (v["d_kv"]?.intValue).map { $0 * c.numHeads } ?? c.dimAttn
        c.numLayers = try int("encoder_layers", "num_layers") ?? c.numLayers
        c.numBuckets = try int("num_buckets", "relative_attention_num_buckets") ?? c.numBuckets
        c.maxDistance = try int("relative_attention_max_distance") ?? c.maxDistance
        c.textLength = try int("text_len") ?? c.textLength
        if let x = v["layer_norm_eps"] ?? v["layer_norm_epsilon"] {
            guard let e = x.doubleValue else { throw LongLiveError("\(source): layer_norm_eps must be a number, got \(x.serialized())") }
            c.eps = Float(e)
        }
        if let x = v["shared_pos"] {
            guard let b = x.boolValue else { throw LongLiveError("\(source): shared_pos must be true or false, got \(x.serialized())") }
            c.sharedPos = b
        }
        do { try c.validate() } catch let e as LongLiveError { throw LongLiveError("\(source): \(e.message)") }
        return c
    }

    /// The official tensor names and shapes (spec §9.4).
    public func expectedShapes() -> [(String, [Int])] {
        var out: [(String, [Int])] = [("token_embedding.weight", [vocabSize, dim])]
        if sharedPos { out.append(("pos_embedding.embedding.weight", [numBuckets, numHeads])) }
        for i in 0..<numLayers {
            let p = "blocks.\(i)."
            out.append((p + "norm1.weight", [dim]))
            out.append((p + "attn.q.weight", [dimAttn, dim]))
            out.append((p + "attn.k.weight", [dimAttn, dim]))
            out.append((p + "attn.v.weight", [dimAttn, dim]))
            out.append((p + "attn.o.weight", [dim, dimAttn]))
            out.append((p + "norm2.weight", [dim]))
            out.append((p + "ffn.gate.0.weight", [dimFFN, dim]))
            out.append((p + "ffn.fc1.weight", [dimFFN, dim]))
            out.append((p + "ffn.fc2.weight", [dim, dimFFN]))
            if !sharedPos { out.append((p + "pos_embedding.embedding.weight", [numBuckets, numHeads])) }
        }
        out.append(("norm.weight", [dim]))
        return out
    }
}
