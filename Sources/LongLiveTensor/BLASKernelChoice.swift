#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS picks its kernels from the CPU model number when the library loads. A CPU newer than the
/// library gets a generic fallback: on an AVX-512 Xeon, OpenBLAS 0.3.21 (Debian 12) chose "Prescott"
/// (SSE3) and ran sgemm at 60 GFLOP/s on 2 cores, against 316 with its SkylakeX kernels. The choice
/// can only be changed before the library loads, through `OPENBLAS_CORETYPE`, so the command line
/// relaunches itself once with it set.
extension BLAS {
    /// Kernel families that already use the CPU's vector units well; never overridden.
    static let modernCores: Set<String> = ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"]

    /// The `OPENBLAS_CORETYPE` to ask for when OpenBLAS chose `coreName` on a CPU with the feature
    /// flags `cpuFlags` (as /proc/cpuinfo names them; read only when OpenBLAS's choice is not modern,
    /// so a normal start reads no file); nil to keep its choice. SkylakeX kernels need AVX-512 F, BW,
    /// DQ and VL; Haswell kernels AVX2 and FMA.
    public static func betterCoreType(coreName: String, cpuFlags: @autoclosure () -> Set<String>) -> String? {
        guard !modernCores.contains(coreName) else { return nil }
        let flags = cpuFlags()
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The feature flags of the first CPU in /proc/cpuinfo (empty where it cannot be read).
    static func cpuFlags() -> Set<String> {
        guard let text = try? FileIO.readText("/proc/cpuinfo"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Relaunches the process (same arguments) with `OPENBLAS_CORETYPE` set when OpenBLAS fell back
    /// to kernels older than the CPU. Does nothing when the variable is already set (by the user, or
    /// by this relaunch), and carries on as before if the relaunch cannot happen.
    public static func relaunchWithFasterKernelsIfNeeded() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              let core = betterCoreType(coreName: coreName, cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the relaunch failed; keep the slower kernels rather than stop.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
