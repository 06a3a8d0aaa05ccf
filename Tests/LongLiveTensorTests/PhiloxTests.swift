import LongLiveTensor
import Testing

/// `Philox4x32` (Philox-4x32-10) and its Box–Muller normals.
struct PhiloxTests {
    /// Random123's known-answer vectors for philox4x32_10 (kat_vectors): key (k0, k1), counter
    /// (c0…c3) → four output words. The key is our seed split into low and high 32-bit halves.
    static let knownAnswers: [((UInt32, UInt32), (UInt32, UInt32, UInt32, UInt32), [UInt32])] = [
        ((0, 0), (0, 0, 0, 0), [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]),
        ((0xFFFF_FFFF, 0xFFFF_FFFF), (0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF),
         [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]),
        ((0xA409_3822, 0x299F_31D0), (0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
         [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]),
    ]

    @Test func blockMatchesRandom123KnownAnswers() {
        for (key, ctr, expected) in Self.knownAnswers {
            let g = Philox4x32(seed: UInt64(key.1) << 32 | UInt64(key.0))
            #expect(g.key == key)
            let r = g.block(ctr.0, ctr.1, ctr.2, ctr.3)
            #expect([r.0, r.1, r.2, r.3] == expected, "key \(key) counter \(ctr)")
        }
    }

    @Test func sameSeedAndStreamGiveIdenticalNumbers() {
        let a = Philox4x32(seed: 1234).normals(stream: 7, count: 1001)
        let b = Philox4x32(seed: 1234).normals(stream: 7, count: 1001)
        #expect(a == b)
        #expect(a.allSatisfy { $0.isFinite })
        let t = Philox4x32(seed: 1234).normalTensor(shape: [7, 11, 13], stream: 7)
        #expect(t.shape == [7, 11, 13] && t.scalars == a)
    }

    @Test func differentStreamsAndSeedsDiffer() {
        let base = Philox4x32(seed: 1234).normals(stream: 7, count: 256)
        let others = [
            Philox4x32(seed: 1234).normals(stream: 8, count: 256),
            Philox4x32(seed: 1234).normals(stream: 7 | (1 << 32), count: 256),  // high word of the stream
            Philox4x32(seed: 1235).normals(stream: 7, count: 256),
            Philox4x32(seed: 1234 | (1 << 32)).normals(stream: 7, count: 256),  // high word of the seed
        ]
        for o in others {
            // Independent sequences agree in no element (an exact float match has probability ~0).
            let same = zip(base, o).filter { $0 == $1 }.count
            #expect(same == 0, "\(same) identical elements")
        }
    }

    /// Element i depends only on (seed, stream, i): any shorter request is a prefix, also across the
    /// 4-wide blocks and the threaded split of a long request.
    @Test func elementsAreIndependentOfCount() {
        let g = Philox4x32(seed: 99)
        let long = g.normals(stream: 3, count: 40_003)  // several parallel ranges of 4096 blocks
        for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, 1000, 16_385, 40_002] {
            let short = g.normals(stream: 3, count: n)
            #expect(short.count == n)
            #expect(Array(long.prefix(n)) == short, "count \(n)")
        }
    }

    /// Moments over 10⁵ samples. For i.i.d. N(0, 1): the sample mean has σ = 1/√n = 0.0032, the
    /// sample variance σ = √(2/n) = 0.0045, the fraction in (−1, 1) σ = √(0.6827·0.3173/n) = 0.0015,
    /// the lag-1 correlation σ ≈ 1/√n. Bounds are 5σ (a correct generator fails with p < 1e-6 per
    /// check; the test is deterministic anyway); a biased transform (e.g. u in [0,1) fed to log,
    /// cos-only Box–Muller, reused words) moves at least one statistic by far more.
    @Test func normalsHaveStandardMoments() {
        let n = 100_000
        let x = Philox4x32(seed: 2024).normals(stream: 0, count: n).map(Double.init)
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let within1 = Double(x.filter { abs($0) < 1 }.count) / Double(n)
        var lag1 = 0.0
        for i in 1..<n { lag1 += (x[i] - mean) * (x[i - 1] - mean) }
        lag1 /= Double(n - 1) * variance
        var lag4 = 0.0  // the same word position in the next block
        for i in 4..<n { lag4 += (x[i] - mean) * (x[i - 4] - mean) }
        lag4 /= Double(n - 4) * variance
        let s = 1 / Double(n).squareRoot()
        #expect(abs(mean) < 5 * s, "mean \(mean)")
        #expect(abs(variance - 1) < 5 * (2.0 / Double(n)).squareRoot(), "variance \(variance)")
        #expect(abs(within1 - 0.682_689) < 5 * (0.682_689 * 0.317_311 / Double(n)).squareRoot(), "P(|x|<1) \(within1)")
        #expect(abs(lag1) < 5 * s, "lag-1 correlation \(lag1)")
        #expect(abs(lag4) < 5 * s, "lag-4 correlation \(lag4)")
        #expect(x.allSatisfy { $0.isFinite && abs($0) < 7 })  // |x| ≥ 7 has probability 2.6e-12 per sample
    }
}
