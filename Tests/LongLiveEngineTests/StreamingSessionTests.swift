import Testing
import LongLiveEngine

/// The live session: prompts set while running apply at the next chunk boundary, pause/stop work,
/// and a session run equals a scripted generator run with the same switches.
@Suite struct StreamingSessionTests {
    func makeGenerator(seed: UInt64 = 5) throws -> StreamingGenerator {
        var s = GenerationSettings()
        s.windowFrames = 9
        return try StreamingGenerator(model: try EngineFixtures.tinyModel(), settings: s, frameShape: [16, 8, 12], noise: SeededNoise(seed: seed))
    }

    @Test func scriptedRunMatchesTheGeneratorAndReportsSwitches() async throws {
        let encoder = HashedWordEncoder(textDim: 32, maxTokens: 16)
        let session = StreamingSession(generator: try makeGenerator(), encoder: encoder)
        let timeline = try PromptTimeline(prompts: ["a red ball", "a blue ball"], switchFrames: [4])
        try await session.start(timeline: timeline, totalFrames: 12)
        var latents: [Tensor] = []
        var applied: [(Int, Int)] = []
        var finished = -1
        for await e in session.events {
            switch e {
            case .chunk(_, _, let l, _): latents.append(l)
            case .promptApplied(let i, _, let frame): applied.append((i, frame))
            case .finished(let frames): finished = frames
            case .failed(let m): Issue.record("failed: \(m)")
            case .stats: break
            }
        }
        #expect(finished == 12)
        #expect(applied.map(\.0) == [0, 1] && applied.map(\.1) == [0, 6])

        // The same run through the generator directly.
        let g = try makeGenerator()
        let a = try g.addPrompt(embedding: try encoder.encode("a red ball"))
        let b = try g.addPrompt(embedding: try encoder.encode("a blue ball"))
        let direct = try [a, a, b, b].map { try g.nextChunk(prompt: $0).latents }
        #expect(Tensor.concatenate(latents).relativeError(to: Tensor.concatenate(direct)) == 0)
    }

    @Test func promptSetWhileRunningAppliesAtTheNextChunk() async throws {
        let session = StreamingSession(generator: try makeGenerator(), encoder: HashedWordEncoder(textDim: 32, maxTokens: 16))
        try await session.start(timeline: try PromptTimeline(prompts: ["a red ball"], switchFrames: []), totalFrames: nil)
        var requestedAt: Int?
        var switchFrame: Int?
        var pauseChecked = false
        for await e in session.events {
            switch e {
            case .chunk(let index, let start, _, let prompt):
                if let f = switchFrame { #expect(prompt == (start >= f ? 1 : 0)) }
                if index == 0 {
                    try await session.setPrompt("a green square")
                    requestedAt = await session.framesDone
                }
                if switchFrame != nil && !pauseChecked {
                    // Paused: at most the chunk in progress still arrives.
                    await session.pause()
                    let before = await session.framesDone
                    try await Task.sleep(nanoseconds: 300_000_000)
                    #expect(await session.state == .paused)
                    #expect(await session.framesDone <= before + 3)
                    pauseChecked = true
                    await session.resume()
                    await session.stop()
                }
            case .promptApplied(let i, let text, let frame) where i == 1:
                #expect(text == "a green square")
                switchFrame = frame
            case .failed(let m): Issue.record("failed: \(m)")
            default: break
            }
        }
        // The chunk being generated when the prompt arrived finishes under the old prompt.
        let r = try #require(requestedAt)
        let f = try #require(switchFrame)
        #expect(f == r || f == r + 3, "requested after frame \(r), applied at \(f)")
        #expect(pauseChecked)
        #expect(await session.state == .finished)
    }

    /// With a queue bound, the session never runs more than the bound past what the consumer has
    /// acknowledged, and goes on once it acknowledges.
    @Test func queueBoundHoldsUntilFramesAreConsumed() async throws {
        let session = StreamingSession(generator: try makeGenerator(), encoder: HashedWordEncoder(textDim: 32, maxTokens: 16))
        await session.setPacing(.init(framesPerSecond: nil, maxQueuedFrames: 6))
        try await session.start(timeline: try PromptTimeline(prompts: ["a red ball"], switchFrames: []), totalFrames: 30)
        var iterator = session.events.makeAsyncIterator()
        var delivered = 0
        // Without acknowledgements the loop stops at 6 frames (two chunks) and waits.
        while delivered < 6, let e = await iterator.next() {
            if case .chunk(_, let start, let l, _) = e { delivered = start + l.shape[0] }
        }
        try await Task.sleep(nanoseconds: 400_000_000)
        #expect(await session.framesDone == 6)
        await session.consumed(through: 6)
        while let e = await iterator.next() {
            if case .chunk(_, let start, let l, _) = e {
                delivered = start + l.shape[0]
                #expect(await session.framesDone <= delivered + 6)
                await session.consumed(through: delivered)
            }
        }
        #expect(delivered == 30)
    }

    @Test func aBadPromptFailsAtOnceNotMidStream() async throws {
        let session = StreamingSession(generator: try makeGenerator(), encoder: HashedWordEncoder(textDim: 32, maxTokens: 16))
        await #expect(throws: LongLiveError.self) { try await session.setPrompt("   ") }
    }
}
