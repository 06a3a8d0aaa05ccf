#if canImport(Glibc)
import Glibc
#endif

/// Measurements of the machine itself, reported beside the engine's figures.
public enum MachineProbe {
    /// Best SGEMM rate (GFLOP/s) over a few repetitions of an `m×k · k×n` product, the better of
    /// OpenBLAS's own threading over all cores and the engine's split (`BLAS.parallelSgemm`).
    public static func sgemmGFLOPs(m: Int, n: Int, k: Int, repetitions: Int = 3) -> Double {
        let own = BLAS.withOpenBLASThreads(Parallel.threadCount) {
            sgemmGFLOPs(m: m, n: n, k: k, repetitions: repetitions, split: false)
        }
        return max(own, sgemmGFLOPs(m: m, n: n, k: k, repetitions: repetitions, split: true))
    }

    static func sgemmGFLOPs(m: Int, n: Int, k: Int, repetitions: Int, split: Bool) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<(repetitions + 1) {  // the first run warms OpenBLAS's threads and buffers
            let t0 = monotonicSeconds()
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                if split {
                    BLAS.parallelSgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                } else {
                    BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                }
            }}}
            best = min(best, monotonicSeconds() - t0)
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }

    /// Peak resident set size of this process (bytes), from /proc.
    public static func peakRSS() -> Int { procStatus("VmHWM") }
    /// Current resident set size (bytes).
    public static func currentRSS() -> Int { procStatus("VmRSS") }

    static func procStatus(_ key: String) -> Int {
        guard let text = try? FileIO.readText("/proc/self/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            // "VmRSS:\t  123456 kB": the number may follow the tab directly.
            let digits = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
            return digits * 1024
        }
        return 0
    }

    /// CPU model name from /proc/cpuinfo.
    public static func cpuName() -> String {
        guard let text = try? FileIO.readText("/proc/cpuinfo") else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { String($0.drop(while: { $0 == " " })) } ?? "unknown CPU"
        }
        return "unknown CPU"
    }
}
