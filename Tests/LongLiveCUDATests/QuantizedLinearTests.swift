import Testing
import LongLiveCUDA
import LongLiveTensor

/// The CUDA parts of issue 9 that can be checked without a GPU: the kernels are registered and
/// compile, the Swift references of their math are right (hand-computed values), the GEMM
/// descriptors follow cuBLASLt's TN rules, and unsupported GPUs get clear errors.
@Suite struct QuantKernelRegistryTests {
    static let quantKernels = ["quantize_rows_int8", "int8_rescale_bf16", "dequant_q8_0_bf16", "dequant_channel_bf16",
                               "quantize_rows_e4m3", "absmax_bf16", "quantize_tensor_e4m3", "f32_rescale_bf16", "e4m3_decode"]

    @Test func quantKernelsAreRegistered() {
        for k in Self.quantKernels { #expect(CUDAKernelLibrary.program(defining: k) != nil, "missing \(k)") }
        #expect(CUDAKernelLibrary.headers.contains { $0.name == "longlive_quant.cuh" })
        // The kernels include no system header (the NVRTC wheel has no cuda_fp8.h / cuda_bf16.h).
        for p in CUDAKernelLibrary.all { #expect(!p.code.contains("#include <"), "\(p.name)") }
    }

    @Test func everyPlannedKernelExists() throws {
        for mode in CUDAQuantMode.allCases {
            for scheme in QuantScheme.allCases where !(mode == .w8a8 && scheme == .q8_0) {
                let l = try CUDAQuantizedLinear(mode: mode, weightScheme: scheme, outFeatures: 1536, inFeatures: 8960, arch: 90)
                for step in try l.plan(tokens: 33, gelu: true) {
                    if case .kernel(let name, _, _) = step { #expect(CUDAKernelLibrary.program(defining: name) != nil, "\(name)") }
                }
            }
        }
    }

    @Test(.enabled(if: NVRTCCompileTests.nvrtc != nil, "libnvrtc not found: set LONGLIVE_LIBNVRTC (scripts/nvrtc-wheel prints it)"))
    func quantProgramsCompileForAmpereAndHopper() throws {
        let compiler = KernelCompiler(nvrtc: NVRTCCompileTests.nvrtc!, cache: nil)
        for name in ["quant_int8.cu", "quant_w8a16.cu", "quant_fp8.cu"] {
            let program = try #require(CUDAKernelLibrary.programs.first { $0.name == name })
            for arch in [80, 90] {
                let ptx = try compiler.image(of: program, arch: arch, output: .ptx).image
                let text = String(decoding: ptx.dropLast(), as: UTF8.self)
                #expect(text.contains(".target sm_\(arch)"))
                for kernel in program.kernels { #expect(text.contains(".entry \(kernel)("), "\(name): \(kernel) for sm_\(arch)") }
            }
        }
    }
}

@Suite struct E4M3Tests {
    @Test func handComputedEncodings() {
        let cases: [(Float, UInt8)] = [
            (0, 0x00), (-0.0, 0x80), (1, 0x38), (-1, 0xB8), (448, 0x7E), (-448, 0xFE), (-224, 0xF6),
            (1.125, 0x39), (1.0625, 0x38),        // tie between m=0 and m=1: even (m=0)
            (1.1875, 0x3A),                       // tie between m=1 and m=2: even (m=2)
            (0.015625, 0x08),                     // 2^-6, the smallest normal
            (0.001953125, 0x01),                  // 2^-9, the smallest subnormal
            (0.0009765625, 0x00),                 // 2^-10: tie between 0 and 2^-9 -> 0
            (0.0029296875, 0x02),                 // 1.5 · 2^-9: tie between 1 and 2 -> 2
            (0.0155, 0x08),                       // just below 2^-6 rounds up to the smallest normal
            (464, 0x7E), (500, 0x7E), (1e9, 0x7E), (-1e9, 0xFE),  // saturation
            (.infinity, 0x7E), (-.infinity, 0xFE),
        ]
        for (x, code) in cases { #expect(E4M3.encode(x) == code, "encode(\(x)) = \(E4M3.encode(x)), want \(code)") }
        #expect(E4M3.encode(.nan) == 0x7F)
    }

    @Test func handComputedDecodings() {
        #expect(E4M3.decode(0x7E) == 448)
        #expect(E4M3.decode(0xFE) == -448)
        #expect(E4M3.decode(0x38) == 1)
        #expect(E4M3.decode(0x01) == 0.001953125)
        #expect(E4M3.decode(0x07) == 7 * 0.001953125)
        #expect(E4M3.decode(0x08) == 0.015625)
        #expect(E4M3.decode(0x80) == 0 && E4M3.decode(0x80).sign == .minus)
        #expect(E4M3.decode(0x7F).isNaN && E4M3.decode(0xFF).isNaN)
    }

    @Test func everyFiniteCodeRoundTrips() {
        for b in 0...255 where b & 0x7F != 0x7F {
            #expect(E4M3.encode(E4M3.decode(UInt8(b))) == UInt8(b), "code \(b)")
        }
    }

    /// Encoding is the nearest finite E4M3 value (ties to the even code), checked by brute force.
    @Test func encodeIsNearestEven() {
        let finite = (0...255).filter { $0 & 0x7F != 0x7F }.map { UInt8($0) }
        var rng = SplitMix64(seed: 9)
        for i in 0..<4000 {
            let magnitude = Float(rng.nextUnit()) * (i % 2 == 0 ? 460 : 0.05)
            let x = rng.nextUnit() < 0.5 ? -magnitude : magnitude
            let code = E4M3.encode(x)
            let err = abs(E4M3.decode(code) - x)
            let best = finite.map { abs(E4M3.decode($0) - x) }.min()!
            #expect(err == best, "x = \(x): code \(code) off by \(err), best \(best)")
            let ties = finite.filter { abs(E4M3.decode($0) - x) == best && (E4M3.decode($0) != 0 || $0 == (x.sign == .minus ? 0x80 : 0)) }
            if ties.count > 1 { #expect(code & 1 == 0, "tie at \(x) must pick the even code") }
        }
    }
}

@Suite struct QuantKernelReferenceTests {
    @Test func int8RowQuantisationByHand() {
        // amax 2: inv = 63.5; -1 -> -63.5 -> -64 (tie to even), 0.5 -> 31.75 -> 32.
        let (q, s) = QuantKernelReference.quantizeRowInt8([2, -1, 0.5, 0])
        #expect(q == [127, -64, 32, 0])
        #expect(s == Float(2) / 127)
        let (q1, _) = QuantKernelReference.quantizeRowInt8([0.5, -1, 0.25])
        #expect(q1 == [64, -127, 32])  // 63.5 -> 64 (even)
        let zero = QuantKernelReference.quantizeRowInt8([0, 0, -0.0])
        #expect(zero.q == [0, 0, 0] && zero.scale == 0)
    }

    /// Per-token int8 is the CPU int8 kernel's block quantisation with one block spanning the row.
    @Test func int8RowQuantisationMatchesTheCPUReference() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<20 {
            let row = (0..<96).map { _ in BFloat16Bits.toFloat(BFloat16Bits.fromFloat(Float(rng.nextUnit() * 8 - 4))) }
            let mine = QuantKernelReference.quantizeRowInt8(row)
            let cpu = referenceQuantizeActivationBlock(row[...])
            #expect(mine.q.map(Int.init) == cpu.q && mine.scale == cpu.scale)
        }
    }

    @Test func e4m3RowQuantisationByHand() {
        let (q, s) = QuantKernelReference.quantizeRowE4M3([448, -224, 1, 0])
        #expect(q == [0x7E, 0xF6, 0x38, 0x00])
        #expect(s == 1)
        // amax 896: inv 0.5, scale 2; 3 -> 1.5 -> 0x3C.
        let (q2, s2) = QuantKernelReference.quantizeRowE4M3([896, 3])
        #expect(q2 == [0x7E, 0x3C] && s2 == 2)
    }

    @Test func rescaleEpilogueByHand() {
        // 100 · (0.5 · 0.25) + 1 = 13.5 -> bf16 0x4158.
        #expect(QuantKernelReference.rescale(acc: 100, sAct: 0.5, sW: 0.25, bias: 1, gelu: false) == 13.5)
        #expect(QuantKernelReference.rescale(acc: 100, sAct: 0.5, sW: 0.25, bias: nil, gelu: false) == 12.5)
        #expect(QuantKernelReference.rescale(acc: -8, sAct: 0.5, sW: 0.25, bias: 1, gelu: true) == 0)  // GELU(0)
        let g = QuantKernelReference.rescale(acc: 8, sAct: 1, sW: 1, bias: nil, gelu: true)
        #expect(abs(g - 8) < 1e-6)  // GELU(8) ≈ 8
        let g1 = QuantKernelReference.rescale(acc: 1, sAct: 1, sW: 1, bias: nil, gelu: true)
        #expect(abs(g1 - 0.841192) < 1e-5)  // tanh-GELU(1)
        // 2 rows × 2 cols, per-token scales (stride 1) and one per-tensor scale (stride 0).
        let acc: [Float] = [100, 4, -2, 0]
        let perToken = QuantKernelReference.rescaleBF16(acc: acc, rows: 2, cols: 2, sAct: [0.5, 2], actStride: 1,
                                                        sW: [0.25, 1], bias: [1, -1], gelu: false)
        #expect(perToken == [0x4158, 0x3F80, 0x0000, 0xBF80])  // 13.5, 1, 0 (-1 + 1), -1
        let perTensor = QuantKernelReference.rescaleBF16(acc: acc, rows: 2, cols: 2, sAct: [0.5], actStride: 0,
                                                         sW: [0.25, 1], bias: nil, gelu: false)
        #expect(perTensor == [0x4148, 0x4000, 0xBE80, 0x0000])  // 12.5, 2, -0.25, 0
    }

    @Test func dequantisationByHand() {
        // q8_0: 64 inputs = 2 blocks with f16 scales 0.5 (0x3800) and 2 (0x4000).
        var q = [Int8](repeating: 0, count: 64)
        q[0] = 3; q[31] = -127; q[32] = 5; q[63] = 1
        let w = QuantKernelReference.dequantQ8_0(q: q, scales: [0x3800, 0x4000], rows: 1, cols: 64)
        #expect(w[0] == 0x3FC0 && w[31] == BFloat16Bits.fromFloat(-63.5) && w[32] == 0x4120 && w[63] == 0x4000 && w[1] == 0)
        let c = QuantKernelReference.dequantChannel(q: [-4, 2, 1, 0], scales: [0.25, 3], rows: 2, cols: 2)
        #expect(c == [0xBF80, 0x3F00, 0x4040, 0x0000])  // -1, 0.5, 3, 0
    }
}

@Suite struct CUDAQuantizedLinearTests {
    @Test func unsupportedArchitecturesAreRefusedWithTheReason() {
        #expect { try CUDAQuantizedLinear(mode: .w8a8, outFeatures: 64, inFeatures: 64, arch: 70, gpu: "Tesla V100") } throws: {
            let m = "\($0)"; return m.contains("IMMA") && m.contains("sm_75") && m.contains("Tesla V100 is sm_70")
        }
        #expect { try CUDAQuantizedLinear(mode: .fp8, outFeatures: 64, inFeatures: 64, arch: 80, gpu: "A100") } throws: {
            let m = "\($0)"; return m.contains("sm_89") && m.contains("A100 is sm_80") && m.contains("--quantize w8a8 runs on it")
        }
        #expect { try CUDAQuantizedLinear(mode: .fp8, outFeatures: 64, inFeatures: 64, arch: 70) } throws: {
            !"\($0)".contains("w8a8 runs on it")
        }
        #expect { try CUDAQuantizedLinear(mode: .w8a16, outFeatures: 64, inFeatures: 64, arch: 75) } throws: { "\($0)".contains("sm_80") }
        for arch in [89, 90, 100] { #expect(throws: Never.self) { try CUDAQuantizedLinear(mode: .fp8, outFeatures: 64, inFeatures: 64, arch: arch) } }
        for arch in [75, 80, 86, 90] { #expect(throws: Never.self) { try CUDAQuantizedLinear(mode: .w8a8, outFeatures: 64, inFeatures: 64, arch: arch) } }
    }

    @Test func schemeAndShapeRules() {
        #expect { try CUDAQuantizedLinear(mode: .w8a8, weightScheme: .q8_0, outFeatures: 64, inFeatures: 64, arch: 90) } throws: {
            "\($0)".contains("per-channel") && "\($0)".contains("w8a16-channel")
        }
        #expect { try CUDAQuantizedLinear(mode: .fp8, outFeatures: 1536, inFeatures: 1544, arch: 90) } throws: { "\($0)".contains("multiples of 16") }
        #expect { try CUDAQuantizedLinear(mode: .w8a8, outFeatures: 1538, inFeatures: 1536, arch: 90) } throws: { "\($0)".contains("multiples of 4") }
        #expect { try CuBLASLtQuantGemm.fp8(m: 4, n: 16, k: 16, output: .int32) } throws: { "\($0)".contains("f32 or bf16") }
        #expect(throws: (any Error).self) { try CUDAQuantMode.parse("int4") }
        #expect((try? CUDAQuantMode.parse("FP8")) == .fp8)
    }

    /// Wan2.1-1.3B's FFN up projection at the paper's chunk (3 latent frames × 1560 tokens).
    @Test func w8a8PlanIsQuantiseGemmRescale() throws {
        let l = try CUDAQuantizedLinear(mode: .w8a8, outFeatures: 8960, inFeatures: 1536, arch: 90)
        let steps = try l.plan(tokens: 4680, gelu: true)
        #expect(steps.count == 3)
        #expect(steps[0] == .kernel("quantize_rows_int8", grid: 4680, block: 256))
        #expect(steps[2] == .kernel("int8_rescale_bf16", grid: 65535, block: 256))
        guard case .gemm(let g) = steps[1] else { Issue.record("no GEMM step"); return }
        #expect(g.kind == .int8 && g.output == .int32)
        #expect(g.inputType == 3 && g.outputType == 10)                 // CUDA_R_8I -> CUDA_R_32I
        #expect(g.computeAndScaleType == (72, 10))                     // CUBLAS_COMPUTE_32I, CUDA_R_32I
        #expect(g.layoutA == (1536, 8960, 1536) && g.layoutB == (1536, 4680, 1536) && g.layoutD == (8960, 4680, 8960))
        let s = l.scratch(tokens: 4680)
        #expect(s.activations == 0 && s.activationScales == 4680 * 1536 && s.accumulator == s.activationScales + 18944)
        #expect(s.bytes == s.accumulator + 4680 * 8960 * 4)
        for o in [s.activations, s.activationScales, s.accumulator] { #expect(o % 256 == 0) }
    }

    @Test func fp8AndW8A16Plans() throws {
        let f = try CUDAQuantizedLinear(mode: .fp8, outFeatures: 1536, inFeatures: 1536, arch: 90)
        let fs = try f.plan(tokens: 10, gelu: false)
        #expect(fs.first == .kernel("quantize_rows_e4m3", grid: 10, block: 256))
        #expect(fs.last == .kernel("f32_rescale_bf16", grid: 60, block: 256))
        guard case .gemm(let g) = fs[1] else { Issue.record("no GEMM step"); return }
        #expect(g.inputType == 28 && g.outputType == 0 && g.computeAndScaleType == (68, 0))  // E4M3 -> f32, COMPUTE_32F
        let bf16Out = try CuBLASLtQuantGemm.fp8(m: 10, n: 1536, k: 1536, output: .bf16(epilogue: .bias))
        #expect(bf16Out.outputType == 14 && bf16Out.outputBytes == 10 * 1536 * 2)

        let w = try CUDAQuantizedLinear(mode: .w8a16, weightScheme: .q8_0, outFeatures: 1536, inFeatures: 8960, arch: 80)
        #expect(try w.plan(tokens: 7, gelu: true) == [.kernel("dequant_q8_0_bf16", grid: 53760, block: 256), .bf16Linear(epilogue: .geluBias)])
        let wc = try CUDAQuantizedLinear(mode: .w8a16, weightScheme: .channel, outFeatures: 1536, inFeatures: 1536, arch: 80)
        #expect(try wc.plan(tokens: 7, gelu: false) == [.kernel("dequant_channel_bf16", grid: 9216, block: 256), .bf16Linear(epilogue: .bias)])
        #expect(wc.scratch(tokens: 7).bytes == 1536 * 1536 * 2)
        #expect(throws: (any Error).self) { try wc.plan(tokens: 0, gelu: false) }
    }
}

/// Deterministic generator for the tests (no Foundation).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
