import ArgumentParser
import LongLiveEngine

/// `longlive bench quant`: int8 block linears against float — weight bytes, relative error per
/// layer and end to end (vs f32 and vs bf16 weights), and speed of both int8 kernels vs f32, with
/// the variants timed back to back in one process (random weights from a seed).
struct BenchQuantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quant",
        abstract: "INT8 weights vs f32/bf16: bytes, per-layer and end-to-end relative error, speed of each int8 kernel (random weights).")

    @Option(help: "Model preset: 1.3b (Wan2.1-1.3B shapes, 2 blocks unless --layers, 832×480 → 4680 tokens per chunk) or embedded (6 blocks, 192 tokens).")
    var preset: String = "1.3b"
    @Option(help: "Override: transformer blocks.") var layers: Int?
    @Option(help: "Timed repeats of each variant (alternated, so load changes hit all alike).") var repeats: Int = 3
    @Option(help: "Rows of the random inputs for the per-layer error (capped at the chunk's tokens).") var errorRows: Int = 512
    @Flag(help: "Skip the whole-forward timing (per-linear timings and errors only).") var noForward = false
    @Option var seed: UInt64 = 0

    func run() throws {
        var c: WanConfig
        var frame: [Int]
        switch preset {
        case "1.3b": c = .wan1_3B; c.numLayers = 2; frame = [16, 60, 104]
        case "embedded": c = EmbeddedModel.config; frame = EmbeddedModel.frameShape
        default: throw ValidationError("unknown --preset \(preset); use 1.3b or embedded")
        }
        if let l = layers { c.numLayers = l }
        let tokens = 3 * (frame[1] / 2) * (frame[2] / 2)
        let path = ["portable C", "AVX2", SIMDKernels.level >= 2 && QuantizedKernel.int8UsesVNNI ? "AVX-512 VNNI" : "AVX2"][Int(min(SIMDKernels.level, 2))]
        print("machine: \(MachineProbe.cpuName()), \(Parallel.threadCount) threads, BLAS core \(BLAS.coreName), int8 GEMM path: \(path)")
        print("model: \(c), random weights seed \(seed); chunk of 3 latent frames = \(tokens) tokens")

        let raw = WanWeights.random(config: c, seed: seed)
        let f32 = try WanWeights.load(from: InMemoryTensors(raw), config: c)
        let bf16 = try WanWeights.load(from: InMemoryTensors(raw.mapValues { $0.converted(to: .bfloat16) }), config: c, residency: .asStored)
        var variants: [(String, WanWeights)] = [("f32", f32), ("bf16", bf16)]
        for s in QuantScheme.allCases { variants.append((s.rawValue, try f32.quantized(s))) }

        // Bytes.
        print("\n## block linear weights (\(c.numLayers) blocks × 10 linears, biases excluded)")
        let bf16Bytes = bf16.blockLinearWeightBytes
        for (name, w) in variants {
            print("\(name): \(mib(w.blockLinearWeightBytes)) = \(fmt(Double(w.blockLinearWeightBytes) / Double(bf16Bytes), 3))× of bf16")
        }
        var full = WanConfig.wan1_3B
        full.numLayers = 30
        let fullShapes = WanWeights.expectedShapes(full)
        let fullBF16 = fullShapes.reduce(0) { $0 + 2 * $1.1.reduce(1, *) }
        print("Wan2.1-1.3B, 30 blocks, tensor data on disk: f32 \(mib(2 * fullBF16)), bf16 \(mib(fullBF16))", terminator: "")
        for s in QuantScheme.allCases {
            let bytes = fullShapes.reduce(0) { sum, e in
                WanWeights.isQuantizableLinearWeight(e.0) ? sum + s.byteCount(out: e.1[0], in: e.1[1]) : sum + 2 * e.1.reduce(1, *)
            }
            print(", \(s.rawValue) (rest bf16) \(mib(bytes)) = \(fmt(Double(bytes) / Double(fullBF16), 3))×", terminator: "")
        }
        print()

        // Per-layer error on random N(0, 1) inputs.
        print("\n## per-layer relative error (RMS ‖y − y_ref‖/‖y_ref‖ on \(min(errorRows, tokens)) N(0,1) rows; block 0 and block \(c.numLayers - 1))")
        print("layer | bf16 vs f32 | " + QuantScheme.allCases.flatMap { s in QuantizedKernel.allCases.map { "\(s.rawValue)/\($0.rawValue) vs f32 (vs bf16)" } }.joined(separator: " | "))
        for b in Set([0, c.numLayers - 1]).sorted() {
            for (li, (name, lin)) in f32.blockLinears.enumerated() where name.hasPrefix("blocks.\(b).") {
                let x = Philox4x32(seed: seed ^ 0xE11).normalTensor(shape: [min(errorRows, tokens), lin.weight.shape[1]], stream: UInt64(li))
                let ref = lin(x)
                let yb = bf16.blockLinears[li].1(x)
                var cells = ["\(name)", fmt(rmsRelative(yb, ref) * 100, 3) + " %"]
                for v in variants.dropFirst(2) {
                    let q = v.1.blockLinears[li].1.quantized!
                    for k in QuantizedKernel.allCases {
                        let y = quantizedLinear(x, weight: q, bias: lin.bias, kernel: k)
                        cells.append("\(fmt(rmsRelative(y, ref) * 100, 3)) % (\(fmt(rmsRelative(y, yb) * 100, 3)) %)")
                    }
                }
                print(cells.joined(separator: " | "))
            }
        }

        // Per-linear speed, f32 vs each int8 kernel, alternated.
        print("\n## linear speed (\(tokens) rows; min / median of \(repeats), variants alternated)")
        let shapes: [(String, Int)] = [("self_attn.q", 0), ("ffn.0", 8), ("ffn.2", 9)]
        for (label, li) in shapes {
            let lin = f32.blockLinears[li].1
            let q = variants[2].1.blockLinears[li].1.quantized!, qc = variants[3].1.blockLinears[li].1.quantized!
            let x = Philox4x32(seed: seed ^ 0x5BEED).normalTensor(shape: [tokens, lin.weight.shape[1]], stream: 0)
            let cases: [(String, () -> Tensor)] = [
                ("f32 sgemm", { lin(x) }),
                ("q8_0 int8", { quantizedLinear(x, weight: q, bias: lin.bias, kernel: .int8) }),
                ("q8_0 sgemm", { quantizedLinear(x, weight: q, bias: lin.bias, kernel: .dequantizedSGEMM) }),
                ("channel int8", { quantizedLinear(x, weight: qc, bias: lin.bias, kernel: .int8) }),
            ]
            let times = alternate(cases.map(\.1))
            let flops = 2 * Double(tokens) * Double(lin.weight.count)
            let base = median(times[0])
            print("\(label) [\(lin.weight.shape[0]) × \(lin.weight.shape[1])]: " + zip(cases, times).map { cs, t in
                "\(cs.0) \(fmt(t.min()! * 1000, 1)) / \(fmt(median(t) * 1000, 1)) ms (\(fmt(flops / t.min()! / 1e9, 0)) GFLOP/s, \(fmt(base / median(t), 2))×)"
            }.joined(separator: "; "))
        }

        // End to end: one chunk forward (block-causal, no cache) for every variant.
        let text = Philox4x32(seed: seed ^ 0x7E47).normalTensor(shape: [c.textLen, c.textDim], stream: 0)
        let x = try SeededNoise(seed: seed).chunkNoise(startFrame: 0, frames: 3, frameShape: frame)
        var models: [(String, WanTransformer, CrossAttentionCache)] = []
        for (name, w) in variants {
            let m = try WanTransformer(config: c, weights: w)
            models.append((name, m, try m.crossAttentionCache(context: text)))
        }
        func forward(_ i: Int, _ kernel: QuantizedKernel = .int8) throws -> Tensor {
            QuantizedKernel.current = kernel
            return try models[i].1.forward(x, timesteps: [937.5, 937.5, 937.5], text: models[i].2,
                                           attention: .blockCausal(framesPerBlock: 3, windowFrames: nil))
        }
        let ref = try forward(0), refBF16 = try forward(1)
        print("\n## end to end (\(c.numLayers) blocks, one chunk forward at t = 937.5; RMS relative / max |Δ| / max |ref|)")
        print("bf16 weights vs f32: \(fmt(rmsRelative(refBF16, ref) * 100, 3)) % / \(fmt(Double(refBF16.relativeError(to: ref)) * 100, 3)) %")
        for i in 2..<models.count {
            for k in QuantizedKernel.allCases {
                let y = try forward(i, k)
                print("\(models[i].0) (\(k.rawValue) kernel): vs f32 \(fmt(rmsRelative(y, ref) * 100, 3)) % / \(fmt(Double(y.relativeError(to: ref)) * 100, 3)) %; vs bf16 \(fmt(rmsRelative(y, refBF16) * 100, 3)) %")
            }
        }
        if !noForward {
            let cases: [(String, () throws -> Tensor)] = [
                ("f32", { try forward(0) }), ("bf16 (stored, widened per use)", { try forward(1) }),
                ("q8_0 int8", { try forward(2, .int8) }), ("q8_0 sgemm", { try forward(2, .dequantizedSGEMM) }),
                ("channel int8", { try forward(3, .int8) }),
            ]
            let times = try alternateThrowing(cases.map(\.1))
            print("\n## forward time (min / median of \(repeats), alternated)")
            for (cs, t) in zip(cases, times) {
                print("\(cs.0): \(fmt(t.min()!, 3)) / \(fmt(median(t), 3)) s (\(fmt(median(times[0]) / median(t), 2))× f32)")
            }
        }
        QuantizedKernel.current = QuantizedKernel.preferred
        print("\npeak RSS: \(mib(MachineProbe.peakRSS()))")
    }

    func alternate(_ bodies: [() -> Tensor]) -> [[Double]] {
        (try? alternateThrowing(bodies.map { b in { b() } })) ?? []
    }

    /// Each body once untimed (warm-up), then `repeats` rounds of all bodies in turn.
    func alternateThrowing(_ bodies: [() throws -> Tensor]) throws -> [[Double]] {
        for b in bodies { _ = try b() }
        var times = Array(repeating: [Double](), count: bodies.count)
        for _ in 0..<repeats {
            for (i, b) in bodies.enumerated() {
                let t0 = monotonicSeconds()
                _ = try b()
                times[i].append(monotonicSeconds() - t0)
            }
        }
        return times
    }
}

private func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// ‖a − b‖ / ‖b‖ in double.
private func rmsRelative(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.scalars, y = b.scalars
    var num = 0.0, den = 0.0
    for i in 0..<x.count { let d = Double(x[i]) - Double(y[i]); num += d * d; den += Double(y[i]) * Double(y[i]) }
    return (num / max(den, 1e-300)).squareRoot()
}
