import CLongLiveKernels
#if canImport(Glibc)
import Glibc
#endif

/// A run of cached keys and values that queries attend to. Rows are token vectors of all heads
/// packed (`heads · headDim` floats, row stride `stride`); head `h` is columns `h·headDim ..< (h+1)·headDim`.
public struct KeyValueSpan {
    public let keys: UnsafePointer<Float>
    public let values: UnsafePointer<Float>
    public let count: Int
    public let stride: Int

    public init(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int, stride: Int) {
        self.keys = keys
        self.values = values
        self.count = count
        self.stride = stride
    }

    /// The keys (or values) of `spans` copied into one `[Σ count, width]` tensor, in span order.
    public static func gather(_ spans: [KeyValueSpan], keys: Bool, width: Int) -> Tensor {
        let total = spans.reduce(0) { $0 + $1.count }
        return Tensor(uninitialized: [total, width]) { out in
            var row = 0
            for s in spans {
                let src = keys ? s.keys : s.values
                for r in 0..<s.count { (out.baseAddress! + (row + r) * width).update(from: src + r * s.stride, count: width) }
                row += s.count
            }
        }
    }
}

/// Score-matrix budget per query tile and worker (floats): 2M floats = 8 MiB, so the tiles of both
/// workers stay in the L3 cache between the two products. `LONGLIVE_ATTENTION_TILE` overrides it.
let attentionTileFloats: Int = {
    if let s = getenv("LONGLIVE_ATTENTION_TILE"), let n = Int(String(cString: s)), n > 0 { return n }
    return 2 << 20
}()

/// Unmasked multi-head scaled-dot-product attention of `rows` queries over the concatenation of
/// `spans`: `out = softmax(q·kᵀ/√headDim)·v` per head.
///
/// The work is cut into (head, query tile) items spread over the cores; each item runs its two
/// SGEMMs and the softmax between them on one core, so its score tile stays in that core's cache.
/// The key set being a list of spans is how the KV cache's `[sink | window]` selection is attended
/// without copying it.
public func attention(
    query: UnsafePointer<Float>, rows: Int, queryStride: Int,
    spans: [KeyValueSpan], heads: Int, headDim: Int,
    out: UnsafeMutablePointer<Float>, outStride: Int
) {
    let spans = spans.filter { $0.count > 0 }
    let totalKeys = spans.reduce(0) { $0 + $1.count }
    guard rows > 0 else { return }
    precondition(totalKeys > 0, "attention over an empty key set")
    // Enough items for every core, each tile within the cache budget.
    let workers = Parallel.workers
    var tile = max(16, min(rows, attentionTileFloats / totalKeys))
    let minItems = 2 * workers
    if heads * ((rows + tile - 1) / tile) < minItems {
        let tilesPerHead = (minItems + heads - 1) / heads
        tile = max(8, min(tile, (rows + tilesPerHead - 1) / tilesPerHead))
    }
    let tilesPerHead = (rows + tile - 1) / tile
    let scale = 1 / Float(headDim).squareRoot()
    Parallel.forRanges(heads * tilesPerHead) { items in
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: tile * totalKeys)
        defer { scores.deallocate() }
        for item in items {
            let h = item / tilesPerHead
            let r0 = (item % tilesPerHead) * tile
            let m = min(tile, rows - r0)
            var col = 0
            for s in spans {
                BLAS.sgemm(transB: true, m: m, n: s.count, k: headDim,
                           a: query + r0 * queryStride + h * headDim, lda: queryStride,
                           b: s.keys + h * headDim, ldb: s.stride,
                           c: scores + col, ldc: totalKeys)
                col += s.count
            }
            ll_softmax_rows(scores, m, totalKeys, totalKeys, scale)
            col = 0
            for (i, s) in spans.enumerated() {
                BLAS.sgemm(m: m, n: headDim, k: s.count,
                           a: scores + col, lda: totalKeys,
                           b: s.values + h * headDim, ldb: s.stride,
                           beta: i == 0 ? 0 : 1, c: out + r0 * outStride + h * headDim, ldc: outStride)
                col += s.count
            }
        }
    }
}

/// Tensor form of ``attention(query:rows:queryStride:spans:heads:headDim:out:outStride:)``:
/// `q` is `[nq, heads·headDim]`, `k`/`v` are `[nk, heads·headDim]`.
public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int) -> Tensor {
    let width = q.shape.last!
    precondition(k.shape == v.shape && k.shape.last == width, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
    let rows = q.count / width
    let out = Tensor(zeros: [rows, width])
    attention(query: q.floatPointer, rows: rows, queryStride: width,
              spans: [KeyValueSpan(keys: k.floatPointer, values: v.floatPointer, count: k.count / width, stride: width)],
              heads: heads, headDim: width / heads, out: out.floatPointer, outStride: width)
    withExtendedLifetime((q, k, v)) {}
    return Tape.record(out.reshaped(q.shape), inputs: [q, k, v], label: "attention") { g, _ in
        let (dq, dk, dv) = GradientKernels.attentionBackward(q: q, k: k, v: v, g: g, heads: heads)
        return [dq.reshaped(q.shape), dk.reshaped(k.shape), dv.reshaped(v.shape)]
    }
}

/// Reference attention in double precision (naive loops), the check for the tiled path.
public func referenceAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int) -> Tensor {
    let width = q.shape.last!, hd = width / heads
    let nq = q.count / width, nk = k.count / width
    let qs = q.scalars, ks = k.scalars, vs = v.scalars
    var out = [Float](repeating: 0, count: nq * width)
    let scale = 1 / Double(hd).squareRoot()
    for h in 0..<heads {
        for i in 0..<nq {
            var logits = [Double](repeating: 0, count: nk)
            for j in 0..<nk {
                var d = 0.0
                for c in 0..<hd { d += Double(qs[i * width + h * hd + c]) * Double(ks[j * width + h * hd + c]) }
                logits[j] = d * scale
            }
            let m = logits.max()!
            let e = logits.map { exp($0 - m) }
            let z = e.reduce(0, +)
            for c in 0..<hd {
                var acc = 0.0
                for j in 0..<nk { acc += e[j] / z * Double(vs[j * width + h * hd + c]) }
                out[i * width + h * hd + c] = Float(acc)
            }
        }
    }
    return Tensor(shape: q.shape, values: out)
}
