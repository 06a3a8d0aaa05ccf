import Testing
import LongLiveEngine
import LongLiveMedia
#if canImport(Glibc)
import Glibc
#endif

/// `longlive generate` killed with SIGKILL mid-run leaves a video that our readers (and ffmpeg)
/// read, holding every frame finished before the kill.
@Suite(.serialized) struct KilledRunTests {
    /// Starts a long run writing `output`, waits until `ready` says enough is written, kills it.
    func generateAndKill(_ output: String, environment: String = "", ready: () -> Bool) throws {
        try Live.requireBinary()
        let pid = try Live.spawn("\(environment) exec \(Live.binary) generate --prompt 'a small red circle moves left' --frames 3000 --output \(output) 2>/dev/null")
        let started = Live.eventually(300) { ready() }
        kill(pid, SIGKILL)
        #expect(Live.wait(pid) == 128 + SIGKILL)
        #expect(started, "the run never wrote enough to test")
    }

    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    @Test func killedY4MKeepsEveryFinishedFrame() throws {
        let dir = try Live.temporaryDirectory()
        let path = dir + "/v.y4m"
        let frameBytes = 6 + 64 * 64 * 3
        try generateAndKill(path) { Self.size(path) > 2 * frameBytes }
        let bytes = try FileIO.read(path)
        let (frames, fps) = try Y4MReader.decode(bytes)
        let header = bytes.firstIndex(of: 0x0A)! + 1
        #expect(frames.count >= 2 && fps == EmbeddedModel.fps)
        // Whole frames only, unless the kill tore the last one, which the reader drops.
        #expect(frames.count == (bytes.count - header) / frameBytes)
    }

    @Test func killedAnimatedPNGIsValidAtTheLastFrame() throws {
        let dir = try Live.temporaryDirectory()
        let path = dir + "/v.png"
        try generateAndKill(path) { Self.size(path) > 3 * 64 * 64 * 3 }
        let bytes = try FileIO.read(path)
        let (frames, fps) = try APNGReader.decode(bytes)
        #expect(frames.count >= 2 && fps == EmbeddedModel.fps)
        // acTL (at byte 41) counts the frames present, or one fewer if the kill fell between the
        // two writes of an append.
        let declared = bytes[41..<45].reduce(0) { $0 << 8 | Int($1) }
        #expect(declared == frames.count || declared == frames.count - 1)
        // The file ends with IEND: what browsers and ffmpeg need to accept it.
        #expect(Array(bytes.suffix(8)) == [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }

    @Test(.enabled(if: FFmpeg.locate() != nil, "ffmpeg is not installed (scripts/install-deps --test installs it)"))
    func killedMP4PlaysUpToTheKill() throws {
        let dir = try Live.temporaryDirectory()
        let path = dir + "/v.mp4"
        try generateAndKill(path) { Self.size(path) > 2000 }
        // ffmpeg sees end-of-input when we die and closes the file itself.
        #expect(Live.eventually(60) { !Live.processRunning(containing: path) })
        let (frames, fps) = try FFmpeg.decode(path)
        #expect(frames.count >= 1 && fps == EmbeddedModel.fps)
        #expect(frames.allSatisfy { $0.width == 64 && $0.height == 64 })
    }

    /// Without ffmpeg an .mp4 request writes a .y4m beside it and says so.
    @Test func mp4WithoutFFmpegFallsBackToY4M() throws {
        try Live.requireBinary()
        let dir = try Live.temporaryDirectory()
        let log = dir + "/log.txt"
        let pid = try Live.spawn("LONGLIVE_FFMPEG=/nonexistent/ffmpeg exec \(Live.binary) generate --prompt 'a small red circle' --frames 3 --output \(dir)/v.mp4 > \(log) 2>&1")
        #expect(Live.wait(pid) == 0)
        let output = try FileIO.readText(log)
        #expect(output.contains("ffmpeg not found") && output.contains("\(dir)/v.y4m"), "\(output)")
        // Not a terminal: plain progress lines with the figures and the prompt.
        #expect(output.contains("frame 3/3 |") && output.contains("ETA") && output.contains("prompt: a small red circle"), "\(output)")
        #expect(!FileIO.exists(dir + "/v.mp4"))
        #expect(try Y4MReader.read(dir + "/v.y4m").frames.count == 3)
    }
}
