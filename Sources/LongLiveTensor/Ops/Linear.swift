/// y = x·Wᵀ + b, the PyTorch `nn.Linear` convention (`weight` is `[out, in]`).
///
/// `x` may have any leading shape; its last dimension must equal `in`. A 16-bit weight is widened
/// to float32 for the call.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
    let outF = weight.shape[0], inF = weight.shape[1]
    precondition(x.shape.last == inF, "linear: input \(x.shape) does not end in \(inF)")
    if let b = bias { precondition(b.count == outF, "linear: bias \(b.shape) for \(outF) outputs") }
    let rows = x.count / max(inF, 1)
    let w = weight.float32()
    var outShape = x.shape
    outShape[outShape.count - 1] = outF
    // The bias is written first and accumulated into (beta = 1): one pass over the output instead
    // of a clear, the product and a separate bias pass.
    let b = bias?.float32()
    let y = Tensor(uninitialized: outShape) { out in
        let yp = out.baseAddress!
        if let b {
            let bp = b.floatPointer
            Parallel.forRanges(rows, grain: max(1, 16384 / max(outF, 1))) { r in
                for i in r { (yp + i * outF).update(from: bp, count: outF) }
            }
        }
        x.withFloats { xp in
            w.withFloats { wp in
                BLAS.parallelSgemm(transB: true, m: rows, n: outF, k: inF, a: xp.baseAddress!, lda: inF,
                           b: wp.baseAddress!, ldb: inF, beta: b == nil ? 0 : 1, c: yp, ldc: outF)
            }
        }
    }
    withExtendedLifetime(b) {}
    return Tape.record(y, inputs: [x, weight, bias], label: "linear") { g, needs in
        let dx = needs[0] ? GradientKernels.matmul(g, w, m: rows, n: inF, k: outF).reshaped(x.shape) : nil
        let dw = needs[1] ? GradientKernels.matmul(g, x, m: outF, n: inF, k: rows, transA: true) : nil
        let db = needs[2] ? GradientKernels.groupSums(g, dim: outF, groupRows: rows).reshaped([outF]) : nil
        return [dx, dw, db]
    }
}

/// The readable reference for ``linear(_:weight:bias:)``: a triple loop in double precision.
public func referenceLinear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let outF = weight.shape[0], inF = weight.shape[1]
    let rows = x.count / inF
    let xs = x.scalars, ws = weight.scalars, bs = bias?.scalars
    var out = [Float](repeating: 0, count: rows * outF)
    for r in 0..<rows {
        for o in 0..<outF {
            var acc: Double = bs.map { Double($0[o]) } ?? 0
            for i in 0..<inF { acc += Double(xs[r * inF + i]) * Double(ws[o * inF + i]) }
            out[r * outF + o] = Float(acc)
        }
    }
    var shape = x.shape
    shape[shape.count - 1] = outF
    return Tensor(shape: shape, values: out)
}
