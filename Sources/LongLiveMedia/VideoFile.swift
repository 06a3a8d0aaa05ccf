import LongLiveTensor

/// Opens videos by path: a name ending in `.y4m` is a Y4M file; anything else is a PNG folder.
public enum VideoFile {
    /// A writer for `path`.
    public static func writer(path: String, width: Int, height: Int, fps: Int) throws -> any FrameSink {
        if path.lowercased().hasSuffix(".y4m") { return try Y4MWriter(path: path, width: width, height: height, fps: fps) }
        return try PNGFolderWriter(path: path)
    }

    /// All frames of the video at `path`, and its frame rate when the file records one.
    public static func read(_ path: String) throws -> (frames: [VideoFrame], fps: Int?) {
        if path.lowercased().hasSuffix(".y4m") {
            let (f, fps) = try Y4MReader.read(path)
            return (f, fps > 0 ? fps : nil)
        }
        if FileIO.isDirectory(path) { return (try PNGFolderReader.read(path), nil) }
        if path.lowercased().hasSuffix(".png") { return ([try PNGReader.read(path)], nil) }
        throw LongLiveError("cannot read video \(path): expected a .y4m file or a folder of .png frames")
    }
}
