import LongLiveTensor
import Testing

/// Ops that do not go through the C kernels: `linear` (OpenBLAS SGEMM), `gatedResidual`, `add`.
///
/// Tolerance for `linear`: each output is a float dot product of length k ≤ 129; the rounding error
/// grows like u·√k relative to the output scale (u = 2⁻²⁴), i.e. ≤ 1e-6, NMSE ~1e-13 (measured
/// values are in the messages). Bounds: NMSE ≤ 1e-11, max |a−b|/max|ref| ≤ 1e-5. Transposing the
/// weight, dropping the bias or mixing rows gives errors of order 1.
struct SwiftOpsTests {
    /// (input shape, out features): one row, odd widths, a 3-d input, a wider one.
    static let linearCases: [([Int], Int)] = [([1, 1], 1), ([1, 13], 5), ([7, 9], 17), ([2, 3, 31], 11), ([65, 129], 33)]

    @Test(arguments: linearCases)
    func linearMatchesReference(inputShape: [Int], outFeatures: Int) {
        let inF = inputShape.last!
        let seed = UInt64(inputShape.reduce(1, *) * 100 + outFeatures)
        let x = randomTensor(inputShape, seed: 900 + seed)
        let w = randomTensor([outFeatures, inF], seed: 901 + seed, scale: 0.3)
        let b = randomTensor([outFeatures], seed: 902 + seed)
        var outShape = inputShape
        outShape[outShape.count - 1] = outFeatures
        for bias in [nil, b] as [Tensor?] {
            let ref = referenceLinear(x, weight: w, bias: bias)
            let y = linear(x, weight: w, bias: bias)
            let tag = "linear \(inputShape)→\(outFeatures) bias:\(bias != nil)"
            #expect(y.shape == outShape)
            #expect(nmse(y, ref) <= 1e-11, "\(tag): nmse \(nmse(y, ref))")
            #expect(y.relativeError(to: ref) <= 1e-5, "\(tag): \(y.relativeError(to: ref))")
        }
    }

    /// A bf16 weight is widened exactly, so the result must match the reference on the widened weight,
    /// and differ from the float weight's result by about the bf16 rounding (≤ 2⁻⁸ relative per weight).
    @Test func linearWithBFloat16Weight() {
        let x = randomTensor([6, 37], seed: 910)
        let w = randomTensor([19, 37], seed: 911, scale: 0.3)
        let b = randomTensor([19], seed: 912).converted(to: .bfloat16)
        let wb = w.converted(to: .bfloat16)
        #expect(wb.dtype == .bfloat16)
        let y = linear(x, weight: wb, bias: b)
        let ref = referenceLinear(x, weight: wb.float32(), bias: b.float32())
        #expect(y.dtype == .float32 && y.shape == [6, 19])
        #expect(nmse(y, ref) <= 1e-11, "nmse \(nmse(y, ref))")
        #expect(y.relativeError(to: ref) <= 1e-5)
        // Against the float weight: the bf16 rounding must be visible but small.
        let yFull = linear(x, weight: w, bias: b.float32())
        let diff = y.relativeError(to: yFull)
        #expect(diff > 0 && diff < 2e-2, "bf16 weight vs f32 weight: \(diff)")
    }

    /// (groups, groupRows, width); the last case has 2600 rows of width 13 so rows are split over
    /// threads (grain 16384/13 = 1260) across group boundaries. The fast path does x + y·g in float,
    /// the check does it in double and rounds: at most one extra rounding, ≤ 2u relative to |x|+|y·g|.
    @Test(arguments: [(1, 1, 1), (2, 3, 7), (3, 5, 16), (4, 650, 13)] as [(Int, Int, Int)])
    func gatedResidualMatchesManual(groups: Int, groupRows: Int, width: Int) {
        let rows = groups * groupRows
        let seed = UInt64(groups * 1000 + groupRows * 10 + width)
        let x = randomTensor([rows, width], seed: 920 + seed)
        let y = randomTensor([rows, width], seed: 921 + seed)
        let gate = randomTensor([groups, width], seed: 922 + seed)
        let xs = x.scalars, ys = y.scalars, gs = gate.scalars
        let out = gatedResidual(x, y, gate: gate, groupRows: groupRows)
        #expect(out.shape == x.shape)
        let os = out.scalars
        var worst = 0.0  // error in units of u·(|x| + |y·g|): two float roundings allow ≤ 2
        for r in 0..<rows {
            for j in 0..<width {
                let i = r * width + j
                let g = Double(gs[(r / groupRows) * width + j])
                let exact = Double(xs[i]) + Double(ys[i]) * g
                let scale = 0x1p-24 * (abs(Double(xs[i])) + abs(Double(ys[i]) * g))
                worst = max(worst, abs(Double(os[i]) - exact) / max(scale, .leastNormalMagnitude))
            }
        }
        #expect(worst <= 2.001, "gatedResidual error \(worst) u")
        #expect(x.scalars == xs, "gatedResidual must not modify its input")
    }

    @Test func addIsElementwiseAndLeavesInputs() {
        let a = randomTensor([3, 70_001], seed: 930)  // large enough to be split over threads
        let b = randomTensor([3, 70_001], seed: 931)
        let sa = a.scalars, sb = b.scalars
        let c = add(a, b)
        #expect(c.shape == a.shape)
        let sc = c.scalars
        #expect((0..<sa.count).allSatisfy { sc[$0] == sa[$0] + sb[$0] })
        #expect(a.scalars == sa && b.scalars == sb)
    }
}
