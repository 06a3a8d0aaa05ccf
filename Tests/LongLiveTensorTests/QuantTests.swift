import LongLiveTensor
import Testing

/// The int8 weight schemes and kernels, every SIMD path against the Swift references.
///
/// Bounds (NMSE as in TestSupport.swift: squared RMS relative error):
/// - fast path vs the reference *of the same computation* (SGEMM kernel vs dequantise + double dot;
///   int8 kernel vs the W8A8 reference): the integer block dots are exact, what remains is float
///   rounding of ≤ 256-term sums and one scale product per block: RMS relative ≲ √K·u ≈ 1e-6, so
///   NMSE ≤ 1e-10 leaves two orders of margin, while a wrong block, scale or tail gives ≥ 1e-4.
/// - int8 kernel vs the W8A16 reference: the activation rounding error is uniform within ±s/2 with
///   s = amax/127 per block; for Gaussian blocks of 32, amax ≈ 2.5σ, so the RMS relative error is
///   ≈ 2.5/127/√12 ≈ 0.57 % → NMSE ≈ 3e-5; bound 1e-4.
/// - quantised vs float weights: the same argument for the weights (q8_0 ≈ 3e-5; per-channel rows
///   of K Gaussians have amax ≈ 3-3.5σ → ≈ 6e-5); bound 2e-4.
@Suite(.serialized)
struct QuantTests {
    /// Runs `body` on every kernel path this CPU has, then restores the default.
    func onEveryPath(_ body: (String) throws -> Void) rethrows {
        defer { SIMDKernels.limitLevel(2) }
        SIMDKernels.limitLevel(2)
        for level in stride(from: SIMDKernels.level, through: 0, by: -1) {
            SIMDKernels.limitLevel(level)
            try body(["portable", "avx2", "avx512/vnni"][Int(level)])
        }
    }

    /// A weight with a zero block, an outlier row and a tiny-valued row, so scales span decades.
    func testWeight(out: Int, in inputs: Int, seed: UInt64) -> Tensor {
        var v = randomTensor([out, inputs], seed: seed, scale: 0.05).scalars
        for j in 0..<min(32, inputs) { v[j] = 0 }                             // row 0, block 0: all zero
        if out > 2 { v[2 * inputs + inputs / 2] = 3 }                          // outlier
        if out > 3 { for j in 0..<inputs { v[3 * inputs + j] *= 1e-3 } }      // small row
        return Tensor(shape: [out, inputs], values: v)
    }

    @Test(arguments: QuantScheme.allCases)
    func quantisationIsWithinHalfAStep(scheme: QuantScheme) throws {
        let w = testWeight(out: 9, in: 96, seed: 1)
        let q = try QuantizedMatrix(quantizing: w, scheme: scheme)
        #expect(q.data.dtype == .int8 && q.data.shape == [9, 96])
        #expect(q.scales.shape == scheme.scaleShape(out: 9, in: 96) && q.scales.dtype == scheme.scaleDType)
        #expect(q.byteCount == scheme.byteCount(out: 9, in: 96))
        let ints = q.data.integers
        #expect(ints.allSatisfy { $0 >= -127 && $0 <= 127 })
        #expect(ints.contains(127) || ints.contains(-127), "the largest value of a group maps to ±127")
        let deq = q.referenceDequantized().scalars, s = q.scales.scalars, wv = w.scalars
        for o in 0..<9 {
            for i in 0..<96 {
                let scale = scheme == .q8_0 ? s[o * 3 + i / 32] : s[o]
                #expect(abs(deq[o * 96 + i] - wv[o * 96 + i]) <= scale * 0.5001, "(\(o), \(i))")
            }
        }
        if scheme == .q8_0 { #expect(s[0] == 0 && ints[0..<32].allSatisfy { $0 == 0 }, "an all-zero block has scale 0") }
        let ref = q.referenceDequantized()
        onEveryPath { path in
            #expect(q.dequantized().scalars == ref.scalars, "\(path): dequantising is exact")
        }
    }

    static let shapes: [(rows: Int, out: Int, in: Int)] = [(1, 7, 32), (17, 13, 64), (33, 50, 96), (40, 96, 256)]

    @Test(arguments: QuantScheme.allCases, [true, false])
    func kernelsMatchReferencesOnEveryPath(scheme: QuantScheme, withBias: Bool) throws {
        for (i, s) in Self.shapes.enumerated() {
            let x = randomTensor([s.rows, s.in], seed: 10 + UInt64(i))
            let q = try QuantizedMatrix(quantizing: testWeight(out: s.out, in: s.in, seed: 20 + UInt64(i)), scheme: scheme)
            let b = withBias ? randomTensor([s.out], seed: 30 + UInt64(i), scale: 0.1) : nil
            let w8a16 = referenceQuantizedLinear(x, weight: q, bias: b)
            let w8a8 = referenceInt8ActivationLinear(x, weight: q, bias: b)
            #expect(nmse(w8a8, w8a16) <= 1e-4 && nmse(w8a8, w8a16) > 0, "\(s): activation rounding \(nmse(w8a8, w8a16))")
            onEveryPath { path in
                let ys = quantizedLinear(x, weight: q, bias: b, kernel: .dequantizedSGEMM)
                #expect(ys.shape == [s.rows, s.out])
                #expect(nmse(ys, w8a16) <= 1e-10, "sgemm \(path) \(s): \(nmse(ys, w8a16))")
                #expect(maxRelativeError(ys, w8a16) <= 1e-4, "sgemm \(path) \(s)")
                let yi = quantizedLinear(x, weight: q, bias: b, kernel: .int8)
                #expect(yi.shape == [s.rows, s.out])
                #expect(nmse(yi, w8a8) <= 1e-10, "int8 \(path) \(s): \(nmse(yi, w8a8))")
                #expect(maxRelativeError(yi, w8a8) <= 1e-4, "int8 \(path) \(s)")
            }
        }
    }

    /// Big enough that Parallel splits rows, output chunks and column tiles; leading dims kept.
    @Test func kernelsSplitAcrossWorkersAndKeepLeadingShape() throws {
        let x = randomTensor([2, 75, 128], seed: 41)
        let q = try QuantizedMatrix(quantizing: testWeight(out: 200, in: 128, seed: 42), scheme: .q8_0)
        let b = randomTensor([200], seed: 43)
        let w8a8 = referenceInt8ActivationLinear(x, weight: q, bias: b)
        let w8a16 = referenceQuantizedLinear(x, weight: q, bias: b)
        onEveryPath { path in
            let yi = quantizedLinear(x, weight: q, bias: b, kernel: .int8)
            #expect(yi.shape == [2, 75, 200])
            #expect(nmse(yi, w8a8) <= 1e-10, "int8 \(path)")
            #expect(nmse(quantizedLinear(x, weight: q, bias: b, kernel: .dequantizedSGEMM), w8a16) <= 1e-10, "sgemm \(path)")
        }
    }

    @Test(arguments: QuantScheme.allCases)
    func quantisedLinearIsCloseToFloat(scheme: QuantScheme) throws {
        let w = randomTensor([64, 256], seed: 51, scale: 1 / 16)
        let x = randomTensor([24, 256], seed: 52)
        let exact = referenceLinear(x, weight: w, bias: nil)
        let q = try QuantizedMatrix(quantizing: w, scheme: scheme)
        for kernel in QuantizedKernel.allCases {
            let e = nmse(quantizedLinear(x, weight: q, bias: nil, kernel: kernel), exact)
            #expect(e <= 2e-4, "\(scheme) \(kernel): nmse \(e)")
        }
    }

    @Test func bf16InputWeightsQuantiseLikeTheirFloatValues() throws {
        let w = randomTensor([8, 64], seed: 61).converted(to: .bfloat16)
        let a = try QuantizedMatrix(quantizing: w, scheme: .q8_0)
        let b = try QuantizedMatrix(quantizing: w.float32(), scheme: .q8_0)
        #expect(a.data.integers == b.data.integers)
    }

    @Test func storedTensorsAreCheckedWithNamedErrors() throws {
        let q = try QuantizedMatrix(quantizing: randomTensor([4, 64], seed: 71), scheme: .q8_0)
        let name = "blocks.0.ffn.0.weight"
        let wrongShape = thrownMessage { _ = try QuantizedMatrix(data: q.data, scales: Tensor(zeros: [4], dtype: .float16), scheme: .q8_0, name: name) }
        #expect(wrongShape?.contains("blocks.0.ffn.0.weight_scale") == true)
        #expect(wrongShape?.contains("[4, 2]") == true && wrongShape?.contains("longlive quantize") == true)
        let wrongType = thrownMessage { _ = try QuantizedMatrix(data: q.data, scales: q.scales.float32(), scheme: .q8_0, name: name) }
        #expect(wrongType?.contains("F16") == true)
        var bytes = q.data.withRawBytes { Array($0) }
        bytes[5] = 0x80
        let storage = TensorStorage(uninitializedBytes: bytes.count)
        bytes.withUnsafeBytes { storage.base.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        let with128 = Tensor(shape: [4, 64], dtype: .int8, storage: storage)
        #expect(thrownMessage { _ = try QuantizedMatrix(data: with128, scales: q.scales, scheme: .q8_0, name: name) }?.contains("-128") == true)
        #expect(thrownMessage { _ = try QuantizedMatrix(quantizing: randomTensor([4, 40], seed: 1), scheme: .channel, name: name) }?.contains("multiple of 32") == true)
        #expect(thrownMessage { _ = try QuantScheme.parse("int4") }?.contains("w8a16-q8_0") == true)
        #expect(try QuantScheme.parse("q8_0") == .q8_0)
    }

    @Test func int8AndScalesRoundTripThroughSafeTensors() throws {
        let dir = try TemporaryFolder()
        let q = try QuantizedMatrix(quantizing: randomTensor([6, 64], seed: 81), scheme: .q8_0)
        let c = try QuantizedMatrix(quantizing: randomTensor([6, 64], seed: 82), scheme: .channel)
        try SafeTensors.write(dir.file("q.safetensors"), tensors: [("a.weight", q.data), ("a.weight_scale", q.scales),
                                                                   ("b.weight", c.data), ("b.weight_scale", c.scales)],
                              metadata: ["quantization": "mixed"])
        let f = try SafeTensorsFile(path: dir.file("q.safetensors"))
        #expect(f.entries["a.weight"]?.dtype == .int8)
        let back = try QuantizedMatrix(data: f.tensor("a.weight"), scales: f.tensor("a.weight_scale"), scheme: .q8_0)
        let backC = try QuantizedMatrix(data: f.tensor("b.weight"), scales: f.tensor("b.weight_scale"), scheme: .channel)
        #expect(back.data.integers == q.data.integers && back.scales.scalars == q.scales.scalars)
        #expect(backC.referenceDequantized().scalars == c.referenceDequantized().scalars)
        #expect(f.metadata["quantization"] == "mixed")
    }

    /// The memory bar (≤ 0.55× of bf16) from the schemes' byte counts at Wan2.1-1.3B block shapes,
    /// checked against real quantised tensors at a smaller width with the same aspect.
    @Test func blockLinearsAreAtMostPoint55OfBF16() throws {
        let d = 1536, ffn = 8960
        let shapes = Array(repeating: (d, d), count: 8) + [(ffn, d), (d, ffn)]
        let bf16 = shapes.reduce(0) { $0 + 2 * $1.0 * $1.1 }
        for scheme in QuantScheme.allCases {
            let bytes = shapes.reduce(0) { $0 + scheme.byteCount(out: $1.0, in: $1.1) }
            #expect(Double(bytes) / Double(bf16) <= 0.55, "\(scheme): \(Double(bytes) / Double(bf16))")
            let real = try [(96, 96), (96, 96), (544, 96), (96, 544)].map { try QuantizedMatrix(quantizing: randomTensor([$0.0, $0.1], seed: 91), scheme: scheme) }
            let realBytes = real.reduce(0) { $0 + $1.data.count * $1.data.dtype.size + $1.scales.count * $1.scales.dtype.size }
            let realBF16 = real.reduce(0) { $0 + 2 * $1.data.count }
            #expect(realBytes == real.reduce(0) { $0 + $1.byteCount })
            #expect(Double(realBytes) / Double(realBF16) <= 0.55)
        }
    }
}
