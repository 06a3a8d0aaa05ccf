import Testing
import LongLiveEngine
import LongLiveModels

@Suite struct TeacherSamplingTests {
    static func tinyBundle() -> WorldModelBundle {
        var dit = WanConfig()
        dit.inDim = 48; dit.outDim = 48; dit.dim = 32; dit.ffnDim = 64; dit.numHeads = 2; dit.numLayers = 1
        dit.textLen = 6; dit.textDim = 16
        let words = WordEncoder.Config(vocabulary: ["a", "red", "circle", "moves", "left"], dim: 16, layers: 1, heads: 2, ffnDim: 32, maxTokens: 6)
        var tensors: [String: Tensor] = [:]
        for (k, v) in WanWeights.random(config: dit, seed: 3) { tensors["dit." + k] = v }
        for (k, v) in WordEncoder.initialParameters(words, seed: 4) { tensors["text." + k] = v }
        return WorldModelBundle(kind: "teacher", dit: dit, words: words, tensors: tensors, notes: ["step": "7"])
    }

    @Test func sigmaGridPassesThroughTheStudentsLevels() {
        let grid = EulerSampler(steps: 32, shift: 5).sigmas
        #expect(grid.count == 33 && grid.first == 1 && grid.last == 0)
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 > $1 })
        // The warped few-step levels of 1000, 750, 500, 250 at shift 5.
        let student = try! FlowMatchSchedule(shift: 5).denoisingTimesteps(nominal: [1000, 750, 500, 250]).map { $0 / 1000 }
        for (i, s) in student.enumerated() { #expect(abs(grid[8 * i] - s) < 1e-3, "level \(i): \(grid[8 * i]) vs \(s)") }
    }

    @Test func eulerIsExactOnAStraightPath() throws {
        // With one data point the flow is v = (x − x0)/σ, constant along the straight path, so
        // every Euler state lies on (1 − σ)·x0 + σ·ε and the end is x0.
        let rng = Philox4x32(seed: 11)
        let x0 = rng.normalTensor(shape: [2, 3, 4, 4], stream: 1), eps = rng.normalTensor(shape: [2, 3, 4, 4], stream: 2)
        var visited = 0
        let out = try EulerSampler(steps: 6, shift: 3).integrate(noise: eps, visit: { _, sigma, x in
            visited += 1
            let expected = zip(x0.scalars, eps.scalars).map { (1 - sigma) * $0 + sigma * $1 }
            #expect(zip(x.scalars, expected).allSatisfy { abs($0 - $1) < 1e-4 })
        }) { x, sigma in
            Tensor(shape: x.shape, values: zip(x.scalars, x0.scalars).map { ($0 - $1) / sigma })
        }
        #expect(visited == 7)
        #expect(zip(out.scalars, x0.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(throws: LongLiveError.self) { try EulerSampler(steps: 0).integrate(noise: eps) { x, _ in x } }
    }

    @Test func stochasticStepsKeepTheMarginalsAndReachTheData() throws {
        // One data point again: the clean estimate is x0 at every step, so whatever share of fresh
        // noise a step mixes in, every state is (1 − σ)·x0 + σ·(unit-variance noise) and the end is x0.
        let rng = Philox4x32(seed: 12)
        let x0 = rng.normalTensor(shape: [4, 8, 8, 8], stream: 1), eps = rng.normalTensor(shape: [4, 8, 8, 8], stream: 2)
        let flow = { (x: Tensor, sigma: Float) in Tensor(shape: x.shape, values: zip(x.scalars, x0.scalars).map { ($0 - $1) / sigma }) }
        func run(_ eta: Float, seed: UInt64, check: Bool) throws -> Tensor {
            try EulerSampler(steps: 8, shift: 3, eta: eta).integrate(noise: eps, seed: seed, visit: { k, sigma, x in
                guard check, sigma > 0 else { return }
                let noise = zip(x.scalars, x0.scalars).map { ($0 - (1 - sigma) * $1) / sigma }
                let variance = noise.map { $0 * $0 }.reduce(0, +) / Float(noise.count)
                #expect(abs(variance - 1) < 0.12, "step \(k): noise variance \(variance)")
            }, velocity: flow)
        }
        for eta: Float in [0, 0.5, 1] {
            let out = try run(eta, seed: 1, check: true)
            #expect(zip(out.scalars, x0.scalars).allSatisfy { abs($0 - $1) < 1e-4 }, "eta \(eta)")
        }
        // Intermediate states: η = 0 is the Euler path (seed-free), η > 0 depends on the seed.
        func state(_ eta: Float, seed: UInt64) throws -> [Float] {
            var kept: [Float] = []
            _ = try EulerSampler(steps: 8, shift: 3, eta: eta).integrate(noise: eps, seed: seed, visit: { k, _, x in if k == 4 { kept = x.scalars } }, velocity: flow)
            return kept
        }
        #expect(try state(0, seed: 1) == state(0, seed: 2))
        #expect(try state(0.5, seed: 1) == state(0.5, seed: 1))
        #expect(try state(0.5, seed: 1) != state(0.5, seed: 2))
        #expect(throws: LongLiveError.self) { try EulerSampler(steps: 4, eta: 1.5).integrate(noise: eps) { x, _ in x } }
    }

    @Test func bundlesRoundTripAndRejectOtherFiles() throws {
        let dir = try CLITests.temporaryDirectory()
        let bundle = Self.tinyBundle()
        try bundle.write(dir + "/t32.safetensors")
        try bundle.write(dir + "/t16.safetensors", storage: .bfloat16)
        let a = try WorldModelBundle.load(dir + "/t32.safetensors"), b = try WorldModelBundle.load(dir + "/t16.safetensors")
        #expect(a.dit == bundle.dit && a.words == bundle.words && a.kind == "teacher" && a.notes["step"] == "7")
        #expect(a.tensors["dit.blocks.0.ffn.0.weight"]!.scalars == bundle.tensors["dit.blocks.0.ffn.0.weight"]!.scalars)
        let w16 = b.tensors["dit.blocks.0.ffn.0.weight"]!.scalars, w32 = bundle.tensors["dit.blocks.0.ffn.0.weight"]!.scalars
        #expect(zip(w16, w32).allSatisfy { abs($0 - $1) <= abs($1) / 128 })
        #expect(b.tensors["dit.blocks.0.norm3.bias"]!.scalars == bundle.tensors["dit.blocks.0.norm3.bias"]!.scalars)
        _ = try a.makeModels()
        try SafeTensors.write(dir + "/plain.safetensors", tensors: [("x", Tensor(zeros: [2]))])
        #expect { try WorldModelBundle.load(dir + "/plain.safetensors") } throws: { "\($0)".contains("not a LongLive world-model file") }
        var broken = bundle
        broken.tensors["dit.head.head.weight"] = nil
        #expect(throws: LongLiveError.self) { try broken.makeModels() }

        // The word skip is stored in text_config; files written before it read as without.
        #expect(!a.words.wordSkip && WorldModelBundle.json(bundle.words)["word_skip"] == nil)
        var skip = bundle
        skip.words.wordSkip = true
        skip.tensors["text.word_skip.weight"] = Tensor(shape: [16], repeating: 0.5)
        try skip.write(dir + "/skip.safetensors")
        let c = try WorldModelBundle.load(dir + "/skip.safetensors")
        #expect(c.words.wordSkip)
        let (_, words) = try c.makeModels()
        #expect(try words.encode("a red circle").scalars != (try a.makeModels().1.encode("a red circle")).scalars)
    }

    @Test func clipsAreDeterministicBySeed() throws {
        let gen = try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: EulerSampler(steps: 3, guidance: 3))
        let a = try gen.latents(prompt: "a red circle moves left", frames: 2, seed: 5)
        let b = try gen.latents(prompt: "a red circle moves left", frames: 2, seed: 5)
        let c = try gen.latents(prompt: "a red circle moves left", frames: 2, seed: 6)
        #expect(a.shape == [2, 48, 16, 16] && a.scalars == b.scalars && a.scalars != c.scalars)
        #expect(a.scalars.allSatisfy { $0.isFinite })
        #expect(throws: LongLiveError.self) { try gen.latents(prompt: "a blue square", frames: 2, seed: 5) }
    }

    @Test func guidanceIntervalLimitsWhichStepsAreGuided() throws {
        let limited = EulerSampler(steps: 8, guidance: 3, guidanceInterval: 0.5...1)
        #expect(limited.sigmas.prefix(8).map { limited.guidanceScale(atSigma: $0) } == limited.sigmas.prefix(8).map { $0 >= 0.5 ? 3 : 1 })
        let prompt = "a red circle moves left"
        func sample(_ sampler: EulerSampler) throws -> [Float] {
            try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: sampler).latents(prompt: prompt, frames: 2, seed: 4).scalars
        }
        let guided = try sample(EulerSampler(steps: 8, guidance: 3)), unguided = try sample(EulerSampler(steps: 8, guidance: 1))
        // The whole range is plain guidance; an interval no step falls in is no guidance at all.
        #expect(try sample(EulerSampler(steps: 8, guidance: 3, guidanceInterval: 0...1)) == guided)
        #expect(try sample(EulerSampler(steps: 8, guidance: 3, guidanceInterval: 0...0.01)) == unguided)
        let partly = try sample(limited)
        #expect(partly != guided && partly != unguided)
    }

    @Test func frequencySplitGuidanceReducesToPlainGuidanceAtItsEnds() throws {
        let prompt = "a red circle moves left"
        func sample(_ sampler: EulerSampler) throws -> [Float] {
            try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: sampler).latents(prompt: prompt, frames: 2, seed: 4).scalars
        }
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) } }
        let g3 = try sample(EulerSampler(steps: 6, guidance: 3)), g1 = try sample(EulerSampler(steps: 6, guidance: 1))
        func split(_ filter: @escaping @Sendable (Tensor) throws -> Tensor, high: Float = 1) -> EulerSampler {
            var s = EulerSampler(steps: 6, guidance: 3)
            s.highFrequencyGuidance = high; s.lowPass = filter
            return s
        }
        // A filter that passes everything is plain guidance; one that passes nothing is the high scale alone.
        #expect(close(try sample(split({ $0 })), g3))
        #expect(close(try sample(split({ Tensor(zeros: $0.shape) })), g1))
        // A real low-pass lands in between.
        let blurred = try sample(split({ try EmbeddedModel.codec.lowPass($0, sd: 4) }))
        #expect(!close(blurred, g3) && !close(blurred, g1))
        #expect(throws: LongLiveError.self) { try sample(split({ _ in Tensor(zeros: [1]) })) }
    }

    @Test func videoToVideoStartsPartWayDownTheGrid() throws {
        let sampler = EulerSampler(steps: 8, guidance: 2)
        #expect(sampler.firstStep(atMost: 1) == 0 && sampler.firstStep(atMost: 0.001) == 8)
        let k = sampler.firstStep(atMost: 0.5)
        #expect(sampler.sigmas[k] <= 0.5 && sampler.sigmas[k - 1] > 0.5)
        let gen = try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: sampler)
        let prompt = "a red circle moves left"
        let plain = try gen.latents(prompt: prompt, frames: 2, seed: 9)
        let clean = Philox4x32(seed: 1).normalTensor(shape: [2, 48, 16, 16], stream: 3)
        // Strength 1 starts from pure noise: exactly the plain sample.
        #expect(try gen.latents(prompt: prompt, from: clean, strength: 1, seed: 9).scalars == plain.scalars)
        // A small strength stays much closer to the source clip than a sample from noise does.
        func distance(_ a: Tensor) -> Float { zip(a.scalars, clean.scalars).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        #expect(distance(try gen.latents(prompt: prompt, from: clean, strength: 0.2, seed: 9)) < 0.5 * distance(plain))
        #expect { try gen.latents(prompt: prompt, from: Tensor(zeros: [2, 48, 8, 8]), strength: 0.5, seed: 9) } throws: { "\($0)".contains("video-to-video needs latents") }
        #expect { try gen.latents(prompt: prompt, from: clean, strength: 0, seed: 9) } throws: { "\($0)".contains("strength must be in (0, 1]") }
    }
    @Test func mixedNoisePriorKeepsUnitVarianceAndCorrelatesFrames() throws {
        let rng = Philox4x32(seed: 21)
        let perFrame = rng.normalTensor(shape: [4, 48, 16, 16], stream: 1), shared = rng.normalTensor(shape: [48, 16, 16], stream: 2)
        #expect(try MixedNoisePrior.mix(perFrame: perFrame, shared: shared, share: 0).scalars == perFrame.scalars)
        let all = try MixedNoisePrior.mix(perFrame: perFrame, shared: shared, share: 1).scalars
        #expect((0..<4).allSatisfy { Array(all[($0 * shared.count)..<(($0 + 1) * shared.count)]) == shared.scalars })
        let mixed = try MixedNoisePrior.mix(perFrame: perFrame, shared: shared, share: 0.9).scalars
        let n = shared.count
        let variance = mixed.map { $0 * $0 }.reduce(0, +) / Float(mixed.count)
        #expect(abs(variance - 1) < 0.05, "variance \(variance)")
        // Frames 0 and 3 correlate by ρ (12 288 pairs: the standard error is about 0.005).
        let correlation = (0..<n).map { mixed[$0] * mixed[3 * n + $0] }.reduce(0, +) / Float(n)
        #expect(abs(correlation - 0.9) < 0.03, "correlation \(correlation)")
        #expect { try MixedNoisePrior.mix(perFrame: perFrame, shared: shared, share: 1.5) } throws: { "\($0)".contains("must be in [0, 1]") }
        #expect { try MixedNoisePrior.mix(perFrame: perFrame, shared: Tensor(zeros: [48, 8, 8]), share: 0.5) } throws: { "\($0)".contains("each frame of") }
    }

    @Test func sharedFrameNoiseMakesFramesOfASampleAlike() throws {
        var sampler = EulerSampler(steps: 3, guidance: 3)
        let independent = try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: sampler)
        sampler.frameNoiseShare = 0.9
        let shared = try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: sampler)
        // The starting noise: independent frames by default, correlated with a share, deterministic by seed.
        func frameDistance(_ t: Tensor) -> Float {
            let n = t.count / t.shape[0], s = t.scalars
            return (0..<n).map { (s[$0] - s[n + $0]) * (s[$0] - s[n + $0]) }.reduce(0, +) / Float(n)
        }
        let n0 = try independent.noise(frames: 2, seed: 5), n1 = try shared.noise(frames: 2, seed: 5)
        #expect(frameDistance(n0) > 1.5 && frameDistance(n1) < 0.4)
        #expect(try shared.noise(frames: 2, seed: 5).scalars == n1.scalars)
        #expect(try shared.noise(frames: 2, seed: 6).scalars != n1.scalars)
        sampler.frameNoiseShare = -0.5
        #expect { try TeacherClipGenerator(bundle: Self.tinyBundle(), sampler: sampler).noise(frames: 2, seed: 5) } throws: { "\($0)".contains("common to all frames must be in [0, 1]") }
        // And the samples: frames of a clip drawn from shared noise end closer together.
        let prompt = "a red circle moves left"
        let a = try independent.latents(prompt: prompt, frames: 2, seed: 5), b = try shared.latents(prompt: prompt, frames: 2, seed: 5)
        #expect(frameDistance(b) < 0.5 * frameDistance(a), "\(frameDistance(b)) vs \(frameDistance(a))")
    }
}
