import LongLiveWorld

/// Settings of the Self-Forcing DMD stage (spec §7.1-7.4, scaled to the world).
public struct SelfForcingConfig: Sendable {
    public var generation = GenerationSettings()
    /// Frames of each generated clip (the teacher's clip length; whole chunks).
    public var clipFrames = 12
    public var generatorLearningRate: Float = 2e-5
    public var criticLearningRate: Float = 2e-5
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 10
    public var emaDecay: Float = 0.99
    /// The generator is updated on steps divisible by this; the critic on every step.
    public var generatorEvery = 5
    /// Classic CFG scale of the teacher's score.
    public var guidance: Float = 3
    public var seed: UInt64 = 0

    public init() {}
}

/// One DMD step's figures.
public struct SelfForcingReport: Sendable {
    public var step: Int
    public var criticLoss: Float
    /// nil on critic-only steps.
    public var generatorLoss: Float?
    public var exitStep: Int
    public var sigma: Float
    public var seconds: Double
}

/// Self-Forcing DMD: the causal student (from ODE init) rolls out clips with its own KV cache; the
/// DMD gradient (critic score minus guided teacher score, normalised) trains it, and the critic learns
/// the student's distribution with the flow loss. Deterministic by (seed, step); resumable.
public final class SelfForcingTrainer {
    public let config: SelfForcingConfig
    public let teacherBundle: WorldModelBundle
    /// Student `dit.*` and critic `critic.*` parameters.
    public private(set) var generator: [String: Tensor]
    public private(set) var critic: [String: Tensor]
    public let generatorOptimizer: AdamW
    public let criticOptimizer: AdamW
    public let ema: EMA
    public private(set) var step = 0
    let distillation: DistillationContext
    let dataset = WorldDataset(split: .training)

    /// - Parameters:
    ///   - student: the ODE-initialised student (`dit.*`); the critic starts from the teacher.
    public init(teacher: WorldModelBundle, student: WorldModelBundle, config: SelfForcingConfig,
                resume: (generator: TrainingCheckpoint, critic: TrainingCheckpoint)? = nil) throws {
        guard config.clipFrames % config.generation.chunkFrames == 0 else {
            throw LongLiveError("clip of \(config.clipFrames) frames is not whole \(config.generation.chunkFrames)-frame chunks")
        }
        self.config = config
        teacherBundle = teacher
        distillation = try DistillationContext(teacher: teacher, guidance: config.guidance, shift: config.generation.timestepShift,
                                               gradientClip: config.gradientClip)
        generatorOptimizer = DistillationContext.optimizer(learningRate: config.generatorLearningRate, weightDecay: config.weightDecay)
        criticOptimizer = DistillationContext.optimizer(learningRate: config.criticLearningRate, weightDecay: config.weightDecay)
        ema = EMA(decay: config.emaDecay)
        if let resume {
            generator = resume.generator.weights
            critic = resume.critic.weights
            resume.generator.restore(optimizer: generatorOptimizer, ema: ema)
            resume.critic.restore(optimizer: criticOptimizer, ema: nil)
            step = resume.generator.state["step_total"]?.intValue ?? resume.critic.step
        } else {
            generator = StudentParameters.dit(student.tensors)
            critic = StudentParameters.dit(teacher.tensors, as: "critic.")
        }
    }

    /// One step: a rollout, a critic update, and on every `generatorEvery`-th step a generator update.
    public func trainStep() throws -> SelfForcingReport {
        let started = monotonicSeconds()
        let n = step + 1
        let rng = Philox4x32(seed: config.seed ^ 0x5E1F_F0C5)
        let u = rng.block(UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32), 0xD3D, 0)
        let prompt = dataset.prompt(seed: config.seed &* 1_000_003 &+ UInt64(n)).prompt
        let exitStep = Int(u.0 % UInt32(config.generation.denoisingSteps.count))
        let matching = distillation.matching
        let sigma = matching.sigma(uniform: Float(u.1 >> 8) / Float(1 << 24))
        let context = try distillation.embeddings(prompt)
        let isGeneratorStep = n % config.generatorEvery == 0
        let chunks = config.clipFrames / config.generation.chunkFrames
        let frameShape = EmbeddedModel.frameShape

        // Rollout (recorded on generator steps).
        var leaves: [String: Tensor] = [:]
        for (k, v) in generator { leaves[k] = isGeneratorStep ? v.requiringGrad(k) : v }
        let student = try distillation.model(leaves, prefix: "dit.")
        let (video, tape) = try Tape.recording { () throws -> Tensor in
            let text = try student.crossAttentionCache(context: context)
            let rollout = try SelfForcingRollout(model: student, settings: config.generation, frameShape: frameShape)
            return try rollout.generate(chunks: chunks, text: text, exitStep: exitStep,
                                        noise: SeededNoise(seed: config.seed &* 0x9E37_79B9 &+ UInt64(n)), gradients: isGeneratorStep)
        }
        let sample = video.detached()
        var generatorLoss: Float?
        if isGeneratorStep {
            let noise = rng.normalTensor(shape: [config.clipFrames] + frameShape, stream: (UInt64(2) << 40) | UInt64(n))
            let (updated, loss) = try distillation.generatorUpdate(parameters: generator, leaves: leaves, optimizer: generatorOptimizer, tape: tape,
                                                                   fresh: video, window: sample, critic: critic, context: context,
                                                                   sigma: sigma, noise: noise)
            generator = updated
            ema.update(generator)
            generatorLoss = loss
        }
        let criticSigma = matching.sigma(uniform: Float(u.2 >> 8) / Float(1 << 24))
        let (updatedCritic, criticLoss) = try distillation.criticUpdate(
            critic: critic, optimizer: criticOptimizer, sample: sample, supervised: sample.shape[0], context: context,
            sigma: criticSigma, noise: rng.normalTensor(shape: sample.shape, stream: (UInt64(3) << 40) | UInt64(n)))
        critic = updatedCritic
        step = n
        return SelfForcingReport(step: n, criticLoss: criticLoss, generatorLoss: generatorLoss, exitStep: exitStep,
                                 sigma: sigma, seconds: monotonicSeconds() - started)
    }

    /// Saves `folder/generator` and `folder/critic`.
    public func save(to folder: String) throws {
        if !FileIO.isDirectory(folder) { try FileIO.makeDirectory(folder) }
        try TrainingCheckpoint(weights: critic, optimizer: criticOptimizer, ema: nil, state: ["stage": .string("dmd")]).save(to: folder + "/critic")
        try TrainingCheckpoint(weights: generator, optimizer: generatorOptimizer, ema: ema,
                               state: ["stage": .string("dmd"), "step_total": .number(Double(step))]).save(to: folder + "/generator")
    }

    public static func load(from folder: String) throws -> (generator: TrainingCheckpoint, critic: TrainingCheckpoint) {
        (try TrainingCheckpoint.load(from: folder + "/generator"), try TrainingCheckpoint.load(from: folder + "/critic"))
    }

    /// The student (EMA weights when `useEMA` and available) as a world-model file.
    public func bundle(useEMA: Bool = false) -> WorldModelBundle {
        StudentParameters.bundle(useEMA && !ema.shadow.isEmpty ? ema.shadow : generator, teacher: teacherBundle,
                                 notes: ["stage": "dmd", "step": String(step)])
    }
}
