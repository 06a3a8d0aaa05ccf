import Testing
@testable import LongLiveTraining
import LongLiveWorld
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TeacherTrainerTests {
    /// Sample prediction by default, as the world models train; flow where a test says so.
    static func tinyConfig(seed: UInt64 = 3, prediction: ModelPrediction = .sample) -> TeacherConfig {
        var dit = WanConfig()
        dit.prediction = prediction
        dit.inDim = 48; dit.outDim = 48; dit.dim = 32; dit.ffnDim = 64; dit.numHeads = 2; dit.numLayers = 1
        dit.freqDim = 32; dit.textLen = 24; dit.textDim = 16
        let words = WordEncoder.Config(vocabulary: PromptWriter.vocabulary, dim: 16, layers: 1, heads: 2, ffnDim: 32, maxTokens: 24)
        var c = TeacherConfig(dit: dit, words: words)
        c.clipFrames = 3; c.width = 16; c.height = 16
        c.learningRate = 3e-3; c.warmupSteps = 2; c.seed = seed
        return c
    }

    @Test func trainingIsDeterministicAndResumesExactly() throws {
        let a = try TeacherTrainer(config: Self.tinyConfig())
        for _ in 0..<4 { _ = try a.trainStep() }
        let b = try TeacherTrainer(config: Self.tinyConfig())
        for _ in 0..<2 { _ = try b.trainStep() }
        var template = Array("/tmp/longlive-teacher-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!) + "/step2"
        try b.checkpoint().save(to: dir)
        let c = try TeacherTrainer(config: Self.tinyConfig(), resume: try TrainingCheckpoint.load(from: dir))
        #expect(c.step == 2)
        for _ in 0..<2 { _ = try c.trainStep() }
        for k in a.parameters.keys.sorted() {
            #expect(a.parameters[k]!.scalars == c.parameters[k]!.scalars, "\(k) differs after resume")
        }
        #expect(a.ema.shadow["dit.head.head.weight"]!.scalars == c.ema.shadow["dit.head.head.weight"]!.scalars)
    }

    @Test func longClipsEveryNthStepAlternateAndResumeExactly() throws {
        var c = Self.tinyConfig(seed: 9)
        c.clipFrames = 1; c.longClipFrames = 3; c.longClipEvery = 3
        #expect((1...6).map { c.clipFrames(step: $0) } == [1, 1, 3, 1, 1, 3])
        let a = try TeacherTrainer(config: c)
        let tokensPerFrame = (c.width / 8) * (c.height / 8)
        let reports = try (0..<4).map { _ in try a.trainStep() }
        #expect(reports.map(\.tokens) == [1, 1, 3, 1].map { $0 * tokensPerFrame })
        #expect(reports[2].flops > 2 * reports[1].flops, "a 3-frame step costs more than two 1-frame steps")
        // Resuming at step 2 (just before a long step) continues the same alternation.
        let b = try TeacherTrainer(config: c)
        for _ in 0..<2 { _ = try b.trainStep() }
        var template = Array("/tmp/longlive-teacher-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!) + "/step2"
        try b.checkpoint().save(to: dir)
        let r = try TeacherTrainer(config: c, resume: try TrainingCheckpoint.load(from: dir))
        #expect(try (0..<2).map { _ in try r.trainStep().tokens } == [3, 1].map { $0 * tokensPerFrame })
        for k in a.parameters.keys.sorted() {
            #expect(a.parameters[k]!.scalars == r.parameters[k]!.scalars, "\(k) differs after resume")
        }
    }

    @Test func shapeCounterfactualsTrainTowardsTheClipItself() throws {
        // The target is the flow from the counterfactual's x_t to the clip: a model predicting the clip exactly scores 0.
        let x0 = Philox4x32(seed: 1).normalTensor(shape: [2, 48, 4, 4], stream: 0)
        let x1 = Philox4x32(seed: 2).normalTensor(shape: [2, 48, 4, 4], stream: 0)
        let eps = Philox4x32(seed: 3).normalTensor(shape: [2, 48, 4, 4], stream: 0)
        let sigma: Float = 0.6
        let target = CounterfactualInputs.target(ModelPrediction.sample.flowTarget(clean: x0, noise: eps, sigma: sigma), clean: x0, shown: x1, sigma: sigma)
        let xt = FlowMatchSchedule(shift: 5).addNoise(clean: x1, noise: eps, sigma: sigma)
        for i in stride(from: 0, to: xt.count, by: 37) {
            #expect(abs(target.scalars[i] - (xt.scalars[i] - x0.scalars[i]) / sigma) < 1e-4)
        }
        // Training with them is deterministic, resumes exactly, and differs from plain training.
        var c = Self.tinyConfig(seed: 13)
        c.counterfactuals = CounterfactualInputs(shape: 1, sigmas: 0.1...1); c.textDropout = 0
        let a = try TeacherTrainer(config: c)
        let losses = try (0..<3).map { _ in try a.trainStep().loss }
        let b = try TeacherTrainer(config: c)
        _ = try b.trainStep()
        var template = Array("/tmp/longlive-teacher-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!) + "/step1"
        try b.checkpoint().save(to: dir)
        let r = try TeacherTrainer(config: c, resume: try TrainingCheckpoint.load(from: dir))
        #expect(try (0..<2).map { _ in try r.trainStep().loss } == Array(losses.suffix(2)))
        var plain = c
        plain.counterfactuals = CounterfactualInputs()
        let p = try TeacherTrainer(config: plain)
        #expect(try (0..<3).map { _ in try p.trainStep().loss } != losses)
    }

    @Test func counterfactualKindsShareTheDrawInOrder() {
        let c = CounterfactualInputs(shape: 0.2, motion: 0.3, count: 0.1)
        #expect([0, 0.19, 0.2, 0.49, 0.5, 0.59, 0.6, 0.99].map { c.kind(Float($0)) } == [.shape, .shape, .motion, .motion, .count, .count, nil, nil])
        #expect(CounterfactualInputs(shape: 0.5).kind(0.3) == .shape && !CounterfactualInputs().isEnabled)
        #expect(CounterfactualInputs(motion: 1).kind(0) == .motion)
    }

    @Test(arguments: [CounterfactualInputs.Kind.motion, .count])
    func otherCounterfactualsTrainDeterministically(kind: CounterfactualInputs.Kind) throws {
        var c = Self.tinyConfig(seed: 17)
        c.counterfactuals = CounterfactualInputs(motion: kind == .motion ? 1 : 0, count: kind == .count ? 1 : 0, sigmas: 0.1...1)
        c.textDropout = 0
        let losses = try (0..<2).map { _ in try TeacherTrainer(config: c) }.map { t in try (0..<2).map { _ in try t.trainStep().loss } }
        #expect(losses[0] == losses[1])
        var plain = c
        plain.counterfactuals = CounterfactualInputs()
        let p = try TeacherTrainer(config: plain)
        #expect(try (0..<2).map { _ in try p.trainStep().loss } != losses[0])
    }

    @Test(arguments: [ModelPrediction.sample, .flow])
    func lossGoesDown(prediction: ModelPrediction) throws {
        let t = try TeacherTrainer(config: Self.tinyConfig(seed: 11, prediction: prediction))
        // The same 16 clips, noise levels and noises before and after: a step's loss varies with its
        // σ far more than training changes it (the flow loss weighs a sample model's x0 error by 1/σ²).
        func heldOutLoss() throws -> Float {
            let (model, words) = try t.models(t.parameters)
            return try (1000..<1016).reduce(Float(0)) { $0 + (try t.microStep(n: $1, micro: 0, model: model, words: words, leaves: [:])).0 } / 16
        }
        let before = try heldOutLoss()
        var losses: [Float] = []
        for _ in 0..<60 { losses.append(try t.trainStep().loss) }
        let after = try heldOutLoss()
        #expect(after < 0.8 * before, "held-out loss \(before) → \(after)")
        #expect(losses.allSatisfy { $0.isFinite })
    }

    @Test func gradientAccumulationAveragesMicroBatches() throws {
        var c = Self.tinyConfig(seed: 5)
        c.accumulation = 3
        let t = try TeacherTrainer(config: c)
        var leaves: [String: Tensor] = [:]
        for (k, v) in t.parameters { leaves[k] = v.requiringGrad(k) }
        let (model, words) = try t.models(leaves)
        let micro = try (0..<3).map { try t.microStep(n: 1, micro: $0, model: model, words: words, leaves: leaves) }
        // Different clips (or noise levels) per micro-batch.
        #expect(micro[0].1["dit.head.head.weight"]!.scalars != micro[1].1["dit.head.head.weight"]!.scalars)
        var avg: [String: Tensor] = [:]
        for m in micro { accumulate(&avg, m.1, scale: 1.0 / 3) }
        let w = "dit.blocks.0.ffn.0.weight"
        let expected = zip(zip(micro[0].1[w]!.scalars, micro[1].1[w]!.scalars), micro[2].1[w]!.scalars).map { ($0.0 + $0.1 + $1) / 3 }
        #expect(zip(avg[w]!.scalars, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
        let report = try t.trainStep()
        #expect(abs(report.loss - micro.map(\.0).reduce(0, +) / 3) < 1e-6)
        // Micro-batch 0 is the clip of a run without accumulation.
        let single = try TeacherTrainer(config: Self.tinyConfig(seed: 5))
        #expect(try single.trainStep().loss == micro[0].0)
    }

    @Test func warmStartContinuesTheDataAndWeights() throws {
        let a = try TeacherTrainer(config: Self.tinyConfig(seed: 8))
        for _ in 0..<3 { _ = try a.trainStep() }
        let b = try TeacherTrainer(config: Self.tinyConfig(seed: 8), warmStart: a.parameters, ema: a.ema.shadow, step: 3)
        #expect(b.step == 3)
        // The loss is taken before the update: same weights, same clip and noise.
        #expect(try a.trainStep().loss == b.trainStep().loss)
        #expect(b.step == 4 && b.checkpoint().state["step_offset"]?.intValue == 3)
        var missing = a.parameters
        missing["dit.head.head.weight"] = nil
        #expect(throws: LongLiveError.self) { try TeacherTrainer(config: Self.tinyConfig(seed: 8), warmStart: missing, ema: [:], step: 3) }
    }

    /// Adding the word skip to a teacher trained without it: the gate starts closed (the same loss as
    /// continuing without the skip), then opens on its own gradient; a resume must keep the choice.
    @Test func warmStartOpensANewWordSkipFromZero() throws {
        let a = try TeacherTrainer(config: Self.tinyConfig(seed: 8))
        for _ in 0..<3 { _ = try a.trainStep() }
        var skip = Self.tinyConfig(seed: 8)
        skip.words.wordSkip = true
        let b = try TeacherTrainer(config: skip, warmStart: a.parameters, ema: a.ema.shadow, step: 3)
        #expect(b.parameters["text.word_skip.weight"]!.scalars.allSatisfy { $0 == 0 })
        #expect(try a.trainStep().loss == b.trainStep().loss)
        #expect(b.parameters["text.word_skip.weight"]!.scalars.contains { $0 != 0 }, "the gate got no gradient")
        do {
            _ = try TeacherTrainer(config: Self.tinyConfig(seed: 8), resume: b.checkpoint())
            Issue.record("resumed a word-skip checkpoint without the skip")
        } catch {
            #expect("\(error)".contains("--word-skip"), "\(error)")
        }
    }
}

@Suite struct ForegroundWeightTests {
    @Test func latentWeightsFollowThePixelCodecLayout() throws {
        // A mask pushed through the weight layout must land where the codec puts the same pixels.
        let mask = Tensor(shape: [2, 8, 8], values: (0..<128).map { Float(($0 * 37) % 5 == 0 ? 1 : 0) })
        let w = TeacherTrainer.latentWeights(foreground: mask, extra: 3, factor: 4, channels: 3)
        #expect(w.shape == [2, 48, 2, 2])
        var rgb = [Float](repeating: 0, count: 2 * 3 * 64)
        let m = mask.scalars
        for f in 0..<2 { for c in 0..<3 { for i in 0..<64 { rgb[(f * 3 + c) * 64 + i] = m[f * 64 + i] } } }
        let encoded = try PixelCodec(factor: 4).encode(Tensor(shape: [2, 3, 8, 8], values: rgb)).scalars
        // encode maps 0/1 to −1/1; the weights are 1 + 3·mask.
        #expect(w.scalars == encoded.map { 1 + 3 * ($0 + 1) / 2 })
    }

    @Test func outlineWeightsMarkBothSidesOfASubjectsEdge() {
        // A 2×2 subject in the middle of a 6×6 frame: its outline is the 4×4 ring around and on it.
        var m = [Float](repeating: 0, count: 36)
        for y in 2...3 { for x in 2...3 { m[y * 6 + x] = 1 } }
        let w = TeacherTrainer.pixelWeights(foreground: Tensor(shape: [1, 6, 6], values: m), subject: 3, outline: 2).scalars
        for y in 0..<6 { for x in 0..<6 {
            let ring = (1...4).contains(y) && (1...4).contains(x)
            #expect(w[y * 6 + x] == 3 * m[y * 6 + x] + (ring ? 2 : 0), "pixel (\(x), \(y))")
        } }
        // No subject, no outline: only the subject term is left.
        #expect(TeacherTrainer.pixelWeights(foreground: Tensor(shape: [1, 6, 6], repeating: 0), subject: 3, outline: 2).scalars.allSatisfy { $0 == 0 })
    }

    @Test func weightedMeanSquaredErrorAndItsGradient() {
        let p = Tensor(shape: [4], values: [1, 2, 3, 4]).requiringGrad("p"), t = Tensor(shape: [4], values: [0, 2, 5, 3])
        let w = Tensor(shape: [4], values: [1, 1, 4, 2])
        let (loss, tape) = Tape.recording { weightedMeanSquaredError(p, t, weights: w) }
        // (1·1 + 0 + 4·4 + 2·1) / 8
        #expect(abs(loss.scalars[0] - 19 / 8) < 1e-6)
        let expected: [Float] = [0.25, 0, -2, 0.5]  // 2·w·(p − t)/Σw
        #expect(tape.gradients(of: loss)[p]!.scalars == expected)
        // Equal weights give the plain MSE.
        #expect(abs(weightedMeanSquaredError(p, t, weights: Tensor(shape: [4], repeating: 3)).scalars[0] - meanSquaredError(p, t).scalars[0]) < 1e-6)
    }
}
