/// Element types a tensor can be stored in. Compute is always `float32`; the 16-bit float types are
/// storage formats that are widened on use, and the integer types carry indices and quantised data.
public enum DType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float64 = "F64"
    case int64 = "I64"
    case int32 = "I32"
    case int8 = "I8"
    case uint8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether values of this type can be widened to `Float` for compute.
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }
}

/// bfloat16 has no Swift type: values live in `UInt16` bit patterns.
public enum BFloat16Bits {
    /// Widens a bfloat16 bit pattern to `Float` (exact).
    @inline(__always) public static func toFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows with round-to-nearest-even, keeping NaN a NaN.
    @inline(__always) public static func fromFloat(_ value: Float) -> UInt16 {
        let b = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (b >> 16) | 0x40) }
        let rounding = ((b >> 16) & 1) &+ 0x7FFF
        return UInt16(truncatingIfNeeded: (b &+ rounding) >> 16)
    }
}

/// IEEE half precision through bit patterns, so the code does not depend on `Float16` availability.
public enum Float16Bits {
    /// Widens a binary16 bit pattern to `Float` (exact, subnormals included).
    @inline(__always) public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            let v = Float(mant) * (1.0 / 16_777_216.0)  // mant * 2^-24
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | (UInt32(exp + 112) << 23) | (mant << 13))
    }

    /// Narrows with round-to-nearest-even; overflow becomes infinity.
    public static func fromFloat(_ f: Float) -> UInt16 {
        let b = f.bitPattern
        let sign = UInt16((b >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let a = abs(f)
        if a >= 65520 { return sign | 0x7C00 }
        if a < 6.103_515_6e-05 {  // subnormal half: round a * 2^24 to an integer
            let m = (a * 16_777_216.0).rounded(.toNearestOrEven)
            return sign | UInt16(m)
        }
        let exp = Int((b >> 23) & 0xFF) - 127 + 15
        var mant = b & 0x7F_FFFF
        var e = UInt32(exp)
        let rest = mant & 0x1FFF
        mant >>= 13
        if rest > 0x1000 || (rest == 0x1000 && (mant & 1) == 1) {
            mant += 1
            if mant == 0x400 { mant = 0; e += 1 }
        }
        return sign | UInt16(e << 10) | UInt16(mant)
    }
}
