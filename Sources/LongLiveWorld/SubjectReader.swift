#if canImport(Glibc)
import Glibc
#endif

/// Reads one subject from its foreground component: colour, soft coverage, size, centroid and shape.
///
/// Shape is found by analysis by synthesis: each candidate shape is drawn with the measured area
/// at the measured centroid (every shape's centroid is its position, and equal radius means equal
/// area), and the one whose coverage differs least from the observed coverage wins. No learned
/// weights, and it reads the world's own antialiasing exactly.
enum SubjectReader {
    /// Soft coverage below this is treated as background noise (3σ of σ = 5 noise over the smallest contrast).
    static let coverageFloor: Float = 0.12

    static func read(component: [(index: Int, x: Int, y: Int)], id: Int32, labels: [Int32], image: RGBImage, background: [Float], distance: [Float]) -> ParsedObject? {
        let w = image.width, h = image.height
        let minSide = Float(min(w, h))
        // Colour: mean of the most distant (fully covered) pixels.
        var maxD: Float = 0
        for p in component { maxD = max(maxD, distance[p.index]) }
        var sum = (0.0, 0.0, 0.0), n = 0
        image.pixels.withUnsafeBufferPointer { px in
            for p in component where distance[p.index] >= 0.85 * maxD {
                sum.0 += Double(px[3 * p.index]); sum.1 += Double(px[3 * p.index + 1]); sum.2 += Double(px[3 * p.index + 2]); n += 1
            }
        }
        let mean = RGB(Float(sum.0 / Double(n)), Float(sum.1 / Double(n)), Float(sum.2 / Double(n)))
        let colors = ObjectColor.allCases
        let cd = colors.map { mean.distance(to: $0.rgb) }
        let ci = cd.indices.min { cd[$0] < cd[$1] }!
        let colorPosterior = softmax(cd.map { -($0 * $0) / (2 * 30 * 30) })

        // Soft coverage in a window around the component (unwrapped coordinates).
        var x0 = Int.max, x1 = Int.min, y0 = Int.max, y1 = Int.min
        for p in component { x0 = min(x0, p.x); x1 = max(x1, p.x); y0 = min(y0, p.y); y1 = max(y1, p.y) }
        x0 -= 2; y0 -= 2; x1 += 2; y1 += 2
        let ww = x1 - x0 + 1, wh = y1 - y0 + 1
        var alpha = [Float](repeating: 0, count: ww * wh)
        var area: Float = 0, mx: Float = 0, my: Float = 0
        image.pixels.withUnsafeBufferPointer { px in
            for yy in 0..<wh {
                let wy = (((y0 + yy) % h) + h) % h
                for xx in 0..<ww {
                    let wx = (((x0 + xx) % w) + w) % w
                    let i = wy * w + wx
                    if labels[i] >= 0 && labels[i] != id { continue }
                    let vr = mean.r - background[3 * i], vg = mean.g - background[3 * i + 1], vb = mean.b - background[3 * i + 2]
                    let v2 = vr * vr + vg * vg + vb * vb
                    guard v2 > 1 else { continue }
                    let a = ((Float(px[3 * i]) - background[3 * i]) * vr + (Float(px[3 * i + 1]) - background[3 * i + 1]) * vg + (Float(px[3 * i + 2]) - background[3 * i + 2]) * vb) / v2
                    let c = a < coverageFloor ? 0 : min(1, a)
                    alpha[yy * ww + xx] = c
                    area += c
                    mx += c * (Float(xx) + 0.5); my += c * (Float(yy) + 0.5)
                }
            }
        }
        guard area > 1 else { return nil }
        mx /= area; my /= area
        let radius = (area / Float.pi).squareRoot()

        // Shape: least absolute coverage difference against each redrawn candidate.
        let shapes = ShapeKind.allCases
        var errors = [Float](repeating: 0, count: shapes.count)
        for (si, s) in shapes.enumerated() {
            var e: Float = 0
            for yy in 0..<wh {
                let dy = Float(yy) + 0.5 - my
                for xx in 0..<ww {
                    let cov = ShapeGeometry.coverage(s, dx: Float(xx) + 0.5 - mx, dy: dy, radius: radius)
                    e += abs(alpha[yy * ww + xx] - cov)
                }
            }
            errors[si] = e
        }
        let si = errors.indices.min { errors[$0] < errors[$1] }!
        let emin = errors[si]
        let shapePosterior = softmax(errors.map { -($0 - emin) / (0.05 * area) })

        let r = Double(radius / minSide)
        let sizeLogit = Float((r - SizeClass.threshold) / 0.004)
        let pLarge = 1 / (1 + expf(-sizeLogit))
        let cx = (Double(x0) + Double(mx)) / Double(w), cy = (Double(y0) + Double(my)) / Double(h)
        return ParsedObject(color: colors[ci], colorPosterior: colorPosterior, meanColor: mean,
                            shape: shapes[si], shapePosterior: shapePosterior,
                            size: r >= SizeClass.threshold ? .large : .small, sizePosterior: [1 - pLarge, pLarge],
                            x: cx - cx.rounded(.down), y: cy - cy.rounded(.down), radius: r, area: Double(area))
    }

    static func softmax(_ logits: [Float]) -> [Float] {
        let m = logits.max()!
        let e = logits.map { expf($0 - m) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }
}
