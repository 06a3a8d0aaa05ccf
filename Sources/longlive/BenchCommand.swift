import ArgumentParser
import LongLiveCUDA
import LongLiveEngine

/// `longlive bench …`: speed and memory figures printed for docs/benchmarks.md.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks (figures for docs/benchmarks.md).",
        subcommands: [BenchEngineCommand.self, BenchGemmCommand.self, BenchMemoryCommand.self, BenchQuantCommand.self])
}

/// `longlive bench engine`: the streaming engine on random weights of any size.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Time the streaming engine (random weights from a seed): per-chunk time, FPS, GFLOP/s vs sgemm, peak RSS.")

    @Option(help: "Model preset: 1.3b (Wan2.1-1.3B shapes, 2 blocks unless --layers), embedded (the built-in 64×64 model; latent 16×16), tiny (the fixtures' model).")
    var preset: String = "1.3b"
    @Option(help: "Override: transformer blocks.") var layers: Int?
    @Option(help: "Override: width.") var dim: Int?
    @Option(help: "Override: attention heads.") var heads: Int?
    @Option(help: "Override: FFN width.") var ffn: Int?
    @Option(help: "Override: text tokens.") var textLen: Int?
    @Option(help: "Override: text embedding width.") var textDim: Int?
    @Option(help: "Latent height (default 60 = 480 px; 16 for the embedded preset).") var latentHeight: Int?
    @Option(help: "Latent width (default 104 = 832 px; 16 for the embedded preset).") var latentWidth: Int?
    @Option(help: "Latent frames per chunk.") var chunk: Int = 3
    @Option(help: "Attention window in latent frames (sink included).") var window: Int = 12
    @Option(help: "Sink frames.") var sink: Int = 3
    @Option(help: "Chunks to generate.") var chunks: Int = 5
    @Option(help: "Timed steady-state forwards after the run.") var forwards: Int = 2
    @Option(help: "Seed of the random weights and noise.") var seed: UInt64 = 0
    @Flag(help: "Print where the steady-state forward's time goes.") var profile = false
    @Option(help: "Quantise the block linears to int8: w8a16-q8_0 or w8a16-channel.") var quantize: String?
    @Option(help: "Int8 kernel with --quantize: int8 or sgemm.") var int8Kernel: String?
    @Option(help: "Compute device: cpu, or cuda (needs an NVIDIA GPU; see `longlive info`).") var device: String = "cpu"

    func modelConfig() throws -> WanConfig {
        var c: WanConfig
        switch preset {
        case "1.3b": c = .wan1_3B; c.numLayers = 2
        case "embedded": c = EmbeddedModel.config
        case "tiny":
            c = WanConfig(); c.dim = 64; c.ffnDim = 128; c.numHeads = 2; c.numLayers = 2; c.textLen = 16; c.textDim = 32
        default: throw ValidationError("unknown --preset \(preset); use 1.3b, embedded or tiny")
        }
        if let v = layers { c.numLayers = v }
        if let v = dim { c.dim = v }
        if let v = heads { c.numHeads = v }
        if let v = ffn { c.ffnDim = v }
        if let v = textLen { c.textLen = v }
        if let v = textDim { c.textDim = v }
        try c.validate()
        return c
    }

    func run() throws {
        try CUDABackend.validate(device: device)
        let c = try modelConfig()
        let latentHeight = self.latentHeight ?? (preset == "embedded" ? 16 : 60)
        let latentWidth = self.latentWidth ?? (preset == "embedded" ? 16 : 104)
        let tpf = (latentHeight / 2) * (latentWidth / 2)
        print("machine: \(MachineProbe.cpuName()), \(Parallel.threadCount) threads, BLAS core \(BLAS.coreName)")
        let n = chunk * tpf
        let sgemm = max(MachineProbe.sgemmGFLOPs(m: n, n: c.dim, k: c.dim),
                        MachineProbe.sgemmGFLOPs(m: n, n: c.ffnDim, k: c.dim),
                        MachineProbe.sgemmGFLOPs(m: 2048, n: 2048, k: 2048))
        print("sgemm: \(fmt(sgemm, 1)) GFLOP/s (best of 2048³ and the model's two largest linear shapes, all cores, measured now)")
        print("model: \(c), random weights seed \(seed)")
        print("stream: latent \(latentHeight)×\(latentWidth) (\(tpf) tokens/frame), chunk \(chunk), window \(window), sink \(sink), \(chunks) chunks")

        let t0 = monotonicSeconds()
        var model = try WanTransformer(source: InMemoryTensors(WanWeights.random(config: c, seed: seed)), config: c)
        if let q = quantize {
            if let k = int8Kernel { QuantizedKernel.current = try QuantizedKernel.parse(k) }
            model = try WanTransformer(config: c, weights: model.weights.quantized(QuantScheme.parse(q)))
            print("block linears quantised: \(q), kernel \(QuantizedKernel.current.rawValue), \(mib(model.weights.blockLinearWeightBytes))")
        }
        print("weights ready in \(fmt(monotonicSeconds() - t0, 1)) s, RSS \(mib(MachineProbe.currentRSS()))")
        var settings = GenerationSettings()
        settings.chunkFrames = chunk
        settings.windowFrames = window
        settings.sinkFrames = sink
        let gen = try StreamingGenerator(model: model, settings: settings, frameShape: [c.inDim, latentHeight, latentWidth],
                                         noise: SeededNoise(seed: seed))
        let prompt = try gen.addPrompt(embedding: Philox4x32(seed: seed ^ 0x5EED).normalTensor(shape: [c.textLen, c.textDim], stream: 0))
        var times: [Double] = []
        var rss: [Int] = []
        for i in 0..<chunks {
            let r = try gen.nextChunk(prompt: prompt)
            times.append(r.seconds)
            rss.append(MachineProbe.currentRSS())
            let px = preset == "embedded" ? chunk : i == 0 ? GenerationSettings.pixelFrames(latentFrames: chunk) : 4 * chunk
            if chunks > 20 && i % 10 != 9 && i != 0 { continue }
            print("chunk \(i + 1)/\(chunks): \(fmt(r.seconds, 3)) s, \(fmt(Double(px) / r.seconds, 2)) px-FPS, \(fmt(Double(chunk) / r.seconds, 2)) latent-FPS, RSS \(mib(rss.last!))")
        }

        // Steady state: the last chunk re-run as a recompute (cache full, indices unchanged). When the
        // run was too short to fill the window, the cache is first filled with untimed t = 0 passes.
        if forwards > 0 {
            var filled = chunks
            let text0 = try model.crossAttentionCache(context: Philox4x32(seed: seed ^ 0x5EED).normalTensor(shape: [c.textLen, c.textDim], stream: 0))
            while filled * chunk < window + chunk {
                let x = try SeededNoise(seed: seed).chunkNoise(startFrame: filled * chunk, frames: chunk, frameShape: [c.inDim, latentHeight, latentWidth])
                _ = try model.forward(x, timesteps: Array(repeating: 0, count: chunk), text: text0,
                                      attention: .cached(gen.cache, sinkRecache: false), startFrame: filled * chunk)
                filled += 1
            }
            let start = (filled - 1) * chunk
            let x = try SeededNoise(seed: seed &+ 1).chunkNoise(startFrame: start, frames: chunk, frameShape: [c.inDim, latentHeight, latentWidth])
            let text = text0
            let keys = min(window, start + chunk) * tpf
            var best = Double.infinity
            Profiler.shared.isEnabled = profile
            for _ in 0..<forwards {
                let s = monotonicSeconds()
                _ = try model.forward(x, timesteps: Array(repeating: 937.5, count: chunk), text: text,
                                      attention: .cached(gen.cache, sinkRecache: false), startFrame: start)
                best = min(best, monotonicSeconds() - s)
            }
            if profile {
                let total = Profiler.shared.report.filter { !$0.0.hasPrefix(" ") }.reduce(0) { $0 + $1.1 }
                for (label, t) in Profiler.shared.report {
                    print("  \(label): \(fmt(t / Double(forwards), 3)) s (\(fmt(100 * t / total, 1)) %)")
                }
                Profiler.shared.isEnabled = false
            }
            let flops = FlopCount.forward(config: c, queryTokens: n, keyTokens: keys)
            let achieved = flops / best / 1e9
            // One re-cache: the last `window` frames again at t = 0 under the prompt (a recompute).
            let recacheStart = max(0, filled * chunk - window)
            let frames = filled * chunk - recacheStart
            let old = try SeededNoise(seed: seed &+ 2).chunkNoise(startFrame: recacheStart, frames: frames, frameShape: [c.inDim, latentHeight, latentWidth])
            let r0 = monotonicSeconds()
            _ = try model.forward(old, timesteps: Array(repeating: 0, count: frames), text: text,
                                  attention: .cached(gen.cache, sinkRecache: false), startFrame: recacheStart)
            print("one re-cache (\(frames) frames at t = 0): \(fmt(monotonicSeconds() - r0, 3)) s")
            print("steady-state forward: \(fmt(best, 3)) s for \(n) query tokens × \(keys) keys, \(fmt(flops / 1e12, 3)) TFLOP → \(fmt(achieved, 1)) GFLOP/s = \(fmt(100 * achieved / sgemm, 1)) % of sgemm")
        }
        if chunks >= 2 {
            let steady = Array(times.dropFirst(min(times.count - 1, window / chunk + 1)))
            let sorted = steady.sorted()
            print("per chunk (after the cache fills): median \(fmt(sorted[sorted.count / 2], 3)) s, min \(fmt(sorted.first!, 3)), max \(fmt(sorted.last!, 3))")
        }
        if chunks >= 85 {
            // Medians over ten chunks around chunk 10 and chunk 80, so one disturbed chunk does not decide.
            func median(_ r: ClosedRange<Int>) -> Double { let v = r.map { times[$0 - 1] }.sorted(); return (v[v.count / 2 - 1] + v[v.count / 2]) / 2 }
            let early = median(6...15), late = median(76...85)
            print("flatness: chunks 6-15 median \(fmt(early, 4)) s, chunks 76-85 median \(fmt(late, 4)) s (\(fmt(100 * (late / early - 1), 2)) %); RSS at chunk 10 \(mib(rss[9])), at chunk 80 \(mib(rss[79]))")
        }
        print("KV cache: \(mib(gen.cache.byteCount)); peak RSS: \(mib(MachineProbe.peakRSS()))")
    }
}

func fmt(_ v: Double, _ digits: Int) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 { s += "." + String(repeating: "0", count: digits) }
    return s
}

func mib(_ bytes: Int) -> String { "\(fmt(Double(bytes) / 1_048_576, 1)) MiB" }

/// `longlive bench gemm`: OpenBLAS SGEMM rate for one shape (how far the engine's GEMMs are from it).
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "Time one SGEMM shape through OpenBLAS.")
    @Option var m: Int = 4680
    @Option var n: Int = 1536
    @Option var k: Int = 1536
    @Flag(help: "Use B transposed (as q·kᵀ and the linears do).") var transB = false
    @Option var repetitions: Int = 5

    func run() {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var times: [Double] = []
        for _ in 0..<(repetitions + 1) {
            let t0 = monotonicSeconds()
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(transB: transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: transB ? k : n,
                           c: pc.baseAddress!, ldc: n)
            }}}
            times.append(monotonicSeconds() - t0)
        }
        let best = times.dropFirst().min()!
        print("sgemm \(m)×\(n)×\(k)\(transB ? " (Bᵀ)" : "") on one core: best \(fmt(best * 1000, 2)) ms = \(fmt(2 * Double(m * n * k) / best / 1e9, 1)) GFLOP/s; all cores: \(fmt(MachineProbe.sgemmGFLOPs(m: m, n: n, k: k), 1)) GFLOP/s")
    }
}
