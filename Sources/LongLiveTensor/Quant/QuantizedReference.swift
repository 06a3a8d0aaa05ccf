/// Readable references for the int8 kernels (plain Swift, double accumulation). The fast paths in
/// QuantizedLinear.swift / quant.c are tested against these.

extension QuantizedMatrix {
    /// `q · scale` computed in Swift from the stored tensors (reference for ``dequantized()``).
    public func referenceDequantized() -> Tensor {
        let q = data.integers, s = scales.scalars
        let out = outFeatures, inputs = inFeatures, bs = QuantScheme.blockSize
        var v = [Float](repeating: 0, count: out * inputs)
        for o in 0..<out {
            for i in 0..<inputs {
                let scale = scheme == .q8_0 ? s[o * (inputs / bs) + i / bs] : s[o]
                v[o * inputs + i] = Float(q[o * inputs + i]) * scale
            }
        }
        return Tensor(shape: [out, inputs], values: v)
    }
}

/// W8A16 reference: the weight dequantised, then `x·Wᵀ + b` in double precision. This is what the
/// stored checkpoint means; ``QuantizedKernel/dequantizedSGEMM`` computes it up to float rounding.
public func referenceQuantizedLinear(_ x: Tensor, weight: QuantizedMatrix, bias: Tensor?) -> Tensor {
    referenceLinear(x.float32(), weight: weight.referenceDequantized(), bias: bias?.float32())
}

/// One activation row block quantised as the int8 kernel does: `scale = amax / 127`,
/// `q = round(x · (127 / amax))` (ties to even), clamped to ±127. Same float operations as
/// `ll_q8_quantize_rows`, so the integers agree exactly.
public func referenceQuantizeActivationBlock(_ x: ArraySlice<Float>) -> (q: [Int], scale: Float) {
    var amax: Float = 0
    for v in x { amax = max(amax, abs(v)) }
    let inv: Float = amax > 0 ? 127 / amax : 0
    let q = x.map { v -> Int in Int(max(-127, min(127, (v * inv).rounded(.toNearestOrEven)))) }
    return (q, amax / 127)
}

/// W8A8-dynamic reference for ``QuantizedKernel/int8``: each activation row quantised per block
/// of 32, integer block dot products, then `Σ_b dot_b · scale_x · scale_w + bias` in double.
public func referenceInt8ActivationLinear(_ x: Tensor, weight: QuantizedMatrix, bias: Tensor?) -> Tensor {
    let outF = weight.outFeatures, inF = weight.inFeatures, bs = QuantScheme.blockSize, nb = inF / bs
    let rows = x.count / inF
    let xs = x.scalars, q = weight.data.integers, s = weight.scales.scalars, b = bias?.scalars
    var out = [Float](repeating: 0, count: rows * outF)
    for r in 0..<rows {
        let blocks = (0..<nb).map { referenceQuantizeActivationBlock(xs[(r * inF + $0 * bs)..<(r * inF + ($0 + 1) * bs)]) }
        for o in 0..<outF {
            var acc = b.map { Double($0[o]) } ?? 0
            for blk in 0..<nb {
                var dot = 0
                for j in 0..<bs { dot += blocks[blk].q[j] * q[o * inF + blk * bs + j] }
                let sw = weight.scheme == .q8_0 ? s[o * nb + blk] : s[o]
                acc += Double(dot) * Double(blocks[blk].scale) * Double(sw)
            }
            out[r * outF + o] = Float(acc)
        }
    }
    var shape = x.shape
    shape[shape.count - 1] = outF
    return Tensor(shape: shape, values: out)
}
