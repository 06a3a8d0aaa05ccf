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
    @Test func gradientsMatchFiniteDifferences() throws {
        let c = Self.config
        let base = WordEncoder.initialParameters(c, seed: 2)
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
        for name in ["token_embedding.weight", "position_embedding.weight", "blocks.0.attn.q.weight", "blocks.1.ffn.0.bias", "blocks.0.norm2.weight", "norm.bias"] {
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
}
