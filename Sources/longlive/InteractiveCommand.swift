#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import LongLiveEngine
import LongLiveMedia
import LongLiveServer

/// `longlive interactive`: a live video written to a file while the user types prompts.
struct InteractiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Stream a video to a file while you type new prompts (applied at the next chunk boundary).",
        discussion: """
        Type a line to switch prompts; /pause, /resume, /stop and /reset (start over at frame 0) are commands. \
        The video plays back in real time (--no-pace: as fast as the model runs). A script of the run is saved \
        next to the video (NAME.script.txt): `longlive generate --prompts NAME.script.txt` with the seed and \
        frame count written in it replays the run exactly. --preview PORT serves a live preview page on \
        http://127.0.0.1:PORT/. Uses the embedded model.
        """)

    @Option(help: "The first prompt.") var prompt: String
    @Option(name: .shortAndLong, help: "Video: .y4m, .png (animated), .mp4 (ffmpeg) or a folder.") var output: String = "live.y4m"
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Stop after this many latent frames (default: run until /stop, Ctrl-C or end of input).") var frames: Int?
    @Option(help: "Stop after this many seconds of video.") var seconds: Double?
    @Option(help: "Latent frames per chunk.") var chunk: Int = 3
    @Option(help: "Attention window in latent frames, sink included.") var window: Int = 12
    @Option(help: "Sink frames.") var sink: Int = 3
    @Option(help: "What a prompt switch does to the KV cache: recache, keep or reset.") var switchPolicy: String = "recache"
    @Flag(help: "Generate as fast as possible instead of at the video's frame rate.") var noPace = false
    @Option(help: "Serve a live preview page on this port (127.0.0.1).") var preview: Int?

    func run() async throws {
        var settings = GenerationSettings()
        settings.chunkFrames = chunk
        settings.windowFrames = window
        settings.sinkFrames = sink
        guard let policy = SwitchPolicy(rawValue: switchPolicy) else {
            throw LongLiveError("--switch-policy \(switchPolicy) is not one of recache, keep, reset")
        }
        settings.switchPolicy = policy
        try settings.validate()
        let model = try LiveModel()
        var total = frames
        if let s = seconds {
            guard s > 0 else { throw LongLiveError("--seconds must be positive") }
            total = max(1, EmbeddedModel.clock.latentFrame(seconds: s))
        }
        if let t = total { total = (t + chunk - 1) / chunk * chunk }

        let status = StatusLine()
        let plan = VideoFile.plan(path: output)
        if let note = plan.note { status.note(note) }
        let scriptPath = InteractiveCommand.scriptPath(forVideo: plan.path)
        let pacing = noPace ? nil : StreamingSession.Pacing(framesPerSecond: Double(model.fps), maxLeadFrames: 2 * chunk)
        let run = LiveRun(model: model, seed: seed, settings: settings, prompt: prompt, pacing: pacing, totalFrames: total,
                          output: .init(videoPath: plan.path, format: plan.format, scriptPath: scriptPath))
        try await run.start()
        status.note("streaming to \(plan.path) (script: \(scriptPath)); type a prompt, or /pause /resume /stop /reset")

        var previewTask: Task<Void, Error>?
        if let port = preview {
            let server = PreviewServer(run: run, fps: model.fps, port: port)
            previewTask = Task { try await server.run { status.note("preview: http://127.0.0.1:\($0)/") } }
        }
        let stop = InterruptFlag.install()
        let input = Task {
            for await line in StdinLines.stream() {
                do {
                    guard let c = try LiveCommand(typed: line) else { continue }
                    try await run.command(c)
                    if c == .stop { return }
                } catch {
                    status.note("\(error)")
                }
            }
            // End of input: a run with a length goes on to it; an open-ended one stops.
            if total == nil { try? await run.command(.stop) }
        }
        let watcher = Task {
            while !Task.isCancelled {
                if stop.isSet { try? await run.command(.stop); return }
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }

        var failure: String?
        for await e in run.events {
            switch e {
            case .status(let s): status.show(s, now: monotonicSeconds())
            case .promptApplied(let text, let frame, let delay):
                let after = delay.map { ", \(StatusLine.decimal($0, 2)) s after typing" } ?? ""
                status.note("frame \(frame): prompt \"\(text)\"\(after)")
            case .reset: status.note("reset: the video starts over")
            case .failed(let message): failure = message
            case .frames, .finished: break
            }
        }
        watcher.cancel()
        input.cancel()
        previewTask?.cancel()
        let final = await run.status
        status.show(final, now: monotonicSeconds(), force: true)
        status.close()
        if let failure { throw LongLiveError(failure) }
        let script = await run.script
        status.note("done: \(final.frames) frames → \(plan.path); replay: longlive \(script.replayArguments(scriptPath: scriptPath, output: "replay.y4m"))")
        // The stdin thread may still be blocked in a read; nothing else is left to finish.
        Glibc.exit(0)
    }

    /// `live.y4m` → `live.script.txt`; a folder `frames/` → `frames.script.txt`.
    static func scriptPath(forVideo path: String) -> String {
        var base = path
        while base.hasSuffix("/") { base.removeLast() }
        if let dot = base.lastIndex(of: "."), !base[dot...].contains("/") { base = String(base[..<dot]) }
        return base + ".script.txt"
    }
}
