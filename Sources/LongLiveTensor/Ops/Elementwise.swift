import CLongLiveKernels
#if canImport(Glibc)
import Glibc
#endif

/// GELU with the tanh approximation (PyTorch `approximate='tanh'`), as Wan's FFN and text MLP use.
public func geluTanh(_ x: Tensor) -> Tensor {
    var y = x.detached()
    applyGelu(&y)
    return Tape.record(y, inputs: [x], label: "gelu") { g, _ in [GradientKernels.geluBackward(g, x)] }
}

/// In-place ``geluTanh(_:)``: no copy when `x`'s storage is not shared (the FFN's hidden activations).
/// While recording a tape the input is kept for the backward, so it works out of place then.
public func geluTanhInPlace(_ x: inout Tensor) {
    if x.requiresGrad && Tape.current != nil {
        x = geluTanh(x)
        return
    }
    applyGelu(&x)
}

private func applyGelu(_ x: inout Tensor) {
    x.withMutableFloats { p in
        let base = p.baseAddress!
        Parallel.forRanges(p.count, grain: 32768) { r in ll_gelu_tanh(base + r.lowerBound, r.count) }
    }
}

/// SiLU, `x·sigmoid(x)`.
public func silu(_ x: Tensor) -> Tensor {
    var y = x.detached()
    y.withMutableFloats { p in
        let base = p.baseAddress!
        Parallel.forRanges(p.count, grain: 32768) { r in ll_silu(base + r.lowerBound, r.count) }
    }
    return Tape.record(y, inputs: [x], label: "silu") { g, _ in [GradientKernels.pointwise(g, x, GradientKernels.siluDerivative)] }
}

/// Reference GELU(tanh) in double precision.
public func referenceGeluTanh(_ x: Tensor) -> Tensor {
    Tensor(shape: x.shape, values: x.scalars.map { v in
        let d = Double(v)
        return Float(0.5 * d * (1 + tanh(0.7978845608028654 * (d + 0.044715 * d * d * d))))
    })
}

/// Reference SiLU in double precision.
public func referenceSilu(_ x: Tensor) -> Tensor {
    Tensor(shape: x.shape, values: x.scalars.map { v in Float(Double(v) / (1 + exp(-Double(v)))) })
}

/// `a + b` elementwise (same shapes).
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.count == b.count, "add: \(a.shape) vs \(b.shape)")
    var y = a.detached()
    let bp = b.floatPointer
    y.withMutableFloats { p in
        let base = p.baseAddress!
        Parallel.forRanges(p.count, grain: 65536) { r in for i in r { base[i] += bp[i] } }
    }
    withExtendedLifetime(b) {}
    return Tape.record(y, inputs: [a, b], label: "add") { g, _ in [g.reshaped(a.shape), g.reshaped(b.shape)] }
}

/// `base + scale[i]·v` where the leading dimension is split into `scales.count` equal groups and
/// group `i` uses `scales[i]` — e.g. `x0 = x_t − σ_f·v` with one σ per latent frame.
public func scaledAdd(_ base: Tensor, _ v: Tensor, scales: [Float]) -> Tensor {
    precondition(base.count == v.count, "scaledAdd: \(base.shape) vs \(v.shape)")
    precondition(!scales.isEmpty && base.count % scales.count == 0, "scaledAdd: \(scales.count) scales for \(base.count) elements")
    let per = base.count / scales.count
    var out = base.detached()
    let vp = v.floatPointer
    out.withMutableFloats { p in
        for (i, s) in scales.enumerated() { for j in (i * per)..<((i + 1) * per) { p[j] += s * vp[j] } }
    }
    withExtendedLifetime(v) {}
    return Tape.record(out, inputs: [base, v], label: "scaled add") { g, needs in
        let dv: Tensor? = needs[1] ? Tensor(uninitialized: v.shape) { o in
            let gp = g.floatPointer
            for (i, s) in scales.enumerated() { for j in (i * per)..<((i + 1) * per) { o[j] = s * gp[j] } }
        } : nil
        return [needs[0] ? g.reshaped(base.shape) : nil, dv]
    }
}

/// `x + y·gate[g]` where rows `g·groupRows ..< (g+1)·groupRows` share the gate row `g` (`gate`: `[groups, dim]`).
/// This is the DiT's gated residual with one gate per latent frame.
public func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor, groupRows: Int) -> Tensor {
    let dim = x.shape.last!
    let rows = x.count / dim
    precondition(y.count == x.count, "gatedResidual: \(x.shape) vs \(y.shape)")
    precondition(gate.count * groupRows == x.count, "gatedResidual: gate \(gate.shape) for \(rows) rows in groups of \(groupRows)")
    var out = x.detached()
    let yp = y.floatPointer, gp = gate.floatPointer
    out.withMutableFloats { p in
        let base = p.baseAddress!
        Parallel.forRanges(rows, grain: max(1, 16384 / dim)) { r in
            for i in r {
                let g = gp + (i / groupRows) * dim
                let o = base + i * dim, yy = yp + i * dim
                for j in 0..<dim { o[j] += yy[j] * g[j] }
            }
        }
    }
    withExtendedLifetime((y, gate)) {}
    return Tape.record(out, inputs: [x, y, gate], label: "gated residual") { g, needs in
        let dy = needs[1] ? Tensor(uninitialized: y.shape) { o in
            let gg = g.floatPointer, gt = gate.floatPointer
            for i in 0..<rows { for j in 0..<dim { o[i * dim + j] = gg[i * dim + j] * gt[(i / groupRows) * dim + j] } }
        } : nil
        let dgate = needs[2] ? GradientKernels.groupSums(g, times: y, dim: dim, groupRows: groupRows).reshaped(gate.shape) : nil
        return [g.reshaped(x.shape), dy, dgate]
    }
}

/// Which implementation the C kernels run on this CPU.
public enum SIMDKernels {
    /// True when the AVX2+FMA paths are active.
    public static var isAccelerated: Bool { ll_kernels_simd_level() != 0 }
    /// 0 portable, 1 AVX2+FMA, 2 AVX-512 for the heaviest kernels as well.
    public static var level: Int32 { ll_kernels_simd_level() }
    /// Forces the portable C paths on or off on the calling thread (and the workers it fans out to);
    /// tests compare every path against the Swift reference without disturbing other threads.
    public static func forcePortable(_ on: Bool) { ll_kernels_force_portable(on ? 1 : 0) }
    /// Caps the SIMD level (0 portable, 1 AVX2, 2 default) on the calling thread (and its workers), so
    /// tests can check every path on one CPU.
    public static func limitLevel(_ level: Int32) { ll_kernels_limit_level(level) }
    /// The calling thread's limit (2: none).
    public static var levelLimit: Int32 { ll_kernels_level_limit() }
}
