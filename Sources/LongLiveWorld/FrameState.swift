/// The background as drawn: two shades, a pattern and its phase.
public struct BackgroundState: Equatable, Sendable {
    public var base: RGB
    public var tint: RGB
    public var pattern: Pattern
    /// Offset of the pattern in eighths of its period (0..<8); prompts do not name it.
    public var phase: Int

    public init(base: RGB, tint: RGB, pattern: Pattern, phase: Int) {
        self.base = base; self.tint = tint; self.pattern = pattern; self.phase = phase
    }

    /// Pattern cell size in pixels for a frame: an eighth of the shorter side, so a pattern looks
    /// the same at any resolution.
    public static func cell(width: Int, height: Int) -> Float { Float(min(width, height)) / 8 }

    /// Fraction of the pixel interval [p, p+1) lying in odd cells, with the pattern shifted by the phase.
    @inline(__always)
    static func oddFraction(_ p: Int, cell: Float, phase: Int) -> Float {
        let offset = Float(phase) / 8 * 2 * cell
        let a = (Float(p) + offset) / cell, b = a + 1 / cell
        // Integral of the square wave (1 on odd cells) over [a, b), divided by the length.
        func integral(_ u: Float) -> Float {
            let k = u.rounded(.down)
            let whole = (k / 2).rounded(.down)
            let frac = u - k
            return whole + (Int(k) & 1 == 1 ? frac : 0)
        }
        return (integral(b) - integral(a)) * cell
    }

    /// Tint fraction per column and per row; the pattern at (x, y) is a function of these two.
    public func profiles(width: Int, height: Int) -> (x: [Float], y: [Float]) {
        let c = BackgroundState.cell(width: width, height: height)
        switch pattern {
        case .plain: return ([Float](repeating: 0, count: width), [Float](repeating: 0, count: height))
        case .striped, .checkered:
            return ((0..<width).map { BackgroundState.oddFraction($0, cell: c, phase: phase) },
                    (0..<height).map { BackgroundState.oddFraction($0, cell: c, phase: phase) })
        }
    }

    /// Tint fraction at a pixel given the two profiles. Stripes are horizontal bands; the checker
    /// is the exclusive-or of the two square waves, averaged over the pixel.
    @inline(__always)
    public func tintFraction(fx: Float, fy: Float) -> Float {
        switch pattern {
        case .plain: return 0
        case .striped: return fy
        case .checkered: return fx * (1 - fy) + fy * (1 - fx)
        }
    }
}

/// One subject as drawn in one frame.
public struct SubjectState: Equatable, Sendable {
    public var shape: ShapeKind
    /// During a shape change the outline morphs from `shape` to `morphTarget` by `morph` (0...1).
    public var morphTarget: ShapeKind
    public var morph: Float
    public var color: RGB
    /// Centroid as fractions of width and height; the world wraps around (a torus), so a subject
    /// that leaves on the left comes back on the right.
    public var x: Double
    public var y: Double
    /// Equal-area radius as a fraction of the shorter side.
    public var radius: Double
    /// 1 when fully present; a subject fades in or out over a switch.
    public var opacity: Float

    public init(shape: ShapeKind, color: RGB, x: Double, y: Double, radius: Double, opacity: Float = 1, morphTarget: ShapeKind? = nil, morph: Float = 0) {
        self.shape = shape; self.color = color; self.x = x; self.y = y; self.radius = radius
        self.opacity = opacity; self.morphTarget = morphTarget ?? shape; self.morph = morph
    }
}

/// Everything the renderer needs for one frame.
public struct FrameState: Equatable, Sendable {
    public var background: BackgroundState
    /// During a background change the frame cross-fades to this one by `backgroundMix`.
    public var nextBackground: BackgroundState?
    public var backgroundMix: Float
    public var subjects: [SubjectState]

    public init(background: BackgroundState, subjects: [SubjectState], nextBackground: BackgroundState? = nil, backgroundMix: Float = 0) {
        self.background = background; self.subjects = subjects
        self.nextBackground = nextBackground; self.backgroundMix = backgroundMix
    }
}
