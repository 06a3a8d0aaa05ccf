import ArgumentParser
import LongLiveCUDA
import LongLiveEngine
import LongLiveMedia

/// `longlive generate`: a video (or its latents) from a prompt timeline, streamed chunk by chunk.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a long video from a prompt or a prompt timeline.",
        discussion: """
        Without --weights the embedded model runs (64×64). Prompts: --prompt TEXT, or --prompts FILE \
        (a timeline `0s: …` / `10s: …`, the reference's JSONL `{"prompts": [...]}` with --switch-frames, \
        or plain text, one prompt per line, with --switch-frames), or --prompt-embeddings FILE \
        (safetensors prompt_000, prompt_001, … already encoded) with --switch-frames.
        Output: .safetensors writes the latents [1, F, C, H, W]; video: .y4m, .png (animated PNG), .mp4 (through \
        ffmpeg; without it a .y4m is written instead, with a message) or a folder (PNG frames). Video is written \
        frame by frame: a killed run leaves a playable file with every finished frame.
        """)

    @Option(help: "Wan2.1-T2V folder (config.json, DiT safetensors, Wan2.1_VAE.pth, umT5 and its tokenizer).")
    var model: String?
    @Option(help: "LongLive folder (models/longlive_base.pt + models/lora.pt): its generator replaces the Wan DiT.")
    var longlive: String?
    @Option(help: "DiT weights: .safetensors file or folder, or a .pt/.pth checkpoint (Wan2.1 names). Default: the embedded model.")
    var weights: String?
    @Option(help: "Dict inside a .pt DiT checkpoint (default generator, then model).")
    var weightsDict: String?
    @Option(help: "LoRA adapter (.pt with generator_lora, or PEFT safetensors) merged into the DiT at load.")
    var lora: String?
    @Option(help: "LoRA scale numerator α (default: stored α, else the rank: scale 1).")
    var loraAlpha: Float?
    @Option(help: "config.json of the weights (default: detected from the tensor shapes).")
    var config: String?
    @Option(help: "Weights in memory: f32 (widened once at load, fastest) or stored (bf16/f16 stay 16-bit, half the memory, widened per use).")
    var weightsPrecision: String = "f32"
    @Option(help: "Quantise the DiT's block linears in memory after loading: w8a16-q8_0 or w8a16-channel (a checkpoint from `longlive quantize` loads quantised without this).")
    var quantize: String?
    @Option(help: "Int8 linear kernel: int8 (activations quantised per block, VNNI) or sgemm (weights dequantised per tile, exact W8A16).")
    var int8Kernel: String?
    @Option(help: "Prompt text (a single-prompt video).")
    var prompt: String?
    @Option(help: "Prompt file: a timeline (`0s: …`), JSONL (`{\"prompts\": [...]}`) or one prompt per line.")
    var prompts: String?
    @Option(help: "Which line of a JSONL prompt file (0-based).")
    var promptLine: Int = 0
    @Option(help: "Already-encoded prompts (safetensors prompt_000, prompt_001, …), bypassing the text encoder.")
    var promptEmbeddings: String?
    @Option(help: "Latent frames where each later prompt is requested to start, e.g. 40,80 (applied at the next chunk boundary).")
    var switchFrames: String?
    @Option(help: "Latent frames to generate (a multiple of --chunk).")
    var frames: Int?
    @Option(help: "Seconds of video to generate (rounded up to whole chunks).")
    var seconds: Double?
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Latent frames per chunk.") var chunk: Int = 3
    @Option(help: "Attention window in latent frames, sink included (LongLive: 12).") var window: Int = 12
    @Option(help: "Sink frames (LongLive: 3).") var sink: Int = 3
    @Flag(inversion: .prefixedNo, help: "Keep the first prompt's sink across re-caches (LongLive v1 default).")
    var globalSink = true
    @Option(help: "What a prompt switch does to the KV cache: recache, keep or reset.")
    var switchPolicy: String = "recache"
    @Option(help: "Nominal denoising steps, e.g. 1000,750,500,250.") var steps: String = "1000,750,500,250"
    @Option(help: "Timestep shift of the flow-matching schedule.") var shift: Double = 5.0
    @Option(help: "Share of the noise common to all frames of the video, 0…1 (0: independent frames, as the reference; see docs/results.md).") var frameNoiseShare: Float = 0
    @Option(help: "Latent size HxW for weights with the Wan VAE layout (default 60x104 = 832×480 px).")
    var latentSize: String?
    @Option(help: "Wan VAE weights (Wan2.1_VAE.pth or safetensors) to decode the latents to video.")
    var vae: String?
    @Option(help: "umT5-XXL encoder weights (models_t5_umt5-xxl-enc-bf16.pth or safetensors).")
    var t5: String?
    @Option(help: "umT5 tokenizer: tokenizer.json, spiece.model or their folder.")
    var tokenizer: String?
    @Option(help: "Recorded noise (safetensors noise_000, noise_001, …) consumed in the reference's order, instead of --seed.")
    var replayNoise: String?
    @Option(name: .shortAndLong, help: "Output: file.safetensors (latents), file.y4m, file.png (APNG), file.mp4 (ffmpeg), or folder/ (PNG frames).")
    var output: String = "longlive.y4m"
    @Option(help: "Compute device: cpu, or cuda (needs an NVIDIA GPU; see `longlive info`).")
    var device: String = "cpu"

    func run() throws {
        // Before any loading, so a missing GPU is reported at once rather than after minutes of work.
        try CUDABackend.validate(device: device)
        try generate()
    }

    func parseList(_ s: String, _ what: String) throws -> [Int] {
        try s.split(separator: ",").map { part in
            guard let v = Int(String(part).trimmed(" ")) else { throw LongLiveError("\(what): \"\(part)\" is not a whole number (expected e.g. 40,80)") }
            return v
        }
    }

    func generate() throws {
        // Model and prompt encoder.
        var overrides = ModelFiles()
        overrides.dit = weights
        overrides.ditDict = weightsDict
        overrides.config = config
        overrides.lora = lora
        overrides.vae = vae
        overrides.t5 = t5
        overrides.tokenizer = tokenizer
        let files = try ModelFiles.resolve(model: self.model, longlive: longlive, overrides: overrides)
        // The embedded model's own weights in a file (e.g. quantised by `longlive quantize`).
        let embeddedFile = files.dit.flatMap { EmbeddedModel.isEmbeddedModelFile($0) ? $0 : nil }
        // A world-model file (a trained student or teacher, `train …` / `convert`) carries its own
        // word encoder and runs at the embedded model's shapes.
        let bundleFile = files.dit.flatMap { WorldModelBundle.isBundle($0) ? $0 : nil }
        let embedded = files.dit == nil || embeddedFile != nil || bundleFile != nil
        if let k = int8Kernel { QuantizedKernel.current = try QuantizedKernel.parse(k) }
        let scheme = try quantize.map(QuantScheme.parse)
        guard let residency = ["f32": WanWeights.Residency.float32, "stored": .asStored][weightsPrecision] else {
            throw LongLiveError("--weights-precision \(weightsPrecision) is not f32 or stored")
        }
        var model: WanTransformer!
        var encoder: PromptEncoder?
        if let bundleFile {
            let loaded = try EmbeddedModel.load(bundle: bundleFile)
            model = loaded.model
            encoder = loaded.encoder
        } else if embedded {
            let loaded = try EmbeddedModel.load(source: embeddedFile.map { try CheckpointTensors.open(path: $0) })
            model = loaded.model
            encoder = loaded.encoder
        } else if promptEmbeddings == nil {
            // The text encoder runs before the DiT is loaded and is released after the prompts are
            // encoded, so its 11 GB never share memory with the DiT.
            encoder = try files.loadTextEncoder()
        }
        let clock = embedded ? EmbeddedModel.clock : TimelineClock.wan

        // Settings.
        var settings = GenerationSettings()
        settings.chunkFrames = chunk
        settings.windowFrames = window
        settings.sinkFrames = sink
        settings.globalSink = globalSink
        guard let policy = SwitchPolicy(rawValue: switchPolicy) else {
            throw LongLiveError("--switch-policy \(switchPolicy) is not one of recache, keep, reset")
        }
        settings.switchPolicy = policy
        settings.denoisingSteps = try parseList(steps, "--steps")
        settings.timestepShift = shift
        settings.frameNoiseShare = frameNoiseShare
        try settings.validate()

        // Noise and the latent frame shape.
        let noise: NoiseSource
        var frameShape: [Int]
        if let r = replayNoise {
            // Recorded noise is replayed as it was drawn; a share would be silently ignored.
            guard frameNoiseShare == 0 else {
                throw LongLiveError("--replay-noise replays the recorded noise as it is, so --frame-noise-share \(frameNoiseShare) would have no effect; drop one of the two")
            }
            let replay = try ReplayNoise(path: r)
            noise = replay
            frameShape = replay.frameShape
        } else {
            noise = SeededNoise(seed: seed, frameShare: settings.frameNoiseShare)
            if embedded {
                frameShape = EmbeddedModel.frameShape
            } else {
                let hw = try parseList((latentSize ?? "60x104").replacingX(), "--latent-size")
                guard hw.count == 2 else { throw LongLiveError("--latent-size must be HxW, e.g. 60x104") }
                frameShape = [0] + hw  // channels known once the DiT is loaded (after the text encoder)
            }
        }

        // Prompts.
        let switches = try switchFrames.map { try parseList($0, "--switch-frames") }
        let timeline: PromptTimeline
        var embeddings: [Tensor]?
        if let pe = promptEmbeddings {
            let list = try PromptEmbeddingFile.load(path: pe)
            embeddings = list
            timeline = try PromptTimeline(prompts: list.indices.map { "prompt_\($0)" }, switchFrames: switches ?? [])
        } else if let file = prompts {
            timeline = try PromptFile.load(path: file, switchFrames: switches, line: promptLine, clock: clock)
        } else if let text = prompt {
            if let s = switches, !s.isEmpty { throw LongLiveError("--switch-frames needs several prompts; use --prompts FILE") }
            timeline = try PromptTimeline(prompts: [text], switchFrames: [])
        } else {
            throw LongLiveError("no prompt: give --prompt TEXT, --prompts FILE or --prompt-embeddings FILE")
        }
        if embeddings == nil && encoder == nil {
            throw LongLiveError("no text encoder for these weights: give --model DIR with models_t5_umt5-xxl-enc-bf16.pth and google/umt5-xxl/, or --t5 FILE --tokenizer PATH, or already-encoded prompts with --prompt-embeddings FILE")
        }
        if embeddings == nil, !embedded, let encoder {
            let progress = Progress(total: 1, chunk: 1, pixelFramesPerLatent: 1)
            let t0 = monotonicSeconds()
            embeddings = try timeline.segments.map { try encoder.encode($0.prompt) }
            (encoder as? UMT5TextEncoder)?.releaseEncoder()
            progress.note("encoded \(timeline.segments.count) prompt(s) with umT5 in \(fmt(monotonicSeconds() - t0, 1)) s")
        }
        if model == nil { model = try files.loadTransformer(residency: residency, loraAlpha: loraAlpha) }
        if let scheme { model = try WanTransformer(config: model.config, weights: model.weights.quantized(scheme)) }
        if frameShape[0] == 0 { frameShape[0] = model.config.inDim }

        // Length.
        var total: Int
        if let f = frames {
            total = f
        } else if let s = seconds {
            guard s > 0 else { throw LongLiveError("--seconds must be positive") }
            total = max(1, clock.latentFrame(seconds: s))
            total = (total + chunk - 1) / chunk * chunk
        } else if let r = noise as? ReplayNoise {
            total = r.frames
        } else {
            total = embedded ? 96 : 21
        }
        guard total > 0, total % chunk == 0 else {
            throw LongLiveError("--frames \(total) is not a multiple of the chunk (\(chunk)); use \(max(chunk, total / chunk * chunk)) or \((total / chunk + 1) * chunk)")
        }
        try timeline.validate(totalFrames: total, chunkFrames: chunk)

        // Output.
        var decoder: LatentDecoder?
        if embedded {
            decoder = PixelCodecDecoder(codec: EmbeddedModel.codec)
        } else {
            decoder = try files.loadVAEDecoder()
        }
        let out = try OutputTarget(path: output, decoder: decoder, fps: embedded ? EmbeddedModel.fps : 16)
        let written = out.path

        let generator = try StreamingGenerator(model: model, settings: settings, frameShape: frameShape, noise: noise)
        var promptIndex: [Int] = []
        for (i, segment) in timeline.segments.enumerated() {
            let e = try embeddings?[i] ?? encoder!.encode(segment.prompt)
            promptIndex.append(try generator.addPrompt(embedding: e))
        }

        let stop = InterruptFlag.install()
        let progress = Progress(total: total, chunk: chunk, pixelFramesPerLatent: embedded ? 1 : 4)
        if let note = out.note { progress.note(note) }
        progress.note("model: \(embedded ? "embedded\(EmbeddedModel.isTrained ? "" : " (random weights: no trained model is built in yet)")" : files.dit! + (files.lora.map { " + LoRA " + $0 } ?? "")) — \(model.config)")
        if let q = model.weights.blocks.first?.ffn0.quantized {
            progress.note("int8 block linears: \(q.scheme.rawValue), kernel \(QuantizedKernel.current.rawValue)\(embeddedFile.map { " (from " + $0 + ")" } ?? "")")
        }
        progress.note("\(total) latent frames in \(total / chunk) chunks, window \(window), sink \(sink), \(policy.rawValue), seed \(replayNoise == nil ? "\(seed)" : "replayed noise") → \(written)")
        var latents: [Tensor] = []
        var segment = -1
        var interrupted = false
        while generator.nextFrame < total {
            if stop.isSet { interrupted = true; break }
            let s = timeline.segmentIndex(forChunkStartingAt: generator.nextFrame, chunkFrames: chunk)
            if s != segment {
                segment = s
                progress.note("frame \(generator.nextFrame): prompt \(s + 1)/\(timeline.segments.count): \(timeline.segments[s].prompt)")
                progress.prompt = timeline.segments[s].prompt
            }
            let c = try generator.nextChunk(prompt: promptIndex[s])
            if out.isLatents { latents.append(c.latents) }  // video outputs stream; memory stays flat
            try out.append(c.latents)
            progress.chunkDone(frames: generator.nextFrame, seconds: c.seconds)
        }
        let metadata: [String: String] = [
            "longlive": "latents [1, frames, C, H, W] from longlive generate",
            "seed": replayNoise == nil ? "\(seed)" : "replay:\(replayNoise!)",
            "settings": "chunk \(chunk), window \(window), sink \(sink), global_sink \(globalSink), policy \(policy.rawValue), steps \(steps), shift \(shift)",
            "prompts": JSONValue.array(timeline.segments.map { .string($0.prompt) }).serialized(),
            "switch_frames": JSONValue.array(timeline.switchFrames.map { .number(Double($0)) }).serialized(),
            "complete": interrupted ? "false" : "true",
        ]
        try out.finish(latents: latents, metadata: metadata)
        progress.finish(interrupted: interrupted, frames: generator.nextFrame, output: written)
    }
}

extension String {
    /// "60x104" → "60,104" for the list parser.
    func replacingX() -> String { String(map { $0 == "x" || $0 == "X" ? "," : $0 }) }

    func trimmed(_ set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
