import LongLiveTensor
import Testing

/// Attention over key/value spans. Part of the serialized kernel suite because the row softmax
/// runs in the C kernels (both paths are checked).
///
/// Tolerance: the fast path forms q·kᵀ and p·v with float SGEMMs and the softmax in float, against a
/// double reference. Each output is a convex combination of values, so its absolute error is about
/// (a few u)·max|v| with u = 2⁻²⁴; relative to max|ref| that is ≤ 1e-6 for short key sets (measured
/// ≤ 3e-7, NMSE ≤ 4.4e-14). We allow 1e-5 pointwise (relative to max |ref|) and NMSE ≤ 1e-12; a
/// wrong scale (e.g. 1/headDim instead of 1/√headDim), a missed span or a mis-strided head gives
/// errors ≥ 1e-2.
extension KernelPathTests {
    /// Keys and values of `count` tokens stored fused, `[k | v | pad]` per row, so spans have a
    /// stride wider than the head data (as a fused KV projection would leave them).
    struct FusedKV {
        var buffer: [Float]
        let stride: Int, width: Int, count: Int

        init(keys: Tensor, values: Tensor, rows: Range<Int>, pad: Int) {
            width = keys.shape[1]
            stride = 2 * width + pad
            count = rows.count
            buffer = [Float](repeating: .nan, count: max(1, count * stride))  // padding is NaN: reading it would poison the output
            let k = keys.scalars, v = values.scalars
            for (i, r) in rows.enumerated() {
                for c in 0..<width {
                    buffer[i * stride + c] = k[r * width + c]
                    buffer[i * stride + width + c] = v[r * width + c]
                }
            }
        }
    }

    /// Runs the pointer API with queries at column `width` of a `[nq, 3·width+1]` buffer, keys/values
    /// split into `splits` (fused, strided spans, an empty span included) and output rows of stride
    /// `width + 2` whose padding must stay untouched.
    func spannedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, splits: [Int]) -> (out: Tensor, paddingIntact: Bool) {
        let nq = q.shape[0], width = q.shape[1], nk = k.shape[0]
        let qStride = 3 * width + 1, outStride = width + 2
        var qBuf = [Float](repeating: .nan, count: nq * qStride)
        let qs = q.scalars
        for r in 0..<nq { for c in 0..<width { qBuf[r * qStride + width + c] = qs[r * width + c] } }
        let bounds = [0] + splits + [nk]
        var parts: [FusedKV] = []
        for i in 0..<(bounds.count - 1) {
            parts.append(FusedKV(keys: k, values: v, rows: bounds[i]..<bounds[i + 1], pad: 3 + i))
        }
        let sentinel: Float = 12345
        var outBuf = [Float](repeating: sentinel, count: nq * outStride)
        let pointers = parts.map { p -> UnsafeMutablePointer<Float> in
            let m = UnsafeMutablePointer<Float>.allocate(capacity: p.buffer.count)
            m.initialize(from: p.buffer, count: p.buffer.count)
            return m
        }
        defer { pointers.forEach { $0.deallocate() } }
        var spans = zip(parts, pointers).map { p, m in
            KeyValueSpan(keys: m, values: m + p.width, count: p.count, stride: p.stride)
        }
        // An empty span in the middle must be ignored.
        spans.insert(KeyValueSpan(keys: pointers[0], values: pointers[0], count: 0, stride: 1), at: min(1, spans.count))
        qBuf.withUnsafeBufferPointer { qp in
            outBuf.withUnsafeMutableBufferPointer { op in
                attention(query: qp.baseAddress! + width, rows: nq, queryStride: qStride,
                          spans: spans, heads: heads, headDim: width / heads,
                          out: op.baseAddress!, outStride: outStride)
            }
        }
        var out = [Float](repeating: 0, count: nq * width)
        var intact = true
        for r in 0..<nq {
            for c in 0..<width { out[r * width + c] = outBuf[r * outStride + c] }
            for c in width..<outStride where outBuf[r * outStride + c] != sentinel { intact = false }
        }
        return (Tensor(shape: [nq, width], values: out), intact)
    }

    /// (queries, keys, heads, headDim, key splits). All have fewer rows than the tile
    /// (tile = max(16, min(rows, 4M/keys)) ≥ rows), so each head is one tile.
    static let attentionCases: [(Int, Int, Int, Int, [Int])] = [
        (1, 1, 1, 4, []),
        (1, 9, 2, 3, [4]),
        (5, 37, 3, 12, [1, 10, 30]),
        (13, 70, 2, 7, [35]),
        (40, 100, 4, 8, [7, 8, 64]),
    ]

    @Test(arguments: attentionCases)
    func attentionMatchesReference(nq: Int, nk: Int, heads: Int, headDim: Int, splits: [Int]) {
        let width = heads * headDim
        let seed = UInt64(nq * 10_000 + nk * 10 + heads)
        let q = randomTensor([nq, width], seed: 700 + seed, scale: 1.5)
        let k = randomTensor([nk, width], seed: 701 + seed)
        let v = randomTensor([nk, width], seed: 702 + seed)
        let ref = referenceAttention(q, k, v, heads: heads)
        onBothPaths { path in
            let tag = "attention q\(nq) k\(nk) h\(heads)x\(headDim) \(path)"
            let whole = attention(q, k, v, heads: heads)
            #expect(whole.shape == q.shape)
            #expect(nmse(whole, ref) <= 1e-12, "\(tag): nmse \(nmse(whole, ref))")
            #expect(whole.relativeError(to: ref) <= 1e-5, "\(tag): \(whole.relativeError(to: ref))")

            let (split, intact) = spannedAttention(q, k, v, heads: heads, splits: splits)
            #expect(intact, "\(tag): attention wrote outside the output rows' head columns")
            #expect(split.firstNonFinite() == nil, "\(tag): spans read padding")
            #expect(split.relativeError(to: ref) <= 1e-5, "\(tag) split \(splits): \(split.relativeError(to: ref))")
            #expect(split.relativeError(to: whole) <= 1e-5, "\(tag): split key set differs from the concatenated one")
        }
    }

    /// Enough keys that the query rows are split into tiles: 100 000 keys give
    /// tile = max(16, min(48, 4 194 304 / 100 000 = 41)) = 41, so 48 rows run as 41 + 7.
    /// Every row is compared with the same row attended alone (one row, one tile), and the rows at
    /// the tile edges with the double reference. The softmax sums 100 000 terms in float (8 lanes on
    /// AVX2); its rounding is ~u·√(n/8) ≈ 7e-6 relative typical, so the reference bound is 2e-5
    /// (measured: 1.4e-6 AVX2, 4.6e-7 portable). Tiled vs alone differ only by GEMM blocking and
    /// measure 1.6e-6; bound 1e-5.
    @Test func attentionTilesSmallerThanQueryCount() {
        let nq = 48, nk = 100_000, heads = 2, headDim = 4, width = heads * headDim
        #expect(max(16, min(nq, (4 << 20) / nk)) == 41, "test no longer splits the rows into tiles")
        let q = randomTensor([nq, width], seed: 801, scale: 1.5)
        let k = randomTensor([nk, width], seed: 802)
        let v = randomTensor([nk, width], seed: 803, scale: 1, offset: 0.25)
        let checkedRows = [0, 40, 41, 47]
        var refRows: [Int: Tensor] = [:]
        for r in checkedRows { refRows[r] = referenceAttention(q.rows(r..<(r + 1)), k, v, heads: heads) }
        onBothPaths { path in
            let (tiled, intact) = spannedAttention(q, k, v, heads: heads, splits: [3])
            #expect(intact)
            #expect(tiled.firstNonFinite() == nil)
            for r in checkedRows {
                let row = tiled.rows(r..<(r + 1))
                #expect(row.relativeError(to: refRows[r]!) <= 2e-5, "row \(r) \(path): \(row.relativeError(to: refRows[r]!))")
            }
            let single = attention(q, k, v, heads: heads)
            #expect(tiled.relativeError(to: single) <= 1e-5, "\(path): 2 spans vs 1 span \(tiled.relativeError(to: single))")
            for r in 0..<nq {
                let alone = attention(q.rows(r..<(r + 1)), k, v, heads: heads)
                #expect(single.rows(r..<(r + 1)).relativeError(to: alone) <= 1e-5, "row \(r) \(path): tiled vs alone")
            }
        }
    }
}
