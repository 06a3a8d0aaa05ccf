/// Writes 8-bit RGB PNGs with no dependency: the image data goes into zlib *stored* blocks
/// (no compression), which every PNG reader accepts. Frames of this world are small, so size matters
/// less than having no zlib to link.
public enum PNGWriter {
    /// The PNG file bytes for a frame.
    public static func encode(_ frame: VideoFrame) -> [UInt8] {
        var out = header(width: frame.width, height: frame.height)
        chunk("IDAT", imageData(frame), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    /// The PNG signature and IHDR of an 8-bit RGB image.
    static func header(width: Int, height: Int) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = []
        ihdr.appendBE(UInt32(width)); ihdr.appendBE(UInt32(height))
        ihdr += [8, 2, 0, 0, 0] // 8 bits, RGB, deflate, adaptive filtering, no interlace
        chunk("IHDR", ihdr, into: &out)
        return out
    }

    /// The zlib stream of a frame's scanlines (what IDAT, or an APNG fdAT, carries).
    static func imageData(_ frame: VideoFrame) -> [UInt8] {
        // Scanlines, each with filter type 0 (none).
        let row = frame.width * 3
        var raw = [UInt8]()
        raw.reserveCapacity((row + 1) * frame.height)
        for y in 0..<frame.height {
            raw.append(0)
            raw += frame.rgb[(y * row)..<((y + 1) * row)]
        }
        var z: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, raw.count - i)
            z.append(i + n == raw.count ? 1 : 0)
            z += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            z += raw[i..<(i + n)]
            i += n
        } while i < raw.count
        z.appendBE(Checksums.adler32(raw))
        return z
    }

    static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
        out.appendBE(UInt32(data.count))
        let t = Array(type.utf8)
        out += t
        out += data
        out.appendBE(Checksums.crc32(data, start: Checksums.crc32(t)))
    }
}

extension Array where Element == UInt8 {
    mutating func appendBE(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8((v >> 16) & 0xFF)); append(UInt8((v >> 8) & 0xFF)); append(UInt8(v & 0xFF))
    }
}
