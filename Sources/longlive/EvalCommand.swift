import ArgumentParser
import LongLiveMedia
import LongLiveTensor
import LongLiveWorld

/// `longlive eval`: synthetic VBench-style metrics of a video against its interactive script.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a video against its script (consistency, flicker, smoothness, dynamics, prompt adherence, switches, drift).",
        discussion: """
        One video:  longlive eval --video out.y4m --script s.json --json report.json --markdown report.md
        A suite:    longlive eval --suite suite/ [--videos videos/]   (script_007.json ↔ videos/script_007.y4m or videos/script_007/)
        Without --videos the suite is scored on its own simulated videos (--mode gt|reset|keep|ignore|teleport,
        --corrupt noise:5|blur|flicker:4|freeze|ghost:0.5|duplicate:4), which is how the metrics are calibrated.
        """
    )

    @Option(name: .long, help: "Video to score: a .y4m file or a folder of PNG frames.") var video: String?
    @Option(name: .long, help: "Script of the video (JSON or `0s: prompt` timeline).") var script: String?
    @Option(name: .long, help: "Folder of script_NNN.json files (from `longlive world scripts`).") var suite: String?
    @Option(name: .long, help: "Folder of the suite's videos, named like the scripts.") var videos: String?
    @Option(name: .long, help: "Simulated videos for a suite without --videos: gt, reset, keep, ignore, teleport.") var mode = "gt"
    @Option(name: .long, help: "Corruption applied to simulated videos: noise:SIGMA, blur, flicker:A, freeze, ghost:W, duplicate:N.") var corrupt: String?
    @Option(name: .long, help: "Score only the first N scripts of the suite.") var limit: Int?
    @Option(name: .long, help: "Frame size of simulated videos.") var size = 64
    @Option(name: .long, help: "Write the JSON report here.") var json: String?
    @Option(name: .long, help: "Write the markdown report here.") var markdown: String?

    func run() throws {
        let report: EvalReport
        if let suite {
            report = try evaluateSuite(suite)
        } else {
            guard let video, let script else { throw ValidationError("give --video and --script, or --suite") }
            let s = try Script.load(script)
            let (frames, _) = try VideoFile.read(video)
            let images = frames.map { RGBImage(width: $0.width, height: $0.height, pixels: $0.rgb) }
            if images.count < s.frameCount { print("note: the video has \(images.count) frames, the script \(s.frameCount); scoring the frames present") }
            let truth = WorldSimulator(script: s, width: images[0].width, height: images[0].height).render()
            report = VideoEvaluator.evaluate(script: s, frames: images, reference: truth)
        }
        let jsonText = report.json.serialized() + "\n"
        if let json { try FileIO.write(json, bytes: Array(jsonText.utf8)) }
        if let markdown { try FileIO.write(markdown, bytes: Array(report.markdown.utf8)) }
        if json == nil && markdown == nil { print(report.markdown) } else {
            for key in ["adherence", "subject_consistency", "background_consistency", "motion_smoothness", "dynamic_degree", "switch_latency_frames", "quality_star"] {
                print("\(key): \(report[key].map { "\(($0 * 1000).rounded() / 1000)" } ?? "–")")
            }
        }
    }

    func evaluateSuite(_ folder: String) throws -> EvalReport {
        var names = try FileIO.list(folder).filter { $0.hasPrefix("script_") && $0.hasSuffix(".json") }
        if let limit { names = Array(names.prefix(limit)) }
        guard !names.isEmpty else { throw LongLiveError("\(folder) holds no script_NNN.json files; write a suite with `longlive world scripts`") }
        let simMode = try WorldCommand.mode(mode)
        let corruption = try corrupt.map(EvalCommand.corruption)
        var reports: [EvalReport] = []
        for (i, name) in names.enumerated() {
            let s = try Script.load(folder + "/" + name)
            let truth = WorldSimulator(script: s, width: size, height: size).render()
            var frames: [RGBImage]
            if let videos {
                let stem = String(name.dropLast(5))
                let path = FileIO.exists(videos + "/" + stem + ".y4m") ? videos + "/" + stem + ".y4m" : videos + "/" + stem
                frames = try VideoFile.read(path).frames.map { RGBImage(width: $0.width, height: $0.height, pixels: $0.rgb) }
            } else {
                frames = simMode == .groundTruth ? truth : WorldSimulator(script: s, mode: simMode, width: size, height: size).render()
            }
            if let c = corruption { frames = c.apply(frames, seed: s.seed) }
            let ref = frames[0].width == size && frames[0].height == size ? truth : WorldSimulator(script: s, width: frames[0].width, height: frames[0].height).render()
            reports.append(VideoEvaluator.evaluate(script: s, frames: frames, reference: ref))
            if (i + 1) % 20 == 0 { print("scored \(i + 1)/\(names.count)") }
        }
        return EvalReport.mean(reports)
    }

    static func corruption(_ spec: String) throws -> Corruption {
        let parts = spec.split(separator: ":")
        let arg = parts.count > 1 ? Double(parts[1]) : nil
        switch parts.first.map(String.init) {
        case "noise": return .noise(sigma: arg ?? 5)
        case "blur": return .blur(passes: Int(arg ?? 1))
        case "flicker": return .flicker(amount: arg ?? 4)
        case "freeze": return .freeze
        case "ghost": return .ghost(weight: arg ?? 0.5)
        case "duplicate": return .duplicate(every: Int(arg ?? 4))
        default: throw ValidationError("unknown corruption '\(spec)'; use noise:SIGMA, blur, flicker:A, freeze, ghost:W or duplicate:N")
        }
    }
}
