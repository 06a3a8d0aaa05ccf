import CLongLiveKernels
#if canImport(Glibc)
import Glibc
#endif

/// How ``quantizedLinear(_:weight:bias:kernel:)`` computes `x·Wᵀ + b` from int8 weights.
public enum QuantizedKernel: String, Sendable, CaseIterable {
    /// Dequantise tiles of W to float32 and run OpenBLAS SGEMM on them: activations stay float, so
    /// the result equals the float model run with the dequantised weights (true W8A16). Speed is
    /// SGEMM's; the win is memory (1.06 bytes per weight resident instead of 4).
    case dequantizedSGEMM = "sgemm"
    /// Quantise each activation row to int8 per block of 32 on the fly and run an
    /// int8 × int8 → int32 GEMM (AVX-512 VNNI `vpdpbusd`; AVX2 `vpmaddubsw`; portable C) with a
    /// float rescale per block. Adds the activation rounding error (≈ 0.3 % RMS per block).
    case int8 = "int8"

    /// The kernel used when none is named: `LONGLIVE_INT8_KERNEL` (`sgemm` or `int8`) if set, else
    /// ``preferred``. Settable (CLI `--int8-kernel`, benchmarks).
    nonisolated(unsafe) public static var current: QuantizedKernel = {
        if let s = getenv("LONGLIVE_INT8_KERNEL"), let k = QuantizedKernel(rawValue: String(cString: s)) { return k }
        return preferred
    }()

    /// The default: measured fastest on this project's CPU shapes (docs/benchmarks.md, "INT8").
    public static var preferred: QuantizedKernel { .int8 }

    /// Whether the int8 kernel runs on AVX-512 VNNI here (at the default SIMD level).
    public static var int8UsesVNNI: Bool { ll_quant_gemm_path() == 2 }

    /// Parses a kernel name; the error lists the names.
    public static func parse(_ name: String) throws -> QuantizedKernel {
        guard let k = QuantizedKernel(rawValue: name) else {
            throw LongLiveError("unknown int8 kernel \"\(name)\"; use \(allCases.map(\.rawValue).joined(separator: " or "))")
        }
        return k
    }
}

/// `y = x·Wᵀ + b` with an int8 weight (inference only: nothing is recorded on the autograd tape).
///
/// `x` may have any leading shape; its last dimension must equal `weight.inFeatures`.
public func quantizedLinear(_ x: Tensor, weight: QuantizedMatrix, bias: Tensor?,
                            kernel: QuantizedKernel = QuantizedKernel.current) -> Tensor {
    let outF = weight.outFeatures, inF = weight.inFeatures
    precondition(x.shape.last == inF, "quantized linear: input \(x.shape) does not end in \(inF)")
    if let b = bias { precondition(b.count == outF, "quantized linear: bias \(b.shape) for \(outF) outputs") }
    let rows = x.count / max(inF, 1)
    var outShape = x.shape
    outShape[outShape.count - 1] = outF
    let xf = x.float32(), b = bias?.float32()
    if rows == 0 { return Tensor(zeros: outShape) }
    let y: Tensor
    switch kernel {
    case .dequantizedSGEMM: y = dequantizedSGEMM(xf, weight, b, rows: rows, outShape: outShape)
    case .int8: y = int8GEMM(xf, weight, b, rows: rows, outShape: outShape)
    }
    withExtendedLifetime((xf, b, weight)) {}
    return y
}

/// Column tiles of W dequantised into a per-worker float buffer, each multiplied by all of `x`
/// with one single-threaded SGEMM. Tiles are large (≈ 16 MiB of floats) because OpenBLAS packs
/// all of `x` again for every call.
private func dequantizedSGEMM(_ x: Tensor, _ w: QuantizedMatrix, _ bias: Tensor?, rows: Int, outShape: [Int]) -> Tensor {
    let outF = w.outFeatures, inF = w.inFeatures
    let (scales, rowStride, blockStride) = w.floatScales()
    let workers = Parallel.workers
    let perWorker = ((outF + workers - 1) / workers + 15) / 16 * 16
    let byMemory = max(64, (4 << 20) / inF)
    let tile = max(1, min(perWorker, byMemory))
    let tiles = (outF + tile - 1) / tile
    let xp = x.floatPointer, sp = scales.floatPointer
    return Tensor(uninitialized: outShape) { out in
        let yp = out.baseAddress!
        w.data.withRawBytes { raw in
            let wp = raw.bindMemory(to: Int8.self).baseAddress!
            Parallel.forRanges(tiles, grain: 1) { range in
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tile * inF)
                defer { buffer.deallocate() }
                for t in range {
                    let o0 = t * tile, n = min(tile, outF - o0)
                    ll_q8_dequant_rows(wp + o0 * inF, sp + o0 * rowStride, rowStride, blockStride, n, inF, buffer)
                    if let bias {
                        let bp = bias.floatPointer + o0
                        for r in 0..<rows { (yp + r * outF + o0).update(from: bp, count: n) }
                    }
                    BLAS.sgemm(transB: true, m: rows, n: n, k: inF, a: xp, lda: inF, b: buffer, ldb: inF,
                               beta: bias == nil ? 0 : 1, c: yp + o0, ldc: outF)
                }
            }
        }
    }
}

/// Activations quantised per row and block of 32 into the packed layout, weights prepared per call
/// (float scale and the +128 offset correction per block), then the int8 GEMM split by outputs.
private func int8GEMM(_ x: Tensor, _ w: QuantizedMatrix, _ bias: Tensor?, rows: Int, outShape: [Int]) -> Tensor {
    let outF = w.outFeatures, inF = w.inFeatures, blocks = inF / QuantScheme.blockSize
    let padded = (rows + 15) / 16 * 16
    let (scales, rowStride, blockStride) = w.floatScales()
    let xq = UnsafeMutablePointer<UInt8>.allocate(capacity: padded * inF)
    let xs = UnsafeMutablePointer<Float>.allocate(capacity: padded * blocks)
    let ws = UnsafeMutablePointer<Float>.allocate(capacity: outF * blocks)
    let corr = UnsafeMutablePointer<Int32>.allocate(capacity: outF * blocks)
    defer { xq.deallocate(); xs.deallocate(); ws.deallocate(); corr.deallocate() }
    let xp = x.floatPointer, sp = scales.floatPointer
    Parallel.forRanges(padded / 16, grain: max(1, 4096 / inF)) { r in
        ll_q8_quantize_rows(xp, rows, inF, r.lowerBound * 16, r.upperBound * 16, xq, xs)
    }
    return Tensor(uninitialized: outShape) { out in
        let yp = out.baseAddress!
        w.data.withRawBytes { raw in
            let wp = raw.bindMemory(to: Int8.self).baseAddress!
            Parallel.forRanges(outF, grain: max(1, 65536 / inF)) { r in
                ll_q8_gemm_prepare(wp, sp, rowStride, blockStride, r.lowerBound, r.upperBound, inF, ws, corr)
            }
            // Output chunks of 48 (a multiple of the kernel's 6-wide register tile).
            let chunk = 48, chunks = (outF + chunk - 1) / chunk
            let bp = bias.map { $0.floatPointer }
            Parallel.forRanges(chunks, grain: 1) { r in
                let o0 = r.lowerBound * chunk, o1 = min(outF, r.upperBound * chunk)
                ll_q8_gemm(xq, xs, rows, inF, wp, ws, corr, o0, o1, bp, yp, outF)
            }
        }
    }
}
