#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// Writes an animated PNG (APNG) frame by frame with no dependency; browsers play it natively.
///
/// The file is a valid APNG after every appended frame, so a killed process leaves a playable file
/// with every finished frame. Layout: signature, IHDR, acTL (frame count), then per frame an fcTL and
/// its data (IDAT for the first frame, fdAT after), then IEND. Appending a frame is two positioned
/// writes: (1) the new fcTL + fdAT + a fresh IEND, written over the old IEND, in one `pwrite`;
/// (2) the acTL frame count and its CRC, rewritten in place (12 bytes). A kill between the two
/// leaves a count one below the frames present; ``APNGReader`` (and ffmpeg) read the frames present.
public struct APNGWriter: FrameSink {
    public let path: String
    public let fps: Int
    private var fd: Int32
    private var width = 0
    private var height = 0
    private var frames = 0
    /// Next fcTL/fdAT sequence number (they share one counter).
    private var sequence: UInt32 = 0
    /// Where the IEND chunk starts (the next frame goes there).
    private var endOffset = 0

    /// File offset of acTL's data: 8 (signature) + 25 (IHDR chunk) + 8 (acTL length and type).
    static let actlDataOffset = 41

    public init(path: String, fps: Int) throws {
        self.path = path
        self.fps = max(1, fps)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LongLiveError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    public mutating func append(_ frame: VideoFrame) throws {
        guard fd >= 0 else { throw LongLiveError("\(path) is already closed") }
        var bytes: [UInt8] = []
        if frames == 0 {
            width = frame.width; height = frame.height
            bytes = PNGWriter.header(width: width, height: height)
            PNGWriter.chunk("acTL", actl(count: 1), into: &bytes)
        } else if frame.width != width || frame.height != height {
            throw LongLiveError("frame is \(frame.width)x\(frame.height) but \(path) is \(width)x\(height)")
        }
        PNGWriter.chunk("fcTL", fctl(), into: &bytes)
        let data = PNGWriter.imageData(frame)
        if frames == 0 {
            PNGWriter.chunk("IDAT", data, into: &bytes)
        } else {
            var fdat: [UInt8] = []
            fdat.reserveCapacity(data.count + 4)
            fdat.appendBE(sequence); sequence += 1
            fdat += data
            PNGWriter.chunk("fdAT", fdat, into: &bytes)
        }
        let iendAt = endOffset + bytes.count
        PNGWriter.chunk("IEND", [], into: &bytes)
        try put(bytes, at: endOffset)
        endOffset = iendAt
        frames += 1
        if frames > 1 {
            var count: [UInt8] = []
            PNGWriter.chunk("acTL", actl(count: frames), into: &count)
            try put(Array(count[8...]), at: APNGWriter.actlDataOffset)  // data + CRC, not length and type
        }
    }

    /// acTL data: frame count, then plays (0: loop forever).
    private func actl(count: Int) -> [UInt8] {
        var d: [UInt8] = []
        d.appendBE(UInt32(count)); d.appendBE(0)
        return d
    }

    /// fcTL data for a full-canvas frame shown for 1/fps s.
    private mutating func fctl() -> [UInt8] {
        var d: [UInt8] = []
        d.appendBE(sequence); sequence += 1
        d.appendBE(UInt32(width)); d.appendBE(UInt32(height))
        d.appendBE(0); d.appendBE(0)  // x, y offsets
        d += [0, 1, UInt8(fps >> 8), UInt8(fps & 0xFF)]  // delay 1/fps s
        d += [0, 0]  // dispose none, blend source
        return d
    }

    private func put(_ bytes: [UInt8], at offset: Int) throws {
        var off = 0
        try bytes.withUnsafeBytes { raw in
            while off < raw.count {
                let w = pwrite(fd, raw.baseAddress! + off, raw.count - off, off_t(offset + off))
                if w <= 0 { throw LongLiveError("error writing \(path): \(String(cString: strerror(errno)))") }
                off += w
            }
        }
    }

    public mutating func finish() throws {
        if fd >= 0 { close(fd); fd = -1 }
    }
}
