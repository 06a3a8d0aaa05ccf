import COpenBLAS

/// Typed entry points to OpenBLAS's row-major SGEMM: C = alpha·op(A)·op(B) + beta·C.
///
/// OpenBLAS runs single-threaded here and the engine splits work across cores itself: OpenBLAS's own
/// thread pool costs more in wake-ups than it gains on the many small GEMMs of a streaming model,
/// and attention runs whole (head, tile) pipelines per core so the score tile stays in that core's cache.
public enum BLAS {
    /// Set once, before the first GEMM.
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// One single-threaded SGEMM on the calling thread.
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// SGEMM split across cores (`Parallel`): by rows of C, or by columns when C has few rows.
    /// Each part is an independent single-threaded SGEMM, so results equal the one-call result
    /// up to the blocking of the inner products.
    public static func parallelSgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let work = Double(m) * Double(n) * Double(k)
        let workers = Parallel.workers
        if workers == 1 || work < 4e6 {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if m >= 16 * workers {
            // Row blocks: rows of op(A) and of C.
            let block = (m + workers - 1) / workers
            Parallel.forRanges(workers) { r in
                for w in r {
                    let lo = w * block, hi = min(m, lo + block)
                    if lo >= hi { continue }
                    let aOff = transA ? lo : lo * lda
                    sgemm(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha, a: a + aOff, lda: lda,
                          b: b, ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc)
                }
            }
        } else {
            // Column blocks: columns of op(B) and of C.
            let block = ((n + workers - 1) / workers + 15) / 16 * 16
            Parallel.forRanges(workers) { r in
                for w in r {
                    let lo = w * block, hi = min(n, lo + block)
                    if lo >= hi { continue }
                    let bOff = transB ? lo * ldb : lo
                    sgemm(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                          b: b + bOff, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
                }
            }
        }
    }

    /// Runs `body` with OpenBLAS using its own `n` threads (machine probes only; no other GEMM may run meanwhile).
    public static func withOpenBLASThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        _ = singleThreaded
        openblas_set_num_threads(Int32(n))
        defer { openblas_set_num_threads(1) }
        return try body()
    }

    /// OpenBLAS's thread count (1: the engine parallelises around it).
    public static var threads: Int { _ = singleThreaded; return Int(openblas_get_num_threads()) }
    /// OpenBLAS's build and kernel description (e.g. "OpenBLAS 0.3.21 ... Haswell").
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The CPU kernel family OpenBLAS selected.
    public static var coreName: String { String(cString: openblas_get_corename()) }
}
