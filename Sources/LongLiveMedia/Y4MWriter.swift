#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// Writes YUV4MPEG2 (`.y4m`), 4:4:4 full-range BT.601, which ffmpeg and mpv play and which keeps
/// full colour resolution for evaluation. Each frame goes to the file as soon as it is appended, so
/// a killed process leaves every finished frame playable.
public struct Y4MWriter: FrameSink {
    public let path: String
    public let width: Int
    public let height: Int
    private var fd: Int32
    private var buffer: [UInt8]

    public init(path: String, width: Int, height: Int, fps: Int) throws {
        self.path = path; self.width = width; self.height = height
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LongLiveError("cannot write \(path): \(String(cString: strerror(errno)))") }
        buffer = []
        try put(Array("YUV4MPEG2 W\(width) H\(height) F\(fps):1 Ip A1:1 C444 XCOLORRANGE=FULL\n".utf8))
    }

    public mutating func append(_ frame: VideoFrame) throws {
        guard fd >= 0 else { throw LongLiveError("\(path) is already closed") }
        guard frame.width == width, frame.height == height else {
            throw LongLiveError("frame is \(frame.width)x\(frame.height) but \(path) is \(width)x\(height)")
        }
        let n = width * height
        buffer = Array("FRAME\n".utf8)
        buffer += [UInt8](repeating: 0, count: 3 * n)
        let head = 6
        frame.rgb.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let (y, cb, cr) = YCbCr.fromRGB(Float(p[3 * i]), Float(p[3 * i + 1]), Float(p[3 * i + 2]), full: true)
                buffer[head + i] = y; buffer[head + n + i] = cb; buffer[head + 2 * n + i] = cr
            }
        }
        try put(buffer)
    }

    private func put(_ bytes: [UInt8]) throws {
        var off = 0
        try bytes.withUnsafeBytes { raw in
            while off < raw.count {
                let w = write(fd, raw.baseAddress! + off, raw.count - off)
                if w <= 0 { throw LongLiveError("error writing \(path): \(String(cString: strerror(errno)))") }
                off += w
            }
        }
    }

    public mutating func finish() throws {
        if fd >= 0 { close(fd); fd = -1 }
    }
}
