/// A small seeded generator (SplitMix64) for sequential choices in the world: scene layouts,
/// scripts and corruptions. Tensor noise uses Philox; here a plain sequential stream is simpler and
/// the same seed always yields the same world on every machine.
public struct WorldRandom: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator derived from a seed and a list of labels, so independent parts of the world
    /// (subject 2's shade, a script's 5th segment) draw from independent streams.
    public init(seed: UInt64, _ labels: UInt64...) {
        var s = seed
        for l in labels { s = WorldRandom.mix(s ^ (l &* 0x9E37_79B9_7F4A_7C15) &+ 0x632B_E59B_D9B4_E019) }
        state = s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return WorldRandom.mix(state)
    }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / 9_007_199_254_740_992.0 }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

    /// Uniform integer in 0..<n.
    public mutating func int(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    /// A uniformly chosen element.
    public mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }

    /// A standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = unit() + 1e-300, u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#endif
