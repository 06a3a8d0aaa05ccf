import Dispatch
import LongLiveWorld

/// Settings of a flow-matching teacher run (the bidirectional, many-step model of the embedded world).
public struct TeacherConfig: Sendable {
    public var dit: WanConfig
    public var words: WordEncoder.Config
    /// Frames per training clip and the world's frame size (pixels; the codec divides by 4).
    public var clipFrames = 12
    /// Every `longClipEvery`-th step (0: never) trains on clips of `longClipFrames` frames instead:
    /// short clips show the most scenes per second (shapes and colours are per frame), long ones
    /// the motions and the temporal attention the teacher is sampled with. Whole steps alternate, so
    /// the micro-batches that run side by side stay the same size.
    public var longClipFrames = 0
    public var longClipEvery = 0
    public var width = 64
    public var height = 64
    public var learningRate: Float = 3e-4
    public var warmupSteps = 200
    /// Learning-rate decay at the end of the run (global steps; ``Cooldown/none`` keeps the rate).
    public var cooldown = Cooldown.none
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 1.0
    public var emaDecay: Float = 0.999
    /// The word-skip gate a warm start from an encoder without one begins at (0: the warm start's exact function).
    public var wordSkipOpening: Float = 0
    /// Probability of training a clip unconditionally (zero text), for classifier-free guidance.
    public var textDropout: Float = 0.1
    /// Shift of the σ table timesteps are drawn from (uniform grid index, shifted σ, as Wan trains).
    public var timestepShift = 5.0
    /// How σ is drawn. The default mixes the shift table with σ uniform in (0, 1) on half of the
    /// clips: shift 5 alone almost never trains below σ ≈ 0.2, and a small model then cannot remove
    /// the last noise of a sample (measured by `longlive teacher probe`: at σ = 0.05 the x0 error
    /// stayed at the input's own).
    public var noiseLevels = NoiseLevelSampling.mixed(uniformShare: 0.5)
    /// Extra loss weight of subject pixels: each latent value drawn from a subject pixel counts
    /// `1 + foregroundWeight` times (0: plain MSE). Subjects cover a few percent of a frame, so
    /// plain MSE spends almost all of its signal on backgrounds; weighting them also biases the
    /// model's clean-clip estimate at high noise towards subjects being present, which is what lets
    /// them form in sampling instead of fading into the background.
    public var foregroundWeight: Float = 0
    /// Extra loss weight of pixels on a subject's outline (a 3×3 neighbourhood with both subject and
    /// background pixels), on both sides of the edge. The outline is where one shape differs from
    /// another; weighting both sides alike does not favour bigger or smaller subjects, unlike
    /// `foregroundWeight`.
    public var edgeWeight: Float = 0
    /// Counterfactual inputs (shapes, motions, subject counts; all off by default).
    public var counterfactuals = CounterfactualInputs()
    /// Weight of the ``AttributeHead`` loss (0: off), read from the output of block `attributeBlock`.
    public var attributeWeight: Float = 0
    public var attributeBlock = 2
    /// Clips per optimiser step (gradient accumulation; their gradients are averaged).
    public var accumulation = 1
    public var seed: UInt64 = 0

    public init(dit: WanConfig, words: WordEncoder.Config) {
        self.dit = dit
        self.words = words
    }

    /// Frames per clip at (1-based) step `n`.
    public func clipFrames(step n: Int) -> Int {
        longClipEvery > 0 && longClipFrames > 0 && n % longClipEvery == 0 ? longClipFrames : clipFrames
    }

    /// The world teacher's shape: a `dim`-wide DiT on 48-channel pixel-codec latents (the embedded
    /// model's latent space) with a 2-layer, 128-wide word encoder over the world's vocabulary.
    public static func world(dim: Int = 256, layers: Int = 6, heads: Int = 4, prediction: ModelPrediction = .sample) -> TeacherConfig {
        var dit = WanConfig()
        dit.prediction = prediction
        dit.inDim = 48; dit.outDim = 48; dit.dim = dim; dit.ffnDim = 4 * dim; dit.numHeads = heads; dit.numLayers = layers
        dit.textLen = 24; dit.textDim = 128
        let words = WordEncoder.Config(vocabulary: PromptWriter.vocabulary, dim: 128, layers: 2, heads: 4, ffnDim: 512, maxTokens: 24)
        return TeacherConfig(dit: dit, words: words)
    }
}

/// One optimisation step's figures.
public struct TeacherStepReport: Sendable {
    public var step: Int
    public var loss: Float
    public var gradientNorm: Float
    public var seconds: Double
    /// DiT tokens trained on (all micro-batches).
    public var tokens = 0
    /// Analytic FLOPs of the step (forward ×3 for forward + backward).
    public var flops: Double
    /// Split of `seconds`: data (render + codec), forward, backward, optimizer (clip, AdamW, EMA).
    public var phases: (data: Double, forward: Double, backward: Double, optimizer: Double) = (0, 0, 0, 0)
}

/// Trains the teacher: world clip → pixel codec latents → `x_t = (1−σ)·x0 + σ·ε` → bidirectional DiT
/// (text from the jointly trained ``WordEncoder``) → MSE to the flow `ε − x0` → AdamW, clipping, EMA.
/// Every random choice derives from (seed, step), so a run is deterministic and resumes exactly.
public final class TeacherTrainer {
    public let config: TeacherConfig
    public private(set) var parameters: [String: Tensor]
    public let optimizer: AdamW
    public let ema: EMA
    let schedule: FlowMatchSchedule
    let dataset: WorldDataset
    let codec = PixelCodec(factor: 4)

    public init(config: TeacherConfig, resume checkpoint: TrainingCheckpoint? = nil) throws {
        guard config.dit.inDim == codec.latentChannels, config.dit.outDim == codec.latentChannels else {
            throw LongLiveError("teacher DiT must take \(codec.latentChannels) latent channels (pixel codec), got \(config.dit.inDim)/\(config.dit.outDim)")
        }
        guard config.dit.textDim == config.words.dim, config.dit.textLen == config.words.maxTokens else {
            throw LongLiveError("teacher DiT text input \(config.dit.textLen)×\(config.dit.textDim) must match the word encoder's \(config.words.maxTokens)×\(config.words.dim)")
        }
        self.config = config
        optimizer = AdamW(learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, weightDecay: config.weightDecay)
        ema = EMA(decay: config.emaDecay)
        schedule = FlowMatchSchedule(shift: config.timestepShift)
        dataset = WorldDataset(width: config.width, height: config.height)
        if let checkpoint {
            if let saved = try Self.config(from: checkpoint.state) {
                if saved.words.wordSkip != config.words.wordSkip {
                    throw LongLiveError("the checkpoint's word encoder was trained \(saved.words.wordSkip ? "with" : "without") the word skip; resume \(saved.words.wordSkip ? "with" : "without") --word-skip")
                }
                if saved.dit.padsText != config.dit.padsText {
                    throw LongLiveError("the checkpoint's DiT was trained \(saved.dit.padsText ? "with" : "without") padded text; resume \(saved.dit.padsText ? "without" : "with") --trim-text-padding")
                }
            }
            parameters = checkpoint.weights
            checkpoint.restore(optimizer: optimizer, ema: ema)
            stepOffset = checkpoint.state["step_offset"]?.intValue ?? 0
        } else {
            var p: [String: Tensor] = [:]
            for (k, v) in WanWeights.random(config: config.dit, seed: config.seed) { p["dit." + k] = v }
            for (k, v) in WordEncoder.initialParameters(config.words, seed: config.seed &+ 1) { p["text." + k] = v }
            parameters = p
        }
        // A run that turns the attribute head on (fresh, resumed or warm-started) starts it afresh.
        if config.attributeWeight > 0, parameters[AttributeHead.weightName] == nil {
            for (k, v) in AttributeHead.initialParameters(dim: config.dit.dim, seed: config.seed) { parameters[k] = v }
        }
        guard config.attributeWeight == 0 || (0..<config.dit.numLayers).contains(config.attributeBlock) else {
            throw LongLiveError("the attribute head reads block \(config.attributeBlock), but the DiT has blocks 0…\(config.dit.numLayers - 1)")
        }
    }

    /// Continues from weights alone (no optimiser moments): the committed teacher and its raw weights,
    /// as `longlive teacher export --raw-out` writes them. The optimiser restarts (with its warm-up),
    /// the data and noise continue at step `step + 1`.
    public convenience init(config: TeacherConfig, warmStart weights: [String: Tensor], ema shadow: [String: Tensor], step: Int) throws {
        try self.init(config: config)
        var shadow = shadow.mapValues { $0.float32() }
        for (k, v) in parameters {
            // A word skip added to an encoder trained without one starts closed by default, so step 0
            // computes exactly what the warm start did; closed, though, it opens slowly (its gradient
            // is the DiT's use of a word it has never seen), hence `wordSkipOpening`.
            if k == Self.wordSkipName, weights[k] == nil {
                parameters[k] = Tensor(shape: v.shape, repeating: config.wordSkipOpening)
                shadow[k] = parameters[k]
                continue
            }
            // Training-only heads are not in an exported (EMA) file: they start afresh or from the raw weights.
            if k.hasPrefix("aux.") {
                if let w = weights[k], w.shape != v.shape { throw LongLiveError("warm start: \(k) has shape \(w.shape), this run's head needs \(v.shape)") }
                let w = weights[k].map { $0.float32() } ?? v
                parameters[k] = w
                if shadow[k] == nil { shadow[k] = w }
                continue
            }
            guard let w = weights[k], w.shape == v.shape else { throw LongLiveError("warm start: tensor \(k) is missing or has another shape") }
            parameters[k] = w.float32()
        }
        ema.restore(shadow)
        stepOffset = step
    }

    /// The word encoder's skip gate (``WordEncoder/Config/wordSkip``) among the trainer's parameters.
    static let wordSkipName = "text.word_skip.weight"

    /// Steps taken before the optimiser's own count began (a warm start).
    public private(set) var stepOffset = 0

    /// Steps taken so far.
    public var step: Int { stepOffset + optimizer.step }

    /// The DiT and word encoder built from `params` (with or without gradient leaves).
    func models(_ params: [String: Tensor]) throws -> (WanTransformer, WordEncoder) {
        let dit = WorldModelBundle.withoutPrefix(params, "dit."), text = WorldModelBundle.withoutPrefix(params, "text.")
        let model = try WanTransformer(config: config.dit, weights: WanWeights.load(from: InMemoryTensors(dit), config: config.dit))
        return (model, try WordEncoder(config: config.words, parameters: text))
    }

    /// One optimiser step on the `accumulation` clips the (seed, step) pair selects (gradients averaged).
    public func trainStep() throws -> TeacherStepReport {
        let started = monotonicSeconds()
        let n = step + 1
        var leaves: [String: Tensor] = [:]
        for (k, v) in parameters { leaves[k] = v.requiringGrad(k) }
        let (model, words) = try models(leaves)
        var g: [String: Tensor] = [:]
        var lossSum: Float = 0
        var phases = (data: 0.0, forward: 0.0, backward: 0.0, optimizer: 0.0)
        let micro = max(1, config.accumulation)
        var results = [Result<(Float, [String: Tensor], (data: Double, forward: Double, backward: Double)), Error>?](repeating: nil, count: micro)
        let cores = Parallel.workers
        var concurrent = false
        let tMicro = monotonicSeconds()
        if micro > 1 && cores > 1 && !Profiler.shared.isEnabled {
            // Micro-batches side by side, each on its own share of the cores: small GEMMs split across
            // threads lose more than whole clips per thread (measured: two single-threaded runs give
            // 1.24× the clips per second of one two-threaded run). Each thread records on its own tape.
            let lock = Lock()
            let perTask = max(1, cores / micro)
            let level = SIMDKernels.level
            DispatchQueue.concurrentPerform(iterations: micro) { j in
                let previous = SIMDKernels.levelLimit
                SIMDKernels.limitLevel(level)
                defer { SIMDKernels.limitLevel(previous) }
                let r = Result { try Parallel.withWorkers(perTask) { try microStep(n: n, micro: j, model: model, words: words, leaves: leaves) } }
                lock.withLock { results[j] = r }
            }
            concurrent = true
        } else {
            for j in 0..<micro { results[j] = Result { try microStep(n: n, micro: j, model: model, words: words, leaves: leaves) } }
        }
        for r in results {
            let (loss, grads, p) = try r!.get()
            lossSum += loss
            phases.data += p.data; phases.forward += p.forward; phases.backward += p.backward
            accumulate(&g, grads, scale: 1 / Float(micro))
        }
        let tOptimizer = monotonicSeconds()
        if concurrent {
            // Side-by-side micro-batches overlap: scale their phase times to the wall time they took.
            let sum = phases.data + phases.forward + phases.backward, wall = tOptimizer - tMicro
            if sum > 0 { phases.data *= wall / sum; phases.forward *= wall / sum; phases.backward *= wall / sum }
        }
        let prof = Profiler.shared
        let norm = prof.measure("optimizer: clip") { clipGradientNorm(&g, maxNorm: config.gradientClip) }
        optimizer.learningRate = WarmupSchedule(peak: config.learningRate, warmupSteps: config.warmupSteps).rate(step: optimizer.step + 1)
            * config.cooldown.factor(step: n)
        parameters = try prof.measure("optimizer: adamw") { try optimizer.update(parameters, gradients: g) }
        prof.measure("optimizer: ema") { ema.update(parameters) }
        let tokenSize = codec.factor * config.dit.patchSize[1]
        let tokens = config.clipFrames(step: n) * (config.height / tokenSize) * (config.width / tokenSize)
        let end = monotonicSeconds()
        phases.optimizer = end - tOptimizer
        var report = TeacherStepReport(step: n, loss: lossSum / Float(micro), gradientNorm: norm, seconds: end - started,
                                       flops: Double(micro) * 3 * FlopCount.forward(config: config.dit, queryTokens: tokens, keyTokens: tokens))
        report.phases = phases
        report.tokens = micro * tokens
        return report
    }

    /// Forward and backward of one clip: micro-batch `micro` of step `n` (micro-batch 0 is the clip
    /// a run without accumulation trains on, so both kinds of run share their first clip per step).
    func microStep(n: Int, micro: Int, model: WanTransformer, words: WordEncoder, leaves: [String: Tensor])
        throws -> (Float, [String: Tensor], (data: Double, forward: Double, backward: Double)) {
        let started = monotonicSeconds()
        let key = micro == 0 ? UInt64(n) : UInt64(n) | UInt64(micro) << 48
        let frames = config.clipFrames(step: n)
        let clip = dataset.clip(seed: config.seed &* 1_000_003 &+ key, frames: frames)
        let x0 = try codec.encode(signedFrames: clip.frames)
        // Per-clip randomness: timestep, text dropout, noise.
        let rng = Philox4x32(seed: config.seed ^ 0x7EAC_4E12)
        let u = rng.block(UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32), 0xD1CE, 0)
        let sigma = config.noiseLevels.sigma(u, table: schedule.sigmas)
        let unconditional = Float(u.1 % 10_000) / 10_000 < config.textDropout
        let eps = rng.normalTensor(shape: x0.shape, stream: (UInt64(1) << 40) | key)
        var xt = schedule.addNoise(clean: x0, noise: eps, sigma: sigma)
        var target = config.dit.prediction.flowTarget(clean: x0, noise: eps, sigma: sigma)
        var foreground = clip.foreground
        let cf = config.counterfactuals
        if !unconditional, cf.isEnabled, cf.sigmas.contains(sigma) {
            let c = rng.block(UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32), 0xC0F7, 0)
            if let kind = cf.kind(Float(c.0 % 10_000) / 10_000),
               let other = cf.clip(kind, of: dataset, seed: config.seed &* 1_000_003 &+ key, frames: frames, choice: UInt64(c.1) << 32 | UInt64(c.2)) {
                let x1 = try codec.encode(signedFrames: other.frames)
                xt = schedule.addNoise(clean: x1, noise: eps, sigma: sigma)
                target = CounterfactualInputs.target(target, clean: x0, shown: x1, sigma: sigma)
                foreground = CounterfactualInputs.union(clip.foreground, other.foreground)
            }
        }
        let tData = monotonicSeconds()
        let (loss, tape) = try Tape.recording { () throws -> Tensor in
            let text = unconditional ? Tensor(zeros: [config.words.maxTokens, config.words.dim]) : try words.encode(clip.prompt)
            let cross = try model.crossAttentionCache(context: text)
            // The attribute head learns from prompted clips only: without text it could only guess.
            let attributes = config.attributeWeight > 0 && !unconditional
                ? AttributeHead.targets(clip, tokenSize: codec.factor * config.dit.patchSize[1]) : nil
            var hidden: Tensor?
            let tapName = "blocks_\(config.attributeBlock)"
            let v = try model.forward(xt, timesteps: Array(repeating: sigma * 1000, count: x0.shape[0]), text: cross, attention: .bidirectional,
                                      taps: attributes == nil ? nil : { name, t in if name == tapName { hidden = t } })
            let flow: Tensor
            if config.foregroundWeight > 0 || config.edgeWeight > 0 {
                let extra = Self.pixelWeights(foreground: foreground, subject: config.foregroundWeight, outline: config.edgeWeight)
                flow = weightedMeanSquaredError(v, target, weights: Self.latentWeights(foreground: extra, extra: 1, factor: codec.factor, channels: 3))
            } else {
                flow = meanSquaredError(v, target)
            }
            guard let attributes, let hidden, let w = leaves[AttributeHead.weightName], let b = leaves[AttributeHead.biasName] else { return flow }
            let aux = AttributeHead.loss(hidden: hidden, tokens: attributes.tokens, targets: attributes.targets, weight: w, bias: b)
            return scaledAdd(flow, aux, scales: [config.attributeWeight])
        }
        let tForward = monotonicSeconds()
        let grads = tape.gradients(of: loss)
        var g: [String: Tensor] = [:]
        for (k, leaf) in leaves { if let gk = grads[leaf] { g[k] = gk } }
        return (loss.scalars[0], g, (tData - started, tForward - tData, monotonicSeconds() - tForward))
    }

    /// Extra weight per pixel, `subject·mask + outline·edge` for a subject mask `[F, H, W]`, where
    /// `edge` marks pixels whose 3×3 neighbourhood (inside the frame) holds both kinds of pixel.
    static func pixelWeights(foreground: Tensor, subject: Float, outline: Float) -> Tensor {
        let frames = foreground.shape[0], h = foreground.shape[1], w = foreground.shape[2]
        return foreground.withFloats { m in
            Tensor(uninitialized: foreground.shape) { o in
                for f in 0..<frames { for y in 0..<h { for x in 0..<w {
                    let i = (f * h + y) * w + x, inside = m[i] > 0.5
                    var edge = false
                    if outline != 0 {
                        for dy in -1...1 where !edge { for dx in -1...1 where !edge {
                            let yy = y + dy, xx = x + dx
                            if yy >= 0, yy < h, xx >= 0, xx < w, (m[(f * h + yy) * w + xx] > 0.5) != inside { edge = true }
                        } }
                    }
                    o[i] = subject * m[i] + (edge ? outline : 0)
                }}}
            }
        }
    }

    /// Per-latent-value loss weights `1 + extra·mask` for pixel masks `[F, H, W]`, laid out as the
    /// pixel codec's latents `[F, channels·factor², H/factor, W/factor]`.
    static func latentWeights(foreground: Tensor, extra: Float, factor f: Int, channels: Int) -> Tensor {
        let frames = foreground.shape[0], h = foreground.shape[1], w = foreground.shape[2]
        let lh = h / f, lw = w / f, lc = channels * f * f
        return foreground.withFloats { m in
            Tensor(uninitialized: [frames, lc, lh, lw]) { o in
                for i in 0..<frames { for c in 0..<channels { for y in 0..<h { for x in 0..<w {
                    let ch = (c * f + y % f) * f + x % f
                    o[((i * lc + ch) * lh + y / f) * lw + x / f] = 1 + extra * m[(i * h + y) * w + x]
                }}}}
            }
        }
    }

    /// The run's state for ``TrainingCheckpoint``.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(weights: parameters, optimizer: optimizer, ema: ema, state: [
            "seed": .number(Double(config.seed)), "step_offset": .number(Double(stepOffset)),
            "dit_config": config.dit.json(), "text_config": WorldModelBundle.json(config.words),
        ])
    }

    /// The model shapes a checkpoint's state records (nil for checkpoints from before they were recorded).
    public static func config(from state: [String: JSONValue]) throws -> TeacherConfig? {
        guard let dit = state["dit_config"], let words = state["text_config"] else { return nil }
        return TeacherConfig(dit: try WanConfig.parse(json: dit.serialized(), source: "checkpoint state"),
                             words: try WorldModelBundle.wordsConfig(words, source: "checkpoint state"))
    }
}
