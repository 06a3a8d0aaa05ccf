import Testing
import LongLiveModels

/// Bad weights and inputs give errors that name the problem, never a crash or silent garbage.
@Suite struct BadInputTests {
    func tinyTensors() throws -> [String: Tensor] {
        try Fixtures.open("dit_tiny_weights.safetensors").allTensors()
    }

    func tinyConfig() throws -> WanConfig {
        try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "(no error)"
    }

    @Test func missingTensorIsNamed() throws {
        var t = try tinyTensors()
        t["blocks.1.cross_attn.v.bias"] = nil
        let m = message { _ = try WanTransformer(source: InMemoryTensors(t), config: try tinyConfig()) }
        #expect(m.contains("blocks.1.cross_attn.v.bias") && m.contains("missing"), "\(m)")
    }

    @Test func misshapenTensorNamesExpectedAndFoundShapes() throws {
        var t = try tinyTensors()
        t["blocks.0.ffn.0.weight"] = Tensor(zeros: [64, 128])
        let m = message { _ = try WanTransformer(source: InMemoryTensors(t), config: try tinyConfig()) }
        #expect(m.contains("blocks.0.ffn.0.weight") && m.contains("[64, 128]") && m.contains("[128, 64]"), "\(m)")
    }

    @Test func nonFiniteActivationNamesTheLayer() throws {
        var t = try tinyTensors()
        var w = t["blocks.1.ffn.2.weight"]!.float32()
        w.withMutableFloats { $0[5] = .nan }
        t["blocks.1.ffn.2.weight"] = w
        let model = try WanTransformer(source: InMemoryTensors(t), config: try tinyConfig())
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let text = try model.crossAttentionCache(context: try f.tensor("context"))
        let m = message {
            _ = try model.forward(framesFirst(try f.tensor("x")), timesteps: try f.tensor("t").scalars, text: text, attention: .bidirectional)
        }
        #expect(m.contains("blocks.1") && m.contains("NaN"), "\(m)")
    }

    @Test func nonFiniteInputsAreRejected() throws {
        let model = try Fixtures.tinyModel()
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        var ctx = try f.tensor("context").float32()
        ctx.withMutableFloats { $0[3] = .infinity }
        #expect(message { _ = try model.crossAttentionCache(context: ctx) }.contains("non-finite"))
        var x = framesFirst(try f.tensor("x"))
        x.withMutableFloats { $0[0] = .nan }
        let text = try model.crossAttentionCache(context: try f.tensor("context"))
        #expect(message { _ = try model.forward(x, timesteps: try f.tensor("t").scalars, text: text, attention: .bidirectional) }.contains("input latents"))
    }

    @Test func wrongShapesOfInputs() throws {
        let model = try Fixtures.tinyModel()
        #expect(message { _ = try model.embedText(Tensor(zeros: [4, 31])) }.contains("expected [tokens ≤ 16, 32]"))
        #expect(message { _ = try model.embedText(Tensor(zeros: [17, 32])) }.contains("at most 16"))
        let text = try model.crossAttentionCache(context: Tensor(zeros: [16, 32]))
        #expect(message { _ = try model.forward(Tensor(zeros: [3, 15, 8, 12]), timesteps: [0, 0, 0], text: text, attention: .bidirectional) }.contains("expected [frames, 16"))
        #expect(message { _ = try model.forward(Tensor(zeros: [3, 16, 7, 12]), timesteps: [0, 0, 0], text: text, attention: .bidirectional) }.contains("multiple of the patch"))
        #expect(message { _ = try model.forward(Tensor(zeros: [3, 16, 8, 12]), timesteps: [0, 0], text: text, attention: .bidirectional) }.contains("2 timesteps for 3 frames"))
        let cache = KVCache(layers: 2, width: 64, layout: .window(9, sink: 3, tokensPerFrame: 20))
        #expect(message { _ = try model.forward(Tensor(zeros: [3, 16, 8, 12]), timesteps: [0, 0, 0], text: text, attention: .cached(cache, sinkRecache: false)) }.contains("tokens per frame"))
    }

    @Test func unreadableAndMalformedFiles() throws {
        #expect(message { _ = try CheckpointTensors.open(path: "/nonexistent/weights.safetensors") }.contains("does not exist"))
        #expect(message { _ = try CheckpointTensors.open(path: Fixtures.directory + "/dit_tiny_config.json") }.contains("not a safetensors file"))
        #expect(message { _ = try WanConfig.parse(json: "{\"dim\": \"wide\"}", source: "c.json") }.contains("dim must be an integer"))
        #expect(message { _ = try WanConfig.parse(json: "{\"dim\": 100, \"num_heads\": 3}", source: "c.json") }.contains("not divisible"))
        #expect(message { _ = try WanConfig.parse(json: "{\"model_type\": \"i2v\"}", source: "c.json") }.contains("i2v"))
        #expect(message { _ = try WanConfig.parse(json: "{\"dim\": ", source: "c.json") }.contains("c.json"))
    }

    @Test func kvCacheOverflowIsAnError() throws {
        // Global attention (no window) with a buffer too small for the video.
        let cache = LayerKVCacheTestHarness(capacityFrames: 2, sink: 0, window: nil)
        #expect(throws: LongLiveError.self) { try cache.insertFrames(start: 0, count: 3) }
        // A chunk bigger than the window without its sink.
        let small = LayerKVCacheTestHarness(capacityFrames: 4, sink: 3, window: 4)
        try small.insertFrames(start: 0, count: 3)
        #expect(throws: LongLiveError.self) { try small.insertFrames(start: 3, count: 3) }
    }
}

/// Drives one layer's cache with dummy keys (1 token per frame, width 2).
struct LayerKVCacheTestHarness {
    let cache: KVCache
    init(capacityFrames: Int, sink: Int, window: Int?) {
        cache = KVCache(layers: 1, width: 2, layout: KVCacheLayout(tokensPerFrame: 1, capacityFrames: capacityFrames, sinkFrames: sink, attentionFrames: window))
    }
    @discardableResult
    func insertFrames(start: Int, count: Int, sinkRecache: Bool = false) throws -> [KeyValueSpan] {
        let k = (0..<(count * 2)).map { Float(start * 2 + $0) }
        return try k.withUnsafeBufferPointer { p in
            try cache.layers[0].insert(keys: p.baseAddress!, values: p.baseAddress!, count: count, currentStart: start, sinkRecache: sinkRecache)
        }
    }
}

/// 16-bit checkpoints: kept as stored and widened per use, or widened once at load — same numbers.
@Suite struct StoragePrecisionTests {
    @Test func bf16WeightsKeptAsStoredEqualWidenedAtLoad() throws {
        let f32 = try Fixtures.open("dit_tiny_weights.safetensors").allTensors()
        let bf16 = f32.mapValues { $0.converted(to: .bfloat16) }
        let config = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        let stored = try WanTransformer(source: InMemoryTensors(bf16), config: config, residency: .asStored)
        let widened = try WanTransformer(source: InMemoryTensors(bf16), config: config, residency: .float32)
        let full = try WanTransformer(source: InMemoryTensors(f32), config: config)
        #expect(stored.weights.blocks[0].ffn0.weight.dtype == .bfloat16)
        #expect(widened.weights.blocks[0].ffn0.weight.dtype == .float32)
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x")), t = try f.tensor("t").scalars, ctx = try f.tensor("context")
        func run(_ m: WanTransformer) throws -> Tensor {
            try m.forward(x, timesteps: t, text: try m.crossAttentionCache(context: ctx), attention: .bidirectional)
        }
        let a = try run(stored), b = try run(widened), c = try run(full)
        #expect(a.relativeError(to: b) == 0)
        // bf16 has 8 significant bits: the output moves by about 1e-2 relative, not more.
        let e = a.relativeError(to: c)
        #expect(e > 0 && e < 5e-2, "bf16 vs f32: \(e)")
    }
}
