/// Signed distance functions of the subject shapes, in units of the equal-area radius: every
/// shape has area π, so a subject of radius r covers π r² pixels whatever its shape. Every shape's
/// centroid is at the origin, so the centroid a parser measures is the position the renderer used.
/// Image axes: x to the right, y down; the triangle points up.
public enum ShapeGeometry {
    static let squareHalf: Float = 0.886_226_9   // √π / 2
    static let diamondHalf: Float = 1.253_314_1  // √(π/2)
    static let triangleInradius: Float = 0.777_567_4 // half of the circumradius √(4π / 3√3)
    static let crossArm: Float = 1.107_783_5     // arms 2L long and 0.8L wide: 2.56 L² = π
    static let crossHalfWidth: Float = 0.443_113_4

    /// The farthest any shape reaches from its centroid (the triangle's apex), for bounding boxes.
    public static let maxExtent: Float = 1.56

    /// Signed distance (negative inside) from point (x, y) to the unit-area-π shape's edge. Exact
    /// for the circle and along straight edges; near corners it is a bound, which is all 1-pixel
    /// antialiasing needs.
    @inline(__always)
    public static func sdf(_ shape: ShapeKind, _ x: Float, _ y: Float) -> Float {
        switch shape {
        case .circle:
            return (x * x + y * y).squareRoot() - 1
        case .square:
            return max(abs(x), abs(y)) - squareHalf
        case .diamond:
            return (abs(x) + abs(y) - diamondHalf) * 0.707_106_77
        case .triangle:
            let a = y
            let b = 0.866_025_4 * x - 0.5 * y
            let c = -0.866_025_4 * x - 0.5 * y
            return max(a, max(b, c)) - triangleInradius
        case .cross:
            let ax = abs(x), ay = abs(y)
            let h = max(ax - crossArm, ay - crossHalfWidth)
            let v = max(ax - crossHalfWidth, ay - crossArm)
            return min(h, v)
        }
    }

    /// Pixel coverage of a shape of radius `radius` pixels at offset (dx, dy) pixels from its
    /// centroid, with a 1-pixel linear ramp across the edge.
    @inline(__always)
    public static func coverage(_ shape: ShapeKind, dx: Float, dy: Float, radius: Float) -> Float {
        let inv = 1 / radius
        let d = sdf(shape, dx * inv, dy * inv) * radius
        return min(1, max(0, 0.5 - d))
    }
}
