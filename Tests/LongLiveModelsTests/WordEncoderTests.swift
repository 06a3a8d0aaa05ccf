import Testing
import LongLiveModels

@Suite struct WordEncoderTests {
    static let config = WordEncoder.Config(vocabulary: ["a", "ball", "blue", "left", "moves", "red", "small"],
                                           dim: 16, layers: 2, heads: 2, ffnDim: 32, maxTokens: 8)

    @Test func encodesKnownWordsAndPadsWithZeros() throws {
        let e = try WordEncoder(config: Self.config, parameters: WordEncoder.initialParameters(Self.config, seed: 1))
        let out = try e.encode("A small red ball moves left")
        #expect(out.shape == [8, 16])
        let s = out.scalars
        #expect(s[(6 * 16)...].allSatisfy { $0 == 0 })
        #expect(s[0..<(6 * 16)].contains { $0 != 0 })
        #expect(try e.encode("a red ball").scalars != (try e.encode("a blue ball")).scalars)
    }

    @Test func unknownWordsListTheVocabulary() throws {
        let e = try WordEncoder(config: Self.config, parameters: WordEncoder.initialParameters(Self.config, seed: 1))
        do {
            _ = try e.encode("a purple ball")
            Issue.record("no error")
        } catch {
            let m = "\(error)"
            #expect(m.contains("'purple'") && m.contains("a ball blue left moves red small"), "\(m)")
        }
        #expect(throws: LongLiveError.self) { try e.encode("  ") }
        #expect(throws: LongLiveError.self) { try e.encode("a a a a a a a a a") }
    }

    /// Gradients of every parameter kind against finite differences (the encoder trains with the teacher).
    @Test(arguments: [false, true]) func gradientsMatchFiniteDifferences(wordSkip: Bool) throws {
        var c = Self.config
        c.wordSkip = wordSkip
        var base = WordEncoder.initialParameters(c, seed: 2)
        // A gate away from 1 so that a wrong gradient wrt the gate or through the skip shows.
        if wordSkip { base["word_skip.weight"] = Tensor(shape: [16], values: (0..<16).map { 0.5 + Float($0) * 0.05 }) }
        let r = Tensor(shape: [8, 16], values: Philox4x32(seed: 3).normals(stream: 0, count: 128))
        func loss(_ p: [String: Tensor]) throws -> Double {
            let out = try WordEncoder(config: c, parameters: p).encode("a small red ball moves left")
            return zip(out.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var trainable = base
        for k in base.keys { trainable[k] = base[k]!.requiringGrad(k) }
        let e = try WordEncoder(config: c, parameters: trainable)
        let (out, tape) = try Tape.recording { try e.encode("a small red ball moves left") }
        let grads = tape.gradients(of: out, seed: r)
        for name in ["token_embedding.weight", "position_embedding.weight", "blocks.0.attn.q.weight", "blocks.1.ffn.0.bias", "blocks.0.norm2.weight", "norm.bias"] + (wordSkip ? ["word_skip.weight"] : []) {
            let g = try #require(grads[trainable[name]!], "no gradient for \(name)").scalars
            let scale = max(g.map { abs($0) }.max()!, 1e-4)
            let candidates = g.indices.filter { g[$0] != 0 }
            for idx in candidates.prefix(3) + (name == "token_embedding.weight" ? [0] : []) {
                var plus = base, minus = base
                plus[name]!.withMutableFloats { $0[idx] += 3e-3 }
                minus[name]!.withMutableFloats { $0[idx] -= 3e-3 }
                let numeric = (try loss(plus) - loss(minus)) / 6e-3
                #expect(abs(Double(g[idx]) - numeric) <= 0.03 * Double(scale), "\(name)[\(idx)]: \(g[idx]) vs \(numeric)")
            }
        }
    }

    /// The failure the skip exists for: a residual stream that dwarfs the token embeddings (as in the
    /// first teacher's encoder) leaves a swapped word almost invisible in its own row; the skip,
    /// normalised, shows it whatever its scale.
    @Test func wordSkipKeepsEveryWordVisible() throws {
        // Position embeddings a thousand times the tokens': every branch and the residual see the
        // positions only, as the trained encoder's layers saw no difference between shape words.
        var drowned = WordEncoder.initialParameters(Self.config, seed: 4)
        let t = drowned["position_embedding.weight"]!
        drowned["position_embedding.weight"] = Tensor(shape: t.shape, values: t.scalars.map { $0 * 1000 })
        func rowChange(_ e: WordEncoder) throws -> Double {
            // "red" → "blue" is word 2 of 4.
            let a = try e.encode("a small red ball").scalars, b = try e.encode("a small blue ball").scalars
            let row = 2 * 16
            var d = 0.0, n = 0.0
            for j in row..<(row + 16) { d += Double((a[j] - b[j]) * (a[j] - b[j])); n += Double(a[j] * a[j]) }
            return (d / n).squareRoot()
        }
        let without = try rowChange(WordEncoder(config: Self.config, parameters: drowned))
        var c = Self.config
        c.wordSkip = true
        var open = drowned
        open["word_skip.weight"] = Tensor(shape: [16], repeating: 1)
        let with = try rowChange(WordEncoder(config: c, parameters: open))
        #expect(without < 0.02, "the tiny embeddings should leave the word invisible (row change \(without))")
        #expect(with > 0.4 && with > 5 * without, "with the skip the row changes by \(with), without by \(without)")

        // Closed, the skip computes exactly what the encoder without it does (how a warm start begins).
        var closed = drowned
        closed["word_skip.weight"] = Tensor(zeros: [16])
        let plain = try WordEncoder(config: Self.config, parameters: drowned).encode("a small red ball").scalars
        #expect(try WordEncoder(config: c, parameters: closed).encode("a small red ball").scalars == plain)
        // An encoder configured for the skip refuses weights without its gate.
        #expect(throws: LongLiveError.self) { try WordEncoder(config: c, parameters: drowned) }
    }
}
