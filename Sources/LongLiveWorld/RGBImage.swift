/// An 8-bit RGB frame, pixels row-major and channels interleaved: what videos store and what every
/// metric reads.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGBImage \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width; self.height = height; self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: RGB = RGB(0, 0, 0)) {
        var p = [UInt8](repeating: 0, count: width * height * 3)
        let c = fill.clamped()
        for i in 0..<(width * height) {
            p[3 * i] = UInt8(c.r.rounded()); p[3 * i + 1] = UInt8(c.g.rounded()); p[3 * i + 2] = UInt8(c.b.rounded())
        }
        self.init(width: width, height: height, pixels: p)
    }

    @inline(__always)
    public func pixel(_ x: Int, _ y: Int) -> RGB {
        let i = 3 * (y * width + x)
        return RGB(Float(pixels[i]), Float(pixels[i + 1]), Float(pixels[i + 2]))
    }

    /// Mean absolute difference over all pixels and channels (VBench's frame MAE).
    public func meanAbsoluteDifference(_ o: RGBImage) -> Double {
        precondition(width == o.width && height == o.height)
        var s = 0
        pixels.withUnsafeBufferPointer { a in
            o.pixels.withUnsafeBufferPointer { b in
                for i in 0..<a.count { s += abs(Int(a[i]) - Int(b[i])) }
            }
        }
        return Double(s) / Double(pixels.count)
    }
}
