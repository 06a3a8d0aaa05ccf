/// A live generation: the streaming loop runs on its own task while the owner changes the prompt,
/// pauses, resumes or stops it, and watches an `AsyncStream` of events.
///
/// A prompt set with ``setPrompt(_:)`` takes effect at the next chunk boundary (the chunk being
/// generated when it arrives finishes under the old prompt), preceded by the switch policy.
public actor StreamingSession {
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
        task = Task.detached { [self] in
            var frame = gen.nextFrame
            while true {
                guard let prompt = await self.directive(frame: frame) else { break }
                if prompt < 0 {  // paused
                    try? await Task.sleep(nanoseconds: 20_000_000)
                    continue
                }
                do {
                    let chunk = try gen.nextChunk(prompt: prompt)
                    frame = gen.nextFrame
                    await self.delivered(chunk)
                } catch {
                    await self.fail(error)
                    return
                }
            }
            await self.finish()
        }
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

    public func pause() { if state == .running { state = .paused } }
    public func resume() { if state == .paused { state = .running } }
    /// Stops after the chunk in progress.
    public func stop() { if state == .running || state == .paused { state = .stopping } }

    /// Waits for the loop to end.
    public func wait() async { await task?.value }

    /// Latent frames delivered so far.
    public private(set) var framesDone = 0

    /// The active prompt's text.
    public var activePrompt: String? { active.map { texts[$0] } }

    /// The prompt for the chunk starting at `frame`, −1 to wait (paused), nil to end.
    private func directive(frame: Int) -> Int? {
        if state == .stopping || state == .finished || state == .failed { return nil }
        if let n = totalFrames, frame >= n { return nil }
        if state == .paused { return -1 }
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
        return active
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
