#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdWebSocket
import LongLiveEngine
import LongLiveMedia

/// One WebSocket connection of the live page: its control messages, at most one ``LiveRun`` at a
/// time, and the frames and events sent back. When the connection drops, ``close()`` stops the run,
/// frees its session slot and deletes its video, so nothing outlives the viewer.
actor ClientConnection {
    private let model: LiveModel
    private let options: ServerOptions
    private let registry: SessionRegistry
    private let outbound: WebSocketOutboundWriter
    private var run: LiveRun?
    private var sessionID: String?
    private var holdsSlot = false
    private var videoPath: String?
    private var forward: Task<Void, Never>?
    private var closed = false

    init(model: LiveModel, options: ServerOptions, registry: SessionRegistry, outbound: WebSocketOutboundWriter) {
        self.model = model
        self.options = options
        self.registry = registry
        self.outbound = outbound
    }

    func hello() async {
        let (w, h) = (model.frameShape[2] * EmbeddedModel.codec.factor, model.frameShape[1] * EmbeddedModel.codec.factor)
        await send(.object([
            "type": .string("hello"), "version": .number(1), "fps": .number(Double(model.fps)),
            "width": .number(Double(w)), "height": .number(Double(h)),
            "maxSessions": .number(Double(options.maxSessions)), "sessions": .number(Double(await registry.sessions)),
            "maxFrames": .number(Double(options.maxSessionFrames)), "maxMessageBytes": .number(Double(options.maxMessageBytes)),
        ]))
    }

    /// Handles one inbound message; every problem is answered with an `error` message.
    func receive(_ message: WebSocketMessage) async {
        do {
            guard case .text(let text) = message else {
                throw ProtocolError(.binary, "binary messages are not accepted; send JSON text messages")
            }
            guard text.utf8.count <= options.maxMessageBytes else {
                throw ProtocolError(.tooLarge, "message of \(text.utf8.count) bytes is over the limit of \(options.maxMessageBytes)")
            }
            try await handle(try ControlMessage.parse(text))
        } catch let e as ProtocolError {
            await sendRaw(e.json)
        } catch {
            await sendRaw(ProtocolError(.failed, "\(error)").json)
        }
    }

    private func handle(_ m: ControlMessage) async throws {
        switch m {
        case .ping:
            await send(.object(["type": .string("pong")]))
        case .start(let s):
            try await start(s)
        case .prompt(let text):
            do { try await current().command(.prompt(text)) } catch let e as LongLiveError {
                throw ProtocolError(.badPrompt, e.message)
            }
        case .pause: try await current().command(.pause)
        case .resume: try await current().command(.resume)
        case .stop: try await current().command(.stop)
        case .reset: try await current().command(.reset)
        }
    }

    private func current() throws -> LiveRun {
        guard let run else { throw ProtocolError(.notStarted, "no session is running; send {\"type\":\"start\",\"prompt\":\"...\"} first") }
        return run
    }

    private func start(_ s: ControlMessage.Start) async throws {
        guard run == nil else { throw ProtocolError(.alreadyStarted, "a session is already running on this connection; stop it first") }
        guard let id = await registry.acquireSession() else {
            throw ProtocolError(.busy, "the server is busy: all \(options.maxSessions) sessions are in use; try again later")
        }
        holdsSlot = true
        removeVideo()
        var settings = GenerationSettings()
        settings.switchPolicy = s.switchPolicy
        let frames = min(s.frames ?? options.maxSessionFrames, options.maxSessionFrames)
        let total = (frames + settings.chunkFrames - 1) / settings.chunkFrames * settings.chunkFrames
        let path = "\(options.videoDirectory)/longlive-\(id).png"
        let pacing = StreamingSession.Pacing(framesPerSecond: Double(model.fps), maxLeadFrames: 4 * settings.chunkFrames,
                                             maxQueuedFrames: options.maxQueuedFrames)
        let r = LiveRun(model: model, seed: s.seed, settings: settings, prompt: s.prompt, pacing: pacing, totalFrames: total,
                        output: .init(videoPath: path, format: .apng, scriptPath: nil), consumerAcknowledges: true,
                        maxPrompts: options.maxPromptsPerTake)
        do {
            try await r.start()
        } catch {
            await releaseSlot()
            throw ProtocolError(.badPrompt, "\(error)")
        }
        run = r
        sessionID = id
        videoPath = path
        await registry.registerVideo(id: id, path: path)
        await send(.object([
            "type": .string("started"), "session": .string(id), "seed": .number(Double(s.seed)),
            "switchPolicy": .string(s.switchPolicy.rawValue), "frames": .number(Double(total)), "prompt": .string(s.prompt),
            "fps": .number(Double(model.fps)),
        ]))
        forward = Task { await self.forwardEvents(of: r) }
    }

    /// Sends a run's frames and events until it ends, then frees its slot (the video stays for download).
    private func forwardEvents(of r: LiveRun) async {
        var take = 1
        for await e in r.events {
            switch e {
            case .frames(let start, let frames):
                for (i, f) in frames.enumerated() {
                    await sendBinary(FrameMessage.encode(f, index: start + i, take: take))
                }
                await r.consumed(through: start + frames.count)
            case .promptApplied(let text, let frame, let delay):
                await send(.object(["type": .string("promptApplied"), "text": .string(text), "frame": .number(Double(frame)),
                                    "take": .number(Double(take)), "delay": delay.map { .number($0) } ?? .null]))
            case .status(let s):
                take = s.take
                await send(ServerJSON.stats(s))
            case .reset:
                take += 1
                await send(.object(["type": .string("reset"), "take": .number(Double(take))]))
            case .failed(let message):
                await sendRaw(ProtocolError(.failed, message).json)
            case .finished(let frames):
                var fields: [String: JSONValue] = ["type": .string("finished"), "frames": .number(Double(frames))]
                if let id = sessionID { fields["download"] = .string("/video/\(id)") }
                await send(.object(fields))
            }
        }
        await runEnded()
    }

    private func runEnded() async {
        run = nil
        forward = nil
        await releaseSlot()
    }

    private func releaseSlot() async {
        if holdsSlot {
            holdsSlot = false
            await registry.releaseSession()
        }
    }

    /// The viewer is gone: stop generating, free the slot and the video.
    func close() async {
        guard !closed else { return }
        closed = true
        if let r = run {
            await r.close()
            await r.waitUntilEnded()
        }
        await forward?.value
        await releaseSlot()
        removeVideo()
        // The session's buffers were freed, but glibc keeps freed memory in its per-thread arenas;
        // hand it back so the server's footprint returns to its baseline between viewers.
        ClientConnection.trimHeap()
    }

    /// glibc's `malloc_trim(0)` (not in Swift's Glibc module, so looked up at run time).
    static func trimHeap() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    private func removeVideo() {
        if let p = videoPath { unlink(p) }
        if let id = sessionID { Task { [registry] in await registry.removeVideo(id: id) } }
        videoPath = nil
        sessionID = nil
    }

    private func send(_ value: JSONValue) async { await sendRaw(value.serialized()) }

    /// Errors are ignored: a failed write means the connection is going away, and the inbound loop
    /// ending then runs ``close()``.
    private func sendRaw(_ text: String) async {
        guard !closed else { return }
        try? await outbound.write(.text(text))
    }

    private func sendBinary(_ bytes: [UInt8]) async {
        guard !closed else { return }
        try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))
    }
}

/// JSON shapes shared by the WebSocket and the HTTP endpoints.
enum ServerJSON {
    static func stats(_ s: LiveStatus) -> JSONValue {
        .object([
            "type": .string("stats"), "state": .string(s.state.rawValue), "frames": .number(Double(s.frames)),
            "fps": .number(s.fps.isFinite ? s.fps : 0), "chunkMs": .number((s.chunkSeconds * 1000).rounded()),
            "memoryBytes": .number(Double(s.residentBytes)), "prompt": .string(s.prompt), "take": .number(Double(s.take)),
            "lastSwitchFrame": s.lastSwitchFrame.map { .number(Double($0)) } ?? .null,
            "lastSwitchDelay": s.lastSwitchDelay.map { .number($0) } ?? .null,
        ])
    }
}
