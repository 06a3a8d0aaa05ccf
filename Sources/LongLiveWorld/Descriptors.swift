/// The exact features the consistency metrics compare (evaluation note §3.3, the "attr" variants),
/// standing in for DINO and CLIP features.
public enum Descriptors {
    /// Scale κ of the similarity exp(−‖a − b‖/κ).
    public static let subjectScale = 0.25
    /// Scale of the background similarity exp(−mean cell distance / scale), in 8-bit RGB units.
    public static let backgroundScale = 20.0
    /// Background grid: cells per side. Fine enough that a pattern shifted by a phase step differs.
    public static let grid = 16

    /// Which parts of a subject descriptor to use; a cross-switch comparison leaves out what the
    /// switch changed.
    public struct Groups: Equatable, Sendable {
        public var color = true, shape = true, size = true
        public init(color: Bool = true, shape: Bool = true, size: Bool = true) { self.color = color; self.shape = shape; self.size = size }
        public var isEmpty: Bool { !color && !shape && !size }
    }

    /// Subject descriptor: [mean RGB / 255, shape posterior, size posterior], restricted to `groups`.
    public static func subject(_ o: ParsedObject, groups: Groups = Groups()) -> [Double] {
        var a: [Double] = []
        if groups.color { a += [Double(o.meanColor.r) / 255, Double(o.meanColor.g) / 255, Double(o.meanColor.b) / 255] }
        if groups.shape { a += o.shapePosterior.map(Double.init) }
        if groups.size { a += o.sizePosterior.map(Double.init) }
        return a
    }

    public static func subjectSimilarity(_ a: [Double]?, _ b: [Double]?) -> Double {
        guard let a, let b, a.count == b.count else { return 0 }
        var s = 0.0
        for i in a.indices { s += (a[i] - b[i]) * (a[i] - b[i]) }
        return exp(-s.squareRoot() / subjectScale)
    }

    /// Background descriptor: a grid of mean colours where pixels covered by subjects (and their
    /// two-pixel margin) are replaced by the fitted background, so a subject moving over a pattern
    /// does not change it.
    public static func background(_ img: RGBImage, parsed: ParsedFrame) -> [Float] {
        let g = grid, w = img.width, h = img.height
        var sums = [Float](repeating: 0, count: g * g * 3), counts = [Int](repeating: 0, count: g * g)
        let model = parsed.foreground.contains(1) ? Renderer.backgroundPixels(parsed.background.state, width: w, height: h) : []
        for y in 0..<h {
            let cy = y * g / h
            for x in 0..<w {
                let c = cy * g + x * g / w, i = y * w + x
                for ch in 0..<3 { sums[3 * c + ch] += parsed.foreground[i] == 0 ? Float(img.pixels[3 * i + ch]) : model[3 * i + ch] }
                counts[c] += 1
            }
        }
        for c in 0..<(g * g) { for ch in 0..<3 { sums[3 * c + ch] /= Float(max(1, counts[c])) } }
        return sums
    }

    public static func backgroundSimilarity(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        let cells = a.count / 3
        for c in 0..<cells {
            let dr = a[3 * c] - b[3 * c], dg = a[3 * c + 1] - b[3 * c + 1], db = a[3 * c + 2] - b[3 * c + 2]
            s += Double((dr * dr + dg * dg + db * db).squareRoot())
        }
        return exp(-(s / Double(cells)) / backgroundScale)
    }
}

#if canImport(Glibc)
import Glibc
#endif
