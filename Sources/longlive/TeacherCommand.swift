import ArgumentParser
import Foundation
import LongLiveEngine
import LongLiveMedia
import LongLiveTraining
import LongLiveWorld

/// `longlive teacher …`: export, sample and evaluate the bidirectional flow-matching teacher.
struct TeacherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teacher", abstract: "Export, sample and evaluate the many-step teacher model.",
        subcommands: [Export.self, Sample.self, Evaluate.self, Probe.self, WordProbe.self])

    /// Sampling options shared by `sample` and `eval`.
    struct SamplingOptions: ParsableArguments {
        @Option(help: "Teacher file (from `longlive teacher export`).") var teacher = "models/teacher.safetensors"
        @Option(help: "Euler steps.") var steps = 32
        @Option(help: "Classifier-free guidance scale (1 = none).") var guidance: Float = 2
        @Option(help: "Shift of the sampling σ grid.") var shift = 5.0
        @Option(help: "Share of fresh noise per step, 0…1 (0: deterministic Euler; see EulerSampler).") var eta: Float = 0
        @OptionGroup var guidanceShape: GuidanceOptions

        func generator() throws -> TeacherClipGenerator {
            let bundle = try WorldModelBundle.load(teacher)
            return try TeacherClipGenerator(bundle: bundle, sampler: try guidanceShape.apply(to: EulerSampler(steps: steps, guidance: guidance, shift: shift, eta: eta)))
        }
    }

    /// Pixel-codec latents (the world models' space) → frames for a video writer.
    static func frames(_ latents: Tensor) throws -> [VideoFrame] {
        let rgb = try PixelCodecDecoder(codec: EmbeddedModel.codec).decodeChunk(latents)
        let shape = Array(rgb.shape.dropFirst())
        return try (0..<rgb.shape[0]).map { try VideoFrame(tensor: rgb.rows($0..<($0 + 1)).reshaped(shape)) }
    }

    /// Decodes pixel-codec latents `[F, 48, 16, 16]` and writes them as a video file.
    static func write(_ latents: Tensor, to path: String) throws {
        var video = try VideoFile.writer(path: path, width: EmbeddedModel.frameShape[2] * 4, height: EmbeddedModel.frameShape[1] * 4, fps: EmbeddedModel.fps)
        for f in try frames(latents) { try video.append(f) }
        try video.finish()
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a training checkpoint's EMA weights as a teacher file.")
        @Option(help: "Training checkpoint folder.") var checkpoint = "runs/teacher/checkpoint"
        @Option(name: .shortAndLong, help: "Output file.") var output = "models/teacher.safetensors"
        @Flag(help: "Export the raw weights instead of their EMA.") var raw = false
        @Flag(help: "Store matrices as bfloat16 (half the size).") var bf16 = false
        @Option(help: "Provenance note stored in the file (repeatable KEY=VALUE).") var note: [String] = []
        @Option(help: "Also write the raw (non-EMA) weights here, bf16: with the EMA file, what `train teacher --warm-start` continues from.")
        var rawOut: String?
        @OptionGroup var shape: TeacherShapeOptions

        func run() throws {
            let ckpt = try TrainingCheckpoint.load(from: checkpoint)
            // Training-only parameters (the attribute head, `aux.*`) are not part of the model.
            let source = (raw || ckpt.ema.isEmpty ? ckpt.weights : ckpt.ema).filter { $0.key.hasPrefix("dit.") || $0.key.hasPrefix("text.") }
            let config = try TeacherTrainer.config(from: ckpt.state) ?? shape.config()
            // A warm-started run counts its optimiser's steps from the step it started at.
            let step = ckpt.step + (ckpt.state["step_offset"]?.intValue ?? 0)
            let notes = ["step": String(step)].merging(try ProvenanceNotes.parse(note)) { _, given in given }
            let bundle = WorldModelBundle(kind: "teacher", dit: config.dit, words: config.words, tensors: source, notes: notes)
            _ = try bundle.makeModels()  // every tensor present with the right shape before anything is written
            try bundle.write(output, storage: bf16 ? .bfloat16 : .float32)
            if let rawOut {
                try WorldModelBundle(kind: "teacher-raw", dit: config.dit, words: config.words, tensors: ckpt.weights, notes: notes)
                    .write(rawOut, storage: .bfloat16)
                print("wrote \(rawOut): raw weights of step \(step) (bf16)")
            }
            print("wrote \(output): \(raw ? "raw" : "EMA") weights of step \(step), \(source.values.reduce(0) { $0 + $1.count }) parameters")
        }
    }

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sample one clip of a prompt with the teacher (many-step Euler + CFG).")
        @Option(help: "The prompt.") var prompt: String
        @Option(help: "Frames (the teacher was trained on 12).") var frames = 12
        @Option var seed: UInt64 = 0
        @Option(name: .shortAndLong, help: "Video file (.y4m, or a folder for PNG frames).") var output = "teacher.y4m"
        @Option(help: "Video-to-video: start from this 64×64 video's first FRAMES frames instead of pure noise.") var from: String?
        @Option(help: "With --from: the noise level to start at (1 = pure noise, small = keep the layout).") var strength: Float = 0.6
        @Option(help: "Also write the clean-clip estimate the sampler steps towards at every step to this folder (one .y4m per step, named by σ), to see at which noise level a sample goes wrong (deterministic sampling from noise only).")
        var saveEstimates: String?
        @OptionGroup var sampling: SamplingOptions

        func validate() throws {
            if saveEstimates != nil && (from != nil || sampling.eta != 0) {
                throw ValidationError("--save-estimates needs deterministic sampling from noise (no --from, --eta 0)")
            }
        }

        func run() throws {
            let gen = try sampling.generator()
            let started = monotonicSeconds()
            let latents: Tensor
            if let from {
                let video = try VideoFile.read(from).frames
                guard video.count >= frames else { throw LongLiveError("\(from) has \(video.count) frames; --frames asks for \(frames)") }
                let pixels = try Tensor.concatenate(video.prefix(frames).map { f -> Tensor in
                    guard f.width == EmbeddedModel.frameShape[2] * 4, f.height == EmbeddedModel.frameShape[1] * 4 else {
                        throw LongLiveError("\(from) is \(f.width)x\(f.height); the teacher works at \(EmbeddedModel.frameShape[2] * 4)x\(EmbeddedModel.frameShape[1] * 4)")
                    }
                    let t = f.tensor()
                    return t.reshaped([1] + t.shape)
                })
                latents = try gen.latents(prompt: prompt, from: EmbeddedModel.codec.encode(signedFrames: pixels), strength: strength, seed: seed)
            } else if let saveEstimates {
                // An Euler step moves x along v towards x̂0 = x − σ·v, so consecutive states give v and x̂0.
                try FileIO.makeDirectory(saveEstimates)
                var previous: (sigma: Float, x: Tensor)?
                latents = try gen.latents(prompt: prompt, frames: frames, seed: seed) { k, sigma, x in
                    if let (s, xs) = previous {
                        let estimate = Tensor(uninitialized: x.shape) { out in
                            xs.withFloats { a in x.withFloats { b in
                                for i in 0..<out.count { out[i] = a[i] - s * (b[i] - a[i]) / (sigma - s) }
                            } }
                        }
                        try TeacherCommand.write(estimate, to: saveEstimates + "/step\(k - 1)_sigma\(fmt(Double(s), 3)).y4m")
                    }
                    previous = (sigma, x)
                }
            } else {
                latents = try gen.latents(prompt: prompt, frames: frames, seed: seed)
            }
            try TeacherCommand.write(latents, to: output)
            print("wrote \(output): \(frames) frames in \(fmt(monotonicSeconds() - started, 2)) s (\(sampling.steps) steps, guidance \(sampling.guidance))")
        }
    }

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eval",
            abstract: "Sample the first prompt of every script of a suite with the teacher and score the clips.",
            discussion: "Held-out suite: longlive world scripts --split heldout --segments 1 --segment-frames 12 --count 100 --out heldout")
        @Option(help: "Folder of script_NNN.json files.") var suite: String
        @Option(help: "Where the sampled videos go.") var videos = "teacher-videos"
        @Option(help: "Score only the first N scripts.") var limit: Int?
        @Option(help: "Write the JSON report here.") var json: String?
        @Option(help: "Write the markdown report here.") var markdown: String?
        @OptionGroup var sampling: SamplingOptions

        func run() throws {
            let gen = try sampling.generator()
            var names = try FileIO.list(suite).filter { $0.hasPrefix("script_") && $0.hasSuffix(".json") }.sorted()
            if let limit { names = Array(names.prefix(limit)) }
            guard !names.isEmpty else { throw LongLiveError("\(suite) holds no script_NNN.json files; write one with `longlive world scripts`") }
            if !FileIO.isDirectory(videos) { try FileIO.makeDirectory(videos) }
            var reports: [EvalReport] = []
            let started = monotonicSeconds()
            for (i, name) in names.enumerated() {
                let script = try Script.load(suite + "/" + name)
                let latents = try gen.latents(prompt: script.segments[0].prompt, frames: script.frameCount, seed: script.seed)
                let frames = try TeacherCommand.frames(latents)
                let path = videos + "/" + name.dropLast(5) + ".y4m"
                var video = try VideoFile.writer(path: path, width: frames[0].width, height: frames[0].height, fps: script.fps)
                for f in frames { try video.append(f) }
                try video.finish()
                let images = frames.map { RGBImage(width: $0.width, height: $0.height, pixels: $0.rgb) }
                let truth = WorldSimulator(script: script, width: images[0].width, height: images[0].height).render()
                reports.append(VideoEvaluator.evaluate(script: script, frames: images, reference: truth))
                if (i + 1) % 10 == 0 || i + 1 == names.count {
                    print("sampled and scored \(i + 1)/\(names.count) (\(fmt((monotonicSeconds() - started) / Double(i + 1), 2)) s per clip)")
                }
            }
            let report = EvalReport.mean(reports)
            if let json { try FileIO.write(json, bytes: Array((report.json.serialized() + "\n").utf8)) }
            if let markdown { try FileIO.write(markdown, bytes: Array(report.markdown.utf8)) }
            for key in ["adherence", "hard_accuracy", "subject_consistency", "background_consistency", "motion_smoothness", "dynamic_degree", "quality_star"]
                + VideoAnalysis.attributeKinds.map({ "accuracy_\($0)" }) {
                let values = reports.compactMap { $0[key] }
                guard !values.isEmpty else { continue }
                let ci = MeanInterval(values)
                print("\(key): \(fmt(ci.mean, 3)) ± \(fmt(ci.halfWidth, 3)) (95 % CI, n = \(values.count))")
            }
        }
    }
}

extension TeacherCommand {
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Denoising error of the teacher on world clips per noise level (x0 predicted from x_t, relative RMS error).")
        @Option(help: "Teacher file.") var teacher = "models/teacher.safetensors"
        @Option(help: "Clips to average.") var clips = 4
        @Option(help: "Use held-out scenes instead of training ones.") var split = "training"
        @Option(help: "Also write each clip's clean frames and its conditional x0 estimate at every σ to this folder (.y4m), to see where shapes are lost.")
        var save: String?

        func run() throws {
            let bundle = try WorldModelBundle.load(teacher)
            let (model, words) = try bundle.makeModels()
            guard let s = DataSplit(rawValue: split) else { throw ValidationError("--split: all, training or heldout") }
            let data = WorldDataset(split: s)
            print("sigma | x0 error (cond) | x0 error (uncond) | error of x_t itself")
            for sigma: Float in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95] {
                var ec = 0.0, eu = 0.0, en = 0.0
                for i in 0..<clips {
                    let clip = data.clip(seed: 90_000 + UInt64(i), frames: 12)
                    let x0 = try EmbeddedModel.codec.encode(signedFrames: clip.frames)
                    let eps = Philox4x32(seed: UInt64(i)).normalTensor(shape: x0.shape, stream: 1)
                    let xt = FlowMatchSchedule().addNoise(clean: x0, noise: eps, sigma: sigma)
                    let ts = [Float](repeating: sigma * 1000, count: 12)
                    let vc = try model.forward(xt, timesteps: ts, text: model.crossAttentionCache(context: words.encode(clip.prompt)), attention: .bidirectional)
                    let vu = try model.forward(xt, timesteps: ts, text: model.crossAttentionCache(context: Tensor(zeros: [words.config.maxTokens, words.config.dim])), attention: .bidirectional)
                    let x = x0.scalars, noisy = xt.scalars
                    let norm = x.reduce(0.0) { $0 + Double($1) * Double($1) }
                    func err(_ v: Tensor) -> Double {
                        let vs = v.scalars
                        var e = 0.0
                        for j in 0..<x.count { let d = Double(noisy[j] - sigma * vs[j] - x[j]); e += d * d }
                        return (e / norm).squareRoot()
                    }
                    ec += err(vc); eu += err(vu)
                    if let save {
                        try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: true)
                        if sigma == 0.05 { try TeacherCommand.write(x0, to: "\(save)/clip\(i)_clean.y4m") }
                        try TeacherCommand.write(FlowMatchSchedule().predictClean(noisy: xt, flow: vc, sigma: sigma), to: "\(save)/clip\(i)_sigma\(sigma).y4m")
                    }
                    en += (zip(noisy, x).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / norm).squareRoot()
                }
                let c = Double(clips)
                print("\(sigma) | \(fmt(ec / c, 4)) | \(fmt(eu / c, 4)) | \(fmt(en / c, 4))")
            }
        }
    }
}

/// The teacher's shape, for checkpoints written before the configuration was stored in them.
struct TeacherShapeOptions: ParsableArguments {
    @Option(help: "DiT width (old checkpoints only).") var dim: Int = 256
    @Option(help: "DiT blocks (old checkpoints only).") var layers: Int = 6
    @Option(help: "Attention heads (old checkpoints only).") var heads: Int = 4

    /// Such checkpoints all predicted the flow.
    func config() -> TeacherConfig { TeacherConfig.world(dim: dim, layers: layers, heads: heads, prediction: .flow) }
}

/// Mean and normal-approximation 95 % confidence half-width of per-item values.
struct MeanInterval {
    let mean: Double
    let halfWidth: Double

    init(_ values: [Double]) {
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1) : 0
        mean = m
        halfWidth = 1.96 * (variance / n).squareRoot()
    }
}
