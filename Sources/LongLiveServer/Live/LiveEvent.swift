import LongLiveEngine
import LongLiveMedia

/// What a viewer or the user can ask of a live run.
public enum LiveCommand: Equatable, Sendable {
    /// A new prompt, applied at the next chunk boundary.
    case prompt(String)
    case pause, resume, stop
    /// Start the video over: frame 0, the same seed, the latest prompt (the file and script restart too).
    case reset

    /// Parses a line typed in `longlive interactive`: `/pause`, `/resume`, `/stop`, `/reset`, or a prompt.
    public init?(typed line: String) throws {
        let text = line.trimmingSpaces()
        if text.isEmpty { return nil }
        switch text.lowercased() {
        case "/pause": self = .pause
        case "/resume": self = .resume
        case "/stop", "/quit": self = .stop
        case "/reset": self = .reset
        default:
            if text.hasPrefix("/") { throw LongLiveError("unknown command \(text): use /pause, /resume, /stop or /reset, or type a prompt") }
            self = .prompt(text)
        }
    }
}

/// Figures shown in status lines and sent to the page.
public struct LiveStatus: Sendable, Equatable {
    public enum State: String, Sendable { case starting, running, paused, stopped, failed }
    public var state = State.starting
    /// Latent (= video, for the embedded model) frames so far in this take.
    public var frames = 0
    /// Frames per second delivered over the last few chunks.
    public var fps = 0.0
    /// Seconds the last chunk took to generate.
    public var chunkSeconds = 0.0
    public var residentBytes = 0
    /// The prompt in force.
    public var prompt = ""
    /// Where the last switch took effect, and how long after it was typed.
    public var lastSwitchFrame: Int?
    public var lastSwitchDelay: Double?
    /// Takes so far (1 + resets).
    public var take = 1
}

/// What a live run reports.
public enum LiveEvent: Sendable {
    /// Decoded frames starting at `startFrame`.
    case frames(startFrame: Int, frames: [VideoFrame])
    /// `text` is in force from latent frame `frame`; `delay`: seconds since it was typed (nil for the first).
    case promptApplied(text: String, frame: Int, delay: Double?)
    case status(LiveStatus)
    /// The video starts over at frame 0 (after `.reset`).
    case reset
    case finished(frames: Int)
    case failed(String)
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
