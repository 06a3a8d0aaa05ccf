#if canImport(Glibc)
import Glibc
#endif

/// Wall-time accumulation per labelled section, off unless enabled (`longlive bench --profile`).
/// Sections are only measured on the calling thread, so nest them only around whole ops.
public final class Profiler: @unchecked Sendable {
    public static let shared = Profiler()
    public var isEnabled = false
    private var totals: [String: Double] = [:]
    private var order: [String] = []

    /// Runs `body`, adding its wall time to `label` when profiling is on.
    @inline(__always)
    public func measure<R>(_ label: @autoclosure () -> String, _ body: () throws -> R) rethrows -> R {
        guard isEnabled else { return try body() }
        var t0 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        let r = try body()
        var t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t1)
        let dt = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) * 1e-9
        let l = label()
        if totals[l] == nil { order.append(l) }
        totals[l, default: 0] += dt
        return r
    }

    /// Accumulated seconds per label, in first-seen order.
    public var report: [(String, Double)] { order.map { ($0, totals[$0]!) } }

    public func reset() {
        totals = [:]
        order = []
    }
}
