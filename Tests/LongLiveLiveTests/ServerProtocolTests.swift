import Testing
import LongLiveEngine
import LongLiveMedia
#if canImport(Glibc)
import Glibc
#endif

/// `longlive serve` spoken to over real sockets: the happy path, malformed and oversized messages,
/// too many sessions and dropped clients; the server stays up and gives its memory back.
@Suite(.serialized) struct ServerProtocolTests {
    /// A `longlive serve` process on a free port, killed when the test ends.
    final class Server {
        let pid: pid_t
        let port: Int

        init(maxSessions: Int = 2) throws {
            try Live.requireBinary()
            let dir = try Live.temporaryDirectory()
            pid = try Live.spawn("exec \(Live.binary) serve --port 0 --port-file \(dir)/port --max-sessions \(maxSessions) --max-frames 600 > \(dir)/log.txt 2>&1")
            var found: Int?
            _ = Live.eventually(120) {
                found = (try? FileIO.readText(dir + "/port")).flatMap { Int($0.filter(\.isNumber)) }
                return found != nil
            }
            guard let found else { kill(pid, SIGKILL); throw LongLiveError("the server did not start: \((try? FileIO.readText(dir + "/log.txt")) ?? "")") }
            port = found
        }

        deinit {
            kill(pid, SIGKILL)
            Live.wait(pid)
        }

        var alive: Bool { kill(pid, 0) == 0 && (try? httpGet(port: port, path: "/health").status) == 200 }

        func stats() throws -> [String: JSONValue] {
            let r = try httpGet(port: port, path: "/stats")
            return try JSONValue.parse(String(decoding: r.body, as: UTF8.self)).objectValue ?? [:]
        }

        /// Waits until no session, connection or video is left.
        func drained() throws -> Bool {
            try Live.eventually(60) {
                let s = try stats()
                return s["sessions"]?.intValue == 0 && s["connections"]?.intValue == 0 && s["videos"]?.intValue == 0
            }
        }

        func connect() throws -> WebSocketTestClient {
            let c = try WebSocketTestClient(port: port)
            let hello = try c.nextJSON()
            guard hello?["type"]?.stringValue == "hello" else { throw LongLiveError("no hello: \(String(describing: hello))") }
            return c
        }
    }

    /// Frame index of a binary frame message (magic "LLF1", index, width, height, take, RGB).
    static func frameIndex(_ b: [UInt8]) -> Int? {
        guard b.count == 16 + 64 * 64 * 3, Array(b[0..<4]) == Array("LLF1".utf8), b[8...11] == [0, 64, 0, 64] else { return nil }
        return b[4..<8].reduce(0) { $0 << 8 | Int($1) }
    }

    @Test func sessionStreamsSwitchesPromptsAndOffersTheVideo() throws {
        let server = try Server()
        let c = try server.connect()
        try c.send(text: #"{"type":"start","prompt":"a small red circle moves right","seed":3,"frames":15}"#)
        let started = try #require(try c.waitFor("started"))
        #expect(started["frames"]?.intValue == 15 && started["seed"]?.intValue == 3)

        var indices: [Int] = []
        var applied: [[String: JSONValue]] = []
        var stats: [[String: JSONValue]] = []
        let collect: ([String: JSONValue]) -> Void = { m in
            if m["type"]?.stringValue == "promptApplied" { applied.append(m) }
            if m["type"]?.stringValue == "stats" { stats.append(m) }
        }
        // The first prompt applies at frame 0; wait for the first frames, then switch.
        while indices.count < 3 {
            switch try c.receive() {
            case .binary(let b): indices.append(try #require(Self.frameIndex(b)))
            case .text(let t): if let m = try JSONValue.parse(t).objectValue { collect(m) }
            case .close: Issue.record("closed early"); return
            }
        }
        try c.send(text: #"{"type":"prompt","text":"a small green square moves up"}"#)
        let switched = try #require(try c.waitFor("promptApplied", onFrame: { b in Self.frameIndex(b).map { indices.append($0) } }, onJSON: collect))
        let frame = try #require(switched["frame"]?.intValue)
        #expect(switched["text"]?.stringValue == "a small green square moves up")
        #expect(frame % 3 == 0 && frame >= 3, "switch at frame \(frame)")
        #expect(switched["delay"]?.doubleValue != nil)
        #expect(applied.first?["frame"]?.intValue == 0)

        let finished = try #require(try c.waitFor("finished", onFrame: { b in Self.frameIndex(b).map { indices.append($0) } }, onJSON: collect))
        #expect(finished["frames"]?.intValue == 15)
        #expect(indices == Array(0..<15))
        let last = try #require(stats.last)
        #expect(last["prompt"]?.stringValue == "a small green square moves up" && last["lastSwitchFrame"]?.intValue == frame)
        #expect((last["memoryBytes"]?.intValue ?? 0) > 0)

        // The finished video downloads as an animated PNG with every frame.
        let path = try #require(finished["download"]?.stringValue)
        let response = try httpGet(port: server.port, path: path)
        #expect(response.status == 200)
        #expect(try APNGReader.decode(response.body).frames.count == 15)
    }

    @Test func serverSurvivesAbuseAndGivesItsMemoryBack() throws {
        let server = try Server(maxSessions: 2)
        // Warm up (first use of the model, threads, allocator arenas), then take the baseline.
        do {
            let c = try server.connect()
            try c.send(text: #"{"type":"start","prompt":"a small red circle","frames":6}"#)
            _ = try c.waitFor("finished")
        }
        #expect(try server.drained())
        let baseline = Live.residentBytes(server.pid)

        for _ in 0..<2 {
            // Malformed messages: each gets an error with a code; the connection stays usable.
            let c = try server.connect()
            let cases: [(String, String)] = [
                ("{not json", "bad_json"), ("[1,2]", "bad_json"), (#"{"type":"bogus"}"#, "unknown_type"),
                (#"{"text":"no type"}"#, "bad_field"), (#"{"type":"start","prompt":42}"#, "bad_field"),
                (#"{"type":"start","prompt":"x","seed":-1}"#, "bad_field"), (#"{"type":"prompt","text":"a"}"#, "not_started"),
                (String(repeating: "[", count: 5000), "bad_json"), (String(repeating: "x", count: 40_000), "too_large"),
            ]
            for (message, code) in cases {
                try c.send(text: message)
                let reply = try c.nextJSON()
                #expect(reply?["type"]?.stringValue == "error" && reply?["code"]?.stringValue == code, "\(message.prefix(30)): \(String(describing: reply))")
            }
            try c.sendFrame(opcode: 2, [1, 2, 3])
            #expect(try c.nextJSON()?["code"]?.stringValue == "binary_not_accepted")
            try c.send(text: #"{"type":"ping"}"#)
            #expect(try c.nextJSON()?["type"]?.stringValue == "pong")

            // A frame over the server's limit (1 MiB) ends that connection, not the server.
            let big = try server.connect()
            try? big.sendFrame(opcode: 1, [UInt8](repeating: 0x61, count: 2 << 20))
            var closed = false
            while !closed {
                guard let m = try? big.receive() else { closed = true; break }
                if case .close = m { closed = true }
            }
            #expect(closed && server.alive)

            // Too many sessions: the third start is told the server is busy.
            let a = try server.connect(), b = try server.connect(), third = try server.connect()
            for s in [a, b] {
                try s.send(text: #"{"type":"start","prompt":"a blue square moves left"}"#)
                #expect(try s.waitFor("started") != nil)
            }
            try third.send(text: #"{"type":"start","prompt":"a green circle"}"#)
            let busy = try third.nextJSON()
            #expect(busy?["type"]?.stringValue == "error" && busy?["code"]?.stringValue == "busy", "\(String(describing: busy))")
            // Frames flow, then both viewers vanish without a close frame.
            for s in [a, b] {
                var got = 0
                while got < 3 { if case .binary = try s.receive() { got += 1 } }
                s.abort()
            }
            // Their sessions end with them (after the chunk in progress): slots, connections, videos.
            #expect(try server.drained())
        }
        #expect(server.alive)
        let after = Live.residentBytes(server.pid)
        print("longlive serve resident memory: \(baseline >> 20) MiB at the baseline, \(after >> 20) MiB after the abuse rounds")
        #expect(after < baseline + 16 << 20, "resident \(after >> 20) MiB after vs \(baseline >> 20) MiB at the baseline")
    }

    /// A take holds at most 100 prompts (each pins its embedding and text K/V until the take ends).
    @Test func promptsPerTakeAreBounded() throws {
        let server = try Server()
        let c = try server.connect()
        try c.send(text: #"{"type":"start","prompt":"a small red circle","frames":600}"#)
        #expect(try c.waitFor("started") != nil)
        for i in 1...100 { try c.send(text: #"{"type":"prompt","text":"a small blue circle moves left"}"#) }
        let refused = try #require(try c.nextJSONSkipping(["stats", "promptApplied"]))
        #expect(refused["code"]?.stringValue == "bad_prompt" && refused["message"]?.stringValue?.contains("100 prompts") == true, "\(refused)")
        try c.send(text: #"{"type":"stop"}"#)
        #expect(try c.waitFor("finished") != nil)
    }

    @Test func tokenIsRequiredWhenSet() throws {
        try Live.requireBinary()
        let dir = try Live.temporaryDirectory()
        let pid = try Live.spawn("LONGLIVE_TOKEN=s3cret exec \(Live.binary) serve --port 0 --port-file \(dir)/port > \(dir)/log.txt 2>&1")
        defer { kill(pid, SIGKILL); Live.wait(pid) }
        var port = 0
        #expect(Live.eventually(120) { port = (try? FileIO.readText(dir + "/port")).flatMap { Int($0.filter(\.isNumber)) } ?? 0; return port > 0 })
        #expect(try httpGet(port: port, path: "/stats").status == 401)
        #expect(try httpGet(port: port, path: "/stats?token=wrong").status == 401)
        #expect(try httpGet(port: port, path: "/stats?token=s3cret").status == 200)
        #expect(try httpGet(port: port, path: "/").status == 200)
        #expect(throws: LongLiveError.self) { try WebSocketTestClient(port: port, path: "/ws") }
        let c = try WebSocketTestClient(port: port, path: "/ws?token=s3cret")
        #expect(try c.nextJSON()?["type"]?.stringValue == "hello")
    }
}
