import LongLiveTensor

/// Reads animated PNGs made of full-canvas frames (what ``APNGWriter`` writes); a plain PNG reads as
/// one frame. A file cut short after a complete frame (a killed writer) reads up to that frame.
public enum APNGReader {
    /// The frames and the frame rate (from the first frame's delay; nil for a still PNG).
    public static func decode(_ bytes: [UInt8]) throws -> (frames: [VideoFrame], fps: Int?) {
        let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count > 8, Array(bytes[0..<8]) == sig else { throw LongLiveError("not a PNG file") }
        func be32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        func be16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        var width = 0, height = 0, colorType = -1
        var animated = false
        var fps: Int?
        var current: [UInt8]?  // data of the frame being collected
        var still: [UInt8] = []  // IDAT of a PNG without fcTL before it
        var frames: [VideoFrame] = []
        func flush() throws {
            if let d = current, !d.isEmpty { frames.append(try PNGReader.pixels(zlib: d, width: width, height: height, colorType: colorType)) }
            current = nil
        }
        var pos = 8
        while pos + 12 <= bytes.count {
            let len = be32(pos)
            let type = String(decoding: bytes[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let start = pos + 8
            if start + len + 4 > bytes.count {
                current = nil  // a torn chunk (killed writer): its frame is incomplete
                break
            }
            guard Checksums.crc32(bytes[(pos + 4)..<(start + len)]) == UInt32(be32(start + len)) else {
                throw LongLiveError("PNG chunk \(type) has a bad CRC")
            }
            switch type {
            case "IHDR":
                width = be32(start); height = be32(start + 4); colorType = Int(bytes[start + 9])
                guard bytes[start + 8] == 8, [0, 2, 4, 6].contains(colorType), bytes[start + 12] == 0 else {
                    throw LongLiveError("only 8-bit non-interlaced grey/RGB(A) PNGs are supported")
                }
            case "acTL": animated = true
            case "fcTL":
                try flush()
                guard be32(start + 4) == width, be32(start + 8) == height, be32(start + 12) == 0, be32(start + 16) == 0 else {
                    throw LongLiveError("APNG frames smaller than the canvas are not supported")
                }
                if fps == nil {
                    let num = max(1, be16(start + 20)), den = be16(start + 22) == 0 ? 100 : be16(start + 22)
                    fps = max(1, Int((Double(den) / Double(num)).rounded()))
                }
                current = []
            case "IDAT":
                if current != nil { current! += bytes[start..<(start + len)] } else { still += bytes[start..<(start + len)] }
            case "fdAT":
                guard current != nil, len >= 4 else { throw LongLiveError("APNG fdAT chunk without a frame control chunk") }
                current! += bytes[(start + 4)..<(start + len)]
            case "IEND":
                pos = bytes.count
                continue
            default: break
            }
            pos = start + len + 4
        }
        guard width > 0, colorType >= 0 else { throw LongLiveError("PNG has no IHDR chunk") }
        try flush()
        if !still.isEmpty && frames.isEmpty {
            frames.append(try PNGReader.pixels(zlib: still, width: width, height: height, colorType: colorType))
        }
        guard !frames.isEmpty else { throw LongLiveError("PNG holds no complete frame") }
        return (frames, animated ? fps : nil)
    }

    public static func read(_ path: String) throws -> (frames: [VideoFrame], fps: Int?) {
        do { return try decode(try FileIO.read(path)) } catch let e as LongLiveError { throw LongLiveError("\(path): \(e.message)") }
    }
}
