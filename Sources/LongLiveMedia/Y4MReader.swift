import LongLiveTensor

/// Reads YUV4MPEG2 files: 4:4:4, 4:2:2, 4:2:0 (any siting; chroma is upsampled by repetition) and
/// mono, 8-bit. `XCOLORRANGE=FULL` selects full range; otherwise limited range is assumed, as
/// ffmpeg does. A trailing partial frame (a writer that was killed mid-frame) is ignored.
public enum Y4MReader {
    /// Frames and the frame rate (rounded) of a Y4M file.
    public static func read(_ path: String) throws -> (frames: [VideoFrame], fps: Int) {
        do { return try decode(try FileIO.read(path)) } catch let e as LongLiveError { throw LongLiveError("\(path): \(e.message)") }
    }

    public static func decode(_ bytes: [UInt8]) throws -> (frames: [VideoFrame], fps: Int) {
        guard let nl = bytes.firstIndex(of: 0x0A) else { throw LongLiveError("not a Y4M file (no header line)") }
        let header = String(decoding: bytes[0..<nl], as: UTF8.self).split(separator: " ")
        guard header.first == "YUV4MPEG2" else { throw LongLiveError("not a Y4M file (header does not start with YUV4MPEG2)") }
        var w = 0, h = 0, fps = 0, chroma = "420jpeg", full = false
        for tag in header.dropFirst() {
            let v = String(tag.dropFirst())
            switch tag.first {
            case "W": w = Int(v) ?? 0
            case "H": h = Int(v) ?? 0
            case "F":
                let parts = v.split(separator: ":").compactMap { Double($0) }
                if parts.count == 2, parts[1] > 0 { fps = Int((parts[0] / parts[1]).rounded()) }
            case "C": chroma = v
            case "X": if v == "COLORRANGE=FULL" { full = true }
            default: break
            }
        }
        guard w > 0, h > 0 else { throw LongLiveError("Y4M header lacks a width or height") }
        let (sx, sy, mono): (Int, Int, Bool)
        switch chroma {
        case "444": (sx, sy, mono) = (1, 1, false)
        case "422": (sx, sy, mono) = (2, 1, false)
        case "420", "420jpeg", "420paldv", "420mpeg2": (sx, sy, mono) = (2, 2, false)
        case "mono": (sx, sy, mono) = (1, 1, true)
        default: throw LongLiveError("Y4M colour space C\(chroma) is not supported (use 444, 422, 420 or mono 8-bit)")
        }
        let cw = (w + sx - 1) / sx, ch = (h + sy - 1) / sy
        let frameBytes = w * h + (mono ? 0 : 2 * cw * ch)
        var frames: [VideoFrame] = []
        var pos = nl + 1
        while pos < bytes.count {
            guard let e = bytes[pos...].firstIndex(of: 0x0A) else { break }
            guard bytes[pos..<min(e, pos + 5)].elementsEqual("FRAME".utf8) else { throw LongLiveError("bad Y4M frame header at byte \(pos)") }
            let start = e + 1
            if start + frameBytes > bytes.count { break }
            var rgb = [UInt8](repeating: 0, count: w * h * 3)
            let u0 = start + w * h, v0 = u0 + cw * ch
            for y in 0..<h {
                for x in 0..<w {
                    let Y = bytes[start + y * w + x]
                    let ci = (y / sy) * cw + x / sx
                    let (r, g, b) = mono ? YCbCr.toRGB(Y, 128, 128, full: full) : YCbCr.toRGB(Y, bytes[u0 + ci], bytes[v0 + ci], full: full)
                    let i = 3 * (y * w + x)
                    rgb[i] = r; rgb[i + 1] = g; rgb[i + 2] = b
                }
            }
            frames.append(VideoFrame(width: w, height: h, rgb: rgb))
            pos = start + frameBytes
        }
        return (frames, fps)
    }
}
