import Testing
import LongLiveEngine

@Suite struct SamplerTests {
    @Test func warpedStepsMatchTheReference() throws {
        let run = try SafeTensorsFile(path: EngineFixtures.directory + "/stream_single.safetensors")
        let s = FlowMatchSchedule(shift: 5)
        let t = try s.denoisingTimesteps(nominal: [1000, 750, 500, 250])
        #expect(t == (try run.tensor("denoising_timesteps")).scalars)
        let sigmas = t.map { s.sigma(forTimestep: $0) }
        #expect(sigmas == (try run.tensor("denoising_sigmas")).scalars)
        // The context pass's t = 0 converts with the nearest grid point, σ ≈ 0.00498.
        #expect(abs(s.sigma(forTimestep: 0) - 0.00498) < 1e-5)
        // Other shifts, as the spec tabulates.
        #expect(try FlowMatchSchedule(shift: 8).denoisingTimesteps(nominal: [1000, 750, 500, 250]).map { ($0 * 10).rounded() / 10 } == [1000, 960, 888.9, 727.3])
        #expect(try FlowMatchSchedule(shift: 3).denoisingTimesteps(nominal: [1000, 750, 500, 250]) == [1000, 900, 750, 500])
        #expect(try s.denoisingTimesteps(nominal: [1000, 500], warp: false) == [1000, 500])
    }

    @Test func badStepListsAreRejected() {
        let s = FlowMatchSchedule()
        #expect(throws: LongLiveError.self) { try s.denoisingTimesteps(nominal: []) }
        #expect(throws: LongLiveError.self) { try s.denoisingTimesteps(nominal: [1000, 1000]) }
        #expect(throws: LongLiveError.self) { try s.denoisingTimesteps(nominal: [1200]) }
        var g = GenerationSettings()
        g.windowFrames = 5
        #expect(throws: LongLiveError.self) { try g.validate() }
    }

    @Test func flowConversionsInvertEachOther() {
        let s = FlowMatchSchedule()
        let x0 = Philox4x32(seed: 1).normalTensor(shape: [2, 3, 4, 4], stream: 0)
        let eps = Philox4x32(seed: 2).normalTensor(shape: [2, 3, 4, 4], stream: 0)
        let sigma: Float = 0.8333333
        let xt = s.addNoise(clean: x0, noise: eps, sigma: sigma)
        // The exact flow v = ε − x0 recovers x0.
        let v = Tensor(shape: x0.shape, values: zip(eps.scalars, x0.scalars).map { $0 - $1 })
        #expect(s.predictClean(noisy: xt, flow: v, sigma: sigma).relativeError(to: x0) < 1e-6)
    }

    @Test func seededNoiseIsDeterministicAndIndependentOfChunking() throws {
        let a = SeededNoise(seed: 7), b = SeededNoise(seed: 7), c = SeededNoise(seed: 8)
        let whole = try a.chunkNoise(startFrame: 0, frames: 6, frameShape: [2, 4, 4])
        let parts = Tensor.concatenate([try b.chunkNoise(startFrame: 0, frames: 3, frameShape: [2, 4, 4]),
                                        try b.chunkNoise(startFrame: 3, frames: 3, frameShape: [2, 4, 4])])
        #expect(whole.scalars == parts.scalars)
        #expect(whole.scalars != (try c.chunkNoise(startFrame: 0, frames: 6, frameShape: [2, 4, 4])).scalars)
        #expect((try a.renoise(chunk: 1, step: 0, frames: 3, frameShape: [2, 4, 4])).scalars
                != (try a.renoise(chunk: 1, step: 1, frames: 3, frameShape: [2, 4, 4])).scalars)
    }

    @Test func sharedFrameNoiseCorrelatesFramesAcrossChunksAndSteps() throws {
        let shape = [8, 16, 16], n = 8 * 16 * 16
        func correlation(_ x: [Float], _ y: [Float]) -> Float { zip(x, y).map { $0 * $1 }.reduce(0, +) / Float(x.count) }
        let plain = SeededNoise(seed: 7), mixed = SeededNoise(seed: 7, frameShare: 0.9)
        // Share 0 is the plain draw; with a share, frames of different chunks correlate by it.
        #expect(try SeededNoise(seed: 7, frameShare: 0).chunkNoise(startFrame: 0, frames: 3, frameShape: shape).scalars
                == plain.chunkNoise(startFrame: 0, frames: 3, frameShape: shape).scalars)
        let first = try mixed.chunkNoise(startFrame: 0, frames: 3, frameShape: shape).scalars
        let later = try mixed.chunkNoise(startFrame: 9, frames: 3, frameShape: shape).scalars
        #expect(abs(correlation(Array(first[0..<n]), Array(later[(2 * n)..<(3 * n)])) - 0.9) < 0.08)
        let independent = try plain.chunkNoise(startFrame: 9, frames: 3, frameShape: shape).scalars
        #expect(abs(correlation(Array(first[0..<n]), Array(independent[(2 * n)..<(3 * n)]))) < 0.15)
        // Re-noising shares its common part across chunks of the same step, not across steps.
        let r1 = try mixed.renoise(chunk: 1, step: 2, frames: 1, frameShape: shape).scalars
        let r4 = try mixed.renoise(chunk: 4, step: 2, frames: 1, frameShape: shape).scalars
        let other = try mixed.renoise(chunk: 4, step: 3, frames: 1, frameShape: shape).scalars
        #expect(abs(correlation(r1, r4) - 0.9) < 0.08 && abs(correlation(r1, other)) < 0.15)
        // Chunking still does not matter.
        let whole = try SeededNoise(seed: 7, frameShare: 0.5).chunkNoise(startFrame: 0, frames: 6, frameShape: shape).scalars
        let b = SeededNoise(seed: 7, frameShare: 0.5)
        #expect(whole == (try b.chunkNoise(startFrame: 0, frames: 3, frameShape: shape).scalars + b.chunkNoise(startFrame: 3, frames: 3, frameShape: shape).scalars))
        #expect { try SeededNoise(seed: 7, frameShare: 2).chunkNoise(startFrame: 0, frames: 1, frameShape: shape) } throws: { "\($0)".contains("must be in [0, 1]") }
        var settings = GenerationSettings()
        settings.frameNoiseShare = -0.1
        #expect { try settings.validate() } throws: { "\($0)".contains("--frame-noise-share") }
    }

    @Test func generationIsReproducibleBySeed() throws {
        func run(seed: UInt64) throws -> [Float] {
            let model = try EngineFixtures.tinyModel()
            var s = GenerationSettings()
            s.windowFrames = 9
            let g = try StreamingGenerator(model: model, settings: s, frameShape: [16, 8, 12], noise: SeededNoise(seed: seed))
            let p = try g.addPrompt(embedding: Philox4x32(seed: 3).normalTensor(shape: [16, 32], stream: 0))
            return try (0..<3).flatMap { _ in try g.nextChunk(prompt: p).latents.scalars }
        }
        let a = try run(seed: 11), b = try run(seed: 11), c = try run(seed: 12)
        #expect(a == b)
        #expect(a != c)
        #expect(a.allSatisfy { $0.isFinite })
    }

    @Test func replayNoiseReportsExhaustion() throws {
        let r = try ReplayNoise(path: EngineFixtures.directory + "/stream_single.safetensors")
        #expect(r.frames == 15)
        #expect(throws: LongLiveError.self) { try r.chunkNoise(startFrame: 15, frames: 3, frameShape: [16, 8, 12]) }
        #expect(throws: LongLiveError.self) { try r.chunkNoise(startFrame: 0, frames: 3, frameShape: [16, 4, 4]) }
        for _ in 0..<15 { _ = try r.renoise(chunk: 0, step: 0, frames: 3, frameShape: [16, 8, 12]) }
        #expect(throws: LongLiveError.self) { try r.renoise(chunk: 0, step: 0, frames: 3, frameShape: [16, 8, 12]) }
    }
}
