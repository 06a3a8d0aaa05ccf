import ArgumentParser
import LongLiveEngine
import LongLiveTraining
#if canImport(Glibc)
import Glibc
#endif

/// `longlive train ode`: teacher trajectories, then ODE-init regression of the causal student.
struct TrainODECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ode",
        abstract: "ODE initialisation of the causal student: sample teacher trajectories, regress the student onto their clean ends.",
        discussion: "Trajectories go to --trajectories (resumable, shard by shard); checkpoints to OUT/checkpoint; the student to OUT/student.safetensors.")

    @Option(help: "Teacher file.") var teacher = "models/teacher.safetensors"
    @Option(help: "Folder of teacher trajectories (generated when missing).") var trajectories = "runs/ode-trajectories"
    @Option(help: "Trajectories to sample.") var count = 400
    @Option(help: "Euler steps per trajectory (a multiple of 4).") var samplerSteps = 32
    @Option(help: "Teacher guidance scale.") var guidance: Float = 2
    @OptionGroup var guidanceShape: GuidanceOptions
    @Option(help: "Output folder.") var out = "runs/ode"
    @Option(help: "Regression steps.") var steps = 2000
    @Option(help: "Peak learning rate.") var lr: Float = 1e-4
    @Option(help: "Steps between checkpoints.") var checkpointEvery = 250
    @Option(help: "Probability that a clip's first chunks are clean (t = 0) context, as the KV cache holds at inference (0: noisy context only, as Self-Forcing).") var cleanContext: Float = 0.75
    @Flag(help: "Continue from OUT/checkpoint.") var resume = false
    @Option var seed: UInt64 = 0

    func validate() throws {
        guard (0...1).contains(cleanContext) else { throw ValidationError("--clean-context is a probability in 0...1, got \(cleanContext)") }
    }

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        let bundle = try WorldModelBundle.load(teacher)
        let generator = try TeacherClipGenerator(bundle: bundle, sampler: try guidanceShape.apply(to: EulerSampler(steps: samplerSteps, guidance: guidance)))
        let started = monotonicSeconds()
        try ODETrajectories.generate(teacher: generator, count: count, frames: 12, levels: 4, folder: trajectories, seed: seed &+ 500_000) { done in
            if done % 10 == 0 || done == count {
                print("trajectories \(done)/\(count) (\(fmt(monotonicSeconds() - started, 0)) s)")
            }
        }
        var config = ODEInitConfig()
        config.learningRate = lr; config.seed = seed; config.cleanContextProbability = cleanContext
        let ckpt = out + "/checkpoint"
        let trainer = try ODEInitTrainer(teacher: bundle, trajectories: try ODETrajectories.load(folder: trajectories), config: config,
                                         resume: resume ? TrainingCheckpoint.load(from: ckpt) : nil)
        var recent: [Float] = []
        let t0 = monotonicSeconds(), first = trainer.step
        while trainer.step < steps {
            recent.append(try trainer.trainStep())
            if recent.count > 50 { recent.removeFirst() }
            if trainer.step % 25 == 0 || trainer.step == steps {
                let rate = Double(trainer.step - first) / (monotonicSeconds() - t0)
                print("ode step \(trainer.step)/\(steps) | x0 loss \(fmt(Double(recent.reduce(0, +) / Float(recent.count)), 5)) | \(fmt(rate, 2)) it/s | ETA \(fmt(Double(steps - trainer.step) / rate, 0)) s")
            }
            if trainer.step % checkpointEvery == 0 || trainer.step == steps {
                try trainer.checkpoint().save(to: ckpt)
                try trainer.bundle().write(out + "/student.safetensors")
            }
        }
    }
}

/// `longlive train dmd`: Self-Forcing DMD of the ODE-initialised student against the teacher.
struct TrainDMDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmd",
        abstract: "Self-Forcing DMD: the student rolls out with its KV cache; teacher and critic scores train it.",
        discussion: "Checkpoints go to OUT/checkpoint/{generator,critic}; the student (EMA) to OUT/student.safetensors.")

    @Option(help: "Teacher file.") var teacher = "models/teacher.safetensors"
    @Option(help: "ODE-initialised student.") var student = "runs/ode/student.safetensors"
    @Option(help: "Output folder.") var out = "runs/dmd"
    @Option(help: "Steps (critic updates; the generator every --generator-every).") var steps = 1000
    // Training defaults come from the library's config, so the CLI and the library cannot drift apart.
    @Option(help: "Generator learning rate.") var generatorLR = SelfForcingConfig().generatorLearningRate
    @Option(help: "Critic learning rate.") var criticLR = SelfForcingConfig().criticLearningRate
    @Option(help: "Generator update every N steps.") var generatorEvery = SelfForcingConfig().generatorEvery
    @Option(help: "Teacher guidance scale of the real score (the committed teacher's plateau is 1.5–3).") var guidance = SelfForcingConfig().guidance
    @Option(help: "Steps between checkpoints.") var checkpointEvery = 100
    @Flag(help: "Continue from OUT/checkpoint.") var resume = false
    @Option var seed: UInt64 = 0

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        var config = SelfForcingConfig()
        config.generatorLearningRate = generatorLR; config.criticLearningRate = criticLR
        config.generatorEvery = generatorEvery; config.guidance = guidance; config.seed = seed
        let ckpt = out + "/checkpoint"
        let trainer = try SelfForcingTrainer(teacher: try WorldModelBundle.load(teacher), student: try WorldModelBundle.load(student),
                                             config: config, resume: resume ? SelfForcingTrainer.load(from: ckpt) : nil)
        var critic: [Float] = [], gen: [Float] = []
        let t0 = monotonicSeconds(), first = trainer.step
        while trainer.step < steps {
            let r = try trainer.trainStep()
            critic.append(r.criticLoss); if critic.count > 50 { critic.removeFirst() }
            if let g = r.generatorLoss { gen.append(g); if gen.count > 10 { gen.removeFirst() } }
            if r.step % 10 == 0 || r.step == steps {
                let rate = Double(trainer.step - first) / (monotonicSeconds() - t0)
                let gl = gen.isEmpty ? "–" : fmt(Double(gen.reduce(0, +) / Float(gen.count)), 5)
                print("dmd step \(r.step)/\(steps) | critic flow loss \(fmt(Double(critic.reduce(0, +) / Float(critic.count)), 4)) | generator DMD loss \(gl) | \(fmt(rate, 2)) it/s | ETA \(fmt(Double(steps - trainer.step) / rate, 0)) s")
            }
            if r.step % checkpointEvery == 0 || r.step == steps {
                try trainer.save(to: ckpt)
                try trainer.bundle(useEMA: true).write(out + "/student.safetensors")
            }
        }
    }
}

/// `longlive train long`: streaming long tuning with prompt switches and re-cache (LongLive Algorithm 1).
struct TrainLongCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "long",
        abstract: "Streaming long tuning: sequences continue from their KV cache, one prompt switch with re-cache each; LoRA or full.",
        discussion: "Checkpoints (between sequences) go to OUT/checkpoint; the merged student to OUT/student.safetensors and the adapter to OUT/lora.safetensors.")

    @Option(help: "Teacher file.") var teacher = "models/teacher.safetensors"
    @Option(help: "Short-tuned student (from `train dmd`).") var student = "runs/dmd/student.safetensors"
    @Option(help: "Output folder.") var out = "runs/long"
    @Option(help: "Steps (one call of a sequence each).") var steps = 1000
    @Option(help: "Longest sequence (frames).") var maxFrames = LongTuningConfig().maxFrames
    @Option(help: "LoRA rank (0: full fine-tuning).") var loraRank = LongTuningConfig().loraRank ?? 0
    @Option(help: "LoRA alpha.") var loraAlpha = LongTuningConfig().loraAlpha
    @Option(help: "Generator learning rate.") var generatorLR = LongTuningConfig().generatorLearningRate
    @Option(help: "Critic learning rate.") var criticLR = LongTuningConfig().criticLearningRate
    @Option(help: "Generator update every N steps.") var generatorEvery = LongTuningConfig().generatorEvery
    @Option(help: "Teacher guidance scale of the real score (the committed teacher's plateau is 1.5–3).") var guidance = LongTuningConfig().guidance
    @Option(help: "Steps between checkpoints (taken at the next sequence boundary).") var checkpointEvery = 100
    @Flag(help: "Continue from OUT/checkpoint.") var resume = false
    @Option var seed: UInt64 = 0

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        var config = LongTuningConfig()
        config.maxFrames = maxFrames; config.loraRank = loraRank > 0 ? loraRank : nil; config.loraAlpha = loraAlpha
        config.generatorLearningRate = generatorLR; config.criticLearningRate = criticLR; config.generatorEvery = generatorEvery; config.guidance = guidance; config.seed = seed
        let ckpt = out + "/checkpoint"
        let tuner = try StreamingLongTuner(teacher: try WorldModelBundle.load(teacher), student: try WorldModelBundle.load(student),
                                           config: config, resume: resume ? StreamingLongTuner.load(from: ckpt) : nil)
        var critic: [Float] = [], gen: [Float] = []
        let t0 = monotonicSeconds(), first = tuner.step
        var lastSave = tuner.step
        func save() throws {
            try tuner.save(to: ckpt)
            try tuner.bundle().write(out + "/student.safetensors")
            if let a = tuner.adapter() { try SafeTensors.write(out + "/lora.safetensors", tensors: a, metadata: ["format": "peft-lora"]) }
            lastSave = tuner.step
        }
        while tuner.step < steps || !tuner.atSequenceBoundary {
            let r = try tuner.trainStep()
            critic.append(r.criticLoss); if critic.count > 50 { critic.removeFirst() }
            if let g = r.generatorLoss { gen.append(g); if gen.count > 10 { gen.removeFirst() } }
            if r.step % 10 == 0 {
                let rate = Double(tuner.step - first) / (monotonicSeconds() - t0)
                let gl = gen.isEmpty ? "–" : fmt(Double(gen.reduce(0, +) / Float(gen.count)), 5)
                print("long step \(r.step)/\(steps) | sequence \(r.sequence) frames \(r.startFrame)..<\(r.startFrame + r.frames)\(r.switched ? " (switch)" : "") | critic \(fmt(Double(critic.reduce(0, +) / Float(critic.count)), 4)) | DMD \(gl) | \(fmt(rate, 2)) it/s")
            }
            if tuner.atSequenceBoundary && tuner.step - lastSave >= checkpointEvery { try save() }
        }
        try save()
    }
}
