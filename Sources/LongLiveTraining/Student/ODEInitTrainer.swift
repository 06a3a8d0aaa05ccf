/// Settings of the ODE-initialisation stage.
public struct ODEInitConfig: Sendable {
    /// Chunking and the few-step list of the student.
    public var generation = GenerationSettings()
    public var learningRate: Float = 1e-4
    public var warmupSteps = 100
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 1.0
    public var seed: UInt64 = 0
    /// Probability that a clip's first chunks are its clean end at timestep 0 — the context the
    /// student reads from its KV cache at inference — instead of noisy trajectory states. The
    /// split chunk is uniform over 1..<chunks; only the chunks after it are supervised.
    public var cleanContextProbability: Float = 0

    public init() {}
}

/// ODE initialisation (spec §7.0 step 1, Self-Forcing's `ode_regression`): the causal student starts
/// from the teacher's weights and learns to jump from the teacher's trajectory states at its few-step
/// levels straight to the trajectory's clean end. Each chunk of a clip gets its own random level, the
/// whole clip runs block-causally (no cache), and the loss is the MSE of the predicted x0.
///
/// With only noisy levels (σ ≥ 0.625 for the default list) the student never sees the clean context
/// that inference's KV cache holds (the context pass at t = 0), so it learns to redraw each chunk
/// from noise rather than continue the previous one. `cleanContextProbability` gives that context:
/// a prefix of the clip at its clean end (teacher forcing), the rest at random levels.
public final class ODEInitTrainer {
    public let config: ODEInitConfig
    public let teacher: WorldModelBundle
    public private(set) var parameters: [String: Tensor]
    public let optimizer: AdamW
    let trajectories: [(prompt: String, states: Tensor)]
    let embeddings: PromptEmbeddings
    let sigmas: [Float]
    let timesteps: [Float]

    public init(teacher: WorldModelBundle, trajectories: [(prompt: String, states: Tensor)], config: ODEInitConfig,
                resume checkpoint: TrainingCheckpoint? = nil) throws {
        guard !trajectories.isEmpty else { throw LongLiveError("ODE initialisation needs at least one teacher trajectory") }
        let schedule = FlowMatchSchedule(shift: config.generation.timestepShift)
        timesteps = try schedule.denoisingTimesteps(nominal: config.generation.denoisingSteps, warp: config.generation.warpDenoisingSteps)
        sigmas = timesteps.map { schedule.sigma(forTimestep: $0) }
        guard trajectories[0].states.shape[0] == timesteps.count + 1 else {
            throw LongLiveError("trajectories hold \(trajectories[0].states.shape[0] - 1) levels but the student denoises in \(timesteps.count) steps; generate them again for this step list")
        }
        guard trajectories[0].states.shape[1] % config.generation.chunkFrames == 0 else {
            throw LongLiveError("trajectory clips of \(trajectories[0].states.shape[1]) frames are not whole \(config.generation.chunkFrames)-frame chunks")
        }
        self.config = config; self.teacher = teacher; self.trajectories = trajectories
        optimizer = AdamW(learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, weightDecay: config.weightDecay)
        embeddings = PromptEmbeddings(words: try teacher.makeModels().words)
        if let checkpoint {
            parameters = checkpoint.weights
            checkpoint.restore(optimizer: optimizer, ema: nil)
        } else {
            parameters = StudentParameters.dit(teacher.tensors)
        }
    }

    public var step: Int { optimizer.step }

    /// One regression example: the student's input clip, per-frame timesteps and σ, the target and
    /// the first supervised frame (earlier frames are clean context).
    public struct Example {
        public var prompt: String
        public var input: Tensor
        public var clean: Tensor
        public var frameTimesteps: [Float]
        public var frameSigmas: [Float]
        public var supervisedFrom: Int
    }

    /// The example that optimiser step `n` (1-based) trains on, chosen by the (seed, n) pair.
    public func example(step n: Int) -> Example {
        let rng = Philox4x32(seed: config.seed ^ 0x0DE1_1417)
        let u = rng.block(UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32), 0x0DE, 0)
        let (prompt, states) = trajectories[Int(u.0 % UInt32(trajectories.count))]
        let levels = states.shape[0] - 1, frames = states.shape[1], chunk = config.generation.chunkFrames
        let per = states.count / states.shape[0] / frames
        let clean = states.rows(levels..<(levels + 1)).reshaped(Array(states.shape.dropFirst()))
        // Every chunk at its own random level.
        var picks: [Int] = []
        var h = u.1
        for _ in 0..<(frames / chunk) { picks.append(Int(h % UInt32(levels))); h = h / UInt32(levels) &+ u.2 &* 2_654_435_761 }
        // Level index `levels` is the clean end (σ = 0, timestep 0).
        let chunks = frames / chunk
        var supervisedFrom = 0
        if chunks > 1, Float(u.3 & 0xFFFF) / 65536 < config.cleanContextProbability {
            let split = 1 + Int((u.3 >> 16) % UInt32(chunks - 1))
            for c in 0..<split { picks[c] = levels }
            supervisedFrom = split * chunk
        }
        let levelT = timesteps + [0], levelSigma = sigmas + [0]
        let input = Tensor(uninitialized: clean.shape) { o in
            states.withFloats { s in
                for f in 0..<frames {
                    let level = picks[f / chunk]
                    for i in 0..<per { o[f * per + i] = s[(level * frames + f) * per + i] }
                }
            }
        }
        return Example(prompt: prompt, input: input, clean: clean,
                       frameTimesteps: (0..<frames).map { levelT[picks[$0 / chunk]] },
                       frameSigmas: (0..<frames).map { levelSigma[picks[$0 / chunk]] },
                       supervisedFrom: supervisedFrom)
    }

    /// One regression step on the example `example(step:)` selects; returns the loss.
    public func trainStep() throws -> Float {
        let n = optimizer.step + 1
        let ex = example(step: n)
        let (input, clean, frames, chunk) = (ex.input, ex.clean, ex.input.shape[0], config.generation.chunkFrames)
        let supervisedFrom = ex.supervisedFrom
        var leaves: [String: Tensor] = [:]
        for (k, v) in parameters { leaves[k] = v.requiringGrad(k) }
        let model = try StudentParameters.model(teacher.dit, leaves, prefix: "dit.")
        let context = try embeddings(ex.prompt)
        let (loss, tape) = try Tape.recording { () throws -> Tensor in
            let text = try model.crossAttentionCache(context: context)
            let v = try model.forward(input, timesteps: ex.frameTimesteps, text: text,
                                      attention: .blockCausal(framesPerBlock: chunk, windowFrames: config.generation.windowFrames))
            let x0 = scaledAdd(input, v, scales: ex.frameSigmas.map { -$0 })
            guard supervisedFrom > 0 else { return meanSquaredError(x0, clean) }
            return meanSquaredError(x0.rows(supervisedFrom..<frames), clean.rows(supervisedFrom..<frames))
        }
        let grads = tape.gradients(of: loss)
        var g: [String: Tensor] = [:]
        for (k, leaf) in leaves { if let gk = grads[leaf] { g[k] = gk } }
        _ = clipGradientNorm(&g, maxNorm: config.gradientClip)
        optimizer.learningRate = WarmupSchedule(peak: config.learningRate, warmupSteps: config.warmupSteps).rate(step: n)
        parameters = try optimizer.update(parameters, gradients: g)
        return loss.scalars[0]
    }

    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(weights: parameters, optimizer: optimizer, ema: nil, state: ["seed": .number(Double(config.seed)), "stage": .string("ode")])
    }

    /// The student as a world-model file (the teacher's word encoder included).
    public func bundle() -> WorldModelBundle {
        StudentParameters.bundle(parameters, teacher: teacher, notes: ["stage": "ode", "step": String(step)])
    }
}
