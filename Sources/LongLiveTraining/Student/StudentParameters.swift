/// A world model's parameter dictionary (`dit.*` trainable DiT, `text.*` the frozen word encoder)
/// turned into models; shared by the student stages.
enum StudentParameters {
    /// The `dit.` entries without their prefix.
    static func dit(_ p: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in p where k.hasPrefix("dit.") { out[String(k.dropFirst(4))] = v }
        return out
    }

    /// A DiT over `weights` (gradient leaves stay leaves).
    static func model(_ config: WanConfig, _ weights: [String: Tensor]) throws -> WanTransformer {
        try WanTransformer(config: config, weights: WanWeights.load(from: InMemoryTensors(weights), config: config))
    }

    /// Prefixes every name.
    static func prefixed(_ p: [String: Tensor], _ prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in p { out[prefix + k] = v }
        return out
    }
}

/// The frozen word encoder's outputs, computed once per prompt.
final class PromptEmbeddings {
    let words: WordEncoder
    private var cache: [String: Tensor] = [:]
    let zero: Tensor

    init(words: WordEncoder) {
        self.words = words
        zero = Tensor(zeros: [words.config.maxTokens, words.config.dim])
    }

    func callAsFunction(_ prompt: String) throws -> Tensor {
        if let t = cache[prompt] { return t }
        let t = try Tape.withoutRecording { try words.encode(prompt) }
        cache[prompt] = t
        return t
    }
}
