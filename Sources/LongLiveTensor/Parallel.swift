import CLongLiveKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splits loops over the machine's cores. GEMMs are threaded by OpenBLAS itself, so kernels call
/// this only for the non-GEMM work between them (never around a BLAS call).
public enum Parallel {
    /// Worker count: `LONGLIVE_THREADS` if set, else the online CPU count.
    public static let threadCount: Int = {
        if let s = getenv("LONGLIVE_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, in parallel when the work is big enough.
    /// `grain` is the smallest range worth a thread of its own.
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let workers = min(threadCount, max(1, count / max(grain, 1)))
        if workers <= 1 { body(0..<count); return }
        let pieces = workers * 4 <= count ? workers * 4 : workers
        // A SIMD-level limit pinned by the caller (tests of each kernel path) holds in the workers too.
        let limit = ll_kernels_level_limit()
        DispatchQueue.concurrentPerform(iterations: pieces) { i in
            let lo = count * i / pieces, hi = count * (i + 1) / pieces
            let previous = ll_kernels_level_limit()
            if previous != limit { ll_kernels_limit_level(limit) }
            if lo < hi { body(lo..<hi) }
            if previous != limit { ll_kernels_limit_level(previous) }
        }
    }
}
