import ArgumentParser
import LongLiveEngine

/// `longlive bench memory`: resident memory of the real-size model, phase by phase, with random
/// weights (umT5-XXL, the Wan2.1-1.3B DiT, its KV cache, the Wan VAE decoder).
struct BenchMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Peak memory of the real-size model phase by phase (random weights): text encoder, DiT, KV cache, VAE.")

    @Option(help: "DiT blocks (30 for Wan2.1-1.3B).") var layers: Int = 30
    @Option(help: "DiT weights in memory: f32 or stored (bf16 kept, widened per use).") var weightsPrecision: String = "f32"
    @Flag(help: "Skip the umT5-XXL phase (it needs ~16 GB transiently to build random weights).") var skipT5 = false
    @Flag(help: "Also run chunk 0's first denoising forward and decode one latent frame (minutes on CPU).") var forward = false
    @Option var seed: UInt64 = 0

    func line(_ what: String, _ t0: Double? = nil) {
        let time = t0.map { ", \(fmt(monotonicSeconds() - $0, 1)) s" } ?? ""
        print("\(what)\(time): RSS \(mib(MachineProbe.currentRSS())), peak \(mib(MachineProbe.peakRSS()))")
    }

    func run() throws {
        print("machine: \(MachineProbe.cpuName()), \(Parallel.threadCount) threads")
        line("start")
        var context: Tensor?
        if !skipT5 {
            var t0 = monotonicSeconds()
            var text: UMT5Encoder? = try UMT5Encoder(source: InMemoryTensors(UMT5Weights.random(config: .xxl, seed: seed, dtype: .bfloat16)), config: .xxl)
            line("umT5-XXL weights (bf16, random)", t0)
            t0 = monotonicSeconds()
            let ids = (0..<512).map { $0 < 24 ? 100 + $0 : 0 }
            context = try text!.context(ids: ids, realTokens: 24, length: 512)
            line("umT5 encode of one 24-token prompt", t0)
            text = nil
            line("umT5 released")
        }
        var c = WanConfig.wan1_3B
        c.numLayers = layers
        guard let residency = ["f32": WanWeights.Residency.float32, "stored": .asStored][weightsPrecision] else {
            throw ValidationError("--weights-precision must be f32 or stored")
        }
        var t0 = monotonicSeconds()
        var weights: [String: Tensor]? = WanWeights.random(config: c, seed: seed)
        if residency == .asStored { weights = weights!.mapValues { $0.converted(to: .bfloat16) } }
        let model = try WanTransformer(source: InMemoryTensors(weights!), config: c, residency: residency)
        weights = nil
        line("DiT \(layers) blocks (\(weightsPrecision), random)", t0)
        var settings = GenerationSettings()
        settings.windowFrames = 12
        let gen = try StreamingGenerator(model: model, settings: settings, frameShape: [16, 60, 104], noise: SeededNoise(seed: seed))
        line("KV cache \(mib(gen.cache.byteCount)) allocated")
        let prompt = try gen.addPrompt(embedding: context ?? Philox4x32(seed: seed).normalTensor(shape: [512, 4096], stream: 0))
        t0 = monotonicSeconds()
        let vae = try WanVAEDecoder(randomWeights: .wan21, seed: seed)
        line("Wan VAE decoder (random)", t0)
        if forward {
            t0 = monotonicSeconds()
            let text = try model.crossAttentionCache(context: gen.promptEmbedding(prompt))
            let x = try SeededNoise(seed: seed).chunkNoise(startFrame: 0, frames: 3, frameShape: [16, 60, 104])
            let v = try model.forward(x, timesteps: [1000, 1000, 1000], text: text, attention: .cached(gen.cache, sinkRecache: false))
            line("one denoising forward of chunk 0 (4680 tokens)", t0)
            t0 = monotonicSeconds()
            _ = try vae.decode(v.rows(0..<1))
            line("VAE decode of the first latent frame (480×832)", t0)
        }
        print("peak RSS: \(mib(MachineProbe.peakRSS()))")
    }
}
