import Testing
import LongLiveTensor
@testable import LongLiveMedia
#if canImport(Glibc)
import Glibc
#endif

func testFrame(_ w: Int, _ h: Int, _ seed: Int = 0) -> VideoFrame {
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    for i in rgb.indices { rgb[i] = UInt8((i * 37 + seed * 11 + (i / 7) * 5) % 256) }
    return VideoFrame(width: w, height: h, rgb: rgb)
}

func tempPath(_ name: String) -> String {
    "/tmp/longlive-media-test-\(getpid())-\(name)"
}

@Suite struct PNGTests {
    @Test func writtenPNGReadsBackExactly() throws {
        let f = testFrame(13, 7)
        let bytes = PNGWriter.encode(f)
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try PNGReader.decode(bytes) == f)
    }

    @Test func largeFramesSpanSeveralStoredBlocks() throws {
        let f = testFrame(200, 120, 3) // 72 KB of scanlines: two stored blocks
        #expect(try PNGReader.decode(PNGWriter.encode(f)) == f)
    }

    /// A PNG from zlib level 9 (fixed Huffman) with scanline filters None, Sub, Up, Average, Paeth.
    @Test func readsCompressedFilteredPNG() throws {
        let png: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 6, 0, 0, 0, 5, 8, 2, 0, 0, 0, 233, 58, 10, 177, 0, 0, 0, 53, 73, 68, 65, 84, 120, 218, 99, 96, 96, 96, 208, 96, 16, 9, 96, 208, 168, 96, 176, 89, 192, 16, 112, 130, 33, 133, 145, 193, 72, 4, 40, 132, 140, 152, 128, 66, 104, 136, 153, 33, 69, 67, 68, 82, 4, 25, 177, 128, 100, 24, 80, 16, 0, 14, 184, 9, 32, 87, 165, 27, 40, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130]
        let f = try PNGReader.decode(png)
        #expect(f.width == 6 && f.height == 5)
        for y in 0..<5 {
            for x in 0..<6 {
                let i = 3 * (y * 6 + x)
                #expect(Array(f.rgb[i..<(i + 3)]) == [UInt8((x * 40) % 256), UInt8((y * 50) % 256), UInt8(((x + y) * 20) % 256)])
            }
        }
    }

    @Test func inflatesDynamicHuffmanStream() throws {
        let z: [UInt8] = [120, 218, 205, 204, 219, 17, 128, 32, 12, 4, 192, 86, 174, 14, 173, 38, 64, 100, 24, 15, 226, 132, 135, 237, 75, 25, 254, 239, 44, 173, 101, 150, 165, 120, 205, 153, 14, 8, 122, 21, 18, 174, 9, 177, 120, 164, 162, 218, 210, 14, 234, 53, 96, 109, 131, 192, 169, 232, 195, 203, 179, 77, 144, 120, 103, 183, 217, 210, 9, 254, 244, 250, 0, 37, 178, 82, 207]
        let text = String(repeating: "longlive world: a small red circle moves left on a blue striped background; ", count: 3)
        #expect(try Inflate.zlib(z) == Array(text.utf8))
    }

    @Test func corruptPNGIsAClearError() {
        var bytes = PNGWriter.encode(testFrame(4, 4))
        bytes[40] ^= 0xFF
        #expect(throws: LongLiveError.self) { try PNGReader.decode(bytes) }
        #expect(throws: LongLiveError.self) { try PNGReader.decode([1, 2, 3]) }
    }
}

@Suite struct VideoFileTests {
    @Test func y4mRoundTripsWithinARoundingStep() throws {
        let path = tempPath("a.y4m")
        defer { unlink(path) }
        let frames = (0..<3).map { testFrame(10, 6, $0) }
        var w = try Y4MWriter(path: path, width: 10, height: 6, fps: 16)
        for f in frames { try w.append(f) }
        try w.finish()
        let (back, fps) = try Y4MReader.read(path)
        #expect(fps == 16 && back.count == 3)
        for (a, b) in zip(frames, back) {
            #expect(zip(a.rgb, b.rgb).allSatisfy { abs(Int($0) - Int($1)) <= 3 })
        }
        // Flat colours of the world come back almost exactly.
        let flat = VideoFrame(width: 4, height: 4, rgb: Array([UInt8]([225, 35, 35]).repeated(16)))
        var w2 = try Y4MWriter(path: path, width: 4, height: 4, fps: 8)
        try w2.append(flat)
        try w2.finish()
        #expect(zip(try Y4MReader.read(path).frames[0].rgb, flat.rgb).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
    }

    @Test func killedWriterLeavesPlayableFrames() throws {
        let path = tempPath("b.y4m")
        defer { unlink(path) }
        var w = try Y4MWriter(path: path, width: 8, height: 8, fps: 16)
        try w.append(testFrame(8, 8, 1))
        try w.append(testFrame(8, 8, 2))
        // No finish(): each frame is already in the file. A torn last frame is ignored.
        var bytes = try FileIO.read(path)
        bytes += Array("FRAME\n".utf8) + [1, 2, 3]
        let (frames, _) = try Y4MReader.decode(bytes)
        #expect(frames.count == 2)
        try w.finish()
    }

    @Test func readsSubsampledY4M() throws {
        // 4:2:0, limited range, mid grey: Y = 126, Cb = Cr = 128 → about (128, 128, 128).
        let header = Array("YUV4MPEG2 W4 H2 F25:1 C420jpeg\n".utf8)
        let frame = Array("FRAME\n".utf8) + [UInt8](repeating: 126, count: 8) + [128, 128, 128, 128]
        let (frames, fps) = try Y4MReader.decode(header + frame)
        #expect(fps == 25 && frames.count == 1)
        #expect(frames[0].rgb.allSatisfy { abs(Int($0) - 128) <= 1 })
        #expect(throws: LongLiveError.self) { try Y4MReader.decode(Array("YUV4MPEG2 W4 H2 C420p10\n".utf8)) }
    }

    @Test func pngFolderVideoRoundTrips() throws {
        let dir = tempPath("frames")
        var w = try VideoFile.writer(path: dir, width: 5, height: 3, fps: 16)
        let frames = (0..<3).map { testFrame(5, 3, $0) }
        for f in frames { try w.append(f) }
        try w.finish()
        #expect(try FileIO.list(dir) == ["frame_000000.png", "frame_000001.png", "frame_000002.png"])
        let (back, fps) = try VideoFile.read(dir)
        #expect(back == frames && fps == nil)
        for n in try FileIO.list(dir) { unlink(dir + "/" + n) }
        rmdir(dir)
        #expect(throws: LongLiveError.self) { try VideoFile.read(tempPath("missing.mp4")) }
    }

    @Test func tensorsConvertBothLayouts() throws {
        let f = testFrame(4, 5, 2)
        let planar = f.tensor()
        #expect(planar.shape == [3, 5, 4])
        #expect(try VideoFrame(tensor: planar) == f)
        let hwc = f.tensor(channelsFirst: false)
        #expect(hwc.shape == [5, 4, 3])
        #expect(try VideoFrame(tensor: hwc) == f)
        #expect(throws: LongLiveError.self) { try VideoFrame(tensor: Tensor(zeros: [2, 4, 4])) }
    }
}

extension Array {
    func repeated(_ n: Int) -> [Element] { (0..<n).flatMap { _ in self } }
}
