import LongLiveTensor

/// How a block linear runs on the GPU with quantised weights (issue 9; CLI `--quantize`).
public enum CUDAQuantMode: String, CaseIterable, Sendable {
    /// int8 weights (either checkpoint scheme) expanded to bf16 per layer, then the bf16 cuBLASLt
    /// linear: resident memory halves, speed at best the bf16 engine's.
    case w8a16
    /// Per-channel int8 weights, per-token dynamic int8 activations, cuBLASLt int8 × int8 → int32
    /// (IMMA tensor cores), fused rescale + bias (+GELU) epilogue.
    case w8a8
    /// E4M3 weights and activations, per-row scales (LongLive 2.0's torchao `PerRow`), cuBLASLt FP8
    /// GEMM with f32 output, the same rescale epilogue. Hopper / Ada only.
    case fp8

    /// The oldest compute capability that has the GEMM this mode needs.
    public var minimumArch: Int {
        switch self {
        case .w8a16: return 80  // bf16 tensor cores (the whole CUDA engine targets sm_80+)
        case .w8a8: return 75   // IMMA (int8 tensor cores) with the TN layout
        case .fp8: return 89    // FP8 tensor cores: Ada (sm_89), Hopper (sm_90)
        }
    }

    /// Parses `w8a16`, `w8a8` or `fp8`; the error lists them.
    public static func parse(_ name: String) throws -> CUDAQuantMode {
        guard let m = CUDAQuantMode(rawValue: name.lowercased()) else {
            throw LongLiveError("unknown CUDA quantisation \"\(name)\"; use one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return m
    }

    /// Throws, naming the GPU's architecture and the alternative, when `arch` lacks the tensor cores.
    public func requireSupport(arch: Int, gpu: String = "this GPU") throws {
        guard arch < minimumArch else { return }
        switch self {
        case .w8a16:
            throw LongLiveError("--quantize w8a16 on CUDA needs bf16 tensor cores (sm_80 or newer); \(gpu) is sm_\(arch)")
        case .w8a8:
            throw LongLiveError("--quantize w8a8 needs int8 tensor cores (IMMA, sm_75 or newer); \(gpu) is sm_\(arch). Use --device cpu (the CPU int8 kernel) instead")
        case .fp8:
            let alternative = arch >= 75 ? "; --quantize w8a8 runs on it" : ""
            throw LongLiveError("--quantize fp8 needs FP8 (E4M3) tensor cores, sm_89 (Ada) or sm_90 (Hopper) or newer; \(gpu) is sm_\(arch)\(alternative)")
        }
    }
}

/// One quantised linear `y[M, N] = x[M, K] · Wᵀ + b` (optionally GELU) on the GPU, planned as
/// kernel launches and one GEMM. Activations and outputs are bf16, as in the bf16 engine.
///
/// Weight formats on the device (row-major `[N, K]`):
/// - w8a16: int8 + the checkpoint's scales (`w8a16-q8_0`: f16 `[N, K/32]`; `w8a16-channel`: f32 `[N]`);
/// - w8a8: int8 + f32 `[N]` per-channel scales (a `w8a16-channel` checkpoint as stored, or bf16
///   weights quantised at load by `quantize_rows_int8`);
/// - fp8: E4M3 + f32 `[N]` per-row scales (bf16 weights quantised at load by `quantize_rows_e4m3`).
///
/// Written against the documented APIs; nothing here has run on a GPU (see docs/cuda.md).
public struct CUDAQuantizedLinear: Sendable {
    public let mode: CUDAQuantMode
    /// The stored int8 scheme (w8a16 accepts both, w8a8 needs `.channel`; ignored for fp8).
    public let weightScheme: QuantScheme
    public let outFeatures: Int, inFeatures: Int

    /// Threads per block of the row kernels and of the grid-stride element kernels.
    public static let rowThreads = 256, elementThreads = 256
    /// Grid cap of the element kernels (grid-stride loops cover the rest).
    public static let maxElementBlocks = 65535

    public init(mode: CUDAQuantMode, weightScheme: QuantScheme = .channel, outFeatures: Int, inFeatures: Int, arch: Int,
                gpu: String = "this GPU") throws {
        try mode.requireSupport(arch: arch, gpu: gpu)
        if mode == .w8a8 && weightScheme != .channel {
            throw LongLiveError("--quantize w8a8 needs per-channel weight scales (cuBLASLt applies one scale per output after the int32 GEMM); this checkpoint is \(weightScheme.rawValue): quantise with --scheme w8a16-channel or from bf16 weights")
        }
        if mode == .w8a16 && weightScheme == .q8_0 && inFeatures % QuantScheme.blockSize != 0 {
            throw LongLiveError("w8a16-q8_0 needs input features divisible by \(QuantScheme.blockSize), got \(inFeatures)")
        }
        // Shape rules of the GEMM, checked once here with a one-token probe.
        switch mode {
        case .w8a16: break
        case .w8a8: _ = try CuBLASLtQuantGemm.int8(m: 1, n: outFeatures, k: inFeatures)
        case .fp8: _ = try CuBLASLtQuantGemm.fp8(m: 1, n: outFeatures, k: inFeatures, output: .float32)
        }
        self.mode = mode
        self.weightScheme = weightScheme
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }

    /// One step of the plan.
    public enum Step: Equatable, Sendable {
        /// A kernel of `CUDAKernelLibrary` with a 1-D grid and block.
        case kernel(String, grid: Int, block: Int)
        /// The bf16 ``CuBLASLt/linear`` on the expanded weight.
        case bf16Linear(epilogue: CuBLASLt.Epilogue)
        /// The int8 or FP8 GEMM.
        case gemm(CuBLASLtQuantGemm)
    }

    /// Byte offsets into the scratch buffer the caller provides (256-byte aligned pieces).
    public struct Scratch: Equatable, Sendable {
        /// Quantised activations `[M, K]` (int8 / E4M3).
        public var activations = 0
        /// Per-token scales `[M]` f32.
        public var activationScales = 0
        /// GEMM output `[M, N]` (int32 / f32).
        public var accumulator = 0
        /// The bf16 weight `[N, K]` (w8a16).
        public var weight = 0
        public var bytes = 0
    }

    public func scratch(tokens m: Int) -> Scratch {
        var s = Scratch(), offset = 0
        func take(_ bytes: Int) -> Int { let at = offset; offset += (bytes + 255) / 256 * 256; return at }
        switch mode {
        case .w8a16:
            s.weight = take(outFeatures * inFeatures * 2)
        case .w8a8, .fp8:
            s.activations = take(m * inFeatures)
            s.activationScales = take(m * 4)
            s.accumulator = take(m * outFeatures * 4)
        }
        s.bytes = offset
        return s
    }

    static func elementGrid(_ count: Int) -> Int {
        max(1, min(maxElementBlocks, (count + elementThreads - 1) / elementThreads))
    }

    /// The launches and GEMM for `m` tokens, in order.
    public func plan(tokens m: Int, gelu: Bool) throws -> [Step] {
        guard m > 0 else { throw LongLiveError("quantised linear: no tokens") }
        let out = Self.elementGrid(m * outFeatures)
        switch mode {
        case .w8a16:
            let dequant = weightScheme == .q8_0 ? "dequant_q8_0_bf16" : "dequant_channel_bf16"
            return [.kernel(dequant, grid: Self.elementGrid(outFeatures * inFeatures), block: Self.elementThreads),
                    .bf16Linear(epilogue: gelu ? .geluBias : .bias)]
        case .w8a8:
            return [.kernel("quantize_rows_int8", grid: m, block: Self.rowThreads),
                    .gemm(try .int8(m: m, n: outFeatures, k: inFeatures)),
                    .kernel("int8_rescale_bf16", grid: out, block: Self.elementThreads)]
        case .fp8:
            return [.kernel("quantize_rows_e4m3", grid: m, block: Self.rowThreads),
                    .gemm(try .fp8(m: m, n: outFeatures, k: inFeatures, output: .float32)),
                    .kernel("f32_rescale_bf16", grid: out, block: Self.elementThreads)]
        }
    }

    /// Enqueues the plan on `context`'s stream. `weight`/`weightScales` in the format of `mode`
    /// (see the type's documentation), `bias` bf16 `[N]` or nil, `x` bf16 `[M, K]`, `y` bf16 `[M, N]`,
    /// `scratch` at least `scratch(tokens:).bytes`. Not run yet (no GPU in this project's CI).
    public func run(context: CUDAContext, blas: CuBLASLt, handle: CuBLASLt.Handle, tokens m: Int, x: CUdeviceptr,
                    weight: CUdeviceptr, weightScales: CUdeviceptr, bias: CUdeviceptr?, gelu: Bool, y: CUdeviceptr,
                    scratch base: CUdeviceptr, workspace: CUdeviceptr, workspaceBytes: Int) throws {
        let s = scratch(tokens: m)
        let xq = base + UInt64(s.activations), xs = base + UInt64(s.activationScales)
        let acc = base + UInt64(s.accumulator), wb = base + UInt64(s.weight)
        let rows = Int64(m), n = Int32(outFeatures), k = Int32(inFeatures), g: Int32 = gelu ? 1 : 0
        for step in try plan(tokens: m, gelu: gelu) {
            switch step {
            case .kernel(let name, let grid, let block):
                let args: [any KernelArgument]
                switch name {
                case "dequant_q8_0_bf16", "dequant_channel_bf16": args = [weight, weightScales, wb, Int64(outFeatures), k]
                case "quantize_rows_int8", "quantize_rows_e4m3": args = [x, xq, xs, k]
                case "int8_rescale_bf16", "f32_rescale_bf16": args = [acc, xs, Int32(1), weightScales, bias ?? 0, y, rows, n, g]
                default: throw LongLiveError("quantised linear: no arguments for kernel \(name)")
                }
                try context.launch(name, grid: (grid, 1, 1), block: (block, 1, 1), arguments: args)
            case .bf16Linear(let epilogue):
                try blas.linear(handle: handle, m: m, n: outFeatures, k: inFeatures, x: x, w: wb, bias: bias, epilogue: epilogue,
                                y: y, workspace: workspace, workspaceBytes: workspaceBytes, stream: context.stream)
            case .gemm(let spec):
                try blas.quantizedMatmul(handle: handle, spec: spec, weight: weight, activations: xq, d: acc,
                                         workspace: workspace, workspaceBytes: workspaceBytes, stream: context.stream)
            }
        }
    }
}
