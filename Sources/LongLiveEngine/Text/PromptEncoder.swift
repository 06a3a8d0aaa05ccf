/// Turns prompt text into the `[tokens, textDim]` embedding the DiT's text MLP takes.
public protocol PromptEncoder: AnyObject {
    /// Embedding width.
    var textDim: Int { get }
    func encode(_ prompt: String) throws -> Tensor
}

/// A deterministic stand-in encoder for models without a trained text encoder (random-weight models
/// used for benchmarks and smoke runs): each lower-cased word maps to a fixed pseudo-random vector
/// (seeded by the word's hash), one row per word, rows after the last word zero as in T5's output.
/// Different prompts give different conditioning and the same prompt always the same; it carries no
/// meaning. Trained models use their own encoder.
public final class HashedWordEncoder: PromptEncoder {
    public let textDim: Int
    public let maxTokens: Int
    let rng: Philox4x32

    public init(textDim: Int, maxTokens: Int, seed: UInt64 = 0x7E47) {
        self.textDim = textDim
        self.maxTokens = maxTokens
        rng = Philox4x32(seed: seed)
    }

    public func encode(_ prompt: String) throws -> Tensor {
        let words = WordEncoder.words(prompt)
        guard !words.isEmpty else { throw LongLiveError("the prompt is empty; write what the video should show") }
        var rows: [Float] = []
        for w in words.prefix(maxTokens) {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
            for b in w.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
            rows += rng.normals(stream: h, count: textDim).map { $0 * 0.5 }
        }
        rows += [Float](repeating: 0, count: (maxTokens - min(words.count, maxTokens)) * textDim)
        return Tensor(shape: [maxTokens, textDim], values: rows)
    }
}

/// Prompt embeddings computed elsewhere (the reference's text encoder), stored as safetensors
/// `prompt_000`, `prompt_001`, … each `[tokens, textDim]` or `[1, tokens, textDim]`, in timeline order.
public enum PromptEmbeddingFile {
    public static func load(path: String) throws -> [Tensor] {
        let f = try SafeTensorsFile(path: path)
        var out: [Tensor] = []
        while true {
            let i = out.count
            let name = numberedTensorName("prompt", i)
            guard let t = try f.tensor(named: name) else { break }
            out.append(t.float32())
        }
        guard !out.isEmpty else {
            let found = f.names.prefix(6).joined(separator: ", ")
            throw LongLiveError("\(path) holds no prompt_000 tensor (found: \(found.isEmpty ? "nothing" : found)); name the embeddings prompt_000, prompt_001, … in timeline order")
        }
        return out
    }
}

extension UMT5TextEncoder: PromptEncoder {
    public var textDim: Int { config.dim }
}

/// `prefix_NNN` (at least three digits): the names of numbered tensors in prompt-embedding and
/// replay-noise files (`prompt_000`, `noise_012`).
public func numberedTensorName(_ prefix: String, _ index: Int) -> String {
    let digits = String(index)
    return prefix + "_" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}
