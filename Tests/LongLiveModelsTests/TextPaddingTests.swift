import Testing
import LongLiveModels

/// `WanConfig.padsText == false` (the embedded world models): the text MLP sees the prompt's words
/// and one zero row, however the caller padded them; Wan's padding to `textLen` stays the default.
@Suite struct TextPaddingTests {
    func tinyModels() throws -> (padded: WanTransformer, trimmed: WanTransformer, x: Tensor, context: Tensor) {
        let config = try WanConfig.parse(json: try FileIO.readText(Fixtures.directory + "/dit_tiny_config.json"), source: "config")
        var trimmedConfig = config
        trimmedConfig.padsText = false
        let tensors = CheckpointTensors([try Fixtures.open("dit_tiny_weights.safetensors")])
        let f = try Fixtures.open("dit_tiny_forward.safetensors")
        let context = try f.tensor("context").float32()
        return (try WanTransformer(config: config, weights: WanWeights.load(from: tensors, config: config)),
                try WanTransformer(config: trimmedConfig, weights: WanWeights.load(from: tensors, config: trimmedConfig)),
                framesFirst(try f.tensor("x")), context.reshaped(Array(context.shape.dropFirst())))
    }

    /// The first `words` rows of the fixture's context, followed by `zeros` zero rows.
    func prompt(_ context: Tensor, words: Int, zeros: Int) -> Tensor {
        let w = context.rows(0..<words)
        return zeros == 0 ? w : Tensor.concatenate([w, Tensor(zeros: [zeros, context.shape[1]])])
    }

    /// The fixture's context (11 words, 5 zero rows) with its padding replaced by words.
    func fullLength(_ context: Tensor) -> Tensor {
        let words = 11
        return Tensor.concatenate([context.rows(0..<words), context.rows(0..<(context.shape[0] - words))])
    }

    @Test func trailingZeroRowsBecomeOneNullRow() throws {
        let (_, trimmed, _, context) = try tinyModels()
        let len = trimmed.config.textLen, words = 5
        let reference = try trimmed.embedText(prompt(context, words: words, zeros: 1))
        #expect(reference.shape == [words + 1, trimmed.config.dim])
        for zeros in [0, 1, 3, len - words] {
            let e = try trimmed.embedText(prompt(context, words: words, zeros: zeros))
            #expect(e.shape == reference.shape && e.scalars == reference.scalars, "\(zeros) padding rows")
        }
        // A full-length prompt has no room for the null row and keeps its rows.
        #expect(try trimmed.embedText(fullLength(context)).shape == [len, trimmed.config.dim])
        // The unconditional branch (zero text of any length) is the null row alone.
        let null = try trimmed.crossAttentionCache(context: Tensor(zeros: [len, trimmed.config.textDim]))
        #expect(null.keys.allSatisfy { $0.shape == [1, trimmed.config.dim] })
    }

    @Test func oneNullRowChangesTheForwardAgainstFullPadding() throws {
        let (padded, trimmed, x, context) = try tinyModels()
        let t = [Float](repeating: 600, count: x.shape[0])
        let text = prompt(context, words: 5, zeros: padded.config.textLen - 5)
        let a = try padded.forward(x, timesteps: t, text: padded.crossAttentionCache(context: text), attention: .bidirectional).scalars
        let b = try trimmed.forward(x, timesteps: t, text: trimmed.crossAttentionCache(context: text), attention: .bidirectional).scalars
        // Eleven equal padding rows weigh eleven times one: the cross-attention, and the output, move.
        let moved = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(moved > 1e-3, "11 padding rows and 1 null row gave the same output (max difference \(moved))")
        // With a full-length context nothing is padded either way: both models agree exactly.
        let full = fullLength(context)
        let fa = try padded.forward(x, timesteps: t, text: padded.crossAttentionCache(context: full), attention: .bidirectional).scalars
        let fb = try trimmed.forward(x, timesteps: t, text: trimmed.crossAttentionCache(context: full), attention: .bidirectional).scalars
        #expect(fa.count == fb.count && zip(fa, fb).allSatisfy { $0 == $1 }, "a full-length prompt is fed alike either way")
    }

    @Test func padTextRoundTripsThroughConfigJSON() throws {
        var c = WanConfig()
        #expect(c.json()["pad_text"] == nil, "Wan models keep the official config keys only")
        c.padsText = false
        let back = try WanConfig.parse(json: c.json().serialized(), source: "round trip")
        #expect(back == c && !back.padsText)
        #expect { try WanConfig.parse(json: #"{"pad_text": "no"}"#, source: "bad.json") } throws: {
            "\($0)".contains("bad.json") && "\($0)".contains("pad_text must be true or false")
        }
    }
}
