import Testing
import LongLiveModels

/// Gradients through the whole tiny DiT (both blocks, every op kind: patch/time/text embeddings,
/// modulation, LayerNorms, QK-RMSNorm, RoPE, self- and cross-attention, FFN, head, unpatchify)
/// against central finite differences on the parameters, in the bidirectional and block-causal modes.
///
/// Step h = 3e-3 on weights of scale ≈ 0.1; the projected loss is summed in double, so float32
/// rounding adds ≈ 2e-3 of noise to a numeric gradient and truncation ≈ h² terms: agreement within
/// 3 % of the parameter's largest gradient is demanded, while a missing path is off by O(1).
@Suite struct TransformerGradientTests {
    static let parameters: [(String, WritableKeyPath<WanWeights, Tensor>)] = [
        ("patch_embedding.weight", \.patchEmbedding.weight),
        ("time_embedding.0.weight", \.timeEmbedding0.weight),
        ("time_projection.1.bias", \.timeProjection.bias!),
        ("text_embedding.0.weight", \.textEmbedding0.weight),
        ("blocks.0.modulation", \.blocks[0].modulation),
        ("blocks.0.self_attn.q.weight", \.blocks[0].selfAttn.q.weight),
        ("blocks.0.self_attn.norm_k.weight", \.blocks[0].selfAttn.normK),
        ("blocks.1.self_attn.v.weight", \.blocks[1].selfAttn.v.weight),
        ("blocks.0.norm3.weight", \.blocks[0].norm3Weight),
        ("blocks.1.cross_attn.k.weight", \.blocks[1].crossAttn.k.weight),
        ("blocks.1.cross_attn.o.bias", \.blocks[1].crossAttn.o.bias!),
        ("blocks.1.ffn.0.weight", \.blocks[1].ffn0.weight),
        ("blocks.0.ffn.2.bias", \.blocks[0].ffn2.bias!),
        ("head.modulation", \.headModulation),
        ("head.head.weight", \.head.weight),
    ]

    func check(_ mode: SelfAttentionMode, _ modeName: String) throws {
        let config = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        let base = try WanWeights.load(from: CheckpointTensors([try Fixtures.open("dit_tiny_weights.safetensors")]), config: config)
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x")), t = try f.tensor("t").scalars, context = try f.tensor("context")
        try check(config: config, base: modeName) { w in
            let m = try WanTransformer(config: config, weights: w)
            return try m.forward(x, timesteps: t, text: try m.crossAttentionCache(context: context), attention: mode)
        } baseWeights: { base }
    }

    /// Checks `forward(weights)`'s parameter gradients against central differences of the same function.
    func check(config: WanConfig, base modeName: String, _ forward: (WanWeights) throws -> Tensor, baseWeights: () throws -> WanWeights) throws {
        let base = try baseWeights()
        let probe = try forward(base)
        let r = Tensor(shape: probe.shape, values: Philox4x32(seed: 5).normals(stream: 0, count: probe.count))
        func loss(_ w: WanWeights) throws -> Double {
            zip(try forward(w).scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        var trainable = base
        for (name, path) in Self.parameters { trainable[keyPath: path] = base[keyPath: path].requiringGrad(name) }
        let (out, tape) = try Tape.recording { try forward(trainable) }
        let grads = tape.gradients(of: out, seed: r)
        for (name, path) in Self.parameters {
            let g = try #require(grads[trainable[keyPath: path]], "\(modeName): no gradient for \(name)")
            let gs = g.scalars
            let scale = max(gs.map { abs($0) }.max()!, 1e-4)
            let h: Float = 3e-3
            for s in 0..<4 {
                let idx = (s * 7919 + name.count * 31) % gs.count
                var plus = base, minus = base
                plus[keyPath: path].withMutableFloats { $0[idx] += h }
                minus[keyPath: path].withMutableFloats { $0[idx] -= h }
                let numeric = (try loss(plus) - loss(minus)) / Double(2 * h)
                #expect(abs(Double(gs[idx]) - numeric) <= 0.03 * Double(scale),
                        "\(modeName) \(name)[\(idx)]: analytic \(gs[idx]), numeric \(numeric), scale \(scale)")
            }
        }
    }

    @Test func bidirectionalGradientsMatchFiniteDifferences() throws { try check(.bidirectional, "bidirectional") }

    /// The embedded models' sample prediction: the head's output turned into flow inside the model.
    /// Timesteps below the σ floor included, where the division uses the floor.
    @Test func samplePredictionGradientsMatchFiniteDifferences() throws {
        var config = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        config.prediction = .sample
        let base = try WanWeights.load(from: CheckpointTensors([try Fixtures.open("dit_tiny_weights.safetensors")]), config: config)
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x")), context = try f.tensor("context")
        let t = (0..<x.shape[0]).map { [20, 300, 900][$0 % 3] as Float }
        try check(config: config, base: "sample prediction") { w in
            let m = try WanTransformer(config: config, weights: w)
            return try m.forward(x, timesteps: t, text: try m.crossAttentionCache(context: context), attention: .bidirectional)
        } baseWeights: { base }
    }
    @Test func blockCausalGradientsMatchFiniteDifferences() throws { try check(.blockCausal(framesPerBlock: 3, windowFrames: nil), "block-causal") }

    /// Self-Forcing's exit step: the newest chunk runs through the KV cache with gradients while the
    /// history (written by the frozen base weights) is a constant. The numeric side rebuilds the same
    /// detached history for every perturbed weight set.
    @Test func cachedChunkGradientsMatchFiniteDifferencesWithDetachedHistory() throws {
        let config = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        let base = try WanWeights.load(from: CheckpointTensors([try Fixtures.open("dit_tiny_weights.safetensors")]), config: config)
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x")), t = try f.tensor("t").scalars, context = try f.tensor("context")
        let tpf = (x.shape[2] / 2) * (x.shape[3] / 2)
        // Two 3-frame chunks of history, then the chunk under training; window 6 + sink 3 rolls the cache.
        let frames = x.shape[0]
        #expect(frames >= 3)
        let chunk = x.rows(0..<3)
        try check(config: config, base: "cached") { w in
            let cache = KVCache(layers: config.numLayers, width: config.dim, layout: .window(6, sink: 3, tokensPerFrame: tpf))
            let frozen = try WanTransformer(config: config, weights: base)
            let frozenText = try frozen.crossAttentionCache(context: context)
            try Tape.withoutRecording {
                for c in 0..<2 { _ = try frozen.forward(chunk, timesteps: [0, 0, 0], text: frozenText, attention: .cached(cache, sinkRecache: false), startFrame: 3 * c) }
            }
            let m = try WanTransformer(config: config, weights: w)
            return try m.forward(chunk, timesteps: Array(t.prefix(3)), text: try m.crossAttentionCache(context: context),
                                 attention: .cached(cache, sinkRecache: false), startFrame: 6)
        } baseWeights: { base }
    }

    @Test func recacheOverTheSinkRefusesGradients() throws {
        let model = try Fixtures.tinyModel()
        var w = model.weights
        w.blocks[0].selfAttn.q.weight = w.blocks[0].selfAttn.q.weight.requiringGrad()
        let trainable = try WanTransformer(config: model.config, weights: w)
        let cache = KVCache(layers: 2, width: 64, layout: .window(9, sink: 3, tokensPerFrame: 24))
        let text = try trainable.crossAttentionCache(context: Tensor(zeros: [16, 32]))
        let x = Tensor(zeros: [3, 16, 8, 12])
        for c in 0..<4 { _ = try model.forward(x, timesteps: [0, 0, 0], text: text, attention: .cached(cache, sinkRecache: false), startFrame: 3 * c) }
        // A later denoising step of the newest chunk (a recompute outside the sink) trains fine ...
        let x2 = Tensor(shape: x.shape, repeating: 0.5)
        _ = try Tape.recording { try trainable.forward(x2, timesteps: [500, 500, 500], text: text, attention: .cached(cache, sinkRecache: false), startFrame: 9) }
        // ... a re-cache of the 9-frame window (frames 3-11) whose first frames land on the
        // write-protected sink does not.
        let nine = Tensor(shape: [9, 16, 8, 12], repeating: 0.25)
        #expect { _ = try Tape.recording {
            try trainable.forward(nine, timesteps: Array(repeating: 0, count: 9), text: text, attention: .cached(cache, sinkRecache: false), startFrame: 3)
        } } throws: { "\($0)".contains("re-cache") }
    }
}
