import COpenBLAS

/// Thin, typed entry point to OpenBLAS's row-major SGEMM: C = alpha·op(A)·op(B) + beta·C.
public enum BLAS {
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets OpenBLAS's own thread count (it is process-wide).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    /// OpenBLAS's current thread count.
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// OpenBLAS's build and kernel description (e.g. "OpenBLAS 0.3.21 ... Haswell").
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The CPU kernel family OpenBLAS selected.
    public static var coreName: String { String(cString: openblas_get_corename()) }
}
