#if canImport(Glibc)
import Glibc
#endif

/// Wan's 3-D rotary position embedding.
///
/// A head of width `d` is `d/2` complex pairs `(x[2i], x[2i+1])`, split into a frame part of
/// `c − 2⌊c/3⌋` pairs and height / width parts of `⌊c/3⌋` pairs each (`c = d/2`; 22/21/21 for d = 128).
/// A sub-space with `n` pairs uses `θ_j = 10000^(−j/n)`, angle = position · θ_j (positions are
/// absolute latent-frame indices for the frame part, so cached keys keep their rotation forever).
public struct Rope3D: Sendable {
    public let headDim: Int
    public let framePairs: Int
    public let heightPairs: Int
    public let widthPairs: Int

    public init(headDim: Int) {
        self.headDim = headDim
        let c = headDim / 2
        heightPairs = c / 3
        widthPairs = c / 3
        framePairs = c - 2 * (c / 3)
    }

    /// Angles `position · θ_j` for `pairs` pairs, in double precision as the reference computes them.
    static func angles(position: Int, pairs: Int) -> [Double] {
        (0..<pairs).map { j in Double(position) * pow(10000.0, -Double(2 * j) / Double(2 * pairs)) }
    }

    /// Rotates `x` (`[frames·rows·cols, heads·headDim]`, tokens frame-major then row then column) in place.
    /// Token (f, r, c) gets frame position `firstFrame + f`.
    /// ``apply(_:frames:rows:cols:heads:firstFrame:)`` as a recorded op (training): a rotated copy whose
    /// backward rotates the gradient back (the transpose of a rotation is its inverse).
    public func rotated(_ x: Tensor, frames: Int, rows: Int, cols: Int, heads: Int, firstFrame: Int) -> Tensor {
        var y = x.detached()
        apply(&y, frames: frames, rows: rows, cols: cols, heads: heads, firstFrame: firstFrame)
        return Tape.record(y, inputs: [x], label: "rope") { g, _ in
            var d = g.detached()
            self.apply(&d, frames: frames, rows: rows, cols: cols, heads: heads, firstFrame: firstFrame, inverse: true)
            return [d]
        }
    }

    public func apply(_ x: inout Tensor, frames: Int, rows: Int, cols: Int, heads: Int, firstFrame: Int, inverse: Bool = false) {
        let width = heads * headDim
        precondition(x.count == frames * rows * cols * width, "rope: \(x.shape) for \(frames)×\(rows)×\(cols) tokens of \(width)")
        let pairsPerHead = headDim / 2
        // cos/sin per (token, pair) factor into three small tables.
        func table(_ count: Int, _ first: Int, _ pairs: Int) -> (cos: [Float], sin: [Float]) {
            var c = [Float](repeating: 0, count: count * pairs), s = c
            for p in 0..<count {
                let a = Rope3D.angles(position: first + p, pairs: pairs)
                for j in 0..<pairs { c[p * pairs + j] = Float(cos(a[j])); s[p * pairs + j] = Float(sin(a[j])) * (inverse ? -1 : 1) }
            }
            return (c, s)
        }
        let tf = table(frames, firstFrame, framePairs)
        let th = table(rows, 0, heightPairs)
        let tw = table(cols, 0, widthPairs)
        let fp = framePairs, hp = heightPairs, wp = widthPairs
        let tokens = frames * rows * cols
        x.withMutableFloats { buf in
            let base = buf.baseAddress!
            tf.cos.withUnsafeBufferPointer { fc in tf.sin.withUnsafeBufferPointer { fs in
            th.cos.withUnsafeBufferPointer { hc in th.sin.withUnsafeBufferPointer { hs in
            tw.cos.withUnsafeBufferPointer { wc in tw.sin.withUnsafeBufferPointer { ws in
                Parallel.forRanges(tokens, grain: 64) { range in
                    var cosRow = [Float](repeating: 0, count: pairsPerHead)
                    var sinRow = [Float](repeating: 0, count: pairsPerHead)
                    for t in range {
                        let f = t / (rows * cols), r = (t / cols) % rows, c = t % cols
                        for j in 0..<fp { cosRow[j] = fc[f * fp + j]; sinRow[j] = fs[f * fp + j] }
                        for j in 0..<hp { cosRow[fp + j] = hc[r * hp + j]; sinRow[fp + j] = hs[r * hp + j] }
                        for j in 0..<wp { cosRow[fp + hp + j] = wc[c * wp + j]; sinRow[fp + hp + j] = ws[c * wp + j] }
                        let row = base + t * width
                        for h in 0..<heads {
                            let v = row + h * headDim
                            for j in 0..<pairsPerHead {
                                let a = v[2 * j], b = v[2 * j + 1]
                                v[2 * j] = a * cosRow[j] - b * sinRow[j]
                                v[2 * j + 1] = a * sinRow[j] + b * cosRow[j]
                            }
                        }
                    }
                }
            }}}}}}
        }
    }
}
