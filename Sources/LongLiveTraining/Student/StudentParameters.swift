/// A world model's parameter dictionary (`dit.*` trainable DiT, `text.*` the frozen word encoder)
/// turned into models and back into files; shared by the student stages.
enum StudentParameters {
    /// A DiT over the `prefix`-named entries of `p` (gradient leaves stay leaves).
    static func model(_ config: WanConfig, _ p: [String: Tensor], prefix: String) throws -> WanTransformer {
        try WanTransformer(config: config, weights: WanWeights.load(from: InMemoryTensors(WorldModelBundle.withoutPrefix(p, prefix)), config: config))
    }

    /// Every name of `p` with `prefix` in front.
    static func prefixed(_ p: [String: Tensor], _ prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in p { out[prefix + k] = v }
        return out
    }

    /// The `dit.` entries of `p` under `prefix` instead (e.g. the teacher's DiT as the critic's start).
    static func dit(_ p: [String: Tensor], as prefix: String = "dit.") -> [String: Tensor] {
        prefixed(WorldModelBundle.withoutPrefix(p, "dit."), prefix)
    }

    /// A student file: the trained DiT (`dit.*` entries of `parameters`) with the teacher's frozen word encoder.
    static func bundle(_ parameters: [String: Tensor], teacher: WorldModelBundle, notes: [String: String]) -> WorldModelBundle {
        var t = dit(parameters)
        for (k, v) in teacher.tensors where k.hasPrefix("text.") { t[k] = v }
        return WorldModelBundle(kind: "student", dit: teacher.dit, words: teacher.words, tensors: t, notes: notes)
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
