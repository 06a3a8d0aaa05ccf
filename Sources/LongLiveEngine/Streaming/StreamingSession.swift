import Dispatch

/// A live generation: the streaming loop runs on its own task while the owner changes the prompt,
/// pauses, resumes or stops it, and watches an `AsyncStream` of events.
///
/// A prompt set with ``setPrompt(_:)`` takes effect at the next chunk boundary (the chunk being
/// generated when it arrives finishes under the old prompt), preceded by the switch policy.
///
/// Without ``Pacing`` the loop generates as fast as it can. With it, generation follows a playback
/// clock (a live viewer sees the video at its frame rate and the generator stays at most a few
/// frames ahead, so a prompt typed now shows up soon) and/or waits for the consumer to acknowledge
/// frames (``consumed(through:)``), which bounds the frames queued per session.
///
/// The model runs on a dispatch queue of its own, not on Swift's cooperative threads, so a busy
/// session never starves other tasks (a server's connections) of threads.
public actor StreamingSession {
    /// Real-time pacing and a bound on queued frames.
    public struct Pacing: Sendable, Equatable {
        /// Latent frames per second of playback; nil: no clock, only the queue bound.
        public var framesPerSecond: Double?
        /// How many latent frames generation may run ahead of the playback clock.
        public var maxLeadFrames: Int
        /// Most latent frames delivered but not yet acknowledged with ``consumed(through:)``; nil: no bound.
        public var maxQueuedFrames: Int?

        public init(framesPerSecond: Double?, maxLeadFrames: Int = 6, maxQueuedFrames: Int? = nil) {
            self.framesPerSecond = framesPerSecond
            self.maxLeadFrames = max(0, maxLeadFrames)
            self.maxQueuedFrames = maxQueuedFrames
        }
    }

    /// What the session reports.
    public enum Event: Sendable {
        /// A finished chunk: clean latents `[chunkFrames, C, H, W]`.
        case chunk(index: Int, startFrame: Int, latents: Tensor, prompt: Int)
        /// Prompt `index` (text `text`) is in force from latent frame `frame`.
        case promptApplied(index: Int, text: String, frame: Int)
        case stats(Stats)
        /// Generation ended normally (stopped or reached its length) after `frames` latent frames.
        case finished(frames: Int)
        case failed(String)
    }

    /// Running figures after each chunk.
    public struct Stats: Sendable, Equatable {
        public var frames: Int
        public var chunkSeconds: Double
        /// Latent frames per second of wall time, over the whole run so far.
        public var latentFPS: Double
        public var residentBytes: Int
        public var prompt: Int
    }

    public enum State: Sendable, Equatable { case idle, running, paused, stopping, finished, failed }

    public nonisolated let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private nonisolated(unsafe) let generator: StreamingGenerator
    private let encoder: PromptEncoder?
    public private(set) var state = State.idle
    private var texts: [String] = []
    private var timeline: PromptTimeline?
    private var timelinePrompts: [Int] = []
    private var lastSegment = -1
    private var pending: Int?
    private var active: Int?
    private var totalFrames: Int?
    private var started = 0.0
    private var task: Task<Void, Never>?
    private var pacing: Pacing?
    /// Wall time at which latent frame 0 plays (set when the first chunk arrives; moved on by pauses).
    private var playbackOrigin: Double?
    private var pausedAt: Double?
    /// Frames the consumer has acknowledged (see ``consumed(through:)``).
    private var consumedFrames = 0
    /// Serial queue the model runs on (one chunk at a time per session).
    private nonisolated let queue = DispatchQueue(label: "longlive.session")

    /// - Parameters:
    ///   - encoder: turns text into embeddings for ``setPrompt(_:)`` and timelines.
    public init(generator: StreamingGenerator, encoder: PromptEncoder?) {
        self.generator = generator
        self.encoder = encoder
        (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
    }

    /// Registers prompt text (encoded now, so a bad prompt fails here and not mid-stream).
    private func register(_ text: String) throws -> Int {
        guard let encoder else { throw LongLiveError("this session has no text encoder; give prompt embeddings instead") }
        let index = try generator.addPrompt(embedding: encoder.encode(text))
        texts.append(text)
        return index
    }

    /// Registers an already-encoded prompt.
    public func addPrompt(embedding: Tensor, text: String) throws -> Int {
        let index = try generator.addPrompt(embedding: embedding)
        texts.append(text)
        return index
    }

    /// Starts generating. `timeline` gives the scripted prompts (all encoded up front, as the
    /// reference does); `promptIndices` may give pre-registered prompts for its segments instead.
    /// `totalFrames` nil streams until ``stop()``.
    public func start(timeline: PromptTimeline, promptIndices: [Int]? = nil, totalFrames: Int?) throws {
        guard state == .idle else { throw LongLiveError("the session was already started") }
        if let n = totalFrames { try timeline.validate(totalFrames: n, chunkFrames: generator.settings.chunkFrames) }
        if let p = promptIndices {
            guard p.count == timeline.segments.count else { throw LongLiveError("\(p.count) prompts for \(timeline.segments.count) timeline segments") }
            timelinePrompts = p
        } else {
            timelinePrompts = try timeline.segments.map { try register($0.prompt) }
        }
        self.timeline = timeline
        self.totalFrames = totalFrames
        state = .running
        started = monotonicSeconds()
        let gen = generator
        let queue = self.queue
        task = Task.detached { [self] in
            var frame = gen.nextFrame
            while true {
                let step = await self.directive(frame: frame)
                guard case .generate(let prompt) = step else {
                    if case .wait(let seconds) = step {
                        // Short slices, so pause/stop/prompt changes are seen promptly.
                        try? await Task.sleep(nanoseconds: UInt64(min(max(seconds, 0.001), 0.02) * 1e9))
                        continue
                    }
                    break
                }
                let result: Result<GeneratedChunk, Error> = await withCheckedContinuation { done in
                    queue.async { done.resume(returning: Result { try gen.nextChunk(prompt: prompt) }) }
                }
                switch result {
                case .success(let chunk):
                    frame = gen.nextFrame
                    await self.delivered(chunk)
                case .failure(let error):
                    await self.fail(error)
                    return
                }
            }
            await self.finish()
        }
    }

    /// Sets or clears pacing; takes effect before the next chunk.
    public func setPacing(_ pacing: Pacing?) {
        self.pacing = pacing
    }

    /// The consumer has handled the first `frames` latent frames (for ``Pacing/maxQueuedFrames``).
    public func consumed(through frames: Int) {
        consumedFrames = max(consumedFrames, frames)
    }

    /// Queues a new prompt for the next chunk boundary; returns its index.
    @discardableResult
    public func setPrompt(_ text: String) throws -> Int {
        let i = try register(text)
        pending = i
        return i
    }

    /// Queues an already registered prompt.
    public func setPrompt(index: Int) throws {
        guard texts.indices.contains(index) else { throw LongLiveError("no prompt with index \(index)") }
        pending = index
    }

    public func pause() {
        guard state == .running else { return }
        state = .paused
        pausedAt = monotonicSeconds()
    }

    public func resume() {
        guard state == .paused else { return }
        state = .running
        // Playback stood still while paused: move the clock's origin by the pause.
        if let p = pausedAt, let o = playbackOrigin { playbackOrigin = o + (monotonicSeconds() - p) }
        pausedAt = nil
    }

    /// Stops after the chunk in progress.
    public func stop() { if state == .running || state == .paused { state = .stopping } }

    /// Waits for the loop to end.
    public func wait() async { await task?.value }

    /// Latent frames delivered so far.
    public private(set) var framesDone = 0

    /// The active prompt's text.
    public var activePrompt: String? { active.map { texts[$0] } }

    private enum Step { case generate(Int), wait(Double), end }

    /// What the loop does next for the chunk starting at `frame`: generate it under a prompt, wait
    /// (paused, ahead of the playback clock, or too many frames unacknowledged), or end.
    private func directive(frame: Int) -> Step {
        if state == .stopping || state == .finished || state == .failed { return .end }
        if let n = totalFrames, frame >= n { return .end }
        if state == .paused { return .wait(0.02) }
        if let p = pacing {
            let queued = framesDone - consumedFrames
            if let q = p.maxQueuedFrames, queued > 0, queued + generator.settings.chunkFrames > q { return .wait(0.01) }
            if let fps = p.framesPerSecond, fps > 0, framesDone > 0 {
                // The clock starts when the first frames exist: they play now.
                let origin = playbackOrigin ?? (monotonicSeconds() - Double(framesDone) / fps)
                playbackOrigin = origin
                // Frame `frame` may start once playback has reached `frame - maxLead`.
                let due = origin + Double(frame - p.maxLeadFrames) / fps
                let now = monotonicSeconds()
                if now < due { return .wait(due - now) }
            }
        }
        if let t = timeline {
            let segment = t.segmentIndex(forChunkStartingAt: frame, chunkFrames: generator.settings.chunkFrames)
            if segment != lastSegment {
                lastSegment = segment
                active = timelinePrompts[segment]
            }
        }
        if let p = pending {
            active = p
            pending = nil
        }
        guard let active else { return .end }
        return .generate(active)
    }

    private func delivered(_ c: GeneratedChunk) {
        if c.switched || c.index == 0 {
            continuation.yield(.promptApplied(index: c.prompt, text: texts[c.prompt], frame: c.startFrame))
        }
        continuation.yield(.chunk(index: c.index, startFrame: c.startFrame, latents: c.latents, prompt: c.prompt))
        let frames = c.startFrame + c.latents.shape[0]
        framesDone = frames
        let elapsed = monotonicSeconds() - started
        continuation.yield(.stats(Stats(frames: frames, chunkSeconds: c.seconds, latentFPS: Double(frames) / max(elapsed, 1e-9),
                                        residentBytes: MachineProbe.currentRSS(), prompt: c.prompt)))
    }

    private func fail(_ error: Error) {
        state = .failed
        continuation.yield(.failed("\(error)"))
        continuation.finish()
    }

    private func finish() {
        state = .finished
        continuation.yield(.finished(frames: generator.nextFrame))
        continuation.finish()
    }
}
