import LongLiveEngine

/// What a live run did, written as a prompt timeline that `longlive generate --prompts` reads, so the
/// run replays exactly: one `Nf: prompt` line per applied prompt (N = the latent frame where it took
/// effect, always a chunk boundary, so the switch lands on the same frame), and `#` comments with
/// the seed, the settings, the replay command and every typed line with its wall time.
public struct ReplayScript: Sendable {
    public struct Applied: Sendable, Equatable {
        public var frame: Int
        public var prompt: String
    }

    public let seed: UInt64
    public let settings: GenerationSettings
    public private(set) var applied: [Applied] = []
    /// Typed lines: seconds since the start and the text.
    public private(set) var typed: [(seconds: Double, text: String)] = []
    public var frames = 0

    public init(seed: UInt64, settings: GenerationSettings) {
        self.seed = seed
        self.settings = settings
    }

    public mutating func type(_ text: String, at seconds: Double) { typed.append((seconds, text)) }

    /// Prompt `text` took effect at latent frame `frame`.
    public mutating func apply(_ text: String, frame: Int) { applied.append(Applied(frame: frame, prompt: text)) }

    /// The `longlive generate` arguments that replay this run into `output`.
    public func replayArguments(scriptPath: String, output: String) -> String {
        var s = "generate --prompts \(scriptPath) --seed \(seed) --frames \(frames) --chunk \(settings.chunkFrames)"
        s += " --window \(settings.windowFrames) --sink \(settings.sinkFrames) --switch-policy \(settings.switchPolicy.rawValue)"
        if !settings.globalSink { s += " --no-global-sink" }
        return s + " --output \(output)"
    }

    /// The file text.
    public func render(scriptPath: String) -> String {
        var out = "# longlive interactive run: seed \(seed), \(frames) latent frames.\n"
        out += "# Replay exactly: longlive \(replayArguments(scriptPath: scriptPath, output: "replay.y4m"))\n"
        for t in typed { out += "# typed at \(fmt(t.seconds, 2)) s: \(t.text.replacingNewlines())\n" }
        for a in applied { out += "\(a.frame)f: \(a.prompt.replacingNewlines())\n" }
        return out
    }
}

extension String {
    /// One line: a prompt never spans lines in a timeline.
    func replacingNewlines() -> String { String(map { $0 == "\n" || $0 == "\r" ? " " : $0 }) }
}
