#if canImport(Glibc)
import Glibc
#endif
import LongLiveEngine
import LongLiveMedia

/// One live video: a ``StreamingSession`` plus everything around it that `interactive` and each
/// `serve` session share — decoding chunks to frames, writing the video file as it grows, the
/// replay script, commands (prompt, pause, resume, stop, reset) and status figures.
///
/// Frames go out as ``LiveEvent/frames(startFrame:frames:)``. With `consumerAcknowledges` the
/// session waits for ``consumed(through:)`` (a WebSocket that has sent them) before running more than
/// `pacing.maxQueuedFrames` ahead, which bounds the memory a slow viewer can pin.
public actor LiveRun {
    /// Where the video and the script go.
    public struct Output: Sendable {
        public var videoPath: String
        public var format: VideoFormat
        public var scriptPath: String?

        public init(videoPath: String, format: VideoFormat, scriptPath: String?) {
            self.videoPath = videoPath; self.format = format; self.scriptPath = scriptPath
        }
    }

    public nonisolated let events: AsyncStream<LiveEvent>
    private let continuation: AsyncStream<LiveEvent>.Continuation
    private let model: LiveModel
    public let seed: UInt64
    public let settings: GenerationSettings
    private let pacing: StreamingSession.Pacing?
    private let totalFrames: Int?
    public let output: Output?
    private let consumerAcknowledges: Bool
    /// Prompts one take may register (each keeps its embedding and, once applied, its
    /// cross-attention K/V in the generator until the take ends); nil: no limit.
    private let maxPrompts: Int?
    private var promptsThisTake = 1

    private var session: StreamingSession?
    private var sink: (any FrameSink)?
    public private(set) var script: ReplayScript
    public private(set) var status = LiveStatus()
    /// The newest frame (for previews).
    public private(set) var latestFrame: VideoFrame?
    /// The prompt a reset restarts with: the last one typed.
    private var latestPrompt: String
    /// When each not-yet-applied prompt was typed, by its session prompt index.
    private var requestedAt: [Int: Double] = [:]
    private var deliveries: [(time: Double, frames: Int)] = []
    private var resetting = false
    private var ended = false
    private let started = monotonicSeconds()

    /// Typed lines kept for the script; beyond this only the applied prompts are kept.
    static let maxTypedLines = 1000

    public init(model: LiveModel, seed: UInt64, settings: GenerationSettings, prompt: String,
                pacing: StreamingSession.Pacing?, totalFrames: Int?, output: Output?, consumerAcknowledges: Bool = false,
                maxPrompts: Int? = nil) {
        self.maxPrompts = maxPrompts
        self.model = model
        self.seed = seed
        self.settings = settings
        self.pacing = pacing
        self.totalFrames = totalFrames
        self.output = output
        self.consumerAcknowledges = consumerAcknowledges
        latestPrompt = prompt
        script = ReplayScript(seed: seed, settings: settings)
        script.type(prompt, at: 0)
        (events, continuation) = AsyncStream.makeStream(of: LiveEvent.self, bufferingPolicy: .unbounded)
    }

    /// Starts the first take. Throws for a bad prompt or settings.
    public func start() async throws {
        try await beginTake()
    }

    private func beginTake() async throws {
        let s = try model.makeSession(seed: seed, settings: settings)
        await s.setPacing(pacing)
        try await s.start(timeline: try PromptTimeline(prompts: [latestPrompt], switchFrames: []), totalFrames: totalFrames)
        session = s
        status.state = .running
        status.frames = 0
        Task { await self.pump(s) }
    }

    /// Applies a command; throws for a prompt the encoder rejects (the run goes on unchanged).
    public func command(_ c: LiveCommand) async throws {
        guard let session, !ended else { throw LongLiveError("the run has ended") }
        if script.typed.count < LiveRun.maxTypedLines {
            script.type(c.typedText, at: monotonicSeconds() - started)
        }
        switch c {
        case .prompt(let text):
            if let m = maxPrompts, promptsThisTake >= m {
                throw LongLiveError("this take has used its \(m) prompts (each one keeps memory until the take ends); send reset or start a new session")
            }
            let index = try await session.setPrompt(text)
            requestedAt[index] = monotonicSeconds()
            promptsThisTake += 1
            latestPrompt = text
        case .pause:
            await session.pause()
            if status.state == .running { status.state = .paused }
        case .resume:
            await session.resume()
            if status.state == .paused { status.state = .running }
        case .stop:
            await session.stop()
        case .reset:
            resetting = true
            await session.stop()
        }
        continuation.yield(.status(status))
    }

    /// The viewer has handled the first `frames` frames of the current take.
    public func consumed(through frames: Int) async {
        await session?.consumed(through: frames)
    }

    /// Stops and waits for the end (used when a viewer disconnects).
    public func close() async {
        resetting = false
        await session?.stop()
        await session?.wait()
    }

    private func pump(_ s: StreamingSession) async {
        for await e in s.events { handle(e) }
        await takeEnded()
    }

    private func handle(_ e: StreamingSession.Event) {
        switch e {
        case .chunk(_, let start, let latents, _):
            do {
                let frames = try model.frames(latents)
                try write(frames)
                latestFrame = frames.last
                status.frames = start + frames.count
                script.frames = status.frames
                let now = monotonicSeconds()
                deliveries.append((now, status.frames))
                if deliveries.count > 8 { deliveries.removeFirst() }
                if let first = deliveries.first, deliveries.count > 1, now > first.time {
                    status.fps = Double(status.frames - first.frames) / (now - first.time)
                }
                try saveScript()
                continuation.yield(.frames(startFrame: start, frames: frames))
                if !consumerAcknowledges { Task { [session] in await session?.consumed(through: start + frames.count) } }
            } catch {
                continuation.yield(.failed("\(error)"))
                Task { [session] in await session?.stop() }
            }
        case .promptApplied(let index, let text, let frame):
            script.apply(text, frame: frame)
            status.prompt = text
            var delay: Double?
            if let t = requestedAt.removeValue(forKey: index) {
                delay = monotonicSeconds() - t
                status.lastSwitchFrame = frame
                status.lastSwitchDelay = delay
            }
            continuation.yield(.promptApplied(text: text, frame: frame, delay: delay))
        case .stats(let s):
            status.chunkSeconds = s.chunkSeconds
            status.residentBytes = s.residentBytes
            continuation.yield(.status(status))
        case .finished:
            break
        case .failed(let message):
            status.state = .failed
            continuation.yield(.failed(message))
        }
    }

    private func write(_ frames: [VideoFrame]) throws {
        guard let output, let first = frames.first else { return }
        if sink == nil {
            sink = try VideoFile.writer(path: output.videoPath, format: output.format, width: first.width, height: first.height, fps: model.fps)
        }
        for f in frames { try sink!.append(f) }
    }

    private func saveScript() throws {
        guard let path = output?.scriptPath else { return }
        try FileIO.write(path, bytes: Array(script.render(scriptPath: path).utf8))
    }

    private func takeEnded() async {
        try? sink?.finish()
        sink = nil
        if resetting && !ended {
            resetting = false
            if let o = output, o.format == .pngFolder, let names = try? FileIO.list(o.videoPath) {
                for n in names where n.hasPrefix("frame_") { unlink(o.videoPath + "/" + n) }
            }
            script = ReplayScript(seed: seed, settings: settings)
            script.type("/reset (the video starts over with: \(latestPrompt))", at: monotonicSeconds() - started)
            requestedAt = [:]
            promptsThisTake = 1
            deliveries = []
            latestFrame = nil
            status.take += 1
            status.lastSwitchFrame = nil
            status.lastSwitchDelay = nil
            continuation.yield(.reset)
            do {
                try await beginTake()
                return
            } catch {
                continuation.yield(.failed("\(error)"))
            }
        }
        ended = true
        if status.state != .failed { status.state = .stopped }
        try? saveScript()
        continuation.yield(.status(status))
        continuation.yield(.finished(frames: status.frames))
        continuation.finish()
    }

    /// Waits until the run has ended (stopped, reached its length or failed).
    public func waitUntilEnded() async {
        while !ended { try? await Task.sleep(nanoseconds: 20_000_000) }
    }
}

extension LiveCommand {
    /// How the command reads in the script.
    var typedText: String {
        switch self {
        case .prompt(let t): return t
        case .pause: return "/pause"
        case .resume: return "/resume"
        case .stop: return "/stop"
        case .reset: return "/reset"
        }
    }
}

/// `v` with `digits` decimals.
func fmt(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "-" }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        if digits == 0 { s = String(s[..<dot]) }
    } else if digits > 0 { s += "." + String(repeating: "0", count: digits) }
    return s
}
