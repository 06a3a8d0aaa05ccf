import CLongLiveKernels

/// LayerNorm over the last dimension, `y = (x − mean)/√(var + eps) · mul + add` (statistics in f32).
/// With `mul = weight`, `add = bias` this is `nn.LayerNorm`; without them it is the affine-free norm.
public func layerNorm(_ x: Tensor, eps: Float, weight: Tensor? = nil, bias: Tensor? = nil) -> Tensor {
    let dim = x.shape.last!
    let rows = x.count / max(dim, 1)
    let w = weight?.float32(), b = bias?.float32()
    if let w { precondition(w.count == dim, "layerNorm weight \(w.shape) for width \(dim)") }
    if let b { precondition(b.count == dim, "layerNorm bias \(b.shape) for width \(dim)") }
    let y = Tensor(zeros: x.shape)
    let xp = x.floatPointer, yp = y.floatPointer
    let wp = w?.floatPointer, bp = b?.floatPointer
    Parallel.forRanges(rows, grain: max(1, 8192 / max(dim, 1))) { r in
        ll_layernorm_rows(xp + r.lowerBound * dim, yp + r.lowerBound * dim, r.count, dim, eps, wp, bp)
    }
    withExtendedLifetime((x, w, b)) {}
    return Tape.record(y, inputs: [x, weight, bias], label: "layer norm") { g, needs in
        let (dx, xhat) = GradientKernels.layerNormBackward(x: x, g: g, eps: eps, dim: dim, mul: { _ in w.map { UnsafePointer($0.floatPointer) } })
        let dw = needs[1] ? GradientKernels.groupSums(g, times: xhat, dim: dim, groupRows: rows).reshaped(weight!.shape) : nil
        let db = needs[2] ? GradientKernels.groupSums(g, dim: dim, groupRows: rows).reshaped(bias!.shape) : nil
        return [needs[0] ? dx : nil, dw, db]
    }
}

/// LayerNorm (no affine) followed by Wan's adaptive modulation, per group of rows:
/// rows `g·groupRows ..< (g+1)·groupRows` use `y = LN(x)·(1 + scale[g]) + shift[g]`.
/// In the DiT a group is one latent frame's tokens and `scale`/`shift` are `[frames, dim]`.
public func layerNormModulated(_ x: Tensor, eps: Float, scale: Tensor, shift: Tensor, groupRows: Int) -> Tensor {
    let dim = x.shape.last!
    let rows = x.count / dim
    let groups = scale.count / dim
    precondition(rows == groups * groupRows, "modulation: \(rows) rows vs \(groups) groups of \(groupRows)")
    precondition(shift.count == scale.count)
    var onePlus = Tensor(zeros: [groups, dim])
    scale.withFloats { s in onePlus.withMutableFloats { o in for i in 0..<s.count { o[i] = 1 + s[i] } } }
    let y = Tensor(zeros: x.shape)
    let xp = x.floatPointer, yp = y.floatPointer, mp = onePlus.floatPointer, ap = shift.floatPointer
    Parallel.forRanges(rows, grain: max(1, 8192 / dim)) { r in
        var i = r.lowerBound
        while i < r.upperBound {
            let g = i / groupRows
            let end = min(r.upperBound, (g + 1) * groupRows)
            ll_layernorm_rows(xp + i * dim, yp + i * dim, end - i, dim, eps, mp + g * dim, ap + g * dim)
            i = end
        }
    }
    withExtendedLifetime((x, onePlus, shift)) {}
    return Tape.record(y, inputs: [x, scale, shift], label: "layer norm + modulation") { g, needs in
        let (dx, xhat) = GradientKernels.layerNormBackward(x: x, g: g, eps: eps, dim: dim,
                                                           mul: { row in UnsafePointer(onePlus.floatPointer + (row / groupRows) * dim) })
        let dscale = needs[1] ? GradientKernels.groupSums(g, times: xhat, dim: dim, groupRows: groupRows).reshaped(scale.shape) : nil
        let dshift = needs[2] ? GradientKernels.groupSums(g, dim: dim, groupRows: groupRows).reshaped(shift.shape) : nil
        return [needs[0] ? dx : nil, dscale, dshift]
    }
}

/// RMSNorm over the last dimension: `x · rsqrt(mean(x²) + eps) · weight`.
public func rmsNorm(_ x: Tensor, eps: Float, weight: Tensor?) -> Tensor {
    let dim = x.shape.last!
    let rows = x.count / max(dim, 1)
    let w = weight?.float32()
    if let w { precondition(w.count == dim, "rmsNorm weight \(w.shape) for width \(dim)") }
    let y = Tensor(zeros: x.shape)
    let xp = x.floatPointer, yp = y.floatPointer, wp = w?.floatPointer
    Parallel.forRanges(rows, grain: max(1, 8192 / max(dim, 1))) { r in
        ll_rmsnorm_rows(xp + r.lowerBound * dim, yp + r.lowerBound * dim, r.count, dim, eps, wp)
    }
    withExtendedLifetime((x, w)) {}
    return Tape.record(y, inputs: [x, weight], label: "rms norm") { g, needs in
        let (dx, normalized) = GradientKernels.rmsNormBackward(x: x, g: g, eps: eps, dim: dim, weight: w)
        let dw = needs[1] ? GradientKernels.groupSums(g, times: normalized, dim: dim, groupRows: rows).reshaped(weight!.shape) : nil
        return [needs[0] ? dx : nil, dw]
    }
}

// MARK: - readable references (double precision), used by the tests of the fast paths

/// Reference LayerNorm; see ``layerNorm(_:eps:weight:bias:)``.
public func referenceLayerNorm(_ x: Tensor, eps: Float, weight: Tensor? = nil, bias: Tensor? = nil) -> Tensor {
    let dim = x.shape.last!
    let xs = x.scalars, ws = weight?.scalars, bs = bias?.scalars
    var out = [Float](repeating: 0, count: xs.count)
    for r in 0..<(xs.count / dim) {
        let row = xs[(r * dim)..<((r + 1) * dim)].map(Double.init)
        let mean = row.reduce(0, +) / Double(dim)
        let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(dim)
        let inv = 1 / (variance + Double(eps)).squareRoot()
        for i in 0..<dim {
            var v = (row[i] - mean) * inv
            if let ws { v *= Double(ws[i]) }
            if let bs { v += Double(bs[i]) }
            out[r * dim + i] = Float(v)
        }
    }
    return Tensor(shape: x.shape, values: out)
}

/// Reference RMSNorm; see ``rmsNorm(_:eps:weight:)``.
public func referenceRMSNorm(_ x: Tensor, eps: Float, weight: Tensor?) -> Tensor {
    let dim = x.shape.last!
    let xs = x.scalars, ws = weight?.scalars
    var out = [Float](repeating: 0, count: xs.count)
    for r in 0..<(xs.count / dim) {
        var ss = 0.0
        for i in 0..<dim { ss += Double(xs[r * dim + i]) * Double(xs[r * dim + i]) }
        let inv = 1 / (ss / Double(dim) + Double(eps)).squareRoot()
        for i in 0..<dim { out[r * dim + i] = Float(Double(xs[r * dim + i]) * inv * Double(ws?[i] ?? 1)) }
    }
    return Tensor(shape: x.shape, values: out)
}
