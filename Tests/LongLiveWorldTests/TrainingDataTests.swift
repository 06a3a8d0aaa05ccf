import Testing
import LongLiveTensor
@testable import LongLiveWorld

@Suite struct TrainingDataTests {
    @Test func clipsAreTensorsDeterministicBySeed() throws {
        let ds = WorldDataset()
        let a = ds.clip(seed: 5, frames: 6), b = ds.clip(seed: 5, frames: 6), c = ds.clip(seed: 6, frames: 6)
        #expect(a.frames.shape == [6, 3, 64, 64])
        #expect(a.frames.scalars == b.frames.scalars && a.prompt == b.prompt)
        #expect(a.frames.scalars != c.frames.scalars)
        #expect(a.frames.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(try PromptParser.parse(a.prompt) == a.scene)
        let hwc = WorldDataset(channelsFirst: false).clip(seed: 5, frames: 6)
        #expect(hwc.frames.shape == [6, 64, 64, 3])
        // Same pixels in the other layout: channel 0 of pixel (0,0) of frame 0, and a pixel of frame 5.
        #expect(hwc.frames.scalars[0] == a.frames.scalars[0])
        let n = 64 * 64
        #expect(hwc.frames.scalars[5 * 3 * n + 3 * 100 + 2] == a.frames.scalars[5 * 3 * n + 2 * n + 100])
    }

    @Test func batchesAndSequences() {
        let ds = WorldDataset(width: 32, height: 32)
        let batch = ds.clipBatch(seed: 1, count: 3, frames: 4)
        #expect(batch.frames.shape == [3, 4, 3, 32, 32] && batch.prompts.count == 3)
        let seq = ds.sequence(seed: 9, segments: 3, segmentFrames: 8)
        #expect(seq.frames.shape == [24, 3, 32, 32])
        #expect(seq.switchFrames == [8, 16] && seq.prompts.count == 3)
        #expect(seq.switchPairs.map(\.frame) == [8, 16] && seq.switchPairs[0].to == seq.prompts[1])
        // The frames are the script's ground-truth video.
        let truth = WorldSimulator(script: seq.script, width: 32, height: 32).render()
        #expect(Float(truth[10].pixels[0]) / 127.5 - 1 == seq.frames.scalars[10 * 3 * 32 * 32])
    }
}
