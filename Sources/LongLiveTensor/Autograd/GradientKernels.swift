import CLongLiveKernels
#if canImport(Glibc)
import Glibc
#endif

/// The arithmetic of the hand-written backward passes (no tape involvement: they run inside
/// `Tape.gradients`, where recording is off). Shapes: `rows × dim` row-major unless said otherwise.
enum GradientKernels {
    /// `C[m, n] = A[m, k] · B[k, n]` (or with `transA` / `transB`), a fresh tensor.
    static func matmul(_ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) -> Tensor {
        let c = Tensor(zeros: [m, n])
        BLAS.parallelSgemm(transA: transA, transB: transB, m: m, n: n, k: k,
                           a: a.floatPointer, lda: transA ? m : k, b: b.floatPointer, ldb: transB ? k : n,
                           c: c.floatPointer, ldc: n)
        withExtendedLifetime((a, b)) {}
        return c
    }

    /// Sums of the rows of `g` within each group of `groupRows` rows → `[groups, dim]`,
    /// optionally of `g ⊙ other`.
    static func groupSums(_ g: Tensor, times other: Tensor? = nil, dim: Int, groupRows: Int) -> Tensor {
        let rows = g.count / dim, groups = rows / groupRows
        let gp = g.floatPointer, op = other?.floatPointer
        let out = Tensor(zeros: [groups, dim])
        let o = out.floatPointer
        Parallel.forRanges(groups) { r in
            for grp in r {
                let acc = o + grp * dim
                for row in (grp * groupRows)..<((grp + 1) * groupRows) {
                    let gr = gp + row * dim
                    if let op {
                        let xr = op + row * dim
                        for j in 0..<dim { acc[j] += gr[j] * xr[j] }
                    } else {
                        for j in 0..<dim { acc[j] += gr[j] }
                    }
                }
            }
        }
        withExtendedLifetime((g, other)) {}
        return out
    }

    /// LayerNorm backward. With `x̂ = (x − μ)/σ` and `u = ∂L/∂x̂`:
    /// `∂L/∂x = (u − mean(u) − x̂·mean(u·x̂)) / σ`. Returns (∂L/∂x, x̂) — x̂ serves the affine grads.
    /// `mul(row)` gives the per-row multiplier of x̂ in the forward (weight, or 1 + scale), nil for 1.
    static func layerNormBackward(x: Tensor, g: Tensor, eps: Float, dim: Int, mul: ((Int) -> UnsafePointer<Float>?)) -> (dx: Tensor, xhat: Tensor) {
        let rows = x.count / dim
        let dx = Tensor(zeros: x.shape), xhat = Tensor(zeros: x.shape)
        let xp = x.floatPointer, gp = g.floatPointer, dp = dx.floatPointer, hp = xhat.floatPointer
        Parallel.forRanges(rows, grain: max(1, 4096 / dim)) { r in
            var u = [Float](repeating: 0, count: dim)
            for row in r {
                let xr = xp + row * dim, gr = gp + row * dim, hr = hp + row * dim, dr = dp + row * dim
                var mean = 0.0
                for j in 0..<dim { mean += Double(xr[j]) }
                mean /= Double(dim)
                var variance = 0.0
                for j in 0..<dim { let d = Double(xr[j]) - mean; variance += d * d }
                variance /= Double(dim)
                let inv = Float(1 / (variance + Double(eps)).squareRoot())
                let m = mul(row)
                var mu = 0.0, mux = 0.0
                for j in 0..<dim {
                    hr[j] = (xr[j] - Float(mean)) * inv
                    u[j] = m.map { gr[j] * $0[j] } ?? gr[j]
                    mu += Double(u[j])
                    mux += Double(u[j] * hr[j])
                }
                let a = Float(mu / Double(dim)), b = Float(mux / Double(dim))
                for j in 0..<dim { dr[j] = (u[j] - a - hr[j] * b) * inv }
            }
        }
        withExtendedLifetime((x, g)) {}
        return (dx, xhat)
    }

    /// RMSNorm backward: `y = x·r·w`, `r = (mean(x²) + eps)^(-1/2)`, `u = g·w`:
    /// `∂L/∂x = r·u − x·r³·mean(u·x)`; also returns `x·r` for ∂L/∂w.
    static func rmsNormBackward(x: Tensor, g: Tensor, eps: Float, dim: Int, weight: Tensor?) -> (dx: Tensor, normalized: Tensor) {
        let rows = x.count / dim
        let dx = Tensor(zeros: x.shape), nx = Tensor(zeros: x.shape)
        let xp = x.floatPointer, gp = g.floatPointer, dp = dx.floatPointer, np = nx.floatPointer
        let wp = weight?.floatPointer
        Parallel.forRanges(rows, grain: max(1, 4096 / dim)) { r in
            for row in r {
                let xr = xp + row * dim, gr = gp + row * dim, dr = dp + row * dim, nr = np + row * dim
                var ss = 0.0
                for j in 0..<dim { ss += Double(xr[j]) * Double(xr[j]) }
                let rr = 1 / (ss / Double(dim) + Double(eps)).squareRoot()
                var ux = 0.0
                for j in 0..<dim { ux += Double(gr[j] * (wp?[j] ?? 1) * xr[j]) }
                let c = Float(rr * rr * rr * ux / Double(dim))
                for j in 0..<dim {
                    let u = gr[j] * (wp?[j] ?? 1)
                    dr[j] = Float(rr) * u - xr[j] * c
                    nr[j] = xr[j] * Float(rr)
                }
            }
        }
        withExtendedLifetime((x, g, weight)) {}
        return (dx, nx)
    }

    /// Elementwise `g ⊙ f'(x)`.
    static func pointwise(_ g: Tensor, _ x: Tensor, _ derivative: @escaping (Float) -> Float) -> Tensor {
        Tensor(uninitialized: x.shape) { o in
            let gp = g.floatPointer, xp = x.floatPointer
            let base = o.baseAddress!
            Parallel.forRanges(o.count, grain: 16384) { r in for i in r { base[i] = gp[i] * derivative(xp[i]) } }
        }
    }

    /// `g ⊙ gelu_tanh'(x)` by the SIMD kernel (``geluDerivative`` is its reference).
    static func geluBackward(_ g: Tensor, _ x: Tensor) -> Tensor {
        Tensor(uninitialized: x.shape) { o in
            let gp = g.floatPointer, xp = x.floatPointer
            let base = o.baseAddress!
            Parallel.forRanges(o.count, grain: 16384) { r in ll_gelu_tanh_backward(xp + r.lowerBound, gp + r.lowerBound, base + r.lowerBound, r.count) }
            withExtendedLifetime((g, x)) {}
        }
    }

    static func geluDerivative(_ v: Float) -> Float {
        let k: Float = 0.7978845608028654, c: Float = 0.044715
        let u = k * (v + c * v * v * v)
        let t = tanhf(u)
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * c * v * v)
    }

    static func siluDerivative(_ v: Float) -> Float {
        let s = 1 / (1 + expf(-v))
        return s * (1 + v * (1 - s))
    }
}

extension GradientKernels {
    /// Backward of unmasked multi-head attention (`q` `[nq, D]`, `k`/`v` `[nk, D]`, D = heads·hd),
    /// recomputing the probabilities per head: with `P = softmax(s·QKᵀ)`, `O = PV`:
    /// `dV = Pᵀ·dO`, `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ = s·dS·K`, `dK = s·dSᵀ·Q`.
    static func attentionBackward(q: Tensor, k: Tensor, v: Tensor, g: Tensor, heads: Int) -> (dq: Tensor, dk: Tensor, dv: Tensor) {
        let width = q.shape.last!, hd = width / heads
        let nq = q.count / width, nk = k.count / width
        let dq = Tensor(zeros: [nq, width]), dk = Tensor(zeros: [nk, width]), dv = Tensor(zeros: [nk, width])
        let scale = 1 / Float(hd).squareRoot()
        let qp = q.floatPointer, kp = k.floatPointer, vp = v.floatPointer, gp = g.floatPointer
        Parallel.forRanges(heads) { hs in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: nq * nk)
            let dp = UnsafeMutablePointer<Float>.allocate(capacity: nq * nk)
            defer { p.deallocate(); dp.deallocate() }
            for h in hs {
                let o = h * hd
                BLAS.sgemm(transB: true, m: nq, n: nk, k: hd, a: qp + o, lda: width, b: kp + o, ldb: width, c: p, ldc: nk)
                ll_softmax_rows(p, nq, nk, nk, scale)
                // dV_h = Pᵀ·dO_h
                BLAS.sgemm(transA: true, m: nk, n: hd, k: nq, a: p, lda: nk, b: gp + o, ldb: width, c: dv.floatPointer + o, ldc: width)
                // dP = dO_h·V_hᵀ
                BLAS.sgemm(transB: true, m: nq, n: nk, k: hd, a: gp + o, lda: width, b: vp + o, ldb: width, c: dp, ldc: nk)
                ll_softmax_backward_rows(p, dp, nq, nk, nk, scale)
                BLAS.sgemm(m: nq, n: hd, k: nk, a: dp, lda: nk, b: kp + o, ldb: width, c: dq.floatPointer + o, ldc: width)
                BLAS.sgemm(transA: true, m: nk, n: hd, k: nq, a: dp, lda: nk, b: qp + o, ldb: width, c: dk.floatPointer + o, ldc: width)
            }
        }
        withExtendedLifetime((q, k, v, g)) {}
        return (dq, dk, dv)
    }
}

/// Gradients of unmasked multi-head attention `(∂L/∂q, ∂L/∂k, ∂L/∂v)` for output gradient `g`
/// (for ops built from attention, like the DiT's block-causal self-attention).
public func attentionGradients(q: Tensor, k: Tensor, v: Tensor, g: Tensor, heads: Int) -> (dq: Tensor, dk: Tensor, dv: Tensor) {
    GradientKernels.attentionBackward(q: q, k: k, v: v, g: g, heads: heads)
}
