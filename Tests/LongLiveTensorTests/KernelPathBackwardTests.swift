import CLongLiveKernels
import LongLiveTensor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The backward kernels on every SIMD path against double-precision references (same bounds and
/// reasoning as the forward kernels in KernelPathTests).
extension KernelPathTests {
    @Test(arguments: activationSizes)
    func geluBackwardMatchesReference(n: Int) {
        let x = activationInput(n, seed: 600 + UInt64(n))
        let g = randomTensor([n], seed: 601 + UInt64(n), scale: 1)
        let ref = Tensor(shape: [n], values: zip(x.scalars, g.scalars).map { v, gi in
            let v = Double(v), k = 0.7978845608028654, c = 0.044715
            let t = tanh(k * (v + c * v * v * v))
            return Float(Double(gi) * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * c * v * v)))
        })
        onBothPaths { path in
            let leaf = x.requiringGrad("x")
            let (y, tape) = Tape.recording { geluTanh(leaf) }
            let dx = tape.gradients(of: y, seed: g)[leaf]!
            #expect(nmse(dx, ref) <= Self.nmseBound, "gelu backward n=\(n) \(path): nmse \(nmse(dx, ref))")
            #expect(maxRelativeError(dx, ref) <= Self.pointwiseBound, "gelu backward n=\(n) \(path): \(maxRelativeError(dx, ref))")
        }
    }

    /// (rows, cols) around the 8- and 16-wide vectors.
    @Test(arguments: [(1, 1), (3, 7), (2, 16), (4, 17), (5, 33), (2, 1001)])
    func softmaxBackwardMatchesReference(rows: Int, cols: Int) {
        let seed = UInt64(rows * 100 + cols)
        var p = randomTensor([rows, cols], seed: 700 + seed, scale: 1).scalars.map { exp($0) }
        for r in 0..<rows {
            let s = p[(r * cols)..<((r + 1) * cols)].reduce(0, +)
            for j in 0..<cols { p[r * cols + j] /= s }
        }
        let dp = randomTensor([rows, cols], seed: 701 + seed, scale: 1).scalars
        var ref = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            var dot = 0.0
            for j in 0..<cols { dot += Double(dp[r * cols + j]) * Double(p[r * cols + j]) }
            for j in 0..<cols {
                let pj = Double(p[r * cols + j]), dj = Double(dp[r * cols + j])
                ref[r * cols + j] = Float(0.125 * pj * (dj - dot))
            }
        }
        let refT = Tensor(shape: [rows, cols], values: ref)
        onBothPaths { path in
            var out = dp
            ll_softmax_backward_rows(p, &out, rows, cols, cols, 0.125)
            let o = Tensor(shape: [rows, cols], values: out)
            #expect(nmse(o, refT) <= Self.nmseBound, "softmax backward \(rows)x\(cols) \(path): nmse \(nmse(o, refT))")
        }
    }
}
