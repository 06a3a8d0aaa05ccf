/// The embedded model's text encoder: a word-level vocabulary (the synthetic world's grammar) and a
/// small pre-norm transformer, trained jointly with the teacher. Its output plays umT5's role:
/// `[maxTokens, dim]` with rows after the last word zero, fed to the DiT's text MLP.
///
/// Tensor names: `token_embedding.weight` `[vocab+1, dim]` (row 0 is padding), `position_embedding.weight`
/// `[maxTokens, dim]`, per layer `blocks.i.norm1.{weight,bias}`, `blocks.i.attn.{q,k,v,o}.{weight,bias}`,
/// `blocks.i.norm2.{weight,bias}`, `blocks.i.ffn.{0,2}.{weight,bias}`, and `norm.{weight,bias}`; with
/// ``Config/wordSkip`` also `word_skip.weight` `[dim]`.
///
/// Why the word skip: trained jointly, the first teacher's encoder grew its layer-0 branches to a residual
/// norm of ≈ 120 against token embeddings of ≈ 0.5, so a word the loss had not yet rewarded (the five
/// shapes) reached the output as a 1 % change of its row while a colour changed it by 70 %; the DiT
/// could not learn a word it could not see, so the word never became rewarding. The skip adds each
/// word's own normalised embedding to its output row, gated per channel, so every word's identity
/// reaches the DiT whatever the layers learn.
public final class WordEncoder {
    public struct Config: Equatable, Sendable {
        public var vocabulary: [String]
        public var dim: Int
        public var layers: Int
        public var heads: Int
        public var ffnDim: Int
        public var maxTokens: Int
        /// Output row `i` gets `word_skip ⊙ LayerNorm(token_embedding[word i])` added (see the type's notes).
        public var wordSkip: Bool

        public init(vocabulary: [String], dim: Int, layers: Int, heads: Int, ffnDim: Int, maxTokens: Int, wordSkip: Bool = false) {
            self.vocabulary = vocabulary
            self.dim = dim
            self.layers = layers
            self.heads = heads
            self.ffnDim = ffnDim
            self.maxTokens = maxTokens
            self.wordSkip = wordSkip
        }

        /// Official names and shapes.
        public func expectedShapes() -> [(String, [Int])] {
            var s: [(String, [Int])] = [("token_embedding.weight", [vocabulary.count + 1, dim]), ("position_embedding.weight", [maxTokens, dim])]
            for i in 0..<layers {
                let p = "blocks.\(i)."
                for n in ["norm1", "norm2"] { s += [(p + n + ".weight", [dim]), (p + n + ".bias", [dim])] }
                for l in ["q", "k", "v", "o"] { s += [(p + "attn.\(l).weight", [dim, dim]), (p + "attn.\(l).bias", [dim])] }
                s += [(p + "ffn.0.weight", [ffnDim, dim]), (p + "ffn.0.bias", [ffnDim]), (p + "ffn.2.weight", [dim, ffnDim]), (p + "ffn.2.bias", [dim])]
            }
            return s + [("norm.weight", [dim]), ("norm.bias", [dim])] + (wordSkip ? [("word_skip.weight", [dim])] : [])
        }
    }

    public let config: Config
    /// Parameters by official name (replace them to train).
    public var parameters: [String: Tensor]
    private let index: [String: Int]

    public init(config: Config, parameters: [String: Tensor]) throws {
        for (name, shape) in config.expectedShapes() {
            guard let t = parameters[name] else { throw LongLiveError("word encoder: tensor \(name) is missing") }
            guard t.shape == shape else { throw LongLiveError("word encoder: tensor \(name) has shape \(t.shape), expected \(shape)") }
        }
        guard config.dim % config.heads == 0 else { throw LongLiveError("word encoder: dim \(config.dim) is not divisible by \(config.heads) heads") }
        self.config = config
        self.parameters = parameters
        var idx: [String: Int] = [:]
        for (i, w) in config.vocabulary.enumerated() { idx[w] = i + 1 }
        index = idx
    }

    /// Random initial parameters (linear weights N(0, 1/fan_in), embeddings N(0, 0.02²), norms 1/0).
    public static func initialParameters(_ c: Config, seed: UInt64) -> [String: Tensor] {
        let rng = Philox4x32(seed: seed)
        var out: [String: Tensor] = [:]
        for (i, (name, shape)) in c.expectedShapes().enumerated() {
            if name.hasSuffix(".bias") { out[name] = Tensor(zeros: shape); continue }
            // A fresh encoder passes words through at full strength (a warm start from an encoder without the
            // skip sets the gate itself: TeacherConfig.wordSkipOpening).
            if name == "word_skip.weight" { out[name] = Tensor(shape: shape, repeating: 1); continue }
            if name.hasPrefix("norm") || name.contains(".norm") { out[name] = Tensor(shape: shape, repeating: 1); continue }
            let std: Float = name.contains("embedding") ? 0.02 : 1 / Float(shape[1]).squareRoot()
            out[name] = Tensor(shape: shape, values: rng.normals(stream: UInt64(i), count: shape.reduce(1, *)).map { $0 * std })
        }
        return out
    }

    /// Lower-cased words of letters and digits: how every word-level encoder here splits a prompt.
    public static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// Word ids of a prompt (1-based; 0 is padding). Unknown words are an error listing the vocabulary.
    public func tokenize(_ prompt: String) throws -> [Int] {
        let words = WordEncoder.words(prompt)
        guard !words.isEmpty else { throw LongLiveError("the prompt is empty; describe the scene, e.g. \"a small red circle moves left on a blue background\"") }
        let unknown = words.filter { index[$0] == nil }
        guard unknown.isEmpty else {
            throw LongLiveError("unknown word(s) \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in \"\(prompt)\"; the embedded model knows: \(config.vocabulary.joined(separator: " "))")
        }
        guard words.count <= config.maxTokens else {
            throw LongLiveError("the prompt has \(words.count) words; the embedded model reads at most \(config.maxTokens)")
        }
        return words.map { index[$0]! }
    }

    /// `[maxTokens, dim]`: the transformer over the prompt's words (attending only real words), padded with zero rows.
    public func encode(_ prompt: String) throws -> Tensor {
        let ids = try tokenize(prompt)
        let c = config, p = parameters, n = ids.count
        func lin(_ x: Tensor, _ name: String) -> Tensor { linear(x, weight: p[name + ".weight"]!, bias: p[name + ".bias"]) }
        let embedded = embeddingLookup(p["token_embedding.weight"]!, ids: ids)
        var x = add(embedded, p["position_embedding.weight"]!.rows(0..<n))
        for i in 0..<c.layers {
            let b = "blocks.\(i)."
            let h = layerNorm(x, eps: 1e-6, weight: p[b + "norm1.weight"], bias: p[b + "norm1.bias"])
            x = add(x, lin(attention(lin(h, b + "attn.q"), lin(h, b + "attn.k"), lin(h, b + "attn.v"), heads: c.heads), b + "attn.o"))
            let h2 = layerNorm(x, eps: 1e-6, weight: p[b + "norm2.weight"], bias: p[b + "norm2.bias"])
            x = add(x, lin(geluTanh(lin(h2, b + "ffn.0")), b + "ffn.2"))
        }
        x = layerNorm(x, eps: 1e-6, weight: p["norm.weight"], bias: p["norm.bias"])
        if let gate = p["word_skip.weight"], c.wordSkip {
            x = gatedResidual(x, layerNorm(embedded, eps: 1e-6), gate: gate, groupRows: n)
        }
        return n == c.maxTokens ? x : Tensor.concatenate([x, Tensor(zeros: [c.maxTokens - n, c.dim])])
    }
}
