/// A low-rank adapter applied on the fly while training (`y += scale·(x·Aᵀ)·Bᵀ`, A `[r, in]`,
/// B `[out, r]`), so only A and B receive gradients; merged into the weight for inference.
public struct LowRankAdapter: Sendable {
    public var down: Tensor
    public var up: Tensor
    public var scale: Float

    public init(down: Tensor, up: Tensor, scale: Float) {
        self.down = down; self.up = up; self.scale = scale
    }
}

/// A linear layer's parameters, PyTorch layout (`weight` is `[out, in]`).
public struct LinearWeights: Sendable {
    /// The float weight, or for a quantised layer its int8 values (`quantized.data`, same shape).
    public var weight: Tensor
    public var bias: Tensor?
    /// A LoRA being trained on this layer (nil at inference: adapters are merged when loaded).
    public var adapter: LowRankAdapter?
    /// The int8 form, when this layer is quantised (see WanQuantization.swift); used instead of `weight`.
    public var quantized: QuantizedMatrix?

    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// A quantised layer (inference only: int8 weights are not trained).
    public init(quantized: QuantizedMatrix, bias: Tensor?) {
        self.weight = quantized.data
        self.bias = bias
        self.quantized = quantized
    }

    /// `x·Wᵀ + b` (int8 when quantised; plus the low-rank term of an adapter being trained).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = quantized.map { quantizedLinear(x, weight: $0, bias: bias) } ?? linear(x, weight: weight, bias: bias)
        guard let a = adapter else { return y }
        return scaledAdd(y, linear(linear(x, weight: a.down, bias: nil), weight: a.up, bias: nil), scales: [a.scale])
    }
}

/// Self- or cross-attention parameters (`q, k, v, o` linears and the full-width QK RMSNorm weights).
public struct AttentionWeights: Sendable {
    public var q, k, v, o: LinearWeights
    public var normQ, normK: Tensor
}

/// One `WanAttentionBlock`.
public struct WanBlockWeights: Sendable {
    public var modulation: Tensor      // [6, dim]
    public var selfAttn: AttentionWeights
    public var norm3Weight: Tensor
    public var norm3Bias: Tensor
    public var crossAttn: AttentionWeights
    public var ffn0: LinearWeights
    public var ffn2: LinearWeights
}

/// Every parameter of a Wan2.1 DiT, by its official name.
public struct WanWeights: Sendable {
    public var patchEmbedding: LinearWeights   // weight flattened to [dim, in_dim·pt·ph·pw]
    public var textEmbedding0, textEmbedding2: LinearWeights
    public var timeEmbedding0, timeEmbedding2: LinearWeights
    public var timeProjection: LinearWeights
    public var blocks: [WanBlockWeights]
    public var headModulation: Tensor         // [2, dim]
    public var head: LinearWeights

    /// The official tensor names and shapes for `config` (what a checkpoint must contain).
    public static func expectedShapes(_ c: WanConfig) -> [(String, [Int])] {
        let d = c.dim
        var out: [(String, [Int])] = [
            ("patch_embedding.weight", [d, c.inDim] + c.patchSize), ("patch_embedding.bias", [d]),
            ("text_embedding.0.weight", [d, c.textDim]), ("text_embedding.0.bias", [d]),
            ("text_embedding.2.weight", [d, d]), ("text_embedding.2.bias", [d]),
            ("time_embedding.0.weight", [d, c.freqDim]), ("time_embedding.0.bias", [d]),
            ("time_embedding.2.weight", [d, d]), ("time_embedding.2.bias", [d]),
            ("time_projection.1.weight", [6 * d, d]), ("time_projection.1.bias", [6 * d]),
            ("head.modulation", [1, 2, d]),
            ("head.head.weight", [c.outDim * c.patchSize.reduce(1, *), d]), ("head.head.bias", [c.outDim * c.patchSize.reduce(1, *)]),
        ]
        for i in 0..<c.numLayers {
            let p = "blocks.\(i)."
            out.append((p + "modulation", [1, 6, d]))
            for a in ["self_attn", "cross_attn"] {
                for l in ["q", "k", "v", "o"] {
                    out.append((p + "\(a).\(l).weight", [d, d]))
                    out.append((p + "\(a).\(l).bias", [d]))
                }
                out.append((p + "\(a).norm_q.weight", [d]))
                out.append((p + "\(a).norm_k.weight", [d]))
            }
            out.append((p + "norm3.weight", [d]))
            out.append((p + "norm3.bias", [d]))
            out.append((p + "ffn.0.weight", [c.ffnDim, d]))
            out.append((p + "ffn.0.bias", [c.ffnDim]))
            out.append((p + "ffn.2.weight", [d, c.ffnDim]))
            out.append((p + "ffn.2.bias", [d]))
        }
        return out
    }

    /// How weights are kept in memory after loading.
    public enum Residency: Sendable {
        /// Widened to float32 once at load (fastest; 4 bytes per parameter).
        case float32
        /// Kept as stored (bf16/f16 stay 2 bytes) and widened per use.
        case asStored
    }

    /// Loads and shape-checks every tensor; a missing or misshapen tensor is an error naming it,
    /// with the expected and found shapes.
    public static func load(from source: TensorSource, config: WanConfig, residency: Residency = .float32) throws -> WanWeights {
        let expected = WanWeights.expectedShapes(config)
        var t: [String: Tensor] = [:]
        var quantized: [String: QuantizedMatrix] = [:]
        let recorded = try recordedScheme(of: source)
        var missing: [String] = []
        for (name, shape) in expected {
            guard let x = try source.tensor(named: name) else { missing.append(name); continue }
            guard x.shape == shape else {
                throw LongLiveError("tensor \(name) in \(source.sourceDescription) has shape \(x.shape), expected \(shape) for \(config); check that --config matches the weights")
            }
            // A quantised checkpoint: int8 block linears (with their scales) load as they are.
            if isQuantizableLinearWeight(name) {
                if x.dtype == .int8 {
                    quantized[name] = try loadQuantized(name, data: x, from: source, recorded: recorded)
                    continue
                }
                if try source.shape(of: name + QuantScheme.scaleSuffix) != nil {
                    throw LongLiveError("\(source.sourceDescription) has a scale tensor \(name)\(QuantScheme.scaleSuffix) but \(name) is \(x.dtype.rawValue), not int8; the file mixes float and quantised weights: re-run `longlive quantize` on the float weights")
                }
            }
            guard x.dtype.isFloatingPoint else {
                throw LongLiveError("tensor \(name) in \(source.sourceDescription) has dtype \(x.dtype.rawValue); expected a float type (only the block linears may be int8)")
            }
            t[name] = residency == .float32 || x.dtype == .float64 ? x.float32() : x
        }
        if !missing.isEmpty {
            let shown = missing.prefix(5).joined(separator: ", ")
            throw LongLiveError("\(missing.count) tensor(s) missing from \(source.sourceDescription) for \(config): \(shown)\(missing.count > 5 ? ", …" : ""). Are these the DiT weights of a Wan2.1 T2V model with this configuration?")
        }
        func lin(_ p: String, bias: Bool = true) -> LinearWeights {
            if let q = quantized[p + ".weight"] { return LinearWeights(quantized: q, bias: bias ? t[p + ".bias"]! : nil) }
            return LinearWeights(weight: t[p + ".weight"]!, bias: bias ? t[p + ".bias"]! : nil)
        }
        func attn(_ p: String) -> AttentionWeights {
            AttentionWeights(q: lin(p + ".q"), k: lin(p + ".k"), v: lin(p + ".v"), o: lin(p + ".o"),
                             normQ: t[p + ".norm_q.weight"]!.float32(), normK: t[p + ".norm_k.weight"]!.float32())
        }
        var blocks: [WanBlockWeights] = []
        for i in 0..<config.numLayers {
            let p = "blocks.\(i)"
            blocks.append(WanBlockWeights(
                modulation: t[p + ".modulation"]!.float32().reshaped([6, config.dim]),
                selfAttn: attn(p + ".self_attn"),
                norm3Weight: t[p + ".norm3.weight"]!.float32(), norm3Bias: t[p + ".norm3.bias"]!.float32(),
                crossAttn: attn(p + ".cross_attn"),
                ffn0: lin(p + ".ffn.0"), ffn2: lin(p + ".ffn.2")))
        }
        var pe = lin("patch_embedding")
        pe.weight = pe.weight.reshaped([config.dim, config.patchValues])
        return WanWeights(
            patchEmbedding: pe,
            textEmbedding0: lin("text_embedding.0"), textEmbedding2: lin("text_embedding.2"),
            timeEmbedding0: lin("time_embedding.0"), timeEmbedding2: lin("time_embedding.2"),
            timeProjection: lin("time_projection.1"),
            blocks: blocks,
            headModulation: t["head.modulation"]!.float32().reshaped([2, config.dim]),
            head: lin("head.head"))
    }

    /// Random weights from a seed (benchmarks, tests, the stand-in model before trained weights exist).
    /// Linear weights N(0, 1/fan_in), biases N(0, 0.02²), norm weights 1, modulations N(0, 1/dim).
    public static func random(config c: WanConfig, seed: UInt64) -> [String: Tensor] {
        let rng = Philox4x32(seed: seed)
        var out: [String: Tensor] = [:]
        for (i, (name, shape)) in WanWeights.expectedShapes(c).enumerated() {
            let n = shape.reduce(1, *)
            if name.hasSuffix("norm_q.weight") || name.hasSuffix("norm_k.weight") || name.hasSuffix("norm3.weight") {
                out[name] = Tensor(shape: shape, repeating: 1)
                continue
            }
            var std: Float
            if name.hasSuffix(".bias") {
                std = 0.02
            } else if name.hasSuffix("modulation") {
                std = 1 / Float(c.dim).squareRoot()
            } else {
                std = 1 / Float(shape.dropFirst().reduce(1, *)).squareRoot()
            }
            let v = rng.normals(stream: UInt64(i), count: n).map { $0 * std }
            out[name] = Tensor(shape: shape, values: v)
        }
        return out
    }
}
