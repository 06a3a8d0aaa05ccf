import Testing
import LongLiveModels

/// The DiT against `dit_tiny_forward.safetensors` (official CausalWanModel / WanModel outputs).
@Suite struct WanTransformerConformanceTests {
    let tolerance: Float = 1e-4

    @Test func blockCausalForwardWithoutCacheMatchesReference() throws {
        let model = try Fixtures.tinyModel()
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x"))
        let text = try model.crossAttentionCache(context: try f.tensor("context"))
        var taps: [String: Tensor] = [:]
        let out = try model.forward(x, timesteps: try f.tensor("t").scalars, text: text,
                                    attention: .blockCausal(framesPerBlock: 3, windowFrames: nil)) { taps[$0] = $1 }
        // Taps first, so a failure points at the first layer that differs.
        #expect(taps["time_embedding"]!.relativeError(to: try f.tensor("tap_nocache_time_embedding")) < tolerance)
        #expect(taps["time_projection"]!.relativeError(to: try f.tensor("tap_nocache_time_projection")) < tolerance)
        let text0 = try model.embedText(try f.tensor("context"))
        #expect(text0.relativeError(to: try f.tensor("tap_nocache_text_embedding")) < tolerance)
        // patch_embedding tap is the conv output [1, dim, F, h, w]; ours is tokens × dim.
        let pe = try f.tensor("tap_nocache_patch_embedding")
        let peTokens = transposed(pe.reshaped([pe.shape[1], -1]))
        #expect(taps["patch_embedding"]!.relativeError(to: peTokens) < tolerance)
        #expect(taps["blocks_0"]!.relativeError(to: try f.tensor("tap_nocache_blocks_0")) < tolerance)
        #expect(taps["blocks_1"]!.relativeError(to: try f.tensor("tap_nocache_blocks_1")) < tolerance)
        #expect(taps["head"]!.relativeError(to: try f.tensor("tap_nocache_head")) < tolerance)
        let expected = framesFirst(try f.tensor("out_causal_nocache"))
        #expect(out.relativeError(to: expected) < tolerance)
    }

    @Test func kvCacheForwardInTwoChunksMatchesReference() throws {
        let model = try Fixtures.tinyModel()
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x"))
        let t = try f.tensor("t").scalars
        let text = try model.crossAttentionCache(context: try f.tensor("context"))
        let cache = KVCache(layers: 2, width: 64, layout: .window(9, sink: 3, tokensPerFrame: 24))
        let a = try model.forward(x.rows(0..<3), timesteps: Array(t[0..<3]), text: text,
                                  attention: .cached(cache, sinkRecache: false), startFrame: 0)
        let b = try model.forward(x.rows(3..<6), timesteps: Array(t[3..<6]), text: text,
                                  attention: .cached(cache, sinkRecache: false), startFrame: 3)
        let out = Tensor.concatenate([a, b])
        #expect(out.relativeError(to: framesFirst(try f.tensor("out_causal_kvcache_2chunks"))) < tolerance)
        #expect(cache.layers[0].globalEnd == 144 && cache.layers[0].localEnd == 144)
    }

    @Test func bidirectionalForwardMatchesWan21() throws {
        let model = try Fixtures.tinyModel()
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let x = framesFirst(try f.tensor("x"))
        let tb = try f.tensor("t_bidir").scalars[0]
        let text = try model.crossAttentionCache(context: try f.tensor("context"))
        let out = try model.forward(x, timesteps: Array(repeating: tb, count: 6), text: text, attention: .bidirectional)
        #expect(out.relativeError(to: framesFirst(try f.tensor("out_bidir"))) < tolerance)
    }

    @Test func detectsConfigurationFromShapesWhenHeadsAreGiven() throws {
        let weights = CheckpointTensors([try Fixtures.open("dit_tiny_weights.safetensors")])
        let c = try WanConfig.detect(from: weights, numHeads: 2, textLen: 16)
        let official = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        #expect(c == official)
        // Without a head count a width that is not a multiple of 128 cannot be resolved.
        #expect(throws: LongLiveError.self) { try WanConfig.detect(from: weights) }
    }
}

func transposed(_ t: Tensor) -> Tensor {
    let r = t.shape[0], c = t.shape[1]
    let s = t.scalars
    var o = [Float](repeating: 0, count: s.count)
    for i in 0..<r { for j in 0..<c { o[j * r + i] = s[i * c + j] } }
    return Tensor(shape: [c, r], values: o)
}
