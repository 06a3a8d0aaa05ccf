import LongLiveTensor

/// Reads 8-bit PNGs (grey, grey+alpha, RGB, RGBA; any filter; not interlaced) into RGB frames.
/// Alpha is dropped.
public enum PNGReader {
    public static func decode(_ bytes: [UInt8]) throws -> VideoFrame {
        let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count > 8, Array(bytes[0..<8]) == sig else { throw LongLiveError("not a PNG file") }
        var pos = 8
        var width = 0, height = 0, colorType = -1
        var idat: [UInt8] = []
        func be32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        while pos + 8 <= bytes.count {
            let len = be32(pos)
            let type = String(decoding: bytes[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let start = pos + 8
            guard start + len + 4 <= bytes.count else { throw LongLiveError("PNG chunk \(type) runs past the end of the file") }
            let crc = UInt32(be32(start + len))
            guard Checksums.crc32(bytes[(pos + 4)..<(start + len)]) == crc else { throw LongLiveError("PNG chunk \(type) has a bad CRC") }
            switch type {
            case "IHDR":
                width = be32(start); height = be32(start + 4)
                let depth = bytes[start + 8]
                colorType = Int(bytes[start + 9])
                guard depth == 8 else { throw LongLiveError("only 8-bit PNGs are supported (this one has \(depth) bits)") }
                guard [0, 2, 4, 6].contains(colorType) else { throw LongLiveError("PNG colour type \(colorType) is not supported (palette PNGs are not)") }
                guard bytes[start + 12] == 0 else { throw LongLiveError("interlaced PNGs are not supported") }
            case "IDAT": idat += bytes[start..<(start + len)]
            case "IEND": pos = bytes.count; continue
            default: break
            }
            pos = start + len + 4
        }
        guard width > 0, height > 0, colorType >= 0 else { throw LongLiveError("PNG has no IHDR chunk") }
        return try pixels(zlib: idat, width: width, height: height, colorType: colorType)
    }

    /// Inflates and unfilters one image's zlib data (IDAT, or an APNG frame's fdAT) into RGB.
    static func pixels(zlib data: [UInt8], width: Int, height: Int, colorType: Int) throws -> VideoFrame {
        let channels = [0: 1, 2: 3, 4: 2, 6: 4][colorType]!
        let raw = try Inflate.zlib(data)
        let stride = width * channels
        guard raw.count >= (stride + 1) * height else { throw LongLiveError("PNG image data is too short") }
        var img = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            let src = y * (stride + 1) + 1, dst = y * stride
            for x in 0..<stride {
                let a = x >= channels ? Int(img[dst + x - channels]) : 0
                let b = y > 0 ? Int(img[dst - stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(img[dst - stride + x - channels]) : 0
                let r = Int(raw[src + x])
                let v: Int
                switch filter {
                case 0: v = r
                case 1: v = r + a
                case 2: v = r + b
                case 3: v = r + (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    v = r + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
                default: throw LongLiveError("bad PNG filter type \(filter)")
                }
                img[dst + x] = UInt8(v & 0xFF)
            }
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            if channels >= 3 {
                rgb[3 * i] = img[channels * i]; rgb[3 * i + 1] = img[channels * i + 1]; rgb[3 * i + 2] = img[channels * i + 2]
            } else {
                let g = img[channels * i]
                rgb[3 * i] = g; rgb[3 * i + 1] = g; rgb[3 * i + 2] = g
            }
        }
        return VideoFrame(width: width, height: height, rgb: rgb)
    }

    public static func read(_ path: String) throws -> VideoFrame {
        do { return try decode(try FileIO.read(path)) } catch let e as LongLiveError { throw LongLiveError("\(path): \(e.message)") }
    }
}
