import Testing
import LongLiveModels

/// The umT5 encoder against `t5_tiny_*` (official `T5Encoder` / `WanTextEncoder` outputs) and the
/// relative-position buckets against values worked out from the reference formula.
@Suite struct UMT5Tests {
    let tolerance: Float = 1e-4

    static func tinyConfig() throws -> UMT5Config {
        try UMT5Config.parse(json: try FileIO.readText(Fixtures.directory + "/t5_tiny_config.json"), source: "t5_tiny_config.json")
    }

    static func tinyEncoder(residency: WanWeights.Residency = .asStored) throws -> UMT5Encoder {
        try UMT5Encoder(source: CheckpointTensors([try Fixtures.open("t5_tiny_weights.safetensors")]),
                        config: try tinyConfig(), residency: residency)
    }

    /// Batch row `b` of a `[B, L, …]` tensor.
    static func row(_ t: Tensor, _ b: Int) -> Tensor {
        let inner = Array(t.shape.dropFirst())
        return t.reshaped([t.shape[0], -1]).rows(b..<(b + 1)).reshaped(inner)
    }

    @Test func parsesTheFixtureConfigAndKeepsXXLDefaults() throws {
        let c = try Self.tinyConfig()
        #expect(c.vocabSize == 64 && c.dim == 32 && c.dimAttn == 32 && c.dimFFN == 64)
        #expect(c.numHeads == 4 && c.numLayers == 2 && c.numBuckets == 32 && c.maxDistance == 128)
        #expect(c.eps == 1e-6 && !c.sharedPos && c.headDim == 8)
        let x = UMT5Config.xxl
        #expect(x.vocabSize == 256_384 && x.dim == 4096 && x.dimAttn == 4096 && x.dimFFN == 10240)
        #expect(x.numHeads == 64 && x.numLayers == 24 && x.numBuckets == 32 && x.maxDistance == 128 && x.eps == 1e-6)
        #expect(x.textLength == 512 && x.headDim == 64)
        #expect(try UMT5Config.parse(json: "{}", source: "empty") == x)
        // 24 layers × 10 tensors + embedding + final norm.
        #expect(x.expectedShapes().count == 242)
        #expect(throws: LongLiveError.self) { try UMT5Config.parse(json: #"{"num_heads": 5}"#, source: "bad") }
        #expect(throws: LongLiveError.self) { try UMT5Config.parse(json: #"{"dim": "big"}"#, source: "bad") }
        #expect(throws: LongLiveError.self) { try UMT5Config.parse(json: "[1]", source: "bad") }
    }

    @Test func relativePositionBuckets() {
        // key − query ≤ 0 (key at or before the query): buckets 0…15; key after: 16…31.
        for d in 0..<8 {
            #expect(UMT5RelativePosition.bucket(-d) == d)
            #expect(UMT5RelativePosition.bucket(d) == (d == 0 ? 0 : 16 + d))
        }
        // Log buckets: 8 + trunc(log(d/8)/log(16)·8), capped at 15.
        // (Values from numpy float32; 16, 32, 64 sit exactly on bucket edges.)
        let expected: [(Int, Int)] = [(8, 8), (9, 8), (11, 8), (12, 9), (13, 9), (16, 10), (19, 10), (22, 10),
                                      (23, 11), (27, 11), (32, 12), (45, 12), (46, 13), (64, 14), (90, 14),
                                      (91, 15), (127, 15), (128, 15), (1000, 15)]
        for (d, b) in expected {
            #expect(UMT5RelativePosition.bucket(-d) == b, "distance −\(d)")
            #expect(UMT5RelativePosition.bucket(d) == 16 + b, "distance +\(d)")
        }
        // Unidirectional (decoder) form: only keys before the query are distinguished.
        #expect(UMT5RelativePosition.bucket(5, bidirectional: false) == 0)
        #expect(UMT5RelativePosition.bucket(-20, bidirectional: false) == 17)  // 16 + trunc(log(1.25)/log(8)·16)
        // The fixture note: |Δ| ≤ 11 → buckets 0–8 for keys at/before the query, 17–24 after.
        let m = UMT5RelativePosition.bucketMatrix(length: 12, numBuckets: 32, maxDistance: 128)
        #expect(m[0] == 0 && m[11] == 24 && m[11 * 12] == 8 && m[5 * 12 + 6] == 17 && m[6 * 12 + 5] == 1)
    }

    @Test func encoderMatchesOfficialRawOutput() throws {
        let io = try Fixtures.open("t5_tiny_io.safetensors")
        let ids = try io.tensor("ids"), mask = try io.tensor("mask")
        let raw = try io.tensor("encoder_output_raw")
        for residency in [WanWeights.Residency.asStored, .float32] {
            let enc = try Self.tinyEncoder(residency: residency)
            for b in 0..<2 {
                let out = try enc.forward(ids: Self.row(ids, b).integers, mask: Self.row(mask, b).integers.map { $0 != 0 })
                let err = out.relativeError(to: Self.row(raw, b))
                print("umT5 tiny raw row \(b): rel \(err)")
                #expect(err < tolerance)
            }
        }
    }

    @Test func contextZeroesPaddingAndMatchesWanTextEncoder() throws {
        let io = try Fixtures.open("t5_tiny_io.safetensors")
        let ids = try io.tensor("ids"), mask = try io.tensor("mask")
        let context = try io.tensor("context")
        let enc = try Self.tinyEncoder()
        for b in 0..<2 {
            let rowIDs = Self.row(ids, b).integers
            let real = Self.row(mask, b).integers.reduce(0, +)
            #expect(real == [9, 5][b])
            let out = try enc.context(ids: rowIDs, realTokens: real)
            #expect(out.shape == [12, 32])
            let err = out.relativeError(to: Self.row(context, b))
            print("umT5 tiny context row \(b): rel \(err)")
            #expect(err < tolerance)
            #expect(out.scalars[(real * 32)...].allSatisfy { $0 == 0 })
            // Padded to a longer length: the extra rows are zero, the real rows unchanged.
            let longer = try enc.context(ids: rowIDs, realTokens: real, length: 20)
            #expect(longer.rows(0..<12).relativeError(to: out) == 0)
            #expect(longer.scalars[(12 * 32)...].allSatisfy { $0 == 0 })
        }
    }

    @Test func textEncoderFromPromptMatchesWanTextEncoder() throws {
        // A 64-piece tokenizer whose word "wK" is piece K, so the prompts below tokenize to the
        // fixture's ids; the text encoder then reproduces the official `context` end to end.
        var vocab: [(String, Double)] = [("<pad>", 0), ("</s>", 0), ("<unk>", 0)]
        for k in 3..<64 { vocab.append(("▁w\(k)", -1)) }
        let tokenizer = try UnigramTokenizer(pieces: vocab, unkID: 2, byteFallback: false, specialTokens: [0, 1, 2], source: "test")
        var config = try Self.tinyConfig()
        config.textLength = 12
        let weights = CheckpointTensors([try Fixtures.open("t5_tiny_weights.safetensors")])
        let text = try UMT5TextEncoder(tokenizer: tokenizer, weights: weights, config: config)
        let io = try Fixtures.open("t5_tiny_io.safetensors")
        let ids = try io.tensor("ids"), context = try io.tensor("context")
        let prompts = ["w34  w55 w49 w42\tw19 w55 w16 w41", "  w27 w55&nbsp;w20 w42 "]
        #expect(try text.tokens(prompts[0]).ids == Self.row(ids, 0).integers)
        #expect(try text.tokens(prompts[1]).ids == Self.row(ids, 1).integers)
        let out = try text.encode(prompts)
        for b in 0..<2 {
            #expect(out[b].shape == [12, 32])
            let err = out[b].relativeError(to: Self.row(context, b))
            print("umT5 tiny prompt → context row \(b): rel \(err)")
            #expect(err < tolerance)
        }
        // Released: the tokenizer still works, encoding is a clear error.
        #expect(text.isLoaded)
        text.releaseEncoder()
        #expect(!text.isLoaded && text.encoder == nil)
        #expect(try text.tokens("w3").realCount == 2)
        #expect(throws: LongLiveError.self) { try text.encode("w3") }
        // A tokenizer larger than the embedding table is refused.
        let big = try UnigramTokenizer(pieces: vocab + [("▁x", -1)], unkID: 2, byteFallback: false, source: "big")
        #expect(throws: LongLiveError.self) { try UMT5TextEncoder(tokenizer: big, weights: weights, config: config) }
    }

    @Test func bf16WeightsAreWidenedPerUse() throws {
        // Weights narrowed to bf16 and kept as stored must equal the same bf16 values widened at load.
        let source = try Fixtures.open("t5_tiny_weights.safetensors")
        var narrowed: [String: Tensor] = [:]
        for n in source.names { narrowed[n] = try source.tensor(n).converted(to: .bfloat16) }
        let config = try Self.tinyConfig()
        let stored = try UMT5Encoder(source: InMemoryTensors(narrowed), config: config, residency: .asStored)
        let widened = try UMT5Encoder(source: InMemoryTensors(narrowed), config: config, residency: .float32)
        #expect(stored.weights.layers[0].fc1.dtype == .bfloat16 && stored.weights.tokenEmbedding.dtype == .bfloat16)
        #expect(widened.weights.layers[0].fc1.dtype == .float32)
        let ids = [5, 9, 17, 1, 0, 0]
        let a = try stored.context(ids: ids, realTokens: 4), b = try widened.context(ids: ids, realTokens: 4)
        #expect(a.relativeError(to: b) < 1e-6)

        // Wide enough for several weight blocks per matrix (a partial last one included), and a
        // long input that takes the widen-once path instead.
        var wide = UMT5Config()
        wide.vocabSize = 8; wide.dim = 1024; wide.dimAttn = 64; wide.dimFFN = 1200; wide.numHeads = 1; wide.numLayers = 1
        let w = InMemoryTensors(UMT5Weights.random(config: wide, seed: 11, dtype: .bfloat16))
        let s2 = try UMT5Encoder(source: w, config: wide, residency: .asStored)
        let w2 = try UMT5Encoder(source: w, config: wide, residency: .float32)
        for n in [7, 1030] {
            let ids = (0..<n).map { $0 % 8 }
            let e = try s2.forward(ids: ids).relativeError(to: try w2.forward(ids: ids))
            #expect(e < 1e-5, "\(n) tokens: \(e)")
        }
    }

    @Test func randomWeightsHaveTheOfficialNamesAndShapes() throws {
        let config = try Self.tinyConfig()
        let w = UMT5Weights.random(config: config, seed: 7, dtype: .bfloat16)
        #expect(w.count == config.expectedShapes().count)
        for (name, shape) in config.expectedShapes() { #expect(w[name]?.shape == shape, "\(name)") }
        #expect(w["blocks.0.attn.q.weight"]?.dtype == .bfloat16 && w["norm.weight"]?.scalars.allSatisfy { $0 == 1 } == true)
        let enc = try UMT5Encoder(source: InMemoryTensors(w), config: config)
        #expect(try enc.context(ids: [4, 5, 1, 0], realTokens: 3).firstNonFinite() == nil)
    }

    @Test func clearErrorsForWrongWeightsAndIds() throws {
        let config = try Self.tinyConfig()
        var tensors = try Fixtures.open("t5_tiny_weights.safetensors").allTensors()
        tensors["blocks.1.ffn.fc1.weight"] = nil
        #expect(throws: LongLiveError.self) { try UMT5Encoder(source: InMemoryTensors(tensors), config: config) }
        var c2 = config
        c2.dim = 64
        #expect(throws: LongLiveError.self) {
            try UMT5Encoder(source: CheckpointTensors([try Fixtures.open("t5_tiny_weights.safetensors")]), config: c2)
        }
        let enc = try Self.tinyEncoder()
        #expect(throws: LongLiveError.self) { try enc.forward(ids: [3, 64]) }
        #expect(throws: LongLiveError.self) { try enc.forward(ids: [3, 4], mask: [true]) }
        #expect(throws: LongLiveError.self) { try enc.context(ids: [3, 4], realTokens: 3) }
    }
}

