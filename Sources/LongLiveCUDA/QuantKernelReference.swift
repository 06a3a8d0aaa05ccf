import LongLiveTensor
#if canImport(Glibc)
import Glibc
#endif

/// CPU references of the quantised-linear kernels (`Kernels/Quantization.swift`), in Swift, with
/// the same float operations in the same order, so a GPU session can compare the kernels' outputs
/// bit for bit (quantisation, dequantisation, the E4M3 codec) or to the last bf16 ulp (epilogues
/// with GELU, where `tanhf` may differ by an ulp).
public enum QuantKernelReference {
    /// `quantize_rows_int8` for one row: `scale = amax / 127`, `q = rint(x · (127 / amax))` (ties to
    /// even) clamped to ±127; an all-zero row gives scale 0 and zeros.
    public static func quantizeRowInt8(_ row: [Float]) -> (q: [Int8], scale: Float) {
        var amax: Float = 0
        for v in row { amax = max(amax, abs(v)) }
        let inv: Float = amax > 0 ? 127 / amax : 0
        let q = row.map { v in Int8(max(-127, min(127, (v * inv).rounded(.toNearestOrEven)))) }
        return (q, amax / 127)
    }

    /// `quantize_rows_e4m3` for one row: `scale = amax / 448`, `q = e4m3(x · (448 / amax))`.
    public static func quantizeRowE4M3(_ row: [Float]) -> (q: [UInt8], scale: Float) {
        var amax: Float = 0
        for v in row { amax = max(amax, abs(v)) }
        let inv: Float = amax > 0 ? E4M3.max / amax : 0
        return (row.map { E4M3.encode($0 * inv) }, amax / E4M3.max)
    }

    /// The epilogue of both W8A8 paths before the bf16 store: `acc · (sAct · sW) + bias`, the bias
    /// added by one fused multiply-add as the kernel's `__fmaf_rn`, then GELU (tanh) if asked.
    public static func rescale(acc: Float, sAct: Float, sW: Float, bias: Float?, gelu: Bool) -> Float {
        let s = sAct * sW
        let v = bias.map { $0.addingProduct(acc, s) } ?? acc * s
        return gelu ? geluTanh(v) : v
    }

    /// `int8_rescale_bf16` / `f32_rescale_bf16` over a row-major `[rows, cols]` accumulator: bf16 bits.
    /// `actStride` 1 for per-token scales, 0 for one per-tensor scale.
    public static func rescaleBF16(acc: [Float], rows: Int, cols: Int, sAct: [Float], actStride: Int, sW: [Float],
                                   bias: [Float]?, gelu: Bool) -> [UInt16] {
        precondition(acc.count == rows * cols && sW.count == cols)
        var out = [UInt16](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let v = rescale(acc: acc[r * cols + c], sAct: sAct[r * actStride], sW: sW[c], bias: bias?[c], gelu: gelu)
                out[r * cols + c] = BFloat16Bits.fromFloat(v)
            }
        }
        return out
    }

    /// `dequant_q8_0_bf16`: `bf16(q · f16 scale[r, c/32])`.
    public static func dequantQ8_0(q: [Int8], scales: [UInt16], rows: Int, cols: Int) -> [UInt16] {
        let blocks = cols / QuantScheme.blockSize
        return (0..<(rows * cols)).map { i in
            let r = i / cols, c = i % cols
            return BFloat16Bits.fromFloat(Float(q[i]) * Float16Bits.toFloat(scales[r * blocks + c / QuantScheme.blockSize]))
        }
    }

    /// `dequant_channel_bf16`: `bf16(q · scale[r])`.
    public static func dequantChannel(q: [Int8], scales: [Float], rows: Int, cols: Int) -> [UInt16] {
        (0..<(rows * cols)).map { i in BFloat16Bits.fromFloat(Float(q[i]) * scales[i / cols]) }
    }

    /// GELU, tanh approximation, in f32 as the kernels compute it.
    public static func geluTanh(_ v: Float) -> Float {
        let u: Float = 0.7978845608028654 * (v + 0.044715 * v * v * v)
        return 0.5 * v * (1 + tanhf(u))
    }
}

/// FP8 E4M3 as NVIDIA's `__nv_fp8_e4m3` (OCP "E4M3FN"): 1 sign, 4 exponent (bias 7), 3 mantissa
/// bits, no infinities, `S.1111.111` is NaN, largest finite ±448, subnormals `m · 2⁻⁹`.
/// The same bit operations as `f32_to_e4m3` / `e4m3_to_f32` in `longlive_quant.cuh`.
public enum E4M3 {
    public static let max: Float = 448

    /// Round to nearest even, saturating to ±448 (±∞ too); NaN → `0x7f | sign`.
    public static func encode(_ x: Float) -> UInt8 {
        let u = x.bitPattern
        let sign = UInt8(truncatingIfNeeded: (u >> 24) & 0x80)
        let a = u & 0x7fff_ffff
        if a > 0x7f80_0000 { return sign | 0x7f }
        if a >= 0x43e0_0000 { return sign | 0x7e }
        if a < 0x3c80_0000 {
            let m = (Float(bitPattern: a) * 512).rounded(.toNearestOrEven)
            return sign | UInt8(m)
        }
        let r = (a &+ 0x7ffff &+ ((a >> 20) & 1)) >> 20
        return sign | UInt8(truncatingIfNeeded: r - (120 << 3))
    }

    public static func decode(_ b: UInt8) -> Float {
        let sign = UInt32(b & 0x80) << 24
        let e = UInt32(b >> 3) & 0xf, m = UInt32(b & 7)
        if e == 15 && m == 7 { return Float(bitPattern: sign | 0x7fc0_0000) }
        if e == 0 { return Float(bitPattern: sign | (Float(m) * 0.001953125).bitPattern) }
        return Float(bitPattern: sign | ((e + 120) << 23) | (m << 20))
    }
}
