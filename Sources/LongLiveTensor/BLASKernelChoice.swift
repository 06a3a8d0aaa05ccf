#if canImport(Glibc)
import Glibc
#endif
import CLongLiveKernels

/// OpenBLAS picks its kernels from the CPU model number when the library loads. A CPU newer than the
/// library gets a generic fallback: on an AVX-512 Xeon, OpenBLAS 0.3.21 (Debian 12) chose "Prescott"
/// (SSE3) and ran sgemm at 60 GFLOP/s on 2 cores, against 316 with its SkylakeX kernels. The choice
/// can only be changed before the library loads, through `OPENBLAS_CORETYPE`, so the command line
/// relaunches itself once with it set.
extension BLAS {
    /// Kernel families that already use the CPU's vector units well; never overridden.
    static let modernCores: Set<String> = ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"]

    /// The `OPENBLAS_CORETYPE` to ask for when OpenBLAS chose `coreName` on a CPU where our own
    /// kernels found SIMD level `simdLevel` (2: AVX-512, 1: AVX2 + FMA); nil to keep its choice.
    public static func betterCoreType(coreName: String, simdLevel: Int32) -> String? {
        guard !modernCores.contains(coreName) else { return nil }
        switch simdLevel {
        case 2...: return "SkylakeX"
        case 1: return "Haswell"
        default: return nil
        }
    }

    /// Relaunches the process (same arguments) with `OPENBLAS_CORETYPE` set when OpenBLAS fell back
    /// to kernels older than the CPU. Does nothing when the variable is already set (by the user, or
    /// by this relaunch), and carries on as before if the relaunch cannot happen.
    public static func relaunchWithFasterKernelsIfNeeded() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              let core = betterCoreType(coreName: coreName, simdLevel: ll_kernels_simd_level()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the relaunch failed; keep the slower kernels rather than stop.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
