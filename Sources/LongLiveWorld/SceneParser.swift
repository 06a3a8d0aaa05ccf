#if canImport(Glibc)
import Glibc
#endif

/// Reads a frame back into a scene without learned weights (evaluation note §3.2):
/// 1. background colour by votes of pixels for the nearest background shade;
/// 2. the two shades as means of the pixels nearest each, and the pattern and phase with the
///    fewest disagreeing pixels;
/// 3. foreground = pixels far (> ``foregroundDistance``) from the fitted background; 8-connected
///    components on the wrapped frame are subjects;
/// 4. each subject's colour from its fully covered pixels, its size from its soft coverage, and its
///    shape by redrawing every candidate shape there and keeping the closest (``SubjectReader``).
///
/// A parser caches pattern profiles for one frame size; use one per thread.
public struct SceneParser {
    public let width: Int
    public let height: Int
    /// Colour distance from the fitted background above which a pixel is a subject's: about half
    /// the smallest subject/background contrast, and far above noise (σ 5 gives about 9) and the
    /// shading a 1-pixel blur leaves at pattern edges (under 35).
    public static let foregroundDistance: Float = 50
    /// Components smaller than this many pixels (at 64x64; scaled by area) are noise.
    public static let minimumArea = 8

    /// Per pattern (striped, checkered) and phase: the column and row tint profiles.
    private var profiles: [[(x: [Float], y: [Float])]] = []

    public init(width: Int, height: Int) {
        self.width = width; self.height = height
        for pattern in [Pattern.striped, .checkered] {
            profiles.append((0..<8).map { BackgroundState(base: RGB(0, 0, 0), tint: RGB(0, 0, 0), pattern: pattern, phase: $0).profiles(width: width, height: height) })
        }
    }

    public func parse(_ image: RGBImage) -> ParsedFrame {
        precondition(image.width == width && image.height == height, "parser for \(width)x\(height) given a \(image.width)x\(image.height) frame")
        let background = readBackground(image)
        let model = Renderer.backgroundPixels(background.state, width: width, height: height)
        let n = width * height
        // Foreground by distance to the fitted background.
        var dist = [Float](repeating: 0, count: n)
        var fg = [UInt8](repeating: 0, count: n)
        let t2 = SceneParser.foregroundDistance * SceneParser.foregroundDistance
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let dr = Float(p[3 * i]) - model[3 * i], dg = Float(p[3 * i + 1]) - model[3 * i + 1], db = Float(p[3 * i + 2]) - model[3 * i + 2]
                let d2 = dr * dr + dg * dg + db * db
                dist[i] = d2.squareRoot()
                if d2 > t2 { fg[i] = 1 }
            }
        }
        let minArea = max(3, SceneParser.minimumArea * n / 4096)
        var pieces: [[(index: Int, x: Int, y: Int)]] = []
        for comp in components(fg) where comp.count >= minArea {
            pieces += splitByColor(comp, image: image, background: model, distance: dist).filter { $0.count >= minArea }
        }
        // Label map so a subject's coverage window ignores a touching neighbour's pixels.
        var labels = [Int32](repeating: -1, count: n)
        for (id, piece) in pieces.enumerated() { for p in piece { labels[p.index] = Int32(id) } }
        var objects: [ParsedObject] = []
        for (id, piece) in pieces.enumerated() {
            if let o = SubjectReader.read(component: piece, id: Int32(id), labels: labels, image: image, background: model, distance: dist) { objects.append(o) }
        }
        objects.sort { $0.area > $1.area }
        return ParsedFrame(width: width, height: height, background: background, objects: objects, foreground: dilate(fg, radius: 2))
    }

    // MARK: background

    func readBackground(_ image: RGBImage) -> ParsedBackground {
        let colors = BackgroundColor.allCases
        var votes = [Float](repeating: 0, count: colors.count)
        let step = max(1, min(width, height) / 32)
        image.pixels.withUnsafeBufferPointer { p in
            var y = 0
            while y < height {
                var x = 0
                while x < width {
                    let i = 3 * (y * width + x)
                    let c = RGB(Float(p[i]), Float(p[i + 1]), Float(p[i + 2]))
                    var best = Float.infinity, bestK = 0
                    for (k, bg) in colors.enumerated() {
                        let d = min(c.distance(to: bg.rgb), c.distance(to: bg.tint))
                        if d < best { best = d; bestK = k }
                    }
                    if best < 60 { votes[bestK] += 1 }
                    x += step
                }
                y += step
            }
        }
        let k = votes.indices.max { votes[$0] < votes[$1] }!
        let total = max(1, votes.reduce(0, +))
        let colorPosterior = votes.map { $0 / total }
        let color = colors[k]

        // Shades: means of the pixels nearest each palette shade.
        var isTint = [Int8](repeating: -1, count: width * height) // -1: not background-like
        var sums = [Double](repeating: 0, count: 6), counts = [0, 0]
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<(width * height) {
                let c = RGB(Float(p[3 * i]), Float(p[3 * i + 1]), Float(p[3 * i + 2]))
                let db = c.distance(to: color.rgb), dt = c.distance(to: color.tint)
                guard min(db, dt) < 60 else { continue }
                let j = dt < db ? 1 : 0
                isTint[i] = Int8(j)
                counts[j] += 1
                sums[3 * j] += Double(c.r); sums[3 * j + 1] += Double(c.g); sums[3 * j + 2] += Double(c.b)
            }
        }
        func mean(_ j: Int) -> RGB { RGB(Float(sums[3 * j] / Double(counts[j])), Float(sums[3 * j + 1] / Double(counts[j])), Float(sums[3 * j + 2] / Double(counts[j]))) }
        let base = counts[0] > 0 ? mean(0) : color.rgb
        let tint = counts[1] > max(8, (counts[0] + counts[1]) / 20) ? mean(1) : RGB(color.tint.r + base.r - color.rgb.r, color.tint.g + base.g - color.rgb.g, color.tint.b + base.b - color.rgb.b).clamped()

        // Pattern and phase: fewest pixels disagreeing with the predicted tint fraction.
        let bgCount = Float(max(1, counts[0] + counts[1]))
        var scores: [Float] = [Float(counts[1])] // plain: every tint pixel disagrees
        var bestPhase = [0, 0]
        for (pi, perPhase) in profiles.enumerated() {
            let pattern: Pattern = pi == 0 ? .striped : .checkered
            var best = Float.infinity
            for (ph, prof) in perPhase.enumerated() {
                var err: Float = 0
                let probe = BackgroundState(base: base, tint: tint, pattern: pattern, phase: ph)
                for y in Swift.stride(from: 0, to: height, by: 1) {
                    let fy = prof.y[y]
                    for x in 0..<width {
                        let s = isTint[y * width + x]
                        if s < 0 { continue }
                        err += abs(probe.tintFraction(fx: prof.x[x], fy: fy) - Float(s))
                    }
                }
                if err < best { best = err; bestPhase[pi] = ph }
            }
            scores.append(best)
        }
        let bestScore = scores.min()!
        let temperature = 0.02 * bgCount
        var patternPosterior = scores.map { expf(-($0 - bestScore) / temperature) }
        let z = patternPosterior.reduce(0, +)
        patternPosterior = patternPosterior.map { $0 / z }
        let pIndex = scores.firstIndex(of: bestScore)!
        let pattern = Pattern.allCases[pIndex]
        let phase = pIndex == 0 ? 0 : bestPhase[pIndex - 1]
        return ParsedBackground(color: color, colorPosterior: colorPosterior, pattern: pattern, patternPosterior: patternPosterior,
                                state: BackgroundState(base: base, tint: pattern == .plain ? base : tint, pattern: pattern, phase: phase))
    }

    // MARK: components

    /// Splits a component whose fully covered pixels show two palette colours (two subjects that
    /// touch) into one piece per colour; pixels go to the colour that explains them best as a
    /// blend with the background.
    func splitByColor(_ comp: [(index: Int, x: Int, y: Int)], image: RGBImage, background: [Float], distance: [Float]) -> [[(index: Int, x: Int, y: Int)]] {
        var maxD: Float = 0
        for p in comp { maxD = max(maxD, distance[p.index]) }
        let colors = ObjectColor.allCases.map(\.rgb)
        var votes = [Int](repeating: 0, count: colors.count)
        for p in comp where distance[p.index] >= 0.7 * maxD {
            let c = image.pixel(p.index % width, p.index / width)
            votes[colors.indices.min { c.distance(to: colors[$0]) < c.distance(to: colors[$1]) }!] += 1
        }
        let order = votes.indices.sorted { votes[$0] > votes[$1] }
        let core = votes.reduce(0, +)
        guard votes[order[1]] >= max(4, core / 5) else { return [comp] }
        let pair = [order[0], order[1]]
        var parts: [[(index: Int, x: Int, y: Int)]] = [[], []]
        for p in comp {
            let px = image.pixel(p.index % width, p.index / width)
            let b = RGB(background[3 * p.index], background[3 * p.index + 1], background[3 * p.index + 2])
            let resid = pair.map { k -> Float in
                let v = RGB(colors[k].r - b.r, colors[k].g - b.g, colors[k].b - b.b)
                let d = RGB(px.r - b.r, px.g - b.g, px.b - b.b)
                let v2 = max(1, v.r * v.r + v.g * v.g + v.b * v.b)
                let a = min(1.2, max(0, (d.r * v.r + d.g * v.g + d.b * v.b) / v2))
                return RGB(d.r - a * v.r, d.g - a * v.g, d.b - a * v.b).distance(to: RGB(0, 0, 0))
            }
            parts[resid[0] <= resid[1] ? 0 : 1].append(p)
        }
        return parts
    }

    /// 8-connected components of `mask` on the wrapped frame; each pixel comes with unwrapped
    /// coordinates relative to the component's first pixel, so a subject split by the frame edge
    /// is measured whole.
    func components(_ mask: [UInt8]) -> [[(index: Int, x: Int, y: Int)]] {
        var seen = [Bool](repeating: false, count: mask.count)
        var out: [[(index: Int, x: Int, y: Int)]] = []
        var stack: [(Int, Int)] = []
        for start in mask.indices where mask[start] != 0 && !seen[start] {
            var comp: [(index: Int, x: Int, y: Int)] = []
            seen[start] = true
            stack.append((start % width, start / width))
            while let (ux, uy) = stack.popLast() {
                let wx = ((ux % width) + width) % width, wy = ((uy % height) + height) % height
                comp.append((wy * width + wx, ux, uy))
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let nx = ux + dx, ny = uy + dy
                        let j = (((ny % height) + height) % height) * width + ((nx % width) + width) % width
                        if mask[j] != 0 && !seen[j] { seen[j] = true; stack.append((nx, ny)) }
                    }
                }
            }
            out.append(comp)
        }
        return out
    }

    /// Square dilation on the wrapped frame.
    func dilate(_ mask: [UInt8], radius: Int) -> [UInt8] {
        var rows = [UInt8](repeating: 0, count: mask.count)
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] != 0 {
                for d in -radius...radius { rows[y * width + ((x + d) % width + width) % width] = 1 }
            }
        }
        var out = [UInt8](repeating: 0, count: mask.count)
        for y in 0..<height {
            for x in 0..<width where rows[y * width + x] != 0 {
                for d in -radius...radius { out[((y + d) % height + height) % height * width + x] = 1 }
            }
        }
        return out
    }
}
