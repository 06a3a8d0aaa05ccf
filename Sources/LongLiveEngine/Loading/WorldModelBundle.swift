/// A world model in one safetensors file: the DiT (`dit.*`, official Wan names) and its word-level
/// text encoder (`text.*`), with both configurations in the metadata so the file is self-describing.
/// The teacher and the embedded student are both shipped this way.
public struct WorldModelBundle {
    /// What the file is for: `teacher` (bidirectional, many-step) or `student` (causal, few-step).
    public var kind: String
    public var dit: WanConfig
    public var words: WordEncoder.Config
    /// Parameters with their `dit.` / `text.` prefixes.
    public var tensors: [String: Tensor]
    /// Free-form provenance (training command, step, eval summary).
    public var notes: [String: String]

    static let format = "longlive-world-model"

    public init(kind: String, dit: WanConfig, words: WordEncoder.Config, tensors: [String: Tensor], notes: [String: String] = [:]) {
        self.kind = kind; self.dit = dit; self.words = words; self.tensors = tensors; self.notes = notes
    }

    /// Writes the bundle; `storage` `.bfloat16` halves the file (weights are widened to f32 on load).
    public func write(_ path: String, storage: DType = .float32) throws {
        let names = tensors.keys.sorted()
        var meta = notes
        meta["format"] = WorldModelBundle.format
        meta["version"] = "1"
        meta["kind"] = kind
        meta["dit_config"] = dit.json().serialized()
        meta["text_config"] = WorldModelBundle.json(words).serialized()
        try SafeTensors.write(path, tensors: names.map { n in
            let t = tensors[n]!
            // Norm scales and biases are tiny; keep them exact.
            return (n, storage == .float32 || t.rank < 2 ? t.float32() : t.converted(to: storage))
        }, metadata: meta)
    }

    /// Whether `path` is a safetensors file written as a world model (its metadata says so).
    public static func isBundle(_ path: String) -> Bool {
        guard path.hasSuffix(".safetensors"), FileIO.exists(path), let f = try? SafeTensorsFile(path: path) else { return false }
        return f.metadata["format"] == format
    }

    /// Reads a bundle; a file of another kind is a clear error.
    public static func load(_ path: String) throws -> WorldModelBundle {
        let file = try SafeTensorsFile(path: path)
        guard file.metadata["format"] == format, let ditText = file.metadata["dit_config"], let textText = file.metadata["text_config"] else {
            throw LongLiveError("\(path) is not a LongLive world-model file (no \"format\": \"\(format)\" metadata); export one with `longlive teacher export` or pass real weights with --model")
        }
        let dit = try WanConfig.parse(json: ditText, source: path + " (dit_config)")
        let words = try wordsConfig(JSONValue.parse(textText), source: path)
        var notes = file.metadata
        for k in ["format", "version", "kind", "dit_config", "text_config"] { notes[k] = nil }
        return WorldModelBundle(kind: file.metadata["kind"] ?? "unknown", dit: dit, words: words,
                                tensors: try file.allTensors().mapValues { $0.float32() }, notes: notes)
    }

    /// The DiT and the word encoder.
    public func makeModels() throws -> (model: WanTransformer, words: WordEncoder) {
        let dit = WorldModelBundle.withoutPrefix(tensors, "dit."), text = WorldModelBundle.withoutPrefix(tensors, "text.")
        let model = try WanTransformer(config: self.dit, weights: WanWeights.load(from: InMemoryTensors(dit), config: self.dit))
        return (model, try WordEncoder(config: words, parameters: text))
    }

    /// The entries of `tensors` named `prefix…`, with the prefix removed (`dit.head.head.weight` →
    /// `head.head.weight`): how every world-model dictionary is split into its networks.
    public static func withoutPrefix(_ tensors: [String: Tensor], _ prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
        return out
    }

    /// The word encoder's configuration as JSON (`text_config`).
    public static func json(_ c: WordEncoder.Config) -> JSONValue {
        var fields: [String: JSONValue] = [
            "vocabulary": .array(c.vocabulary.map { .string($0) }),
            "dim": .number(Double(c.dim)), "layers": .number(Double(c.layers)), "heads": .number(Double(c.heads)),
            "ffn_dim": .number(Double(c.ffnDim)), "max_tokens": .number(Double(c.maxTokens)),
        ]
        // Written only when on, so files without the skip stay byte-identical to those made before it.
        if c.wordSkip { fields["word_skip"] = .bool(true) }
        return .object(fields)
    }

    /// Reads ``json(_:)``'s form back.
    public static func wordsConfig(_ j: JSONValue, source: String) throws -> WordEncoder.Config {
        guard let vocab = j["vocabulary"]?.arrayValue?.compactMap(\.stringValue), let dim = j["dim"]?.intValue,
              let layers = j["layers"]?.intValue, let heads = j["heads"]?.intValue, let ffn = j["ffn_dim"]?.intValue,
              let maxTokens = j["max_tokens"]?.intValue else {
            throw LongLiveError("\(source): text_config must hold vocabulary, dim, layers, heads, ffn_dim and max_tokens")
        }
        return WordEncoder.Config(vocabulary: vocab, dim: dim, layers: layers, heads: heads, ffnDim: ffn, maxTokens: maxTokens,
                                  wordSkip: j["word_skip"]?.boolValue ?? false)
    }
}
