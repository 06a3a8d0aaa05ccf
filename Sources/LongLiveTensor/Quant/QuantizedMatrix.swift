import CLongLiveKernels

/// A weight matrix `[out, in]` stored as int8 values plus scales (see ``QuantScheme``), in the
/// natural row-major layout that is also written to safetensors (`…weight` I8 + `…weight_scale`).
///
/// The kernels read this layout directly (activations are packed per call instead), so loading a
/// quantised checkpoint maps it without any repacking.
public struct QuantizedMatrix: @unchecked Sendable {
    public let scheme: QuantScheme
    /// int8 `[out, in]`.
    public let data: Tensor
    /// `scheme.scaleShape(out:in:)` in `scheme.scaleDType`.
    public let scales: Tensor

    public var outFeatures: Int { data.shape[0] }
    public var inFeatures: Int { data.shape[1] }
    /// Bytes held: int8 values plus scales.
    public var byteCount: Int { data.count + scales.count * scales.dtype.size }

    /// Wraps stored tensors after checking them; `name` is used in error messages (e.g. the
    /// checkpoint tensor name), so a bad file names the tensor and how to fix it.
    public init(data: Tensor, scales: Tensor, scheme: QuantScheme, name: String = "weight") throws {
        guard data.dtype == .int8, data.rank == 2 else {
            throw LongLiveError("\(name): a quantised weight must be I8 [out, in], got \(data.dtype.rawValue) \(data.shape)")
        }
        let out = data.shape[0], inputs = data.shape[1]
        guard inputs % QuantScheme.blockSize == 0 else {
            throw LongLiveError("\(name): input width \(inputs) is not a multiple of \(QuantScheme.blockSize), which the int8 kernels need")
        }
        let expected = scheme.scaleShape(out: out, in: inputs)
        guard scales.shape == expected, scales.dtype == scheme.scaleDType else {
            throw LongLiveError("\(name)\(QuantScheme.scaleSuffix) has \(scales.dtype.rawValue) \(scales.shape), but scheme \(scheme.rawValue) needs \(scheme.scaleDType.rawValue) \(expected) for a weight \(data.shape); the file is inconsistent: re-run `longlive quantize` on the float weights")
        }
        // -128 never comes out of the quantiser; rejecting it keeps every kernel path exact
        // (the AVX2 path negates weights).
        let bad = data.withRawBytes { raw -> Int? in
            let p = raw.bindMemory(to: Int8.self)
            for i in 0..<p.count where p[i] == -128 { return i }
            return nil
        }
        if let bad {
            throw LongLiveError("\(name) holds the value -128 at element \(bad) (row \(bad / inputs)); symmetric int8 uses [-127, 127]: re-run `longlive quantize` on the float weights")
        }
        if let f = scales.float32().firstNonFinite() {
            throw LongLiveError("\(name)\(QuantScheme.scaleSuffix) holds a non-finite scale at element \(f)")
        }
        self.data = data
        self.scales = scales
        self.scheme = scheme
    }

    /// Quantises a float weight `[out, in]` (any float dtype; `in` a multiple of 32).
    ///
    /// Each group's scale is rounded (up) to its stored type *first* and the values are quantised
    /// with that rounded scale, so `q · scale` reproduces the weight to within half a step.
    public init(quantizing weight: Tensor, scheme: QuantScheme, name: String = "weight") throws {
        guard weight.rank == 2, weight.dtype.isFloatingPoint else {
            throw LongLiveError("\(name): only float matrices [out, in] can be quantised, got \(weight.dtype.rawValue) \(weight.shape)")
        }
        let out = weight.shape[0], inputs = weight.shape[1], bs = QuantScheme.blockSize
        guard inputs % bs == 0 else {
            throw LongLiveError("\(name): input width \(inputs) is not a multiple of \(bs); it cannot be quantised in blocks of \(bs)")
        }
        let w = weight.float32()
        if let f = w.firstNonFinite() { throw LongLiveError("\(name) holds a non-finite value at element \(f); it cannot be quantised") }
        let groupWidth = scheme == .q8_0 ? bs : inputs
        let groupsPerRow = inputs / groupWidth
        let q = TensorStorage(uninitializedBytes: out * inputs)
        let s = TensorStorage(uninitializedBytes: out * groupsPerRow * scheme.scaleDType.size)
        let qp = q.base.assumingMemoryBound(to: Int8.self)
        let wp = w.floatPointer
        Parallel.forRanges(out, grain: max(1, 65536 / inputs)) { range in
            for o in range {
                for g in 0..<groupsPerRow {
                    let base = o * inputs + g * groupWidth
                    var amax: Float = 0
                    for j in 0..<groupWidth { amax = max(amax, abs(wp[base + j])) }
                    var scale = amax / 127
                    if scheme == .q8_0 {
                        // Rounded up, never down: then |w / scale| ≤ 127 needs no clamping, and
                        // the half-step bound holds even where the scale is an f16 subnormal
                        // (blocks with max |w| < 7.8e-3, whose scale has only a few bits).
                        var bits = Float16Bits.fromFloat(scale)
                        if Float16Bits.toFloat(bits) < scale { bits += 1 }
                        s.base.storeBytes(of: bits, toByteOffset: (o * groupsPerRow + g) * 2, as: UInt16.self)
                        scale = Float16Bits.toFloat(bits)
                    } else {
                        s.base.storeBytes(of: scale, toByteOffset: o * 4, as: Float.self)
                    }
                    let inv: Float = scale > 0 ? 1 / scale : 0
                    for j in 0..<groupWidth {
                        let v = (wp[base + j] * inv).rounded(.toNearestOrEven)
                        qp[base + j] = Int8(max(-127, min(127, v)))
                    }
                }
            }
        }
        withExtendedLifetime(w) {}
        data = Tensor(shape: [out, inputs], dtype: .int8, storage: q)
        scales = Tensor(shape: scheme.scaleShape(out: out, in: inputs), dtype: scheme.scaleDType, storage: s)
        self.scheme = scheme
    }

    /// One float32 scale per (output, block of 32) as the kernels read it: for `.q8_0` the widened
    /// `[out, in/32]` scales; for `.channel` the `[out]` scales (block stride 0).
    /// Returns the scales and their (row, block) strides.
    public func floatScales() -> (scales: Tensor, rowStride: Int, blockStride: Int) {
        switch scheme {
        case .q8_0:
            let n = scales.count
            let f = Tensor(uninitialized: scales.shape) { out in
                scales.withRawBytes { raw in
                    ll_f16_to_f32(raw.bindMemory(to: UInt16.self).baseAddress!, out.baseAddress!, n)
                }
            }
            return (f, inFeatures / QuantScheme.blockSize, 1)
        case .channel:
            return (scales, 1, 0)
        }
    }

    /// The float32 matrix `q · scale` (exact: an int8 times a float is representable).
    public func dequantized() -> Tensor {
        let (s, rowStride, blockStride) = floatScales()
        let out = outFeatures, inputs = inFeatures
        return Tensor(uninitialized: [out, inputs]) { dst in
            data.withRawBytes { raw in
                ll_q8_dequant_rows(raw.bindMemory(to: Int8.self).baseAddress!, s.floatPointer, rowStride, blockStride,
                                   out, inputs, dst.baseAddress!)
            }
        }
    }
}
