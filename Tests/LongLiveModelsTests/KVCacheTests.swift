import Testing
import LongLiveModels

/// The cache's slot bookkeeping against the spec's trace (window 12, sink 3, chunk 3), with one
/// token per frame whose key is its absolute frame number.
@Suite struct KVCacheTests {
    /// Runs `forwards` forwards of a chunk starting at `start` (the first extends the stream, the
    /// rest are recomputes, like 4 denoising steps + the context pass) and returns the attended frames.
    func chunk(_ c: KVCache, start: Int, frames: Int = 3, forwards: Int = 5) throws -> [Int] {
        var attended: [Int] = []
        for _ in 0..<forwards {
            let k = (0..<frames).map { Float(start + $0) }
            let spans = try k.withUnsafeBufferPointer { p in
                try c.layers[0].insert(keys: p.baseAddress!, values: p.baseAddress!, count: frames, currentStart: start, sinkRecache: false)
            }
            attended = spans.flatMap { s in (0..<s.count).map { Int(s.keys[$0]) } }
        }
        return attended
    }

    func slots(_ c: KVCache) -> [Int] {
        let l = c.layers[0]
        return (0..<l.localEnd).map { Int(l.keys[$0]) }
    }

    @Test func followsTheSpecTrace() throws {
        let c = KVCache(layers: 1, width: 1, layout: .window(12, sink: 3, tokensPerFrame: 1))
        #expect(try chunk(c, start: 0) == [0, 1, 2])
        #expect(try chunk(c, start: 3) == [0, 1, 2, 3, 4, 5])
        #expect(try chunk(c, start: 6) == Array(0...8))
        #expect(try chunk(c, start: 9) == Array(0...11))
        #expect(slots(c) == Array(0...11))
        // Chunk 4 rolls: frames 3-5 are evicted, the sink stays.
        #expect(try chunk(c, start: 12) == [0, 1, 2] + Array(6...14))
        #expect(slots(c) == [0, 1, 2] + Array(6...14))
        #expect(c.layers[0].globalEnd == 15 && c.layers[0].localEnd == 12)
    }

    @Test func memoryAndWindowStayConstantOverLongVideos() throws {
        let c = KVCache(layers: 1, width: 1, layout: .window(12, sink: 3, tokensPerFrame: 1))
        let bytes = c.byteCount
        for n in stride(from: 0, to: 300, by: 3) {
            let attended = try chunk(c, start: n, forwards: 2)
            let expected = n < 12 ? Array(0..<(n + 3)) : [0, 1, 2] + Array((n - 6)...(n + 2))
            #expect(attended == expected, "chunk at \(n)")
        }
        #expect(c.byteCount == bytes)
        #expect(c.endFrame == 300)
    }

    @Test func recomputeProtectsTheSinkUnlessAllowed() throws {
        let c = KVCache(layers: 1, width: 1, layout: .window(9, sink: 3, tokensPerFrame: 1))
        for s in stride(from: 0, to: 12, by: 3) { _ = try chunk(c, start: s) }
        #expect(slots(c) == [0, 1, 2] + Array(6...11))
        // A re-cache of frames 3-11 with different keys (+100): recompute, sink write-protected.
        let k = (3...11).map { Float($0 + 100) }
        _ = try k.withUnsafeBufferPointer { p in
            try c.layers[0].insert(keys: p.baseAddress!, values: p.baseAddress!, count: 9, currentStart: 3, sinkRecache: false)
        }
        #expect(slots(c) == [0, 1, 2] + Array(106...111))
        // With sinkRecache the first three re-cached frames land in the sink.
        _ = try k.withUnsafeBufferPointer { p in
            try c.layers[0].insert(keys: p.baseAddress!, values: p.baseAddress!, count: 9, currentStart: 3, sinkRecache: true)
        }
        #expect(slots(c) == Array(103...111))
        #expect(c.layers[0].globalEnd == 12 && c.layers[0].localEnd == 9)
    }

    @Test func resetAndZeroing() throws {
        let c = KVCache(layers: 2, width: 1, layout: .window(6, sink: 3, tokensPerFrame: 1))
        _ = try chunk(c, start: 0)
        c.zeroBuffers()
        #expect(slots(c) == [0, 0, 0] && c.endFrame == 3)
        c.reset()
        #expect(c.endFrame == 0 && c.layers[0].localEnd == 0)
    }
}
