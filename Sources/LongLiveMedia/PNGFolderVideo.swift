#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// A video as a folder of PNGs named `frame_000000.png`, `frame_000001.png`, ... Each frame is
/// written through a temporary file and a rename, so the folder only ever holds complete frames.
public struct PNGFolderWriter: FrameSink {
    public let path: String
    private var index = 0

    public init(path: String) throws {
        self.path = path
        if !FileIO.isDirectory(path) {
            guard mkdir(path, 0o755) == 0 else { throw LongLiveError("cannot create folder \(path): \(String(cString: strerror(errno)))") }
        }
    }

    public static func frameName(_ i: Int) -> String {
        let digits = String(i)
        return "frame_" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".png"
    }

    public mutating func append(_ frame: VideoFrame) throws {
        try FileIO.write(path + "/" + PNGFolderWriter.frameName(index), bytes: PNGWriter.encode(frame))
        index += 1
    }

    public mutating func finish() throws {}
}

/// Reads a folder of PNGs in name order (any names ending in `.png`).
public enum PNGFolderReader {
    public static func read(_ path: String) throws -> [VideoFrame] {
        let names = try FileIO.list(path).filter { $0.lowercased().hasSuffix(".png") }
        guard !names.isEmpty else { throw LongLiveError("\(path) holds no .png frames") }
        return try names.map { try PNGReader.read(path + "/" + $0) }
    }
}
