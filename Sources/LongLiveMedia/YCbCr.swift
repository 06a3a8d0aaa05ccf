/// BT.601 RGB ↔ YCbCr conversions for Y4M, full range (what we write) or limited "TV" range
/// (what Y4M files without a range tag use).
enum YCbCr {
    @inline(__always)
    static func fromRGB(_ r: Float, _ g: Float, _ b: Float, full: Bool) -> (UInt8, UInt8, UInt8) {
        let y = 0.299 * r + 0.587 * g + 0.114 * b
        let cb = (b - y) * 0.564_334 // 0.5 / (1 − 0.114)
        let cr = (r - y) * 0.713_267 // 0.5 / (1 − 0.299)
        func q(_ v: Float) -> UInt8 { UInt8(min(255, max(0, v + 0.5)).rounded(.down)) }
        if full { return (q(y), q(cb + 128), q(cr + 128)) }
        return (q(16 + y * 219 / 255), q(128 + cb * 224 / 255), q(128 + cr * 224 / 255))
    }

    @inline(__always)
    static func toRGB(_ y: UInt8, _ cb: UInt8, _ cr: UInt8, full: Bool) -> (UInt8, UInt8, UInt8) {
        var yy = Float(y), u = Float(cb) - 128, v = Float(cr) - 128
        if !full { yy = (yy - 16) * 255 / 219; u *= 255 / 224; v *= 255 / 224 }
        let r = yy + 1.402 * v
        let g = yy - 0.344_136 * u - 0.714_136 * v
        let b = yy + 1.772 * u
        func q(_ x: Float) -> UInt8 { UInt8(min(255, max(0, x + 0.5)).rounded(.down)) }
        return (q(r), q(g), q(b))
    }
}
