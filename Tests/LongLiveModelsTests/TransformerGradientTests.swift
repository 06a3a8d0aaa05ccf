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
        let r = Tensor(shape: x.shape, values: Philox4x32(seed: 5).normals(stream: 0, count: x.count))

        func loss(_ w: WanWeights) throws -> Double {
            let m = try WanTransformer(config: config, weights: w)
            let out = try m.forward(x, timesteps: t, text: try m.crossAttentionCache(context: context), attention: mode)
            return zip(out.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        var trainable = base
        for (name, path) in Self.parameters { trainable[keyPath: path] = base[keyPath: path].requiringGrad(name) }
        let model = try WanTransformer(config: config, weights: trainable)
        let (out, tape) = try Tape.recording {
            try model.forward(x, timesteps: t, text: try model.crossAttentionCache(context: context), attention: mode)
        }
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
    @Test func blockCausalGradientsMatchFiniteDifferences() throws { try check(.blockCausal(framesPerBlock: 3, windowFrames: nil), "block-causal") }

    @Test func cachedPathRefusesToTrainSilently() throws {
        let model = try Fixtures.tinyModel()
        var w = model.weights
        w.blocks[0].selfAttn.q.weight = w.blocks[0].selfAttn.q.weight.requiringGrad()
        let trainable = try WanTransformer(config: model.config, weights: w)
        let cache = KVCache(layers: 2, width: 64, layout: .window(9, sink: 3, tokensPerFrame: 24))
        let text = try trainable.crossAttentionCache(context: Tensor(zeros: [16, 32]))
        #expect(throws: LongLiveError.self) {
            _ = try Tape.recording {
                try trainable.forward(Tensor(zeros: [3, 16, 8, 12]), timesteps: [0, 0, 0], text: text, attention: .cached(cache, sinkRecache: false))
            }
        }
    }
}
