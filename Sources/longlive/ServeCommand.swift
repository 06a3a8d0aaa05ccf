#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import LongLiveEngine
import LongLiveServer

/// `longlive serve`: the live page over HTTP + WebSocket.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the live page: stream video to a browser and switch prompts from it.",
        discussion: """
        Open http://HOST:PORT/ (with ?token=TOKEN when --token is set). Each browser tab is a session with its own \
        KV cache; frames arrive over a WebSocket and play at the video's frame rate. The protocol is in \
        docs/protocol.md. Uses the embedded model.
        """)

    @Option(help: "Address to bind (127.0.0.1: this machine only).") var host: String = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed at start).") var port: Int = 8080
    @Option(help: "Generating sessions at once; more get a \"busy\" answer.") var maxSessions: Int = 4
    @Option(help: "Access token required as ?token= (default: none; LONGLIVE_TOKEN also sets it).") var token: String?
    @Option(help: "Longest session in latent frames.") var maxFrames: Int = 16 * 60 * 5
    @Option(help: "Write the bound port to this file once listening (for scripts).") var portFile: String?

    func run() async throws {
        var options = ServerOptions()
        options.host = host
        options.port = port
        guard maxSessions >= 1 else { throw LongLiveError("--max-sessions must be at least 1") }
        options.maxSessions = maxSessions
        options.maxConnections = max(4 * maxSessions, 8)
        options.token = token ?? getenv("LONGLIVE_TOKEN").map { String(cString: $0) }
        guard maxFrames >= 1 else { throw LongLiveError("--max-frames must be at least 1") }
        options.maxSessionFrames = maxFrames
        options.videoDirectory = try ServeCommand.videoDirectory()
        let server = LiveServer(model: try LiveModel(), options: options)
        let tokenQuery = options.token.map { "?token=\($0)" } ?? ""
        let portFile = self.portFile
        let (shownHost, sessions) = (options.host, options.maxSessions)
        try await server.run { bound in
            fputs("longlive serve: http://\(shownHost):\(bound)/\(tokenQuery) (up to \(sessions) sessions)\n", stderr)
            if let f = portFile { try? FileIO.write(f, bytes: Array("\(bound)\n".utf8)) }
        }
        rmdir(options.videoDirectory)
    }

    /// A private folder for the sessions' videos.
    static func videoDirectory() throws -> String {
        var template = Array("/tmp/longlive-serve-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw LongLiveError("cannot create a folder for session videos in /tmp") }
        return String(cString: p)
    }
}
