/// The background a parser read from a frame.
public struct ParsedBackground: Equatable, Sendable {
    public var color: BackgroundColor
    /// Soft posterior over ``BackgroundColor/allCases``.
    public var colorPosterior: [Float]
    public var pattern: Pattern
    /// Soft posterior over ``Pattern/allCases``.
    public var patternPosterior: [Float]
    /// The fitted shades and phase, enough to redraw it.
    public var state: BackgroundState
}

/// One subject a parser found.
public struct ParsedObject: Equatable, Sendable {
    public var color: ObjectColor
    /// Soft posterior over ``ObjectColor/allCases``.
    public var colorPosterior: [Float]
    /// Mean colour of the fully covered pixels.
    public var meanColor: RGB
    public var shape: ShapeKind
    /// Soft posterior over ``ShapeKind/allCases``.
    public var shapePosterior: [Float]
    public var size: SizeClass
    /// Soft posterior over ``SizeClass/allCases``.
    public var sizePosterior: [Float]
    /// Centroid as fractions of width and height (the world wraps around).
    public var x: Double
    public var y: Double
    /// Equal-area radius as a fraction of the shorter side.
    public var radius: Double
    /// Covered area in pixels (sum of the soft coverage).
    public var area: Double

    /// The subject as the renderer would draw it.
    public var state: SubjectState {
        SubjectState(shape: shape, color: meanColor, x: x, y: y, radius: radius)
    }
}

/// What a parser read from one frame.
public struct ParsedFrame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var background: ParsedBackground
    /// Subjects, largest first.
    public var objects: [ParsedObject]
    /// 1 where a pixel belongs to a subject or lies within two pixels of one; metrics that look at
    /// the background alone skip these.
    public var foreground: [UInt8]

    /// The frame as the renderer would draw it from what was read: the input of re-render metrics.
    public var state: FrameState {
        FrameState(background: background.state, subjects: objects.map(\.state))
    }

    /// Centroid distance in pixels between two positions on the wrapped frame.
    public func pixelDistance(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        var dx = a.0 - b.0, dy = a.1 - b.1
        dx -= dx.rounded(); dy -= dy.rounded()
        return ((dx * Double(width)) * (dx * Double(width)) + (dy * Double(height)) * (dy * Double(height))).squareRoot()
    }
}
