import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import LongLiveTraining
import LongLiveWorld

/// `longlive train …`: the training pipelines.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the embedded model's networks.",
                                                    subcommands: [TrainTeacherCommand.self, TrainODECommand.self, TrainDMDCommand.self, TrainLongCommand.self])
}

/// `longlive train teacher`: the bidirectional flow-matching teacher on the synthetic world.
struct TrainTeacherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teacher",
        abstract: "Train the flow-matching teacher (bidirectional DiT + word encoder) on world clips.",
        discussion: "Checkpoints go to OUT/checkpoint (every --checkpoint-every steps and at the end); --resume continues from it exactly.")

    @Option(help: "Output folder.") var out: String
    @Option(help: "Total optimisation steps.") var steps: Int = 1000
    @Flag(help: "Continue from OUT/checkpoint.") var resume = false
    @Option(help: "Warm start from a teacher file (its EMA) ...") var warmStart: String?
    @Option(help: "... and the raw weights exported next to it (`teacher export --raw-out`); the optimiser restarts.") var warmStartRaw: String?
    @Option(help: "Steps between checkpoints.") var checkpointEvery: Int = 200
    @Option var seed: UInt64 = 0
    @Option(help: "DiT width.") var dim: Int = 256
    @Option(help: "DiT blocks.") var layers: Int = 6
    @Option(help: "Attention heads.") var heads: Int = 4
    @Option(help: "Frames per clip.") var clipFrames: Int = 12
    @Option(help: "Frames per clip on every --long-clip-every-th step (whole steps alternate).") var longClipFrames: Int = 0
    @Option(help: "Train on --long-clip-frames clips every N-th step (0: never).") var longClipEvery: Int = 0
    @Option(help: "Peak learning rate.") var lr: Float = 3e-4
    @Option(help: "Warm-up steps.") var warmup: Int = 200
    @Option(help: "Decay the learning rate linearly over the last N steps before --steps (0: constant).") var cooldown: Int = 0
    @Option(help: "Fraction of --lr left at the end of --cooldown.") var lrFloor: Float = 0.05
    @Option(help: "Unconditional fraction (for CFG).") var textDropout: Float = 0.1
    @Option(help: "Clips per optimiser step (gradient accumulation).") var accumulation = 1
    @Option(help: "Extra loss weight of subject pixels (0: plain MSE).") var foregroundWeight: Float = 4
    @Option(help: "Extra loss weight of pixels on subject outlines, both sides of the edge (0: none).") var edgeWeight: Float = 0
    @Option(help: "How σ is drawn: mixed (shift-5 table on half of the clips, uniform on the rest) or logit-normal.") var sigmaSampling = "mixed"
    @Option(help: "With logit-normal: mean of logit(σ) (> 0 leans to the noisy end).") var sigmaMean: Float = 0
    @Option(help: "With logit-normal: standard deviation of logit(σ).") var sigmaStd: Float = 1
    @Option(help: "What the DiT head predicts: sample (the clean clip; see ModelPrediction) or flow (as Wan).") var prediction: String = "sample"
    @Flag(help: "With --warm-start: start the output head (head.head) from zero, e.g. when --prediction differs from the warm start's.") var resetHead = false
    @Flag(help: "Add each word's own embedding to the word encoder's output (gated; a warm start from a teacher without it opens the gate from zero). Pass it again with --resume.") var wordSkip = false
    @Option(help: "With --word-skip and --warm-start from a teacher without it: the gate's starting value (0 keeps the warm start's function exactly).") var wordSkipOpening: Float = 0
    @Flag(help: "Feed the DiT the prompt's words and one zero row instead of padding to 24 rows (see WanConfig.padsText). Pass it again with --resume.") var trimTextPadding = false
    @Option(help: "Weight of the auxiliary attribute loss: a linear head on the subject tokens of one block must name each subject's shape and motion (training only; 0: off).") var attributeWeight: Float = 0
    @Option(help: "The block (0-based) whose output the attribute head reads.") var attributeBlock = 2
    @Option(help: "Share of prompted clips (with σ in the counterfactual band) trained from a noisy copy drawn with other shapes, towards the clip itself: the outline must come from the shape word (0: off).") var shapeCounterfactual: Float = 0
    @Option(help: "Share of prompted clips (in the band) trained from a noisy copy whose subjects move another way from the same start: the path must come from the motion words (0: off).") var motionCounterfactual: Float = 0
    @Option(help: "Share of prompted clips (in the band) trained from a noisy copy with one subject more or fewer: the count must come from the prompt (0: off).") var countCounterfactual: Float = 0
    @Option(help: "Lowest σ at which counterfactual copies are used.") var counterfactualMinSigma: Float = 0.35
    @Option(help: "Highest σ at which counterfactual copies are used.") var counterfactualMaxSigma: Float = 0.9
    @Flag(help: "Also print where each step's time goes.") var verbose = false
    @Flag(help: "Print the time of every forward section and backward op at the end.") var profile = false

    func config() throws -> TeacherConfig {
        var c = TeacherConfig.world(dim: dim, layers: layers, heads: heads, prediction: ModelPrediction(rawValue: prediction) ?? .sample)
        c.clipFrames = clipFrames; c.learningRate = lr; c.warmupSteps = warmup; c.textDropout = textDropout; c.seed = seed; c.accumulation = accumulation; c.foregroundWeight = foregroundWeight; c.edgeWeight = edgeWeight
        c.words.wordSkip = wordSkip; c.wordSkipOpening = wordSkipOpening; c.dit.padsText = !trimTextPadding
        c.attributeWeight = attributeWeight; c.attributeBlock = attributeBlock
        guard longClipFrames >= 0, longClipEvery >= 0, (longClipFrames > 0) == (longClipEvery > 0) else {
            throw LongLiveError("--long-clip-frames and --long-clip-every go together, both positive (got \(longClipFrames) and \(longClipEvery))")
        }
        c.longClipFrames = longClipFrames; c.longClipEvery = longClipEvery
        let shares = [shapeCounterfactual, motionCounterfactual, countCounterfactual]
        guard shares.allSatisfy({ (0...1).contains($0) }), shares.reduce(0, +) <= 1 else {
            throw LongLiveError("--shape-counterfactual, --motion-counterfactual and --count-counterfactual are shares of the prompted clips: each in 0...1 and together at most 1 (got \(shares.map { "\($0)" }.joined(separator: ", ")))")
        }
        guard counterfactualMinSigma >= 0.1, counterfactualMinSigma <= counterfactualMaxSigma, counterfactualMaxSigma <= 1 else {
            throw LongLiveError("the counterfactual σ band must satisfy 0.1 ≤ --counterfactual-min-sigma ≤ --counterfactual-max-sigma ≤ 1 (got \(counterfactualMinSigma)...\(counterfactualMaxSigma))")
        }
        c.counterfactuals = CounterfactualInputs(shape: shapeCounterfactual, motion: motionCounterfactual, count: countCounterfactual,
                                                 sigmas: counterfactualMinSigma...counterfactualMaxSigma)
        c.cooldown = Cooldown(end: steps, steps: cooldown, floor: lrFloor)
        c.noiseLevels = try NoiseLevelSampling.parse(sigmaSampling, uniformShare: 0.5, mean: sigmaMean, std: sigmaStd)
        return c
    }

    func validate() throws {
        guard ModelPrediction(rawValue: prediction) != nil else { throw ValidationError("--prediction must be sample or flow, got \(prediction)") }
        guard cooldown >= 0, cooldown <= steps, lrFloor >= 0, lrFloor <= 1 else {
            throw ValidationError("--cooldown must be between 0 and --steps (\(steps)), got \(cooldown); --lr-floor between 0 and 1, got \(lrFloor)")
        }
        if resetHead && warmStart == nil { throw ValidationError("--reset-head only applies with --warm-start") }
        do { _ = try config() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        // Progress lines must reach a log file as they happen, not when the buffer fills.
        setvbuf(stdout, nil, _IOLBF, 0)
        let ckpt = out + "/checkpoint"
        let trainer: TeacherTrainer
        if let warmStart, !resume {
            guard let warmStartRaw else { throw ValidationError("--warm-start needs --warm-start-raw (the raw weights written by `teacher export --raw-out`)") }
            let ema = try WorldModelBundle.load(warmStart), raw = try WorldModelBundle.load(warmStartRaw)
            guard let step = raw.notes["step"].flatMap(Int.init) else { throw LongLiveError("\(warmStartRaw) records no training step") }
            var weights = raw.tensors, shadow = ema.tensors
            if resetHead {
                for name in ["dit.head.head.weight", "dit.head.head.bias"] {
                    guard let w = weights[name] else { throw LongLiveError("\(warmStartRaw) has no \(name) to reset") }
                    weights[name] = Tensor(zeros: w.shape); shadow[name] = Tensor(zeros: w.shape)
                }
            }
            trainer = try TeacherTrainer(config: try config(), warmStart: weights, ema: shadow, step: step)
        } else {
            trainer = try TeacherTrainer(config: try config(), resume: resume ? TrainingCheckpoint.load(from: ckpt) : nil)
        }
        let sgemm = MachineProbe.sgemmGFLOPs(m: 2048, n: 2048, k: 2048)
        print("teacher: \(trainer.config.dit), word encoder \(trainer.config.words.layers)×\(trainer.config.words.dim); from step \(trainer.step) to \(steps); sgemm \(fmt(sgemm, 1)) GFLOP/s")
        let started = monotonicSeconds()
        let first = trainer.step
        var recent: [TeacherStepReport] = []
        while trainer.step < steps {
            let r = try trainer.trainStep()
            recent.append(r)
            if recent.count > 20 { recent.removeFirst() }
            if r.step % 10 == 0 || r.step == steps {
                let secs = recent.reduce(0) { $0 + $1.seconds }
                let flops = recent.reduce(0) { $0 + $1.flops }
                let tokens = Double(recent.reduce(0) { $0 + $1.tokens })
                let eta = (monotonicSeconds() - started) / Double(trainer.step - first) * Double(steps - trainer.step)
                let loss = recent.reduce(0) { $0 + $1.loss } / Float(recent.count)
                let ph = recent.reduce((0.0, 0.0, 0.0, 0.0)) { ($0.0 + $1.phases.data, $0.1 + $1.phases.forward, $0.2 + $1.phases.backward, $0.3 + $1.phases.optimizer) }
                if verbose { print("  time split: data \(fmt(ph.0 / secs * 100, 1)) %, forward \(fmt(ph.1 / secs * 100, 1)) %, backward \(fmt(ph.2 / secs * 100, 1)) %, optimizer \(fmt(ph.3 / secs * 100, 1)) %") }
                print("step \(r.step)/\(steps) | loss \(fmt(Double(loss), 4)) | \(fmt(Double(recent.count) / secs, 2)) it/s | \(fmt(tokens / secs, 0)) tokens/s | \(fmt(flops / secs / 1e9, 1)) GFLOP/s (\(fmt(100 * flops / secs / 1e9 / sgemm, 1)) % of sgemm) | ETA \(fmt(eta, 0)) s")
            }
            if r.step % checkpointEvery == 0 || r.step == steps { try trainer.checkpoint().save(to: ckpt) }
            // The first steps warm caches and allocators; profile the steady state.
            if profile && trainer.step == first + 3 { Profiler.shared.reset(); Profiler.shared.isEnabled = true }
        }
        if profile {
            let total = Profiler.shared.report.reduce(0) { $0 + $1.1 }
            for (label, secs) in Profiler.shared.report.sorted(by: { $0.1 > $1.1 }) {
                print("  \(label): \(fmt(secs * 1000 / Double(max(1, trainer.step - first - 3)), 2)) ms/step (\(fmt(100 * secs / total, 1)) % of profiled)")
            }
        }
    }
}
