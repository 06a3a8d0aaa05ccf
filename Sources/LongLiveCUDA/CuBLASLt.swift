import LongLiveTensor

/// cuBLASLt, resolved from `libcublasLt.so.*`: the GEMMs of every linear layer.
///
/// Enum values are the documented ones from `cublasLt.h` / `library_types.h`; only what the engine's
/// `y = x·Wᵀ + b` (optionally with GELU) needs is declared.
public struct CuBLASLt: @unchecked Sendable {
    public typealias Handle = OpaquePointer?

    public let library: DynamicLibrary
    let cublasLtGetVersion: @convention(c) () -> Int
    let cublasLtCreate: @convention(c) (UnsafeMutablePointer<Handle>) -> Int32
    let cublasLtMatmulDescCreate: @convention(c) (UnsafeMutablePointer<Handle>, Int32, Int32) -> Int32
    let cublasLtMatmulDescDestroy: @convention(c) (Handle) -> Int32
    let cublasLtMatmulDescSetAttribute: @convention(c) (Handle, Int32, UnsafeRawPointer, Int) -> Int32
    let cublasLtMatrixLayoutCreate: @convention(c) (UnsafeMutablePointer<Handle>, Int32, UInt64, UInt64, Int64) -> Int32
    let cublasLtMatrixLayoutDestroy: @convention(c) (Handle) -> Int32
    let cublasLtMatmulPreferenceCreate: @convention(c) (UnsafeMutablePointer<Handle>) -> Int32
    let cublasLtMatmulPreferenceDestroy: @convention(c) (Handle) -> Int32
    let cublasLtMatmulPreferenceSetAttribute: @convention(c) (Handle, Int32, UnsafeRawPointer, Int) -> Int32
    let cublasLtMatmulAlgoGetHeuristic: @convention(c) (Handle, Handle, Handle, Handle, Handle, Handle, Handle, Int32,
                                                        UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> Int32
    let cublasLtMatmul: @convention(c) (Handle, Handle, UnsafeRawPointer, CUdeviceptr, Handle, CUdeviceptr, Handle,
                                        UnsafeRawPointer, CUdeviceptr, Handle, CUdeviceptr, Handle,
                                        UnsafeRawPointer?, CUdeviceptr, Int, OpaquePointer?) -> Int32

    // cudaDataType_t / cublasComputeType_t / attribute numbers (documented values).
    static let dataF32: Int32 = 0          // CUDA_R_32F
    static let dataBF16: Int32 = 14        // CUDA_R_16BF
    static let compute32F: Int32 = 68      // CUBLAS_COMPUTE_32F
    static let descTransA: Int32 = 3       // CUBLASLT_MATMUL_DESC_TRANSA
    static let descTransB: Int32 = 4       // CUBLASLT_MATMUL_DESC_TRANSB
    static let descEpilogue: Int32 = 7     // CUBLASLT_MATMUL_DESC_EPILOGUE
    static let descBiasPointer: Int32 = 8  // CUBLASLT_MATMUL_DESC_BIAS_POINTER
    static let prefMaxWorkspace: Int32 = 1 // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES
    /// `sizeof(cublasLtMatmulHeuristicResult_t)`: algo (8 × u64) + workspace size + state + waves + 4 reserved ints.
    static let heuristicResultBytes = 96

    /// `cublasLtEpilogue_t` values the linears use.
    public enum Epilogue: UInt32, Sendable {
        case none = 1      // CUBLASLT_EPILOGUE_DEFAULT
        case gelu = 32     // CUBLASLT_EPILOGUE_GELU
        case bias = 4      // CUBLASLT_EPILOGUE_BIAS
        case geluBias = 36 // CUBLASLT_EPILOGUE_GELU_BIAS (tanh approximation, as Wan's FFN)
    }

    /// Resolves the entry points of an opened cuBLASLt library.
    public init(library: DynamicLibrary) throws {
        self.library = library
        cublasLtGetVersion = try library.function("cublasLtGetVersion")
        cublasLtCreate = try library.function("cublasLtCreate")
        cublasLtMatmulDescCreate = try library.function("cublasLtMatmulDescCreate")
        cublasLtMatmulDescDestroy = try library.function("cublasLtMatmulDescDestroy")
        cublasLtMatmulDescSetAttribute = try library.function("cublasLtMatmulDescSetAttribute")
        cublasLtMatrixLayoutCreate = try library.function("cublasLtMatrixLayoutCreate")
        cublasLtMatrixLayoutDestroy = try library.function("cublasLtMatrixLayoutDestroy")
        cublasLtMatmulPreferenceCreate = try library.function("cublasLtMatmulPreferenceCreate")
        cublasLtMatmulPreferenceDestroy = try library.function("cublasLtMatmulPreferenceDestroy")
        cublasLtMatmulPreferenceSetAttribute = try library.function("cublasLtMatmulPreferenceSetAttribute")
        cublasLtMatmulAlgoGetHeuristic = try library.function("cublasLtMatmulAlgoGetHeuristic")
        cublasLtMatmul = try library.function("cublasLtMatmul")
    }

    /// `cublasLtGetVersion()`, e.g. 130100 for 13.1.0 (needs no GPU).
    public var version: Int { cublasLtGetVersion() }

    /// A library handle (needs a current CUDA context).
    public func createHandle() throws -> Handle {
        var h: Handle = nil
        try check(cublasLtCreate(&h), "cublasLtCreate")
        return h
    }

    /// `y[M,N] = x[M,K] · w[N,K]ᵀ (+ bias[N]) (then GELU)`, all row-major bf16, f32 accumulation,
    /// on `stream`.
    ///
    /// cuBLASLt is column-major: a row-major `[M,N]` is a column-major `N×M`, so this computes
    /// `yᵀ = w · xᵀ` with A = w (transposed, `K×N` ld K), B = xᵀ (`K×M` ld K), D = `N×M` ld N; the
    /// bias then runs along D's rows, i.e. per output feature, which is what the epilogue adds.
    /// Untested here (no GPU in CI): `longlive cuda selftest` on a GPU checks it against BLAS.
    public func linear(handle: Handle, m: Int, n: Int, k: Int, x: CUdeviceptr, w: CUdeviceptr, bias: CUdeviceptr?,
                       epilogue: Epilogue, y: CUdeviceptr, workspace: CUdeviceptr, workspaceBytes: Int,
                       stream: OpaquePointer?) throws {
        var desc: Handle = nil, a: Handle = nil, b: Handle = nil, d: Handle = nil, pref: Handle = nil
        try check(cublasLtMatmulDescCreate(&desc, CuBLASLt.compute32F, CuBLASLt.dataF32), "cublasLtMatmulDescCreate")
        defer { _ = cublasLtMatmulDescDestroy(desc) }
        var opT: Int32 = 1, opN: Int32 = 0
        try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descTransA, &opT, 4), "set TRANSA")
        try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descTransB, &opN, 4), "set TRANSB")
        // Without a bias vector the bias epilogues degrade to their bias-free forms.
        var epi: UInt32
        switch (epilogue, bias) {
        case (.bias, nil): epi = Epilogue.none.rawValue
        case (.geluBias, nil): epi = Epilogue.gelu.rawValue
        default: epi = epilogue.rawValue
        }
        try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descEpilogue, &epi, 4), "set EPILOGUE")
        if var biasPointer = bias {
            try check(cublasLtMatmulDescSetAttribute(desc, CuBLASLt.descBiasPointer, &biasPointer, 8), "set BIAS_POINTER")
        }
        try check(cublasLtMatrixLayoutCreate(&a, CuBLASLt.dataBF16, UInt64(k), UInt64(n), Int64(k)), "layout A")
        defer { _ = cublasLtMatrixLayoutDestroy(a) }
        try check(cublasLtMatrixLayoutCreate(&b, CuBLASLt.dataBF16, UInt64(k), UInt64(m), Int64(k)), "layout B")
        defer { _ = cublasLtMatrixLayoutDestroy(b) }
        try check(cublasLtMatrixLayoutCreate(&d, CuBLASLt.dataBF16, UInt64(n), UInt64(m), Int64(n)), "layout D")
        defer { _ = cublasLtMatrixLayoutDestroy(d) }
        try check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate")
        defer { _ = cublasLtMatmulPreferenceDestroy(pref) }
        var ws = UInt64(workspaceBytes)
        try check(cublasLtMatmulPreferenceSetAttribute(pref, CuBLASLt.prefMaxWorkspace, &ws, 8), "set MAX_WORKSPACE_BYTES")
        let result = UnsafeMutableRawPointer.allocate(byteCount: CuBLASLt.heuristicResultBytes, alignment: 8)
        defer { result.deallocate() }
        var found: Int32 = 0
        try check(cublasLtMatmulAlgoGetHeuristic(handle, desc, a, b, d, d, pref, 1, result, &found), "cublasLtMatmulAlgoGetHeuristic")
        guard found > 0 else { throw LongLiveError("cuBLASLt has no algorithm for a \(m)×\(n)×\(k) bf16 linear with epilogue \(epilogue)") }
        var alpha: Float = 1, beta: Float = 0
        try check(cublasLtMatmul(handle, desc, &alpha, w, a, x, b, &beta, y, d, y, d, result, workspace, workspaceBytes, stream),
                  "cublasLtMatmul \(m)×\(n)×\(k)")
    }

    func check(_ status: Int32, _ call: String) throws {
        if status != 0 { throw LongLiveError("cuBLASLt: \(call) failed with cublasStatus_t \(status)") }
    }
}
