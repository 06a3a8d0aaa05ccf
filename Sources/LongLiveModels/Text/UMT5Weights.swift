/// One umT5 encoder block's parameters (`blocks.i.*`). Linear weights are `[out, in]` without biases.
public struct UMT5LayerWeights: Sendable {
    /// RMSNorm weight before attention (`norm1.weight`, float32).
    public var norm1: Tensor
    /// Attention projections `attn.{q,k,v,o}.weight` (as stored or float32).
    public var q, k, v, o: Tensor
    /// RMSNorm weight before the FFN (`norm2.weight`, float32).
    public var norm2: Tensor
    /// `ffn.gate.0.weight` (the GELU branch), `ffn.fc1.weight`, `ffn.fc2.weight`.
    public var gate, fc1, fc2: Tensor
    /// `pos_embedding.embedding.weight` `[buckets, heads]`, float32; nil when the table is shared.
    public var positionBias: Tensor?
}

/// Every parameter of the umT5 encoder, by its official name (spec §9.4).
public struct UMT5Weights: Sendable {
    /// `[vocab, dim]`, always kept as stored: only the rows of a prompt's tokens are widened.
    public var tokenEmbedding: Tensor
    /// `blocks.0` … `blocks.(n−1)`.
    public var layers: [UMT5LayerWeights]
    /// The shared relative-position table when `shared_pos` is true.
    public var sharedPositionBias: Tensor?
    /// The final RMSNorm weight (`norm.weight`).
    public var finalNorm: Tensor

    /// Loads and shape-checks every tensor. With `.asStored` (the default) bf16/f16 matrices stay
    /// 2 bytes per parameter and are widened per use: umT5-XXL is 11 GB in bf16 and 23 GB in f32.
    /// Norm weights and position tables are tiny and always widened here.
    public static func load(from source: TensorSource, config: UMT5Config, residency: WanWeights.Residency = .asStored) throws -> UMT5Weights {
        try config.validate()
        var t: [String: Tensor] = [:]
        var missing: [String] = []
        for (name, shape) in config.expectedShapes() {
            guard let x = try source.tensor(named: name) else { missing.append(name); continue }
            guard x.shape == shape else {
                throw LongLiveError("tensor \(name) in \(source.sourceDescription) has shape \(x.shape), expected \(shape) for \(config); check that the text-encoder config matches the weights")
            }
            guard x.dtype.isFloatingPoint else {
                throw LongLiveError("tensor \(name) in \(source.sourceDescription) has dtype \(x.dtype.rawValue); expected a float type")
            }
            let small = shape.count == 1 || name.hasSuffix("pos_embedding.embedding.weight")
            let keep = residency == .asStored && x.dtype != .float64 && !small
            t[name] = keep || name == "token_embedding.weight" && x.dtype != .float64 ? x : x.float32()
        }
        if !missing.isEmpty {
            let shown = missing.prefix(5).joined(separator: ", ")
            throw LongLiveError("\(missing.count) tensor(s) missing from \(source.sourceDescription) for \(config): \(shown)\(missing.count > 5 ? ", …" : ""). Are these the weights of the umT5 encoder (models_t5_umt5-xxl-enc-bf16.pth)?")
        }
        var layers: [UMT5LayerWeights] = []
        for i in 0..<config.numLayers {
            let p = "blocks.\(i)."
            layers.append(UMT5LayerWeights(
                norm1: t[p + "norm1.weight"]!,
                q: t[p + "attn.q.weight"]!, k: t[p + "attn.k.weight"]!, v: t[p + "attn.v.weight"]!, o: t[p + "attn.o.weight"]!,
                norm2: t[p + "norm2.weight"]!,
                gate: t[p + "ffn.gate.0.weight"]!, fc1: t[p + "ffn.fc1.weight"]!, fc2: t[p + "ffn.fc2.weight"]!,
                positionBias: t[p + "pos_embedding.embedding.weight"]))
        }
        return UMT5Weights(tokenEmbedding: t["token_embedding.weight"]!, layers: layers,
                           sharedPositionBias: t["pos_embedding.embedding.weight"], finalNorm: t["norm.weight"]!)
    }

    /// Random weights with the fixture generator's distributions (embedding N(0,1), linears
    /// N(0, 1/fan_in), position tables N(0, 0.5²), norms 1): benchmarks and memory measurements of
    /// the real shapes without the real file. `dtype` is the storage type (bf16 like the release).
    public static func random(config c: UMT5Config, seed: UInt64, dtype: DType = .float32) -> [String: Tensor] {
        let rng = Philox4x32(seed: seed)
        var out: [String: Tensor] = [:]
        for (i, (name, shape)) in c.expectedShapes().enumerated() {
            let n = shape.reduce(1, *)
            let std: Float
            if shape.count == 1 {
                out[name] = Tensor(shape: shape, repeating: 1)
                continue
            } else if name == "token_embedding.weight" {
                std = 1
            } else if name.hasSuffix("pos_embedding.embedding.weight") {
                std = 0.5
            } else {
                std = 1 / Float(shape[1]).squareRoot()
            }
            let v = rng.normals(stream: UInt64(i), count: n).map { $0 * std }
            out[name] = Tensor(shape: shape, values: v).converted(to: dtype)
        }
        return out
    }
}
