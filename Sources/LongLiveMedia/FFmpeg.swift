#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// Finds the `ffmpeg` and `ffprobe` programs: `LONGLIVE_FFMPEG` (a path; set it to a missing path to
/// act as if ffmpeg were not installed), else the `PATH`.
public enum FFmpeg {
    /// The ffmpeg executable, or nil when it is not installed.
    public static func locate(environment: [String: String]? = nil) -> String? {
        let env = environment ?? currentEnvironment()
        if let forced = env["LONGLIVE_FFMPEG"] { return access(forced, X_OK) == 0 ? forced : nil }
        return findInPath("ffmpeg", env["PATH"] ?? "/usr/bin:/bin")
    }

    /// ffprobe next to ffmpeg, or from the `PATH`.
    static func locateProbe(ffmpeg: String) -> String? {
        if let slash = ffmpeg.lastIndex(of: "/") {
            let probe = String(ffmpeg[..<slash]) + "/ffprobe"
            if access(probe, X_OK) == 0 { return probe }
        }
        return findInPath("ffprobe", currentEnvironment()["PATH"] ?? "/usr/bin:/bin")
    }

    /// What to tell a user whose ffmpeg is missing.
    public static let installHint = "install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) for MP4"

    static func findInPath(_ name: String, _ path: String) -> String? {
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func currentEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }

    /// Decodes any video ffmpeg reads into RGB frames (tests and `VideoFile.read` of an .mp4).
    public static func decode(_ path: String) throws -> (frames: [VideoFrame], fps: Int?) {
        guard let ffmpeg = locate() else { throw LongLiveError("cannot read \(path): \(installHint)") }
        guard let probe = locateProbe(ffmpeg: ffmpeg) else { throw LongLiveError("cannot read \(path): ffprobe not found next to \(ffmpeg)") }
        let info = try ChildProcess.run([probe, "-v", "error", "-select_streams", "v:0", "-show_entries",
                                         "stream=width,height,r_frame_rate", "-of", "csv=p=0", path])
        let fields = String(decoding: info.output, as: UTF8.self).split(whereSeparator: { $0 == "," || $0 == "\n" })
        guard info.status == 0, fields.count >= 3, let w = Int(fields[0]), let h = Int(fields[1]), w > 0, h > 0 else {
            throw LongLiveError("ffprobe cannot read \(path)")
        }
        let rate = fields[2].split(separator: "/").compactMap { Double($0) }
        let fps = rate.count == 2 && rate[1] > 0 ? Int((rate[0] / rate[1]).rounded()) : nil
        let raw = try ChildProcess.run([ffmpeg, "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        guard raw.status == 0 else { throw LongLiveError("ffmpeg cannot decode \(path)") }
        let size = w * h * 3
        let frames = (0..<(raw.output.count / size)).map { i in
            VideoFrame(width: w, height: h, rgb: Array(raw.output[(i * size)..<((i + 1) * size)]))
        }
        return (frames, fps)
    }
}

/// Writes MP4 (H.264) by piping raw RGB frames to `ffmpeg`. The MP4 is fragmented
/// (`frag_keyframe+empty_moov`), so even an ffmpeg killed mid-run leaves a playable file up to its
/// last fragment; when only our process dies, ffmpeg sees end-of-input and closes the file itself
/// with every frame it was sent.
public struct MP4Writer: FrameSink {
    public let path: String
    public let width: Int
    public let height: Int
    private let child: ChildProcess
    private var closed = false

    /// Throws when ffmpeg is missing (see ``FFmpeg/locate(environment:)``) or cannot start.
    public init(path: String, width: Int, height: Int, fps: Int, ffmpeg: String? = FFmpeg.locate()) throws {
        guard let ffmpeg else { throw LongLiveError("cannot write \(path): ffmpeg not found; \(FFmpeg.installHint)") }
        self.path = path; self.width = width; self.height = height
        // A broken pipe (ffmpeg failed) must be an error we report, not a signal that kills us.
        signal(SIGPIPE, SIG_IGN)
        child = try ChildProcess([
            ffmpeg, "-nostdin", "-y", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-r", "\(max(1, fps))", "-i", "pipe:0",
            // yuv420p (what players expect) needs even sizes.
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-g", "\(max(1, fps))",
            // Each fragment goes to disk as it is muxed: without this, ffmpeg's 32 KB output buffer
            // holds many seconds of a static, well-compressed video, which a killed ffmpeg loses.
            "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-flush_packets", "1", "-f", "mp4", path,
        ], stdinPipe: true)
    }

    public mutating func append(_ frame: VideoFrame) throws {
        guard !closed else { throw LongLiveError("\(path) is already closed") }
        guard frame.width == width, frame.height == height else {
            throw LongLiveError("frame is \(frame.width)x\(frame.height) but \(path) is \(width)x\(height)")
        }
        do {
            try frame.rgb.withUnsafeBytes { try child.write($0) }
        } catch let e as LongLiveError {
            throw LongLiveError("ffmpeg stopped while writing \(path) (\(e.message)); see its message above")
        }
    }

    public mutating func finish() throws {
        guard !closed else { return }
        closed = true
        let status = child.finish()
        guard status == 0 else { throw LongLiveError("ffmpeg failed writing \(path) (exit status \(status))") }
    }
}
