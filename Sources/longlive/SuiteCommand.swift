import ArgumentParser
import LongLiveEngine
import LongLiveMedia
import LongLiveWorld
#if canImport(Glibc)
import Glibc
#endif

/// `longlive suite`: generate every script of an evaluation suite with the embedded model (loaded once)
/// and score it — the ablations of `docs/results.md` are runs of this command with different settings.
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Generate a suite's scripts with the embedded (or a given) world model and score them with the world metrics.",
        discussion: """
        longlive world scripts --count 160 --segments 6 --segment-frames 24 --seed 1 --out suite
        longlive suite --suite suite --videos runs/recache --switch-policy recache --json recache.json
        Prints the mean and a 95 % confidence interval over scripts of each metric, overall and per segment.
        """)

    @Option(help: "Folder of script_NNN.json files.") var suite: String
    @Option(help: "Where the videos go (kept for inspection); omit to score without writing them.") var videos: String?
    @Option(help: "World-model file (default: the embedded model).") var model: String?
    @Option(help: "Switch policy: recache, keep or reset.") var switchPolicy = "recache"
    @Option(help: "Attention window in latent frames (sink included).") var window = 12
    @Option(help: "Frame-sink frames (0: none).") var sink = 3
    @Flag(inversion: .prefixedNo, help: "Keep the first prompt's sink across re-caches (LongLive v1 default); --no-global-sink re-caches it too.")
    var globalSink = true
    @Option(help: "Share of the noise common to all frames of a video, 0…1 (0: independent frames).") var frameNoiseShare: Float = 0
    @Option(help: "Score only the first N scripts.") var limit: Int?
    @Option(help: "Write the mean report (JSON) here.") var json: String?

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        let (dit, encoder) = try model.map { try EmbeddedModel.load(bundle: $0) } ?? EmbeddedModel.load()
        var settings = GenerationSettings()
        settings.windowFrames = window; settings.sinkFrames = sink; settings.globalSink = globalSink
        guard let policy = SwitchPolicy(rawValue: switchPolicy) else { throw ValidationError("--switch-policy must be recache, keep or reset") }
        settings.switchPolicy = policy
        settings.frameNoiseShare = frameNoiseShare
        try settings.validate()
        var names = try FileIO.list(suite).filter { $0.hasPrefix("script_") && $0.hasSuffix(".json") }.sorted()
        if let limit { names = Array(names.prefix(limit)) }
        guard !names.isEmpty else { throw LongLiveError("\(suite) holds no script_NNN.json files; write a suite with `longlive world scripts`") }
        if let videos, !FileIO.isDirectory(videos) { try FileIO.makeDirectory(videos) }
        var reports: [EvalReport] = []
        var chunkSeconds: [Double] = []
        let started = monotonicSeconds()
        for (i, name) in names.enumerated() {
            let script = try Script.load(suite + "/" + name)
            guard script.segments.allSatisfy({ $0.frames % settings.chunkFrames == 0 }) else {
                throw LongLiveError("\(name): segment lengths must be multiples of the \(settings.chunkFrames)-frame chunk; write the suite with --segment-frames 24 (or another multiple)")
            }
            let generator = try StreamingGenerator(model: dit, settings: settings, frameShape: EmbeddedModel.frameShape, noise: SeededNoise(seed: script.seed, frameShare: settings.frameNoiseShare))
            let ids = try script.segments.map { try generator.addPrompt(embedding: encoder.encode($0.prompt)) }
            var frames: [RGBImage] = []
            var sink: (any FrameSink)?
            if let videos { sink = try VideoFile.writer(path: videos + "/" + name.dropLast(5) + ".y4m", width: 64, height: 64, fps: script.fps) }
            var frame = 0
            while frame < script.frameCount {
                let chunk = try generator.nextChunk(prompt: ids[script.segmentIndex(at: frame)])
                chunkSeconds.append(chunk.seconds)
                for vf in try TeacherCommand.frames(chunk.latents) {
                    try sink?.append(vf)
                    frames.append(RGBImage(width: vf.width, height: vf.height, pixels: vf.rgb))
                }
                frame += chunk.latents.shape[0]
            }
            try sink?.finish()
            let truth = WorldSimulator(script: script, width: 64, height: 64).render()
            reports.append(VideoEvaluator.evaluate(script: script, frames: frames, reference: truth))
            if (i + 1) % 10 == 0 || i + 1 == names.count {
                print("generated and scored \(i + 1)/\(names.count) (\(fmt(monotonicSeconds() - started, 0)) s)")
            }
        }
        let report = EvalReport.mean(reports)
        if let json { try FileIO.write(json, bytes: Array((report.json.serialized() + "\n").utf8)) }
        print("settings: switch \(switchPolicy), window \(window), sink \(sink)\(globalSink ? "" : " (re-cached at switches)"), frame noise share \(fmt(Double(frameNoiseShare), 2)); \(reports.count) scripts; chunk median \(fmt(median(chunkSeconds), 3)) s")
        let keys = ["adherence", "adherence_steady", "subject_consistency", "background_consistency", "subject_consistency_cross_switch",
                    "background_consistency_cross_switch", "switch_latency_frames", "motion_smoothness", "dynamic_degree", "quality_star",
                    "accuracy_shape", "accuracy_color", "accuracy_size", "accuracy_motion", "accuracy_count"]
        for key in keys {
            let values = reports.compactMap { $0[key] }
            guard !values.isEmpty else { continue }
            let ci = MeanInterval(values)
            print("\(key): \(fmt(ci.mean, 3)) ± \(fmt(ci.halfWidth, 3))")
        }
        let segments = reports.map(\.segments.count).min() ?? 0
        for k in 0..<segments {
            let parts = ["adherence", "subject_consistency", "background_consistency"].map { key -> String in
                let values = reports.compactMap { $0.segment(k, key) }
                guard !values.isEmpty else { return "\(key) –" }
                let ci = MeanInterval(values)
                return "\(key) \(fmt(ci.mean, 3)) ± \(fmt(ci.halfWidth, 3)) (n \(values.count))"
            }
            print("segment \(k + 1): " + parts.joined(separator: " | "))
        }
    }

    func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s[s.count / 2]
    }
}
