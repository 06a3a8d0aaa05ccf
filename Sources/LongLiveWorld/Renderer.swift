/// Draws ``FrameState``s: patterned background, then each subject with 1-pixel antialiased edges.
///
/// Deterministic (no randomness here; the seed lives in ``WorldSimulator``) and resolution
/// independent: positions and sizes are fractions of the frame. A renderer keeps a float canvas
/// and the last background between calls, so rendering a video reuses them; one renderer per thread.
public struct Renderer {
    public let width: Int
    public let height: Int
    private var canvas: [Float]
    private var cachedBackground: [Float] = []
    private var cachedKey: FrameState?

    public init(width: Int, height: Int) {
        precondition(width >= 8 && height >= 8, "frames must be at least 8x8")
        self.width = width; self.height = height
        canvas = [Float](repeating: 0, count: width * height * 3)
    }

    /// Renders a frame as 8-bit RGB.
    public mutating func render(_ state: FrameState) -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { render(state, into: $0.baseAddress!) }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Renders into `out` (width·height·3 bytes, RGB interleaved).
    public mutating func render(_ state: FrameState, into out: UnsafeMutablePointer<UInt8>) {
        draw(state)
        canvas.withUnsafeBufferPointer { c in
            for i in 0..<c.count { out[i] = UInt8(min(255, max(0, c[i])) + 0.5) }
        }
    }

    /// Renders into `out` as floats scaled to [-1, 1], planar (`channelsFirst`: 3·H·W) or
    /// interleaved (H·W·3). Values are quantised to 8 bits first so training data equals what a
    /// video file of the same frames would hold.
    public mutating func render(_ state: FrameState, intoFloats out: UnsafeMutablePointer<Float>, channelsFirst: Bool) {
        draw(state)
        let n = width * height
        canvas.withUnsafeBufferPointer { c in
            if channelsFirst {
                for i in 0..<n {
                    for ch in 0..<3 { out[ch * n + i] = (min(255, max(0, c[3 * i + ch])) + 0.5).rounded(.down) / 127.5 - 1 }
                }
            } else {
                for i in 0..<(3 * n) { out[i] = (min(255, max(0, c[i])) + 0.5).rounded(.down) / 127.5 - 1 }
            }
        }
    }

    private mutating func draw(_ state: FrameState) {
        var bgKey = state
        bgKey.subjects = []
        if cachedKey != bgKey {
            cachedBackground = backgroundPixels(state)
            cachedKey = bgKey
        }
        let width = self.width, height = self.height
        let background = cachedBackground
        canvas.withUnsafeMutableBufferPointer { c in
            background.withUnsafeBufferPointer { b in
                c.baseAddress!.update(from: b.baseAddress!, count: b.count)
            }
            for s in state.subjects where s.opacity > 0 { Renderer.drawSubject(s, c.baseAddress!, width: width, height: height) }
        }
    }

    /// The background alone (float RGB, 0...255), cross-fade included.
    public func backgroundPixels(_ state: FrameState) -> [Float] {
        var px = Renderer.backgroundPixels(state.background, width: width, height: height)
        if let next = state.nextBackground, state.backgroundMix > 0 {
            let q = Renderer.backgroundPixels(next, width: width, height: height)
            let m = state.backgroundMix
            for i in 0..<px.count { px[i] += (q[i] - px[i]) * m }
        }
        return px
    }

    /// One background (float RGB, 0...255).
    public static func backgroundPixels(_ bg: BackgroundState, width: Int, height: Int) -> [Float] {
        let (fx, fy) = bg.profiles(width: width, height: height)
        var px = [Float](repeating: 0, count: width * height * 3)
        let b = bg.base, t = bg.tint
        for y in 0..<height {
            for x in 0..<width {
                let f = bg.tintFraction(fx: fx[x], fy: fy[y])
                let i = 3 * (y * width + x)
                px[i] = b.r + (t.r - b.r) * f
                px[i + 1] = b.g + (t.g - b.g) * f
                px[i + 2] = b.b + (t.b - b.b) * f
            }
        }
        return px
    }

    static func drawSubject(_ s: SubjectState, _ c: UnsafeMutablePointer<Float>, width: Int, height: Int) {
        let minSide = Float(min(width, height))
        let r = Float(s.radius) * minSide
        guard r > 0.05 else { return }
        let cx = Float(s.x) * Float(width), cy = Float(s.y) * Float(height)
        let ext = ShapeGeometry.maxExtent * r + 1.5
        let x0 = Int((cx - ext).rounded(.down)), x1 = Int((cx + ext).rounded(.up))
        let y0 = Int((cy - ext).rounded(.down)), y1 = Int((cy + ext).rounded(.up))
        let inv = 1 / r
        let morphing = s.morph > 0 && s.morphTarget != s.shape
        for py in y0...y1 {
            let wy = ((py % height) + height) % height
            let dy = Float(py) + 0.5 - cy
            for px in x0...x1 {
                let dx = Float(px) + 0.5 - cx
                var d = ShapeGeometry.sdf(s.shape, dx * inv, dy * inv)
                if morphing { d += (ShapeGeometry.sdf(s.morphTarget, dx * inv, dy * inv) - d) * s.morph }
                let cov = min(1, max(0, 0.5 - d * r)) * s.opacity
                if cov <= 0 { continue }
                let wx = ((px % width) + width) % width
                let i = 3 * (wy * width + wx)
                c[i] += (s.color.r - c[i]) * cov
                c[i + 1] += (s.color.g - c[i + 1]) * cov
                c[i + 2] += (s.color.b - c[i + 2]) * cov
            }
        }
    }
}
