import LongLiveTensor

/// The video formats `longlive` writes, chosen by the output name.
public enum VideoFormat: String, Sendable, CaseIterable {
    /// `.y4m`: YUV4MPEG2 4:4:4 (no dependency; mpv, ffplay, VLC).
    case y4m
    /// `.png` / `.apng`: animated PNG (no dependency; plays in browsers).
    case apng
    /// `.mp4`: H.264 through ffmpeg.
    case mp4
    /// Any other name: a folder of `frame_NNNNNN.png`.
    case pngFolder

    public init(path: String) {
        let p = path.lowercased()
        if p.hasSuffix(".y4m") { self = .y4m }
        else if p.hasSuffix(".png") || p.hasSuffix(".apng") { self = .apng }
        else if p.hasSuffix(".mp4") { self = .mp4 }
        else { self = .pngFolder }
    }
}

/// Opens videos by path (see ``VideoFormat``).
public enum VideoFile {
    /// Where a video for `path` will really go: an `.mp4` asked for without ffmpeg falls back to
    /// `.y4m` beside it, with `note` saying so and how to get MP4.
    public static func plan(path: String, ffmpeg: String? = FFmpeg.locate()) -> (path: String, format: VideoFormat, note: String?) {
        let format = VideoFormat(path: path)
        guard format == .mp4, ffmpeg == nil else { return (path, format, nil) }
        let fallback = String(path.dropLast(4)) + ".y4m"
        return (fallback, .y4m, "ffmpeg not found: writing \(fallback) instead of \(path) (\(FFmpeg.installHint))")
    }

    /// A writer for `path` in `format` (from ``plan(path:ffmpeg:)``; default: by name, no fallback).
    public static func writer(path: String, format: VideoFormat? = nil, width: Int, height: Int, fps: Int,
                              ffmpeg: String? = FFmpeg.locate()) throws -> any FrameSink {
        switch format ?? VideoFormat(path: path) {
        case .y4m: return try Y4MWriter(path: path, width: width, height: height, fps: fps)
        case .apng: return try APNGWriter(path: path, fps: fps)
        case .mp4: return try MP4Writer(path: path, width: width, height: height, fps: fps, ffmpeg: ffmpeg)
        case .pngFolder: return try PNGFolderWriter(path: path)
        }
    }

    /// All frames of the video at `path`, and its frame rate when the file records one.
    public static func read(_ path: String) throws -> (frames: [VideoFrame], fps: Int?) {
        if FileIO.isDirectory(path) { return (try PNGFolderReader.read(path), nil) }
        switch VideoFormat(path: path) {
        case .y4m:
            let (f, fps) = try Y4MReader.read(path)
            return (f, fps > 0 ? fps : nil)
        case .apng: return try APNGReader.read(path)
        case .mp4:
            guard FileIO.exists(path) else { throw LongLiveError("cannot read video \(path): no such file") }
            return try FFmpeg.decode(path)
        case .pngFolder:
            throw LongLiveError("cannot read video \(path): expected a .y4m, .png/.apng or .mp4 file or a folder of .png frames")
        }
    }
}
