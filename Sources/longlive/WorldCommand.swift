import ArgumentParser
import LongLiveMedia
import LongLiveTensor
import LongLiveWorld

/// `longlive world`: the procedural world that trains and judges the embedded model.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world",
        abstract: "Render ground-truth videos of scripts, write evaluation suites, check the parser and time the data API.",
        subcommands: [Render.self, Scripts.self, CheckParser.self, Bench.self]
    )

    /// `longlive world render`: the ground-truth video of an interactive script.
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Render a script (JSON or `0s: prompt` timeline) to a .y4m file or a PNG folder.")

        @Option(name: .long, help: "Script file: JSON ({\"prompts\": [...], \"segment_frames\": [...]}) or timeline lines `4s: prompt`.")
        var script: String
        @Option(name: .long, help: "Output: a path ending in .y4m, or a folder for PNG frames.")
        var out: String
        @Option(name: .long, help: "Frame width.") var width = 64
        @Option(name: .long, help: "Frame height.") var height = 64
        @Option(name: .long, help: "Frames per second for timeline scripts (JSON scripts carry their own).") var fps = 16
        @Option(name: .long, help: "Seed for timeline scripts: fixes positions, shades and phases the prompts leave open.") var seed: UInt64 = 0
        @Option(name: .long, help: "Simulation: gt (ground truth), reset (scene restarts at switches), keep (switches apply half a segment late), ignore (switches never apply).")
        var mode = "gt"

        func run() throws {
            let s = try Script.load(script, fps: fps, seed: seed)
            let sim = WorldSimulator(script: s, mode: try WorldCommand.mode(mode), width: width, height: height)
            var sink = try VideoFile.writer(path: out, width: width, height: height, fps: s.fps)
            var r = Renderer(width: width, height: height)
            for t in 0..<sim.frameCount {
                let img = r.render(sim.state(at: t))
                try sink.append(VideoFrame(width: width, height: height, rgb: img.pixels))
            }
            try sink.finish()
            print("wrote \(sim.frameCount) frames (\(s.segments.count) prompts, \(s.fps) fps) to \(out)")
        }
    }

    /// `longlive world scripts`: an evaluation suite of interactive scripts.
    struct Scripts: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an evaluation suite: COUNT scripts of SEGMENTS prompts each, one JSON per script.")

        @Option(name: .long, help: "Number of scripts.") var count = 160
        @Option(name: .long, help: "Prompts per script.") var segments = 6
        @Option(name: .long, help: "Frames per prompt.") var segmentFrames = 96
        @Option(name: .long, help: "Frames per second.") var fps = 16
        @Option(name: .long, help: "Seed of the first script; script i uses seed+i.") var seed: UInt64 = 1
        @Option(name: .long, help: "Output folder.") var out = "suite"
        @Option(name: .long, help: "Scenes: all, training (no held-out subject) or heldout (the first scene has a held-out colour+shape subject).")
        var split = "all"

        func run() throws {
            guard let split = DataSplit(rawValue: split) else { throw ValidationError("--split must be all, training or heldout, not \(self.split)") }
            if !FileIO.isDirectory(out) { try makeFolder(out) }
            let suite = ScriptGenerator.suite(count: count, segments: segments, segmentFrames: segmentFrames, fps: fps, seed: seed, split: split)
            for (i, s) in suite.enumerated() {
                try FileIO.write(out + "/" + WorldCommand.scriptName(i), bytes: Array((s.json.serialized() + "\n").utf8))
            }
            print("wrote \(suite.count) scripts of \(segments) prompts × \(segmentFrames) frames to \(out)/")
        }
    }

    static func scriptName(_ i: Int) -> String {
        let d = String(i)
        return "script_" + String(repeating: "0", count: max(0, 3 - d.count)) + d + ".json"
    }

    static func mode(_ name: String) throws -> SimulationMode {
        switch name {
        case "gt", "recache": return .groundTruth
        case "reset": return .reset
        case "keep": return .delayed(0.5)
        case "ignore": return .delayed(1)
        case "teleport": return .teleport(every: 24)
        default: throw ValidationError("unknown mode '\(name)'; use gt, reset, keep, ignore or teleport")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Creates a folder (one level), with an error that names it.
func makeFolder(_ path: String) throws {
    guard mkdir(path, 0o755) == 0 || FileIO.isDirectory(path) else {
        throw LongLiveError("cannot create folder \(path): \(String(cString: strerror(errno)))")
    }
}

extension WorldCommand {
    /// `longlive world check-parser`: the parser's self-check on fresh scenes.
    struct CheckParser: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check-parser", abstract: "Measure frame-parser accuracy per attribute on fresh random scenes, clean and with noise and blur.")

        @Option(name: .long, help: "Frames per condition.") var count = 2000
        @Option(name: .long, help: "Seed of the scenes (use one never used in tests).") var seed: UInt64 = 424_242
        @Option(name: .long, help: "Frame size.") var size = 64
        @Option(name: .long, help: "Noise σ (8-bit units) for the noisy condition.") var noise = 5.0
        @Option(name: .long, help: "Blur passes ([1 2 1] kernel) for the noisy condition.") var blur = 1

        func run() throws {
            let conditions: [(String, [Corruption])] = [("clean", []), ("blur \(blur) + noise σ\(noise)", [.blur(passes: blur), .noise(sigma: noise)])]
            print("| condition | " + ParserCheck.attributes.joined(separator: " | ") + " | all |")
            print("|---|" + String(repeating: "---|", count: ParserCheck.attributes.count + 1))
            for (name, c) in conditions {
                let check = ParserCheck.run(count: count, seed: seed, width: size, height: size, corruptions: c)
                let cells = ParserCheck.attributes.map { pct(check.accuracy($0)) }
                print("| \(name) | " + cells.joined(separator: " | ") + " | \(pct(check.accuracy())) |")
            }
        }

        func pct(_ v: Double) -> String { "\((v * 1000).rounded() / 10) %" }
    }

    /// `longlive world bench`: speed of the training-data API.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time the training-data API (frames per second on one thread).")

        @Option(name: .long, help: "Frame size.") var size = 64
        @Option(name: .long, help: "Clips to render.") var clips = 400
        @Option(name: .long, help: "Frames per clip.") var frames = 24

        func run() throws {
            let ds = WorldDataset(width: size, height: size)
            var t0 = monotonicSeconds()
            var total = 0
            var checksum: Float = 0
            for i in 0..<clips {
                let c = ds.clip(seed: UInt64(i), frames: frames)
                checksum += c.frames.withFloats { $0[0] }
                total += frames
            }
            let clipRate = Double(total) / (monotonicSeconds() - t0)
            t0 = monotonicSeconds()
            var seqFrames = 0
            for i in 0..<max(1, clips / 20) {
                let s = ds.sequence(seed: UInt64(i), segments: 6, segmentFrames: 48)
                checksum += s.frames.withFloats { $0[0] }
                seqFrames += s.frames.shape[0]
            }
            let seqRate = Double(seqFrames) / (monotonicSeconds() - t0)
            print("clips:     \(total) frames of \(size)x\(size) at \(Int(clipRate)) frames/s (one thread)")
            print("sequences: \(seqFrames) frames of \(size)x\(size) at \(Int(seqRate)) frames/s (one thread)")
            if checksum.isNaN { print("(checksum is NaN)") }
        }
    }
}

/// Seconds from a monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
