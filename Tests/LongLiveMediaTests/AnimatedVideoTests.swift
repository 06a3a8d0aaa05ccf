import Testing
import LongLiveTensor
@testable import LongLiveMedia
#if canImport(Glibc)
import Glibc
#endif

@Suite struct AnimatedPNGTests {
    /// After every append the file on disk is a complete APNG holding exactly the frames so far.
    @Test func fileIsValidAfterEveryFrame() throws {
        let path = tempPath("a.png")
        defer { unlink(path) }
        var w = try APNGWriter(path: path, fps: 16)
        var frames: [VideoFrame] = []
        for i in 0..<4 {
            frames.append(testFrame(9, 5, i))
            try w.append(frames[i])
            let (back, fps) = try APNGReader.read(path)
            #expect(back == frames && fps == 16)
        }
        try w.finish()
        #expect(throws: LongLiveError.self) { try w.append(testFrame(9, 5)) }
        #expect(try VideoFile.read(path).frames == frames)
    }

    @Test func frameSizeMustNotChange() throws {
        let path = tempPath("b.png")
        defer { unlink(path) }
        var w = try APNGWriter(path: path, fps: 8)
        try w.append(testFrame(4, 4))
        #expect(throws: LongLiveError.self) { try w.append(testFrame(5, 4)) }
    }

    @Test func stillPNGReadsAsOneFrame() throws {
        let f = testFrame(6, 3, 1)
        let (frames, fps) = try APNGReader.decode(PNGWriter.encode(f))
        #expect(frames == [f] && fps == nil)
    }

    /// A file cut inside its last frame (a kill mid-write) reads up to the frame before.
    @Test func tornLastFrameIsDropped() throws {
        let path = tempPath("c.png")
        defer { unlink(path) }
        var w = try APNGWriter(path: path, fps: 16)
        try w.append(testFrame(8, 8, 1))
        let oneFrame = try FileIO.read(path).count - 12  // without IEND
        try w.append(testFrame(8, 8, 2))
        let bytes = try FileIO.read(path)
        let (frames, _) = try APNGReader.decode(Array(bytes[0..<(oneFrame + 40)]))
        #expect(frames == [testFrame(8, 8, 1)])
    }
}

@Suite struct MP4Tests {
    @Test func missingFFmpegFallsBackToY4MWithAMessage() throws {
        #expect(FFmpeg.locate(environment: ["LONGLIVE_FFMPEG": "/nonexistent/ffmpeg"]) == nil)
        let plan = VideoFile.plan(path: "/tmp/out.mp4", ffmpeg: nil)
        #expect(plan.path == "/tmp/out.y4m" && plan.format == .y4m)
        #expect(plan.note?.contains("apt-get install ffmpeg") == true)
        #expect(VideoFile.plan(path: "/tmp/out.mp4", ffmpeg: "/usr/bin/ffmpeg").format == .mp4)
        #expect(throws: LongLiveError.self) { try MP4Writer(path: tempPath("x.mp4"), width: 4, height: 4, fps: 16, ffmpeg: nil) }
    }

    @Test func formatsFollowTheName() {
        #expect(VideoFormat(path: "a.Y4M") == .y4m && VideoFormat(path: "a.png") == .apng && VideoFormat(path: "a.apng") == .apng)
        #expect(VideoFormat(path: "a.mp4") == .mp4 && VideoFormat(path: "frames/") == .pngFolder)
    }

    @Test(.enabled(if: FFmpeg.locate() != nil, "ffmpeg is not installed"))
    func mp4RoundTripsThroughFFmpeg() throws {
        let path = tempPath("d.mp4")
        defer { unlink(path) }
        // Flat colours survive H.264 + 4:2:0 closely.
        let colours: [[UInt8]] = [[200, 40, 40], [40, 200, 40], [40, 40, 200]]
        let frames = colours.map { VideoFrame(width: 16, height: 16, rgb: Array($0.repeated(256))) }
        var w = try MP4Writer(path: path, width: 16, height: 16, fps: 16)
        for f in frames { try w.append(f) }
        try w.finish()
        let (back, fps) = try VideoFile.read(path)
        #expect(back.count == 3 && fps == 16)
        for (a, b) in zip(frames, back) {
            #expect(zip(a.rgb, b.rgb).allSatisfy { abs(Int($0) - Int($1)) <= 12 })
        }
    }
}
