#if canImport(Glibc)
import Glibc
#endif

/// Philox-4x32-10, a counter-based generator: the numbers depend only on (seed, stream, index), so
/// any chunk's noise can be drawn alone, in any order, on any thread or device, and is identical
/// on every run.
public struct Philox4x32: Sendable {
    public let key: (UInt32, UInt32)

    public init(seed: UInt64) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// Four 32-bit words for the 128-bit counter (c0, c1, c2, c3).
    @inline(__always)
    public func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var (x0, x1, x2, x3) = (c0, c1, c2, c3)
        var (k0, k1) = key
        for _ in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(x0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(x2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (x0, x1, x2, x3) = (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0)
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (x0, x1, x2, x3)
    }

    /// `count` standard normal numbers of stream `stream` (Box–Muller on 4-word blocks).
    /// Element `i` is a pure function of (seed, stream, i).
    public func normals(stream: UInt64, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let s0 = UInt32(truncatingIfNeeded: stream), s1 = UInt32(truncatingIfNeeded: stream >> 32)
        out.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            let blocks = (count + 3) / 4
            Parallel.forRanges(blocks, grain: 4096) { range in
                for b in range {
                    let r = block(UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), s0, s1)
                    let (n0, n1) = Philox4x32.boxMuller(r.0, r.1)
                    let (n2, n3) = Philox4x32.boxMuller(r.2, r.3)
                    let base = b * 4
                    if base < count { p[base] = n0 }
                    if base + 1 < count { p[base + 1] = n1 }
                    if base + 2 < count { p[base + 2] = n2 }
                    if base + 3 < count { p[base + 3] = n3 }
                }
            }
        }
        return out
    }

    /// A tensor of standard normals for stream `stream`.
    public func normalTensor(shape: [Int], stream: UInt64) -> Tensor {
        Tensor(shape: shape, values: normals(stream: stream, count: shape.reduce(1, *)))
    }

    @inline(__always)
    static func boxMuller(_ a: UInt32, _ b: UInt32) -> (Float, Float) {
        // u1 in (0, 1] so the log is finite; computed in double for accuracy in the tails.
        let u1 = (Double(a) + 1) / 4_294_967_296.0
        let u2 = Double(b) / 4_294_967_296.0
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (Float(r * cos(theta)), Float(r * sin(theta)))
    }
}
