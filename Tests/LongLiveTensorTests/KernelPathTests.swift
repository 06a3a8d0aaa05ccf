import CLongLiveKernels
import LongLiveTensor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every op backed by the C SIMD kernels, checked against its double-precision reference on the
/// AVX2+FMA path and on the portable C path. `SIMDKernels.forcePortable` is process-wide, so these
/// tests run one at a time and always switch the default (AVX2 when available) back on.
///
/// Tolerances (see `nmse` and `maxRelativeError` in TestSupport.swift):
/// - NMSE ≤ 1e-12 (RMS relative error ≤ 1e-6 ≈ 17 float ulps): the kernels do O(1) float roundings
///   per output plus a float reduction over the row, and exp256's degree-6 polynomial has relative
///   error ≈ 1.2e-7, so a correct path lands near u² ≈ 1e-14 (measured ≤ 4.4e-14 on both paths);
///   a wrong coefficient, a skipped tail or a mis-indexed row is ≥ 1e-6.
/// - pointwise |a−b| ≤ 1e-5·max(|ref|, 1) (measured ≤ 6.6e-7): absorbs the float row statistics
///   (sums over ≤ 1001 elements, ~√n·u relative) and GELU's 1+tanh cancellation for very negative
///   inputs, where both paths lose relative (not absolute) accuracy, so a relative-only measure
///   would be meaningless there.
@Suite(.serialized)
struct KernelPathTests {
    static let nmseBound = 1e-12
    static let pointwiseBound = 1e-5

    /// Runs `body` on every path this CPU has (AVX-512, AVX2, portable), then restores the default.
    func onBothPaths(_ body: (String) throws -> Void) rethrows {
        defer { SIMDKernels.limitLevel(2) }
        SIMDKernels.limitLevel(2)
        let native = SIMDKernels.level
        for level in stride(from: native, through: 0, by: -1) {
            SIMDKernels.limitLevel(level)
            try body(["portable", "avx2", "avx512"][Int(level)])
        }
    }

    @Test func forcePortableSwitchesAndRestores() {
        SIMDKernels.forcePortable(false)
        let native = SIMDKernels.isAccelerated
        SIMDKernels.forcePortable(true)
        #expect(!SIMDKernels.isAccelerated)
        SIMDKernels.forcePortable(false)
        #expect(SIMDKernels.isAccelerated == native)
    }

    /// Inputs for the activations: N(0, 3²) plus values that reach exp's clamps and the tails.
    func activationInput(_ n: Int, seed: UInt64) -> Tensor {
        var rng = TestRNG(seed: seed)
        var v = rng.normals(n, scale: 3)
        let specials: [Float] = [0, -0.0, 1e-6, -1e-6, 0.5, -0.5, 5, -5, 12, -12, 40, -40, 87.5, -87.5, 100, -100]
        for (i, s) in specials.enumerated() where i * 5 < n { v[i * 5] = s }
        return Tensor(shape: [n], values: v)
    }

    // Sizes: below one SIMD vector, exactly one, one past, odd tails, and one big enough that
    // Parallel.forRanges splits it (grain 32768) at offsets that are not multiples of 8.
    static let activationSizes = [1, 7, 8, 9, 31, 1003, 70_001]

    @Test(arguments: activationSizes)
    func geluTanhMatchesReference(n: Int) {
        let x = activationInput(n, seed: 100 + UInt64(n))
        let before = x.scalars
        let ref = referenceGeluTanh(x)
        onBothPaths { path in
            let y = geluTanh(x)
            #expect(y.shape == x.shape)
            #expect(nmse(y, ref) <= Self.nmseBound, "gelu n=\(n) \(path): nmse \(nmse(y, ref))")
            #expect(maxRelativeError(y, ref) <= Self.pointwiseBound, "gelu n=\(n) \(path): \(maxRelativeError(y, ref))")
        }
        #expect(x.scalars == before, "geluTanh must not modify its input")
    }

    @Test(arguments: activationSizes)
    func siluMatchesReference(n: Int) {
        let x = activationInput(n, seed: 200 + UInt64(n))
        let before = x.scalars
        let ref = referenceSilu(x)
        onBothPaths { path in
            let y = silu(x)
            #expect(nmse(y, ref) <= Self.nmseBound, "silu n=\(n) \(path): nmse \(nmse(y, ref))")
            #expect(maxRelativeError(y, ref) <= Self.pointwiseBound, "silu n=\(n) \(path): \(maxRelativeError(y, ref))")
        }
        #expect(x.scalars == before, "silu must not modify its input")
    }

    /// (rows, width): one row, odd widths around the 8-wide vector, a wide row, and 1500×13 so the
    /// rows are split over threads (grain 8192/13 = 630 rows).
    static let normShapes: [(Int, Int)] = [(1, 1), (1, 7), (5, 3), (4, 8), (3, 13), (300, 69), (2, 1001), (1500, 13)]

    @Test(arguments: normShapes)
    func layerNormMatchesReference(rows: Int, width: Int) {
        // Offset mean and non-unit spread, so a missing mean subtraction or variance scale shows.
        let x = randomTensor([rows, width], seed: 300 + UInt64(rows * 7 + width), scale: 2, offset: 1.5)
        let w = randomTensor([width], seed: 301, scale: 0.5, offset: 1)
        let b = randomTensor([width], seed: 302)
        for (weight, bias) in [(nil, nil), (w, nil), (nil, b), (w, b)] as [(Tensor?, Tensor?)] {
            let ref = referenceLayerNorm(x, eps: 1e-6, weight: weight, bias: bias)
            onBothPaths { path in
                let y = layerNorm(x, eps: 1e-6, weight: weight, bias: bias)
                let tag = "layerNorm \(rows)x\(width) w:\(weight != nil) b:\(bias != nil) \(path)"
                #expect(y.shape == x.shape)
                if width == 1 {
                    // Zero variance: the normalised value is exactly 0, leaving the bias.
                    #expect(y.scalars == (bias?.scalars ?? [0]).flatMap { v in Array(repeating: v, count: rows) }, "\(tag)")
                } else {
                    #expect(nmse(y, ref) <= Self.nmseBound, "\(tag): nmse \(nmse(y, ref))")
                    #expect(maxRelativeError(y, ref) <= Self.pointwiseBound, "\(tag): \(maxRelativeError(y, ref))")
                }
            }
        }
    }

    @Test(arguments: normShapes)
    func rmsNormMatchesReference(rows: Int, width: Int) {
        let x = randomTensor([rows, width], seed: 400 + UInt64(rows * 7 + width), scale: 2, offset: 0.5)
        let w = randomTensor([width], seed: 401, scale: 0.5, offset: 1)
        for weight in [nil, w] as [Tensor?] {
            let ref = referenceRMSNorm(x, eps: 1e-6, weight: weight)
            onBothPaths { path in
                let y = rmsNorm(x, eps: 1e-6, weight: weight)
                let tag = "rmsNorm \(rows)x\(width) w:\(weight != nil) \(path)"
                #expect(nmse(y, ref) <= Self.nmseBound, "\(tag): nmse \(nmse(y, ref))")
                #expect(maxRelativeError(y, ref) <= Self.pointwiseBound, "\(tag): \(maxRelativeError(y, ref))")
            }
        }
    }

    /// (groups, groupRows, width); the last case has 2005 rows of width 9, so the parallel row
    /// ranges (grain 910) start and end inside groups.
    static let modulationShapes: [(Int, Int, Int)] = [(1, 1, 5), (3, 7, 13), (2, 4, 64), (5, 401, 9)]

    @Test(arguments: modulationShapes)
    func layerNormModulatedMatchesReferencePlusModulation(groups: Int, groupRows: Int, width: Int) {
        let rows = groups * groupRows
        let seed = UInt64(groups * 1000 + groupRows * 10 + width)
        let x = randomTensor([rows, width], seed: 500 + seed, scale: 1.5, offset: -0.7)
        let scale = randomTensor([groups, width], seed: 501 + seed, scale: 0.3)
        let shift = randomTensor([groups, width], seed: 502 + seed, scale: 0.3)
        let normed = referenceLayerNorm(x, eps: 1e-6).scalars
        let sc = scale.scalars, sh = shift.scalars
        var expected = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            let g = r / groupRows
            for j in 0..<width {
                expected[r * width + j] = Float(Double(normed[r * width + j]) * (1 + Double(sc[g * width + j])) + Double(sh[g * width + j]))
            }
        }
        let ref = Tensor(shape: [rows, width], values: expected)
        onBothPaths { path in
            let y = layerNormModulated(x, eps: 1e-6, scale: scale, shift: shift, groupRows: groupRows)
            let tag = "layerNormModulated \(groups)x\(groupRows)x\(width) \(path)"
            #expect(y.shape == x.shape)
            #expect(nmse(y, ref) <= Self.nmseBound, "\(tag): nmse \(nmse(y, ref))")
            #expect(maxRelativeError(y, ref) <= Self.pointwiseBound, "\(tag): \(maxRelativeError(y, ref))")
        }
    }

    /// The row softmax used inside attention, called directly on odd widths with a row stride.
    @Test(arguments: [1, 5, 8, 9, 31, 1003])
    func softmaxRowsMatchesReference(cols: Int) {
        let rows = 3, ld = cols + 3, scale: Float = 0.37
        var rng = TestRNG(seed: 600 + UInt64(cols))
        let input = rng.normals(rows * ld, scale: 6)
        var expected = input
        for r in 0..<rows {
            let row = (0..<cols).map { Double(input[r * ld + $0]) * Double(scale) }
            let m = row.max()!
            let z = row.reduce(0) { $0 + exp($1 - m) }
            for c in 0..<cols { expected[r * ld + c] = Float(exp(row[c] - m) / z) }
        }
        let ref = Tensor(shape: [rows * ld], values: expected)
        onBothPaths { path in
            var x = input
            x.withUnsafeMutableBufferPointer { ll_softmax_rows($0.baseAddress!, rows, cols, ld, scale) }
            let y = Tensor(shape: [rows * ld], values: x)
            #expect(nmse(y, ref) <= Self.nmseBound, "softmax cols=\(cols) \(path): nmse \(nmse(y, ref))")
            #expect(maxRelativeError(y, ref, floor: 1e-3) <= Self.pointwiseBound, "softmax cols=\(cols) \(path)")
            for r in 0..<rows {
                for c in cols..<ld { #expect(x[r * ld + c] == input[r * ld + c], "softmax wrote past the row (\(path))") }
            }
        }
    }
}
