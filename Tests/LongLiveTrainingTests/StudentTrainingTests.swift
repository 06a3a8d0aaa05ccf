import Testing
import LongLiveTraining
import LongLiveEngine
import LongLiveWorld
#if canImport(Glibc)
import Glibc
#endif

/// The student stages on a tiny teacher (random weights): the mechanics, determinism and resume;
/// whether the result is a good model is for `longlive eval`.
@Suite struct StudentTrainingTests {
    static func tinyTeacher(seed: UInt64 = 3, prediction: ModelPrediction = .sample) -> WorldModelBundle {
        let c = TeacherTrainerTests.tinyConfig(seed: seed, prediction: prediction)
        var tensors: [String: Tensor] = [:]
        for (k, v) in WanWeights.random(config: c.dit, seed: seed) { tensors["dit." + k] = v }
        for (k, v) in WordEncoder.initialParameters(c.words, seed: seed + 1) { tensors["text." + k] = v }
        return WorldModelBundle(kind: "teacher", dit: c.dit, words: c.words, tensors: tensors)
    }

    static func temporaryFolder() -> String {
        var template = Array("/tmp/longlive-student-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&template)!)
    }

    /// Two 4-step teacher trajectories of `frames` frames at the student's 4 levels, written to and read back from `folder`.
    static func trajectories(of bundle: WorldModelBundle, frames: Int, folder: String, seed: UInt64) throws -> [(prompt: String, states: Tensor)] {
        let teacher = try TeacherClipGenerator(bundle: bundle, sampler: EulerSampler(steps: 4, guidance: 2))
        try ODETrajectories.generate(teacher: teacher, count: 2, frames: frames, levels: 4, folder: folder, seed: seed)
        return try ODETrajectories.load(folder: folder)
    }

    @Test func distributionMatchingLossHasTheSpecsGradient() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).requiringGrad("x")
        let g = Tensor(shape: [2, 3], values: [0.5, -1, 2, 0, 1, -3])
        let (loss, tape) = Tape.recording { distributionMatchingLoss(x, gradient: g) }
        // 0.5·mean(g²) and ∂/∂x = g/N, as 0.5·MSE(x, stopgrad(x − g)).
        #expect(abs(loss.scalars[0] - Float(0.5 * (0.25 + 1 + 4 + 0 + 1 + 9) / 6)) < 1e-6)
        #expect(tape.gradients(of: loss)[x]!.scalars == g.scalars.map { $0 / 6 })
    }

    @Test func trajectoriesLandOnTheStudentsLevelsAndRoundTrip() throws {
        let teacher = try TeacherClipGenerator(bundle: Self.tinyTeacher(), sampler: EulerSampler(steps: 8, guidance: 2))
        let folder = Self.temporaryFolder()
        try ODETrajectories.generate(teacher: teacher, count: 3, frames: 3, levels: 4, folder: folder, seed: 5, perShard: 2)
        let loaded = try ODETrajectories.load(folder: folder)
        #expect(loaded.count == 3 && loaded[0].states.shape == [5, 3, 48, 16, 16])
        // Level 0 is the starting noise; the last is the sampler's clean output (bf16 storage).
        let again = try teacher.latents(prompt: loaded[1].prompt, frames: 3, seed: 5 &+ 1 &* 7919)
        let stored = loaded[1].states.rows(4..<5).scalars
        #expect(zip(stored, again.scalars).allSatisfy { abs($0 - $1) <= abs($1) / 100 + 1e-6 })
        #expect(ODETrajectories.levelSteps(samplerSteps: 32, levels: 4) == [0, 8, 16, 24])
        // A second call keeps complete shards.
        try ODETrajectories.generate(teacher: teacher, count: 3, frames: 3, levels: 4, folder: folder, seed: 99, perShard: 2)
        #expect(try ODETrajectories.load(folder: folder)[0].prompt == loaded[0].prompt)
    }

    @Test func odeInitialisationFitsItsTrajectoriesAndResumes() throws {
        let bundle = Self.tinyTeacher()
        let folder = Self.temporaryFolder()
        let data = try Self.trajectories(of: bundle, frames: 6, folder: folder, seed: 1)
        var config = ODEInitConfig()
        config.learningRate = 3e-3; config.warmupSteps = 1
        let a = try ODEInitTrainer(teacher: bundle, trajectories: data, config: config)
        var losses: [Float] = []
        for _ in 0..<30 { losses.append(try a.trainStep()) }
        #expect(losses.suffix(5).reduce(0, +) < 0.7 * losses.prefix(5).reduce(0, +), "\(losses)")
        let b = try ODEInitTrainer(teacher: bundle, trajectories: data, config: config)
        for _ in 0..<2 { _ = try b.trainStep() }
        try b.checkpoint().save(to: folder + "/ckpt")
        let c = try ODEInitTrainer(teacher: bundle, trajectories: data, config: config, resume: try TrainingCheckpoint.load(from: folder + "/ckpt"))
        for _ in 0..<2 { _ = try c.trainStep() }
        let d = try ODEInitTrainer(teacher: bundle, trajectories: data, config: config)
        for _ in 0..<4 { _ = try d.trainStep() }
        #expect(c.parameters["dit.head.head.weight"]!.scalars == d.parameters["dit.head.head.weight"]!.scalars)
        #expect(c.bundle().kind == "student" && c.bundle().tensors["text.norm.weight"] != nil)
    }

    @Test func cleanContextPrefixesAreTheCleanEndAndOnlyLaterChunksAreSupervised() throws {
        let bundle = Self.tinyTeacher()
        let data = try Self.trajectories(of: bundle, frames: 12, folder: Self.temporaryFolder(), seed: 2)
        var config = ODEInitConfig()
        config.cleanContextProbability = 1
        let a = try ODEInitTrainer(teacher: bundle, trajectories: data, config: config)
        var splits = Set<Int>()
        for n in 1...40 {
            let ex = a.example(step: n)
            splits.insert(ex.supervisedFrom)
            let per = ex.input.count / 12
            let (i, c) = (ex.input.scalars, ex.clean.scalars)
            // The context is the clean end at t = 0; the supervised chunks are at a student level.
            #expect(Array(i[0..<(ex.supervisedFrom * per)]) == Array(c[0..<(ex.supervisedFrom * per)]))
            #expect(ex.frameTimesteps.prefix(ex.supervisedFrom).allSatisfy { $0 == 0 })
            #expect(ex.frameSigmas.dropFirst(ex.supervisedFrom).allSatisfy { $0 >= 0.6 })
        }
        #expect(splits == [3, 6, 9])
        config.cleanContextProbability = 0
        let b = try ODEInitTrainer(teacher: bundle, trajectories: data, config: config)
        #expect((1...40).allSatisfy { b.example(step: $0).supervisedFrom == 0 && !b.example(step: $0).frameTimesteps.contains(0) })

        // The step's loss is the x0 error of the supervised frames alone.
        let ex = a.example(step: 1)
        let dit = WorldModelBundle.withoutPrefix(a.parameters, "dit.")
        let model = try WanTransformer(config: bundle.dit, weights: WanWeights.load(from: InMemoryTensors(dit), config: bundle.dit))
        let text = try model.crossAttentionCache(context: try bundle.makeModels().words.encode(ex.prompt))
        let v = try model.forward(ex.input, timesteps: ex.frameTimesteps, text: text, attention: .blockCausal(framesPerBlock: 3, windowFrames: config.generation.windowFrames))
        let per = ex.input.count / 12
        var sum = 0.0
        let (x, vv, c) = (ex.input.scalars, v.scalars, ex.clean.scalars)
        for f in ex.supervisedFrom..<12 {
            for j in (f * per)..<((f + 1) * per) { let d = Double(x[j] - ex.frameSigmas[f] * vv[j] - c[j]); sum += d * d }
        }
        let expected = sum / Double((12 - ex.supervisedFrom) * per)
        let loss = Double(try a.trainStep())
        #expect(abs(loss - expected) <= 1e-4 * expected, "\(loss) vs \(expected)")
    }

    @Test func selfForcingStepsUpdateBothNetworksAndResumeExactly() throws {
        let bundle = Self.tinyTeacher()
        var config = SelfForcingConfig()
        config.clipFrames = 6; config.generatorEvery = 2
        config.generatorLearningRate = 1e-3; config.criticLearningRate = 1e-3
        let a = try SelfForcingTrainer(teacher: bundle, student: bundle, config: config)
        let r1 = try a.trainStep(), r2 = try a.trainStep()
        #expect(r1.generatorLoss == nil && r2.generatorLoss != nil)
        #expect(r1.criticLoss.isFinite && r2.generatorLoss!.isFinite)
        #expect(a.generator["dit.blocks.0.ffn.0.weight"]!.scalars != bundle.tensors["dit.blocks.0.ffn.0.weight"]!.scalars)
        #expect(a.critic["critic.blocks.0.ffn.0.weight"]!.scalars != bundle.tensors["dit.blocks.0.ffn.0.weight"]!.scalars)
        let folder = Self.temporaryFolder()
        try a.save(to: folder)
        let b = try SelfForcingTrainer(teacher: bundle, student: bundle, config: config, resume: try SelfForcingTrainer.load(from: folder))
        #expect(b.step == 2)
        _ = try a.trainStep(); _ = try a.trainStep()
        _ = try b.trainStep(); _ = try b.trainStep()
        #expect(a.generator["dit.head.head.weight"]!.scalars == b.generator["dit.head.head.weight"]!.scalars)
        #expect(a.critic["critic.head.head.weight"]!.scalars == b.critic["critic.head.head.weight"]!.scalars)
    }

    @Test func trainedLoRAMergesToTheSameFunctionAndLoadsAsAPEFTFile() throws {
        let bundle = Self.tinyTeacher()
        let config = bundle.dit
        var lora = LoRATraining.initial(config, rank: 4, seed: 9)
        // Non-zero B so the adapter changes the function.
        for k in lora.keys where k.hasSuffix("lora_B.weight") {
            lora[k] = Tensor(shape: lora[k]!.shape, values: Philox4x32(seed: 4).normals(stream: UInt64(k.count), count: lora[k]!.count).map { $0 * 0.05 })
        }
        var dit: [String: Tensor] = [:]
        for (k, v) in bundle.tensors where k.hasPrefix("dit.") { dit[String(k.dropFirst(4))] = v }
        var attached = try WanWeights.load(from: InMemoryTensors(dit), config: config)
        try LoRATraining.attach(lora, to: &attached, scale: 8 / 4)
        let merged = try WanWeights.load(from: InMemoryTensors(try LoRATraining.merged(dit, lora: lora, alpha: 8)), config: config)
        let x = Philox4x32(seed: 1).normalTensor(shape: [3, 48, 16, 16], stream: 0)
        let ctx = Philox4x32(seed: 2).normalTensor(shape: [24, 16], stream: 0)
        func run(_ w: WanWeights) throws -> Tensor {
            let m = try WanTransformer(config: config, weights: w)
            return try m.forward(x, timesteps: [500, 500, 500], text: m.crossAttentionCache(context: ctx), attention: .bidirectional)
        }
        let a = try run(attached), b = try run(merged), base = try run(try WanWeights.load(from: InMemoryTensors(dit), config: config))
        #expect(a.relativeError(to: b) < 1e-5)
        #expect(a.relativeError(to: base) > 1e-3)
        // The PEFT file is what `generate --lora` reads.
        let adapter = try LoRAAdapter(source: InMemoryTensors(Dictionary(uniqueKeysWithValues: LoRATraining.peftTensors(lora, alpha: 8))))
        #expect(adapter.targets.count == 10 * config.numLayers)
    }

    @Test func longTuningRunsSequencesWithASwitchAndResumesAtSequenceBoundaries() throws {
        let bundle = Self.tinyTeacher()
        var config = LongTuningConfig()
        config.clipFrames = 6; config.newFrames = 3; config.maxFrames = 12; config.generatorEvery = 2
        config.loraRank = 2; config.generatorLearningRate = 1e-3
        #expect(config.callsPerSequence == 3)
        let a = try StreamingLongTuner(teacher: bundle, student: bundle, config: config)
        var reports: [LongTuningReport] = []
        for _ in 0..<3 { reports.append(try a.trainStep()) }
        #expect(reports.map(\.startFrame) == [0, 6, 9] && reports.map(\.frames) == [6, 3, 3])
        #expect(reports.filter(\.switched).count == 1 && !reports[0].switched)
        #expect(reports.allSatisfy { $0.sequence == 0 && $0.criticLoss.isFinite })
        #expect(a.trainable["lora.blocks.0.ffn.0.lora_B.weight"]!.scalars.contains { $0 != 0 })
        let folder = Self.temporaryFolder()
        try a.save(to: folder)
        let b = try StreamingLongTuner(teacher: bundle, student: bundle, config: config, resume: try StreamingLongTuner.load(from: folder))
        let ra = try a.trainStep(), rb = try b.trainStep()
        #expect(ra.sequence == 1 && rb.sequence == 1 && ra.startFrame == 0)
        _ = try a.trainStep(); _ = try b.trainStep()
        #expect(a.trainable["lora.blocks.0.ffn.0.lora_B.weight"]!.scalars == b.trainable["lora.blocks.0.ffn.0.lora_B.weight"]!.scalars)
        #expect(throws: LongLiveError.self) { try a.save(to: folder) }
        #expect(try a.bundle().kind == "student")
    }

    /// With as many calls per sequence as critic steps per generator step, the generator still trains on
    /// every call position (first clip, right after the switch, the last) in turn, at the same ratio.
    @Test func longTuningGeneratorStepsVisitEveryCallOfASequence() throws {
        let bundle = Self.tinyTeacher()
        var config = LongTuningConfig()
        config.clipFrames = 6; config.newFrames = 3; config.maxFrames = 12; config.generatorEvery = 3
        config.loraRank = 2
        #expect(config.callsPerSequence == 3)
        let a = try StreamingLongTuner(teacher: bundle, student: bundle, config: config)
        var calls: [Int] = []
        for _ in 0..<9 {
            let r = try a.trainStep()
            if r.generatorLoss != nil { calls.append(r.startFrame == 0 ? 0 : (r.startFrame - 6) / 3 + 1) }
        }
        #expect(calls.count == 3)
        #expect(Set(calls) == [0, 1, 2])
    }

    /// The training rollout is the inference algorithm: with the last exit step, no gradients and the
    /// same noise it reproduces `StreamingGenerator` bit for bit, through a prompt switch with re-cache
    /// (the training pipeline's re-cache: no global sink).
    @Test(arguments: [ModelPrediction.sample, .flow])
    func rolloutAtTheLastStepIsTheInferenceGenerator(prediction: ModelPrediction) throws {
        let (model, words) = try Self.tinyTeacher(prediction: prediction).makeModels()
        #expect(model.config.prediction == prediction)
        var settings = GenerationSettings()
        settings.globalSink = false
        settings.windowFrames = 9
        let a = try words.encode("a small red circle moves left on a blue background")
        let b = try words.encode("a small green circle moves left on a blue background")
        let generator = try StreamingGenerator(model: model, settings: settings, frameShape: EmbeddedModel.frameShape, noise: SeededNoise(seed: 21))
        let pa = try generator.addPrompt(embedding: a), pb = try generator.addPrompt(embedding: b)
        var expected: [Tensor] = []
        for prompt in [pa, pa, pa, pb, pb] { expected.append(try generator.nextChunk(prompt: prompt).latents) }

        let rollout = try SelfForcingRollout(model: model, settings: settings, frameShape: EmbeddedModel.frameShape)
        let noise = SeededNoise(seed: 21)
        let ta = try model.crossAttentionCache(context: a), tb = try model.crossAttentionCache(context: b)
        var got = [try rollout.generate(chunks: 3, text: ta, exitStep: 3, noise: noise, gradients: false)]
        try rollout.recache(text: tb)
        got.append(try rollout.generate(chunks: 2, text: tb, exitStep: 3, noise: noise, gradients: false))
        #expect(Tensor.concatenate(got).scalars == Tensor.concatenate(expected).scalars)
        // An earlier exit step is a different (noisier) video.
        rollout.reset()
        let early = try rollout.generate(chunks: 1, text: ta, exitStep: 1, noise: noise, gradients: false)
        #expect(early.scalars != expected[0].scalars)
    }
}
