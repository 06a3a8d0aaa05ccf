#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import HummingbirdWebSocket
import LongLiveEngine
import LongLiveMedia

/// `longlive serve`: one page (``LivePage``), a WebSocket per viewer at `/ws` carrying the JSON
/// control protocol and binary frames (docs/protocol.md), `/stats` with the server's figures and
/// `/video/ID` for a session's finished video.
public final class LiveServer: Sendable {
    public let options: ServerOptions
    let model: LiveModel
    let registry: SessionRegistry

    public init(model: LiveModel, options: ServerOptions) {
        self.model = model
        self.options = options
        registry = SessionRegistry(maxSessions: options.maxSessions, maxConnections: options.maxConnections)
    }

    /// Serves until cancelled; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: LivePage.html)))
        }
        router.get("/health") { _, _ in "ok\n" }
        router.get("/stats") { [self] request, _ in
            try authorize(request)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: await statsJSON().serialized())))
        }
        router.get("/video/:id") { [self] request, context in
            try authorize(request)
            guard let id = context.parameters.get("id"), let path = await registry.video(id: id),
                  let bytes = try? FileIO.read(path) else {
                throw HTTPError(.notFound, message: "no such video (it is deleted when its session's connection closes)")
            }
            return Response(status: .ok, headers: [.contentType: "image/apng",
                                                   .contentDisposition: "attachment; filename=\"longlive-\(id).png\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.ws("/ws") { [self] request, _ in
            try authorize(request)
            return .upgrade([:])
        } onUpgrade: { [self] inbound, outbound, _ in
            try await serve(inbound: inbound, outbound: outbound)
        }
        var config = WebSocketServerConfiguration(maxFrameSize: options.maxFrameBytes)
        config.autoPing = .enabled(timePeriod: .seconds(20))
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: config)),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "longlive"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: LiveServer.logger(.warning)
        )
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Hummingbird's log, quieter than its default (`serve` prints its own start line).
    static func logger(_ level: Logger.Level) -> Logger {
        var logger = Logger(label: "longlive")
        logger.logLevel = level
        return logger
    }

    /// One viewer's connection, from upgrade to close.
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        guard await registry.openConnection() else {
            try? await outbound.write(.text(ProtocolError(.busy, "the server is busy: too many connections (\(options.maxConnections)); try again later").json))
            try? await outbound.close(.policyViolation, reason: "busy")
            return
        }
        let client = ClientConnection(model: model, options: options, registry: registry, outbound: outbound)
        await client.hello()
        do {
            for try await message in inbound.messages(maxSize: options.maxFrameBytes) {
                await client.receive(message)
            }
        } catch {
            // A message over maxFrameBytes or a broken connection: either way this viewer is done.
        }
        await client.close()
        await registry.closeConnection()
    }

    func statsJSON() async -> JSONValue {
        .object([
            "sessions": .number(Double(await registry.sessions)),
            "connections": .number(Double(await registry.connections)),
            "videos": .number(Double(await registry.videoCount)),
            "maxSessions": .number(Double(options.maxSessions)),
            "residentBytes": .number(Double(MachineProbe.currentRSS())),
        ])
    }

    /// With a token set, every request but the page itself must carry `?token=`.
    func authorize(_ request: Request) throws {
        guard let token = options.token else { return }
        let given = request.uri.queryParameters.get("token") ?? ""
        guard LiveServer.sameSecret(given, token) else {
            throw HTTPError(.unauthorized, message: "missing or wrong ?token=")
        }
    }

    /// Compares in time independent of where the strings differ.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = x.count ^ y.count
        for i in 0..<max(x.count, y.count) {
            diff |= Int((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0))
        }
        return diff == 0
    }
}
