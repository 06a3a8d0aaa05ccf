import LongLiveTensor

/// The low-precision GEMMs of the quantised linears, as a typed description (testable without a
/// GPU) and the cuBLASLt calls that run it.
///
/// Both are `yᵀ = W · xᵀ` in cuBLASLt's column-major terms, exactly as ``CuBLASLt/linear``: the
/// row-major weight `[N, K]` is A (`K × N`, ld K, **transposed**), the row-major activations
/// `[M, K]` are B (`K × M`, ld K, not transposed), D is `N × M` ld N, i.e. row-major `[M, N]`.
/// That is the "TN" form which both the int8 (IMMA) and the FP8 kernels require, with the plain
/// column-major order (`CUBLASLT_ORDER_COL`, the layout default; the COL32 / COL4_4R2_8C orders
/// of early IMMA are not needed with TN since CUDA 11).
///
/// Requirements (cuBLASLt documentation, `cublasLtMatmul`):
/// - int8: A, B `CUDA_R_8I`; C, D `CUDA_R_32I`; compute `CUBLAS_COMPUTE_32I`, scale type
///   `CUDA_R_32I` (alpha = 1, beta = 0 as int32); TN only; pointers 4-byte aligned (16 for speed);
///   leading dimensions of A, B, C multiples of 4; cuBLAS m (= N) and k (= K) multiples of 4.
///   Needs IMMA: sm_75 or newer.
/// - FP8: A, B `CUDA_R_8F_E4M3`; D `CUDA_R_32F` (unit scales, the per-row rescale is our
///   epilogue) or `CUDA_R_16BF` (per-tensor scales through `A/B_SCALE_POINTER`, bias fused by
///   cuBLASLt, bias type bf16); compute `CUBLAS_COMPUTE_32F`, scale type `CUDA_R_32F`; TN only;
///   16-byte aligned pointers and leading dimensions (K % 16, N % 16). Needs sm_89 or newer.
public struct CuBLASLtQuantGemm: Equatable, Sendable {
    public enum Kind: String, Sendable { case int8, fp8 }
    /// What D holds.
    public enum Output: Sendable, Equatable {
        /// int32 accumulators (int8 GEMM).
        case int32
        /// The unscaled f32 product (FP8, per-row scales applied by `f32_rescale_bf16`).
        case float32
        /// bf16 with the per-tensor scales and optional bias (+GELU) applied by cuBLASLt (FP8).
        case bf16(epilogue: CuBLASLt.Epilogue)
    }

    public let kind: Kind
    public let output: Output
    /// Tokens (rows of x and y), outputs, inputs.
    public let m: Int, n: Int, k: Int

    // Documented constants (library_types.h / cublasLt.h / cublas_api.h).
    static let dataI8: Int32 = 3        // CUDA_R_8I
    static let dataI32: Int32 = 10      // CUDA_R_32I
    static let dataE4M3: Int32 = 28     // CUDA_R_8F_E4M3
    static let compute32I: Int32 = 72   // CUBLAS_COMPUTE_32I
    static let descAScale: Int32 = 17   // CUBLASLT_MATMUL_DESC_A_SCALE_POINTER
    static let descBScale: Int32 = 18   // CUBLASLT_MATMUL_DESC_B_SCALE_POINTER
    static let descFastAccum: Int32 = 25 // CUBLASLT_MATMUL_DESC_FAST_ACCUM
    static let descBiasDataType: Int32 = 26 // CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE

    /// The int8 × int8 → int32 GEMM `[M, K] · [N, K]ᵀ`; throws when the shape breaks the IMMA rules.
    public static func int8(m: Int, n: Int, k: Int) throws -> CuBLASLtQuantGemm {
        try check(m: m, n: n, k: k, multiple: 4, what: "int8 (IMMA)")
        return CuBLASLtQuantGemm(kind: .int8, output: .int32, m: m, n: n, k: k)
    }

    /// The E4M3 × E4M3 GEMM; `output` `.float32` or `.bf16(epilogue:)`.
    public static func fp8(m: Int, n: Int, k: Int, output: Output) throws -> CuBLASLtQuantGemm {
        if output == .int32 { throw LongLiveError("cuBLASLt FP8 GEMM: D must be f32 or bf16, not int32") }
        try check(m: m, n: n, k: k, multiple: 16, what: "FP8 E4M3")
        return CuBLASLtQuantGemm(kind: .fp8, output: output, m: m, n: n, k: k)
    }

    static func check(m: Int, n: Int, k: Int, multiple: Int, what: String) throws {
        guard m > 0, n > 0, k > 0 else { throw LongLiveError("cuBLASLt \(what) GEMM: empty shape \(m)×\(n)×\(k)") }
        guard k % multiple == 0, n % multiple == 0 else {
            throw LongLiveError("cuBLASLt \(what) GEMM needs input and output features that are multiples of \(multiple) (TN layout alignment); got \(n) outputs × \(k) inputs")
        }
    }

    /// `(compute type, scale type)` for `cublasLtMatmulDescCreate`.
    public var computeAndScaleType: (Int32, Int32) {
        kind == .int8 ? (Self.compute32I, Self.dataI32) : (CuBLASLt.compute32F, CuBLASLt.dataF32)
    }
    /// cudaDataType of A and B.
    public var inputType: Int32 { kind == .int8 ? Self.dataI8 : Self.dataE4M3 }
    /// cudaDataType of C and D.
    public var outputType: Int32 {
        switch output {
        case .int32: return Self.dataI32
        case .float32: return CuBLASLt.dataF32
        case .bf16: return CuBLASLt.dataBF16
        }
    }
    /// Column-major `(rows, cols, ld)` of A (the weight), B (the activations), D.
    public var layoutA: (UInt64, UInt64, Int64) { (UInt64(k), UInt64(n), Int64(k)) }
    public var layoutB: (UInt64, UInt64, Int64) { (UInt64(k), UInt64(m), Int64(k)) }
    public var layoutD: (UInt64, UInt64, Int64) { (UInt64(n), UInt64(m), Int64(n)) }
    /// Bytes of D.
    public var outputBytes: Int {
        switch output {
        case .int32, .float32: return m * n * 4
        case .bf16: return m * n * 2
        }
    }
}

extension CuBLASLt {
    /// Runs `spec`: D = A·B with A = the quantised weight `[N, K]`, B = the quantised activations
    /// `[M, K]`. For FP8 with a bf16 output, `aScale`/`bScale` are device pointers to one f32 each
    /// (weight and activation dequantisation scales) and `bias` a bf16 `[N]` vector.
    /// Untested here (no GPU): `longlive cuda check` on an H100 resolves it; numerics need the
    /// GPU conformance run (docs/cuda.md, "Quantised linears").
    public func quantizedMatmul(handle: Handle, spec: CuBLASLtQuantGemm, weight: CUdeviceptr, activations: CUdeviceptr,
                                d: CUdeviceptr, bias: CUdeviceptr? = nil, aScale: CUdeviceptr? = nil, bScale: CUdeviceptr? = nil,
                                workspace: CUdeviceptr, workspaceBytes: Int, stream: OpaquePointer?) throws {
        var desc: Handle = nil, a: Handle = nil, b: Handle = nil, dl: Handle = nil, pref: Handle = nil
        let (compute, scaleType) = spec.computeAndScaleType
        try check(cublasLtMatmulDescCreate(&desc, compute, scaleType), "cublasLtMatmulDescCreate(\(spec.kind))")
        defer { _ = cublasLtMatmulDescDestroy(desc) }
        var opT: Int32 = 1, opN: Int32 = 0
        try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descTransA, &opT, 4), "set TRANSA")
        try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descTransB, &opN, 4), "set TRANSB")
        if spec.kind == .fp8 {
            if var p = aScale { try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLtQuantGemm.descAScale, &p, 8), "set A_SCALE_POINTER") }
            if var p = bScale { try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLtQuantGemm.descBScale, &p, 8), "set B_SCALE_POINTER") }
            // Hopper's fast FP8 accumulation (periodic promotion to f32 disabled): off, accuracy first.
            var fast: Int8 = 0
            try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLtQuantGemm.descFastAccum, &fast, 1), "set FAST_ACCUM")
        }
        if case .bf16(let epilogue) = spec.output {
            var epi: UInt32
            switch (epilogue, bias) {
            case (.bias, nil): epi = Epilogue.none.rawValue
            case (.geluBias, nil): epi = Epilogue.gelu.rawValue
            default: epi = epilogue.rawValue
            }
            try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descEpilogue, &epi, 4), "set EPILOGUE")
            if var p = bias {
                try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descBiasPointer, &p, 8), "set BIAS_POINTER")
                var biasType = CuBLASLt.dataBF16
                try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLtQuantGemm.descBiasDataType, &biasType, 4), "set BIAS_DATA_TYPE")
            }
        } else if bias != nil || aScale != nil || bScale != nil {
            throw LongLiveError("cuBLASLt \(spec.kind) GEMM with \(spec.output) output: bias and scales belong to the rescale kernel")
        }
        let la = spec.layoutA, lb = spec.layoutB, ld = spec.layoutD
        try check(cublasLtMatrixLayoutCreate(&a, spec.inputType, la.0, la.1, la.2), "layout A")
        defer { _ = cublasLtMatrixLayoutDestroy(a) }
        try check(cublasLtMatrixLayoutCreate(&b, spec.inputType, lb.0, lb.1, lb.2), "layout B")
        defer { _ = cublasLtMatrixLayoutDestroy(b) }
        try check(cublasLtMatrixLayoutCreate(&dl, spec.outputType, ld.0, ld.1, ld.2), "layout D")
        defer { _ = cublasLtMatrixLayoutDestroy(dl) }
        try check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate")
        defer { _ = cublasLtMatmulPreferenceDestroy(pref) }
        var ws = UInt64(workspaceBytes)
        try check(cublasLtMatmulPreferenceSetAttribute(pref, CuBLASLt.prefMaxWorkspace, &ws, 8), "set MAX_WORKSPACE_BYTES")
        let result = UnsafeMutableRawPointer.allocate(byteCount: CuBLASLt.heuristicResultBytes, alignment: 8)
        defer { result.deallocate() }
        var found: Int32 = 0
        try check(cublasLtMatmulAlgoGetHeuristic(handle, desc, a, b, dl, dl, pref, 1, result, &found), "cublasLtMatmulAlgoGetHeuristic(\(spec.kind))")
        guard found > 0 else {
            throw LongLiveError("cuBLASLt has no \(spec.kind) algorithm for \(spec.m)×\(spec.n)×\(spec.k) with \(spec.output) output on this GPU")
        }
        // alpha/beta have the scale type: int32 for the int8 GEMM, f32 for FP8.
        if spec.kind == .int8 {
            var alpha: Int32 = 1, beta: Int32 = 0
            try check(cublasLtMatmul(handle, desc, &alpha, weight, a, activations, b, &beta, d, dl, d, dl, result, workspace, workspaceBytes, stream),
                      "cublasLtMatmul int8 \(spec.m)×\(spec.n)×\(spec.k)")
        } else {
            var alpha: Float = 1, beta: Float = 0
            try check(cublasLtMatmul(handle, desc, &alpha, weight, a, activations, b, &beta, d, dl, d, dl, result, workspace, workspaceBytes, stream),
                      "cublasLtMatmul fp8 \(spec.m)×\(spec.n)×\(spec.k)")
        }
    }
}
