import LongLiveTensor
#if canImport(Glibc)
import Glibc
#endif

/// Deterministic input generator (SplitMix64), independent of the `Philox4x32` under test.
struct TestRNG {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u1 = uniform() + 0x1p-54, u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    mutating func normals(_ n: Int, scale: Double = 1, offset: Double = 0) -> [Float] {
        (0..<n).map { _ in Float(offset + scale * normal()) }
    }
}

/// A float32 tensor of `N(offset, scale²)` values.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1, offset: Double = 0) -> Tensor {
    var rng = TestRNG(seed: seed)
    return Tensor(shape: shape, values: rng.normals(shape.reduce(1, *), scale: scale, offset: offset))
}

/// Normalised mean squared error Σ(a−b)² / Σb², accumulated in double.
///
/// NMSE is the squared RMS relative error: float32 rounding (unit roundoff u = 2⁻²⁴ ≈ 6e-8) gives
/// about u² ≈ 3.6e-15 per rounding, so an op made of a handful of float operations lands near 1e-14,
/// while any real defect (a wrong constant, a skipped element, a mis-indexed tail) gives ≥ 1e-6.
func nmse(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.count == b.count)
    let x = a.scalars, y = b.scalars
    var num = 0.0, den = 0.0
    for i in 0..<x.count {
        let d = Double(x[i]) - Double(y[i])
        num += d * d
        den += Double(y[i]) * Double(y[i])
    }
    if num.isNaN { return .infinity }
    return den > 0 ? num / den : num
}

/// max |a − b| / max(|b|, floor) over elements — a pointwise check that catches a single bad element
/// (e.g. the scalar tail after the 8-wide SIMD loop) that NMSE over many elements could dilute.
func maxRelativeError(_ a: Tensor, _ b: Tensor, floor: Double = 1) -> Double {
    precondition(a.count == b.count)
    let x = a.scalars, y = b.scalars
    var worst = 0.0
    for i in 0..<x.count {
        let d = abs(Double(x[i]) - Double(y[i]))
        if d.isNaN { return .infinity }
        worst = max(worst, d / max(abs(Double(y[i])), floor))
    }
    return worst
}

/// A fresh folder under $TMPDIR (or /tmp) made with mkdtemp; removed (with its files) on deinit.
final class TemporaryFolder {
    let path: String

    init() throws {
        let root = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(root)/longlive-tensor-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw LongLiveError("mkdtemp failed in \(root): \(String(cString: strerror(errno)))") }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        for name in (try? FileIO.list(path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }
}

/// The message of a thrown `LongLiveError` (or the description of another error); nil if nothing was thrown.
func thrownMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as LongLiveError {
        return e.message
    } catch {
        return "\(error)"
    }
}
