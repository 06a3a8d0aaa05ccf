import LongLiveTensor
import Testing

/// bfloat16 / float16 bit conversions and `Tensor.converted(to:)`.
struct DTypeTests {
    @Test func sizesAndRawValues() {
        #expect(DType.allCases.map(\.size) == [4, 2, 2, 8, 8, 4, 1, 1, 1])
        #expect(DType(rawValue: "BF16") == .bfloat16 && DType(rawValue: "F16") == .float16 && DType(rawValue: "I64") == .int64)
        #expect(DType.bfloat16.isFloatingPoint && !DType.int64.isFloatingPoint)
    }

    // MARK: bfloat16

    /// Widening is a shift: exact for all 65 536 patterns, and narrowing gives the pattern back
    /// (NaNs stay NaN).
    @Test func bfloat16WideningIsExactAndRoundTrips() {
        var failures: [UInt16] = []  // collected, so the 65 536-case loop stays cheap in a debug build
        for bits in 0...UInt16.max {
            let f = BFloat16Bits.toFloat(bits)
            if f.bitPattern != UInt32(bits) << 16 { failures.append(bits) }
            let back = BFloat16Bits.fromFloat(f)
            if f.isNaN {
                // NaN stays NaN with its sign.
                if !BFloat16Bits.toFloat(back).isNaN || back & 0x8000 != bits & 0x8000 { failures.append(bits) }
            } else if back != bits {
                failures.append(bits)
            }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(5))")
    }

    /// For every finite positive bf16 h (subnormals included), the float exactly halfway to h+1
    /// rounds to the even one of the two, and one float ulp either side rounds to the nearer one.
    @Test func bfloat16NarrowingRoundsToNearestEven() {
        var failures = 0
        for h in UInt32(0)..<0x7F80 {
            let tie = (h << 16) | 0x8000
            let even = UInt16(h & 1 == 0 ? h : h + 1)
            for sign: UInt32 in [0, 0x8000_0000] {
                let s16 = UInt16(sign >> 16)
                if BFloat16Bits.fromFloat(Float(bitPattern: sign | tie)) != s16 | even { failures += 1 }
                if BFloat16Bits.fromFloat(Float(bitPattern: sign | (tie - 1))) != s16 | UInt16(h) { failures += 1 }
                if BFloat16Bits.fromFloat(Float(bitPattern: sign | (tie + 1))) != s16 | UInt16(h + 1) { failures += 1 }
            }
        }
        #expect(failures == 0)
        // Spot values: 1 + 2⁻⁸ is the tie between 1 and 1 + 2⁻⁷.
        #expect(BFloat16Bits.fromFloat(1 + 0x1p-8) == 0x3F80)
        #expect(BFloat16Bits.fromFloat(1 + 3 * 0x1p-8) == 0x3F82)
        #expect(BFloat16Bits.fromFloat(-(1 + 3 * 0x1p-8)) == 0xBF82)
        #expect(BFloat16Bits.fromFloat(3.140625) == 0x4049)
    }

    @Test func bfloat16SpecialValues() {
        #expect(BFloat16Bits.fromFloat(.infinity) == 0x7F80)
        #expect(BFloat16Bits.fromFloat(-.infinity) == 0xFF80)
        #expect(BFloat16Bits.fromFloat(0) == 0x0000)
        #expect(BFloat16Bits.fromFloat(-0.0) == 0x8000)
        // Overflow: above the tie between the largest finite bf16 (0x7F7F) and 2¹²⁸ → inf.
        #expect(BFloat16Bits.fromFloat(.greatestFiniteMagnitude) == 0x7F80)
        #expect(BFloat16Bits.fromFloat(Float(bitPattern: 0x7F7F_7FFF)) == 0x7F7F)
        #expect(BFloat16Bits.fromFloat(Float(bitPattern: 0x7F7F_8000)) == 0x7F80)  // tie, 0x7F7F is odd
        // NaN stays NaN, including a signalling NaN whose payload is only in the dropped low bits.
        for nanBits: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF] {
            let b = BFloat16Bits.fromFloat(Float(bitPattern: nanBits))
            #expect(BFloat16Bits.toFloat(b).isNaN, "\(nanBits) → \(b)")
        }
        // Subnormals: the smallest float subnormal rounds to 0, bf16 subnormals widen exactly.
        #expect(BFloat16Bits.fromFloat(Float(bitPattern: 1)) == 0)
        #expect(BFloat16Bits.fromFloat(Float(bitPattern: 0x0001_8000)) == 0x0002)
        #expect(BFloat16Bits.toFloat(0x0001) == Float(bitPattern: 0x0001_0000))
        #expect(BFloat16Bits.toFloat(0x0001).isSubnormal)
    }

    // MARK: float16

    /// Every f16 pattern widens exactly; checked against Swift's own `Float16` where the platform has it.
    @Test func float16WideningIsExact() {
        var failures: [UInt16] = []
        for bits in 0...UInt16.max {
            let f = Float16Bits.toFloat(bits)
            let exp = (bits >> 10) & 0x1F, mant = bits & 0x3FF
            let sign: Float = bits & 0x8000 != 0 ? -1 : 1
            let expected: Float
            if exp == 0x1F { expected = mant == 0 ? sign * .infinity : .nan }
            else if exp == 0 { expected = sign * Float(mant) * 0x1p-24 }
            else { expected = sign * (1 + Float(mant) * 0x1p-10) * Float(sign: .plus, exponent: Int(exp) - 15, significand: 1) }
            if expected.isNaN ? !f.isNaN : f.bitPattern != expected.bitPattern { failures.append(bits) }
            #if !(os(macOS) && arch(x86_64))
            let native = Float(Float16(bitPattern: bits))
            if native.isNaN ? !f.isNaN : native.bitPattern != f.bitPattern { failures.append(bits) }
            #endif
            if !f.isNaN, Float16Bits.fromFloat(f) != bits { failures.append(bits) }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(5))")
    }

    /// Ties (exactly halfway between neighbouring f16 values, subnormal and normal) go to the even
    /// pattern; one float ulp either side goes to the nearer one.
    @Test func float16NarrowingRoundsToNearestEven() {
        var failures: [UInt16] = []
        for h in UInt16(0)..<0x7C00 {
            let lo = Double(Float16Bits.toFloat(h))
            let hi = h == 0x7BFF ? 65536.0 : Double(Float16Bits.toFloat(h + 1))
            let tie = Float((lo + hi) / 2)  // exact: 12 significant bits
            let even: UInt16 = h & 1 == 0 ? h : h + 1
            for sign: UInt16 in [0, 0x8000] {
                let s: Float = sign == 0 ? 1 : -1
                if Float16Bits.fromFloat(s * tie) != sign | even { failures.append(h) }
                if Float16Bits.fromFloat(s * tie.nextDown) != sign | h { failures.append(h) }
                if Float16Bits.fromFloat(s * tie.nextUp) != sign | (h + 1) { failures.append(h) }
            }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(5))")
        #expect(Float16Bits.fromFloat(1 + 0x1p-11) == 0x3C00)
        #expect(Float16Bits.fromFloat(1 + 3 * 0x1p-11) == 0x3C02)
        #expect(Float16Bits.fromFloat(0x1p-25) == 0x0000)       // tie between 0 and the smallest subnormal
        #expect(Float16Bits.fromFloat(3 * 0x1p-25) == 0x0002)   // tie between subnormals 1 and 2
        #expect(Float16Bits.fromFloat(1023.5 * 0x1p-24) == 0x0400)  // largest subnormal ↔ smallest normal
        #expect(Float16Bits.fromFloat(0x1p-14) == 0x0400)
    }

    @Test func float16SpecialValuesAndOverflow() {
        #expect(Float16Bits.fromFloat(65504) == 0x7BFF)
        #expect(Float16Bits.fromFloat(65519.996) == 0x7BFF)
        #expect(Float16Bits.fromFloat(65520) == 0x7C00)
        #expect(Float16Bits.fromFloat(1e10) == 0x7C00)
        #expect(Float16Bits.fromFloat(-1e10) == 0xFC00)
        #expect(Float16Bits.fromFloat(.infinity) == 0x7C00)
        #expect(Float16Bits.fromFloat(-.infinity) == 0xFC00)
        #expect(Float16Bits.fromFloat(-0.0) == 0x8000)
        #expect(Float16Bits.fromFloat(1e-10) == 0x0000)
        #expect(Float16Bits.toFloat(Float16Bits.fromFloat(.nan)).isNaN)
        #expect(Float16Bits.toFloat(Float16Bits.fromFloat(-Float.nan)).isNaN)
        #expect(Float16Bits.toFloat(0x7C00) == .infinity && Float16Bits.toFloat(0xFC00) == -.infinity)
        #expect(Float16Bits.toFloat(0x0001) == 0x1p-24)
        #expect(Float16Bits.toFloat(0x8001) == -0x1p-24)
    }

    #if !(os(macOS) && arch(x86_64))
    /// Random float bit patterns (all exponents, NaNs included) narrow exactly like Swift's `Float16(Float)`.
    @Test func float16NarrowingAgreesWithNativeFloat16() {
        var rng = TestRNG(seed: 42)
        var mismatches = 0
        for _ in 0..<200_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            let ours = Float16Bits.fromFloat(f)
            let native = Float16(f)
            if native.isNaN ? !Float16Bits.toFloat(ours).isNaN : native.bitPattern != ours { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
    #endif

    // MARK: tensors

    @Test func convertedRoundTrip() {
        let values: [Float] = [0, -0.0, 1, -2.5, 3.14159, 1e-3, -7e4, 65504, 1e-6, 0x1p-130, 1e30]
        let x = Tensor(shape: [values.count], values: values)
        let bf = x.converted(to: .bfloat16), hf = x.converted(to: .float16)
        #expect(bf.dtype == .bfloat16 && hf.dtype == .float16 && bf.shape == x.shape)
        #expect(bf.withRawBytes { $0.count } == values.count * 2)
        let bfBack = bf.float32().scalars, hfBack = hf.float32().scalars
        for (i, v) in values.enumerated() {
            // bf16 keeps 8 significant bits: unit roundoff 2⁻⁸ relative for normal values.
            #expect(abs(bfBack[i] - v) <= abs(v) * 0x1p-8 || (v.magnitude < 1e-37 && abs(bfBack[i] - v) < 1e-40), "bf16 \(v) → \(bfBack[i])")
            #expect(bfBack[i] == BFloat16Bits.toFloat(BFloat16Bits.fromFloat(v)))
            #expect(hfBack[i] == Float16Bits.toFloat(Float16Bits.fromFloat(v)))
        }
        // f16: 11 significant bits (unit roundoff 2⁻¹¹) in range, inf beyond 65504.
        #expect(abs(hfBack[4] - 3.14159) <= 3.14159 * 0x1p-11)
        #expect(hfBack[6] == -.infinity && hfBack[7] == 65504 && hfBack[10] == .infinity)
        // Narrowing an already-rounded tensor again is the identity; bf16 → f16 goes through f32.
        #expect(bf.float32().converted(to: .bfloat16).withRawBytes { Array($0) } == bf.withRawBytes { Array($0) })
        #expect(bf.converted(to: .float16).scalars == bf.scalars.map { Float16Bits.toFloat(Float16Bits.fromFloat($0)) })
        #expect(x.converted(to: .float32).scalars == values)
        #expect(hf.converted(to: .float16).withRawBytes { Array($0) } == hf.withRawBytes { Array($0) })
        #expect(bf.scalars == bfBack)  // `scalars` widens
    }
}
