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

    /// Workers the calling thread's parallel work may use: ``threadCount``, or less inside ``withWorkers(_:_:)``.
    public static var workers: Int {
        let budget = Int(ll_worker_budget())
        return budget > 0 ? min(budget, threadCount) : threadCount
    }

    /// Runs `body` with at most `n` workers for the parallel loops (and split GEMMs) it starts on this
    /// thread — for tasks that already run side by side, one per core.
    public static func withWorkers<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let previous = ll_worker_budget()
        ll_set_worker_budget(Int32(max(1, n)))
        defer { ll_set_worker_budget(previous) }
        return try body()
    }

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, in parallel when the work is big enough.
    /// `grain` is the smallest range worth a thread of its own.
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let workers = min(self.workers, max(1, count / max(grain, 1)))
        if workers <= 1 { body(0..<count); return }
        let pieces = workers * 4 <= count ? workers * 4 : workers
        // A SIMD-level limit pinned by the caller (tests of each kernel path) holds in the workers too.
        let limit = ll_kernels_level_limit(), budget = ll_worker_budget()
        DispatchQueue.concurrentPerform(iterations: pieces) { i in
            let lo = count * i / pieces, hi = count * (i + 1) / pieces
            let previous = ll_kernels_level_limit(), previousBudget = ll_worker_budget()
            if previous != limit { ll_kernels_limit_level(limit) }
            if previousBudget != budget { ll_set_worker_budget(budget) }
            if lo < hi { body(lo..<hi) }
            if previous != limit { ll_kernels_limit_level(previous) }
            if previousBudget != budget { ll_set_worker_budget(previousBudget) }
        }
    }
}
