/// A LoRA adapter in PEFT naming: for each adapted linear layer `M`, a down projection
/// `M.lora_A.weight` `[r, in]` and an up projection `M.lora_B.weight` `[out, r]`, so that the
/// merged weight is `W + (α/r)·B·A`.
///
/// Accepted spellings of a key (all mean the layer `blocks.0.self_attn.q`):
/// `base_model.model.blocks.0.self_attn.q.lora_A.weight` (PEFT's saved state dict, adapter name
/// stripped), `….lora_A.default.weight` (a live PEFT model's state dict, adapter name kept) and the
/// same behind `model.`/FSDP/compile wrappers. An optional scalar `M.alpha` gives that layer's α.
public struct LoRAAdapter {
    /// One adapted layer.
    public struct Layer: Sendable {
        /// The base tensor it changes, e.g. `blocks.0.self_attn.q.weight`.
        public let target: String
        /// Name of `lora_A` (down, `[rank, in]`) in ``LoRAAdapter/source``.
        public let down: String
        /// Name of `lora_B` (up, `[out, rank]`) in ``LoRAAdapter/source``.
        public let up: String
        /// The rank, from the shape of `lora_A`.
        public let rank: Int
        /// Output and input features of the merged weight (`[out, in]`).
        public let outFeatures: Int, inFeatures: Int
        /// α stored with the adapter (a `.alpha` tensor), if any.
        public let storedAlpha: Float?
    }

    /// Where the A/B tensors are read from.
    public let source: TensorSource
    /// Adapted layers by target tensor name.
    public let layers: [String: Layer]
    /// The PEFT adapter name found in the keys (e.g. `default`), nil when the keys carry none.
    public let adapterName: String?

    /// Target names, sorted.
    public var targets: [String] { layers.keys.sorted() }

    /// Reads the LoRA layers of `source`. `adapterName` picks one adapter when the keys name
    /// several; any tensor that is not a LoRA factor (or a LoRA variant such as DoRA) is an error,
    /// so a wrong file is not silently half-applied.
    public init(source: TensorSource, adapterName: String? = nil) throws {
        self.source = source
        var downs: [String: (String, String?)] = [:], ups: [String: (String, String?)] = [:]
        var alphas: [String: Float] = [:]
        var adapters = Set<String>()
        var unknown: [String] = []
        for name in source.tensorNames {
            guard let key = LoRAAdapter.parse(name) else { unknown.append(name); continue }
            if let a = key.adapter { adapters.insert(a) }
            if let want = adapterName, let a = key.adapter, a != want { continue }
            switch key.role {
            case .down: downs[key.module] = (name, key.adapter)
            case .up: ups[key.module] = (name, key.adapter)
            case .alpha:
                guard let t = try source.tensor(named: name), t.count == 1, t.dtype.isFloatingPoint || t.dtype == .int64 || t.dtype == .int32 else {
                    throw LongLiveError("\(source.sourceDescription): \(name) should hold one number (the LoRA alpha)")
                }
                alphas[key.module] = t.dtype.isFloatingPoint ? t.scalars[0] : Float(t.integers[0])
            }
        }
        if !unknown.isEmpty {
            let shown = unknown.prefix(4).joined(separator: ", ")
            throw LongLiveError("\(source.sourceDescription) holds \(unknown.count) tensor(s) that are not PEFT LoRA factors (…lora_A.weight / …lora_B.weight): \(shown)\(unknown.count > 4 ? ", …" : ""). Is this a LoRA file? (DoRA, embeddings and LoRA biases are not supported)")
        }
        if adapterName == nil, adapters.count > 1 {
            throw LongLiveError("\(source.sourceDescription) holds several LoRA adapters (\(adapters.sorted().joined(separator: ", "))); choose one")
        }
        if let want = adapterName, !adapters.isEmpty, !adapters.contains(want) {
            throw LongLiveError("\(source.sourceDescription) has no LoRA adapter named \(want); it has \(adapters.sorted().joined(separator: ", "))")
        }
        self.adapterName = adapterName ?? adapters.first

        var layers: [String: Layer] = [:]
        for module in Set(downs.keys).union(ups.keys).sorted() {
            guard let (a, _) = downs[module] else {
                throw LongLiveError("\(source.sourceDescription): LoRA layer \(module) has lora_B but no lora_A")
            }
            guard let (b, _) = ups[module] else {
                throw LongLiveError("\(source.sourceDescription): LoRA layer \(module) has lora_A but no lora_B")
            }
            guard let sa = try source.shape(of: a), let sb = try source.shape(of: b), sa.count == 2, sb.count == 2 else {
                throw LongLiveError("\(source.sourceDescription): LoRA factors of \(module) must be matrices (only linear layers are supported)")
            }
            guard sb[1] == sa[0], sa[0] > 0 else {
                throw LongLiveError("\(source.sourceDescription): LoRA layer \(module) has lora_A \(sa) and lora_B \(sb); expected [r, in] and [out, r] with the same r")
            }
            let target = module + ".weight"
            layers[target] = Layer(target: target, down: a, up: b, rank: sa[0], outFeatures: sb[0], inFeatures: sa[1],
                                   storedAlpha: alphas[module])
        }
        guard !layers.isEmpty else {
            throw LongLiveError("\(source.sourceDescription) holds no LoRA layers")
        }
        self.layers = layers
    }

    /// Opens a LoRA file: a `.pt` (the `generator_lora` dict of a LongLive trainer file, or a raw
    /// PEFT state dict at the top level; `dict` names another) or a `.safetensors` file.
    public static func open(path: String, dict: String? = nil, adapterName: String? = nil) throws -> LoRAAdapter {
        if ZipArchive.looksLikeZip(path: path) || TorchCheckpoint.hasTorchExtension(path) {
            let ckpt = try TorchCheckpoint(path: path)
            var key = dict
            if key == nil, ckpt.tensorDictKeys.contains("generator_lora") { key = "generator_lora" }
            if key == nil, !ckpt.isFlatStateDict {
                throw LongLiveError("\(path) holds no \"generator_lora\" dict and is not a flat LoRA state dict; it has: \(ckpt.describeKeys())")
            }
            return try LoRAAdapter(source: try ckpt.tensors(key), adapterName: adapterName)
        }
        guard FileIO.exists(path) else { throw LongLiveError("LoRA file not found: \(path) does not exist") }
        return try LoRAAdapter(source: try SafeTensorsFile(path: path), adapterName: adapterName)
    }

    /// `α/r` for a layer: `alpha` if given, else the α stored with the adapter, else `r` (scale 1,
    /// as LongLive's rank 256 / α 256).
    public func scale(of layer: Layer, alpha: Float? = nil) -> Float {
        (alpha ?? layer.storedAlpha ?? Float(layer.rank)) / Float(layer.rank)
    }

    // MARK: - key parsing

    enum Role { case down, up, alpha }

    /// The layer, role and adapter name a key stands for, or nil when it is not a LoRA key.
    static func parse(_ rawName: String) -> (module: String, role: Role, adapter: String?)? {
        var name = CheckpointTensors.canonicalName(rawName)
        // PEFT wraps the model twice (`base_model.model.`); canonicalName already turned the inner
        // `.model.` into `.`, leaving `base_model.`.
        for p in ["base_model.model.", "base_model."] where name.hasPrefix(p) {
            name.removeFirst(p.count)
            break
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 2, parts.last == "alpha" {
            return (parts.dropLast().joined(separator: "."), .alpha, nil)
        }
        guard let i = parts.lastIndex(where: { $0 == "lora_A" || $0 == "lora_B" }), i > 0 else { return nil }
        let role: Role = parts[i] == "lora_A" ? .down : .up
        let rest = parts[(i + 1)...]
        let module = parts[..<i].joined(separator: ".")
        if rest.elementsEqual(["weight"]) { return (module, role, nil) }
        if rest.count == 2, rest.last == "weight" { return (module, role, rest.first) }
        return nil
    }
}
