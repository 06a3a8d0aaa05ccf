import LongLiveWorld

/// Settings of streaming long tuning (LongLive Algorithm 1, spec §7.5, scaled to the world).
public struct LongTuningConfig: Sendable {
    public var generation = GenerationSettings()
    /// The teacher's clip: the first call's length and the DMD window.
    public var clipFrames = 12
    /// Frames each later call adds (the rest of the window is the previous frames).
    public var newFrames = 9
    /// A sequence ends when another call would pass this many frames.
    public var maxFrames = 48
    /// LoRA rank on the generator's block linears; nil fine-tunes the whole DiT.
    public var loraRank: Int? = 16
    public var loraAlpha: Float = 16
    public var generatorLearningRate: Float = 1e-4
    public var criticLearningRate: Float = 2e-5
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 10
    public var generatorEvery = 5
    public var guidance: Float = 3
    public var seed: UInt64 = 0

    public init() {}

    /// Calls per sequence: the first clip, then `newFrames` at a time up to `maxFrames`.
    public var callsPerSequence: Int { 1 + max(0, (maxFrames - clipFrames) / newFrames) }
}

/// One long-tuning step's figures.
public struct LongTuningReport: Sendable {
    public var step: Int
    public var sequence: Int
    /// First frame this step generated, and how many.
    public var startFrame: Int
    public var frames: Int
    public var switched: Bool
    public var criticLoss: Float
    public var generatorLoss: Float?
    public var seconds: Double
}

/// Streaming long tuning: each sequence continues from its own KV cache, call after call, up to
/// `maxFrames`; every call generates new frames after the stored history (detached: it was made in
/// earlier steps without a graph) and only those frames are supervised, in a window of the
/// teacher's clip length. One prompt switch per sequence at a random call boundary re-caches the
/// recent frames under the new prompt exactly as inference does, and the losses follow the new
/// prompt from there. The generator trains a LoRA (or everything); the critic trains fully.
///
/// Sequences are a function of their index and checkpoints fall on sequence boundaries, so a
/// resumed run continues bit for bit.
public final class StreamingLongTuner {
    public let config: LongTuningConfig
    public let teacherBundle: WorldModelBundle
    /// Base student DiT (`dit.*`, frozen when LoRA is on).
    public private(set) var base: [String: Tensor]
    /// Trainable generator parameters: `lora.*` factors, or `dit.*` for full fine-tuning.
    public private(set) var trainable: [String: Tensor]
    public private(set) var critic: [String: Tensor]
    public let generatorOptimizer: AdamW
    public let criticOptimizer: AdamW
    public private(set) var step = 0
    let distillation: DistillationContext
    let dataset = WorldDataset(split: .training)

    // The running sequence.
    var rollout: SelfForcingRollout?
    var sequence = -1
    var call = 0
    var prompts: [String] = []
    var switchCall = 0
    var history: [Tensor] = []

    public init(teacher: WorldModelBundle, student: WorldModelBundle, config: LongTuningConfig,
                resume: (generator: TrainingCheckpoint, critic: TrainingCheckpoint)? = nil) throws {
        guard config.clipFrames % config.generation.chunkFrames == 0, config.newFrames % config.generation.chunkFrames == 0,
              config.newFrames <= config.clipFrames, config.maxFrames >= config.clipFrames else {
            throw LongLiveError("long tuning needs whole chunks, new frames ≤ the clip and a maximum length ≥ the clip")
        }
        self.config = config
        teacherBundle = teacher
        distillation = try DistillationContext(teacher: teacher, guidance: config.guidance, shift: config.generation.timestepShift,
                                               gradientClip: config.gradientClip)
        generatorOptimizer = DistillationContext.optimizer(learningRate: config.generatorLearningRate, weightDecay: config.weightDecay)
        criticOptimizer = DistillationContext.optimizer(learningRate: config.criticLearningRate, weightDecay: config.weightDecay)
        base = StudentParameters.dit(student.tensors)
        if let resume {
            trainable = resume.generator.weights
            critic = resume.critic.weights
            resume.generator.restore(optimizer: generatorOptimizer, ema: nil)
            resume.critic.restore(optimizer: criticOptimizer, ema: nil)
            step = resume.generator.state["step_total"]?.intValue ?? 0
            sequence = (resume.generator.state["sequence"]?.intValue ?? 0) - 1
        } else {
            trainable = config.loraRank.map { StudentParameters.prefixed(LoRATraining.initial(teacher.dit, rank: $0, seed: config.seed &+ 77), "lora.") } ?? base
            critic = StudentParameters.dit(teacher.tensors, as: "critic.")
        }
    }

    /// The generator DiT for parameters `p` (LoRA attached, or the full trainable set).
    func generatorModel(_ p: [String: Tensor]) throws -> WanTransformer {
        guard let rank = config.loraRank else { return try distillation.model(p, prefix: "dit.") }
        var w = try WanWeights.load(from: InMemoryTensors(WorldModelBundle.withoutPrefix(base, "dit.")), config: teacherBundle.dit)
        try LoRATraining.attach(WorldModelBundle.withoutPrefix(p, "lora."), to: &w, scale: config.loraAlpha / Float(rank))
        return try WanTransformer(config: teacherBundle.dit, weights: w)
    }

    /// Whether the next step starts a new sequence (checkpoints are taken only there).
    public var atSequenceBoundary: Bool { rollout == nil || call >= config.callsPerSequence }

    func startSequence() throws {
        sequence += 1
        let script = dataset.sequence(seed: config.seed &* 7_777_777 &+ UInt64(sequence), segments: 2, segmentFrames: 1)
        prompts = script.prompts
        let rng = Philox4x32(seed: config.seed ^ 0x5EC5_1CE5)
        // The switch comes at the start of one of the calls after the first.
        switchCall = 1 + Int(rng.block(UInt32(truncatingIfNeeded: sequence), 0, 0x5A17, 0).0 % UInt32(max(1, config.callsPerSequence - 1)))
        call = 0
        history = []
        rollout = nil
    }

    public func trainStep() throws -> LongTuningReport {
        let started = monotonicSeconds()
        if atSequenceBoundary { try startSequence() }
        let n = step + 1
        let rng = Philox4x32(seed: config.seed ^ 0x1046_7E4E)
        let u = rng.block(UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32), 0x10E6, 0)
        // By position in the sequence, shifted by the sequence index: a step counter alone (`n % N`) lands on
        // the same call of every sequence whenever the call count and N share a period (with the defaults,
        // always the last call: never the first clip, rarely right after the switch). This visits every
        // call in turn, one generator step per N calls on average.
        let isGeneratorStep = (call + sequence) % config.generatorEvery == config.generatorEvery - 1
        let exitStep = Int(u.0 % UInt32(config.generation.denoisingSteps.count))
        let prompt = call >= switchCall ? prompts[1] : prompts[0]
        let context = try distillation.embeddings(prompt)

        var leaves: [String: Tensor] = [:]
        for (k, v) in trainable { leaves[k] = isGeneratorStep ? v.requiringGrad(k) : v }
        let model = try generatorModel(leaves)
        if rollout == nil { rollout = try SelfForcingRollout(model: model, settings: config.generation, frameShape: EmbeddedModel.frameShape) }
        let roll = rollout!
        roll.model = model
        let switched = call == switchCall
        let text = try model.crossAttentionCache(context: context)
        if switched { try Tape.withoutRecording { try roll.recache(text: text) } }
        let newFrames = call == 0 ? config.clipFrames : config.newFrames
        let start = roll.nextFrame
        let (fresh, tape) = try Tape.recording { () throws -> Tensor in
            try roll.generate(chunks: newFrames / config.generation.chunkFrames, text: text, exitStep: exitStep,
                              noise: SeededNoise(seed: config.seed &* 0x9E37_79B9 &+ UInt64(sequence)), gradients: isGeneratorStep)
        }
        // The supervised window: stored previous frames, then the new ones (only those get a gradient).
        let previous = Array(history.suffix(config.clipFrames - newFrames))
        let window = previous.isEmpty ? fresh.detached() : Tensor.concatenate(previous + [fresh.detached()])
        let matching = distillation.matching
        let sigma = matching.sigma(uniform: Float(u.1 >> 8) / Float(1 << 24))
        var generatorLoss: Float?
        if isGeneratorStep {
            let (updated, loss) = try distillation.generatorUpdate(
                parameters: trainable, leaves: leaves, optimizer: generatorOptimizer, tape: tape, fresh: fresh, window: window,
                critic: critic, context: context, sigma: sigma, noise: rng.normalTensor(shape: window.shape, stream: (UInt64(2) << 40) | UInt64(n)))
            trainable = updated
            generatorLoss = loss
        }
        let (updatedCritic, criticLoss) = try distillation.criticUpdate(
            critic: critic, optimizer: criticOptimizer, sample: window, supervised: fresh.shape[0], context: context,
            sigma: matching.sigma(uniform: Float(u.2 >> 8) / Float(1 << 24)),
            noise: rng.normalTensor(shape: window.shape, stream: (UInt64(3) << 40) | UInt64(n)))
        critic = updatedCritic

        let detached = fresh.detached()
        for f in 0..<detached.shape[0] { history.append(detached.rows(f..<(f + 1))) }
        if history.count > config.clipFrames { history.removeFirst(history.count - config.clipFrames) }
        call += 1
        step = n
        return LongTuningReport(step: n, sequence: sequence, startFrame: start, frames: newFrames, switched: switched,
                                criticLoss: criticLoss, generatorLoss: generatorLoss, seconds: monotonicSeconds() - started)
    }

    /// Saves `folder/generator` and `folder/critic`; only at a sequence boundary, so resuming is exact.
    public func save(to folder: String) throws {
        guard atSequenceBoundary else { throw LongLiveError("long tuning checkpoints are taken between sequences (call \(call) of \(config.callsPerSequence))") }
        if !FileIO.isDirectory(folder) { try FileIO.makeDirectory(folder) }
        try TrainingCheckpoint(weights: critic, optimizer: criticOptimizer, ema: nil, state: ["stage": .string("long")]).save(to: folder + "/critic")
        try TrainingCheckpoint(weights: trainable, optimizer: generatorOptimizer, ema: nil, state: [
            "stage": .string("long"), "step_total": .number(Double(step)), "sequence": .number(Double(sequence + 1)),
        ]).save(to: folder + "/generator")
    }

    public static func load(from folder: String) throws -> (generator: TrainingCheckpoint, critic: TrainingCheckpoint) {
        try SelfForcingTrainer.load(from: folder)
    }

    /// The trained LoRA in PEFT naming (nil for full fine-tuning).
    public func adapter() -> [(String, Tensor)]? {
        config.loraRank == nil ? nil : LoRATraining.peftTensors(WorldModelBundle.withoutPrefix(trainable, "lora."), alpha: config.loraAlpha)
    }

    /// The tuned student, LoRA merged, as a world-model file.
    public func bundle() throws -> WorldModelBundle {
        var dit = WorldModelBundle.withoutPrefix(config.loraRank == nil ? trainable : base, "dit.")
        if config.loraRank != nil { dit = try LoRATraining.merged(dit, lora: WorldModelBundle.withoutPrefix(trainable, "lora."), alpha: config.loraAlpha) }
        return StudentParameters.bundle(StudentParameters.prefixed(dit, "dit."), teacher: teacherBundle,
                                        notes: ["stage": "long", "step": String(step)])
    }
}
