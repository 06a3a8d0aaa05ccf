/// LoRA for the student's long tuning (spec §7.4): an adapter on each of a block's ten linears
/// (`self_attn.{q,k,v,o}`, `cross_attn.{q,k,v,o}`, `ffn.0`, `ffn.2`), stored in PEFT naming
/// (`blocks.3.ffn.0.lora_A.weight` `[r, in]`, `….lora_B.weight` `[out, r]`, `….alpha`), which is
/// what `longlive generate --lora` and ``LoRAMergedTensors`` read — trained adapters and LongLive's
/// released one go through the same merge.
public enum LoRATraining {
    /// The adapted linears of `config` (module names without `.weight`) with their (out, in).
    public static func targets(_ config: WanConfig) -> [(module: String, out: Int, in: Int)] {
        let d = config.dim
        var out: [(String, Int, Int)] = []
        for i in 0..<config.numLayers {
            for a in ["self_attn", "cross_attn"] { for l in ["q", "k", "v", "o"] { out.append(("blocks.\(i).\(a).\(l)", d, d)) } }
            out.append(("blocks.\(i).ffn.0", config.ffnDim, d))
            out.append(("blocks.\(i).ffn.2", d, config.ffnDim))
        }
        return out
    }

    /// Fresh factors: A ~ N(0, 1/in), B = 0 (so training starts from the base model exactly).
    public static func initial(_ config: WanConfig, rank: Int, seed: UInt64) -> [String: Tensor] {
        let rng = Philox4x32(seed: seed)
        var p: [String: Tensor] = [:]
        for (i, t) in targets(config).enumerated() {
            let std = 1 / Float(t.in).squareRoot()
            p[t.module + ".lora_A.weight"] = Tensor(shape: [rank, t.in], values: rng.normals(stream: UInt64(i), count: rank * t.in).map { $0 * std })
            p[t.module + ".lora_B.weight"] = Tensor(zeros: [t.out, rank])
        }
        return p
    }

    /// Attaches `lora`'s factors to `weights` with scale α/r.
    public static func attach(_ lora: [String: Tensor], to weights: inout WanWeights, scale: Float) throws {
        for (i, _) in weights.blocks.enumerated() {
            let paths: [(String, WritableKeyPath<WanBlockWeights, LinearWeights>)] = [
                ("self_attn.q", \.selfAttn.q), ("self_attn.k", \.selfAttn.k), ("self_attn.v", \.selfAttn.v), ("self_attn.o", \.selfAttn.o),
                ("cross_attn.q", \.crossAttn.q), ("cross_attn.k", \.crossAttn.k), ("cross_attn.v", \.crossAttn.v), ("cross_attn.o", \.crossAttn.o),
                ("ffn.0", \.ffn0), ("ffn.2", \.ffn2),
            ]
            for (name, path) in paths {
                let m = "blocks.\(i).\(name)"
                guard let a = lora[m + ".lora_A.weight"], let b = lora[m + ".lora_B.weight"] else {
                    throw LongLiveError("LoRA factors of \(m) are missing")
                }
                weights.blocks[i][keyPath: path].adapter = LowRankAdapter(down: a, up: b, scale: scale)
            }
        }
    }

    /// The adapter as a PEFT-named tensor set with its α (what `--lora` loads).
    public static func peftTensors(_ lora: [String: Tensor], alpha: Float) -> [(String, Tensor)] {
        var out = lora.keys.sorted().map { ($0, lora[$0]!) }
        let suffix = ".lora_A.weight"
        for m in lora.keys.filter({ $0.hasSuffix(suffix) }).map({ String($0.dropLast(suffix.count)) }).sorted() {
            out.append((m + ".alpha", Tensor(shape: [1], values: [alpha])))
        }
        return out
    }

    /// `dit` (official names) with the adapter merged, `W + (α/r)·B·A`, through the same merge as a
    /// loaded LoRA file.
    public static func merged(_ dit: [String: Tensor], lora: [String: Tensor], alpha: Float) throws -> [String: Tensor] {
        var peft: [String: Tensor] = [:]
        for (k, v) in peftTensors(lora, alpha: alpha) { peft[k] = v }
        let source = try LoRAMergedTensors(base: InMemoryTensors(dit), adapter: LoRAAdapter(source: InMemoryTensors(peft, description: "trained LoRA")))
        var out: [String: Tensor] = [:]
        for name in dit.keys { out[name] = try source.tensor(named: name)!.float32() }
        return out
    }
}
