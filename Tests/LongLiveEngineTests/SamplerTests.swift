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
