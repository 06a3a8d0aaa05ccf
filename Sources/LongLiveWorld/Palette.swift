/// An 8-bit-range RGB colour held in floats (0...255), the unit every renderer and parser step uses.
public struct RGB: Equatable, Sendable, CustomStringConvertible {
    public var r: Float, g: Float, b: Float

    public init(_ r: Float, _ g: Float, _ b: Float) { self.r = r; self.g = g; self.b = b }

    /// Euclidean distance in RGB units; the world's palette is spaced so this is enough to tell
    /// colours apart (see ``Palette``).
    public func distance(to o: RGB) -> Float {
        let dr = r - o.r, dg = g - o.g, db = b - o.b
        return (dr * dr + dg * dg + db * db).squareRoot()
    }

    /// Linear mix: `t = 0` gives self, `t = 1` gives `o`.
    public func mixed(with o: RGB, _ t: Float) -> RGB {
        RGB(r + (o.r - r) * t, g + (o.g - g) * t, b + (o.b - b) * t)
    }

    public func clamped() -> RGB {
        RGB(min(255, max(0, r)), min(255, max(0, g)), min(255, max(0, b)))
    }

    public var description: String { "rgb(\(Int(r.rounded())),\(Int(g.rounded())),\(Int(b.rounded())))" }
}

/// Subject colours. Saturated, far apart from each other (≥ 120 RGB units) so a parser can name
/// them after a shade jitter, mild noise and blur.
public enum ObjectColor: String, CaseIterable, Sendable {
    case red, green, blue, yellow, purple, orange, white

    public var rgb: RGB {
        switch self {
        case .red: return RGB(225, 35, 35)
        case .green: return RGB(40, 200, 70)
        case .blue: return RGB(40, 100, 245)
        case .yellow: return RGB(245, 225, 40)
        case .purple: return RGB(165, 55, 215)
        case .orange: return RGB(250, 140, 20)
        case .white: return RGB(250, 250, 250)
        }
    }
}

/// Background colours: muted or dark, so subjects stand out. Names may repeat a subject colour's
/// word ("blue"), but the shades differ and a subject never sits on a background it cannot be told
/// apart from (``Palette/compatible(_:_:)``).
public enum BackgroundColor: String, CaseIterable, Sendable {
    case black, gray, blue, green, brown, pink

    public var rgb: RGB {
        switch self {
        case .black: return RGB(18, 18, 24)
        case .gray: return RGB(112, 112, 112)
        case .blue: return RGB(24, 36, 110)
        case .green: return RGB(22, 84, 40)
        case .brown: return RGB(100, 62, 34)
        case .pink: return RGB(235, 170, 195)
        }
    }

    /// The second shade of striped and checkered patterns: lighter for dark colours, darker for
    /// light ones, with a fixed contrast of 40 units so patterns are visible but never look like a subject.
    public var tint: RGB {
        let c = rgb
        let luma = 0.299 * c.r + 0.587 * c.g + 0.114 * c.b
        let d: Float = luma < 128 ? 40 : -40
        return RGB(c.r + d, c.g + d, c.b + d).clamped()
    }
}

/// Rules tying the two palettes together.
public enum Palette {
    /// Smallest allowed distance between a subject colour and either shade of its background.
    public static let minimumContrast: Float = 100

    /// Largest per-channel shade offset a scene seed adds to a palette colour. It is not named by
    /// prompts, so a scene restarted from scratch (a "no cache" model) gets a different shade,
    /// which the consistency metrics can see.
    public static let shadeJitter: Float = 10

    /// Whether a subject of colour `c` can be shown on background `bg`.
    public static func compatible(_ c: ObjectColor, _ bg: BackgroundColor) -> Bool {
        let worst = min(c.rgb.distance(to: bg.rgb), c.rgb.distance(to: bg.tint))
        return worst >= minimumContrast + 2 * shadeJitter * 1.733
    }

    /// A palette colour moved by a deterministic jitter of at most ``shadeJitter`` per channel.
    public static func jittered(_ c: RGB, seed: UInt64, _ labels: UInt64...) -> RGB {
        var r = WorldRandom(seed: seed)
        for l in labels { r = WorldRandom(seed: r.next() ^ l) }
        let j = { Float(r.uniform(-1, 1)) * shadeJitter }
        return RGB(c.r + j(), c.g + j(), c.b + j()).clamped()
    }
}
