/// How `longlive serve` runs.
public struct ServerOptions: Sendable {
    /// Address to bind; 127.0.0.1 unless the user asks to be reachable from elsewhere.
    public var host = "127.0.0.1"
    /// Port; 0 picks a free one (reported through `onListening`).
    public var port = 8080
    /// Generating sessions at once; more get a `busy` error.
    public var maxSessions = 4
    /// Open WebSocket connections at once (generating or not); more get `busy` and are closed.
    public var maxConnections = 16
    /// Required as `?token=` on the WebSocket, /stats and downloads when set.
    public var token: String?
    /// Largest control message read (bytes); bigger ones get a `too_large` error.
    public var maxMessageBytes = 16 * 1024
    /// Largest WebSocket frame accepted at all; bigger ones close the connection (code 1009).
    public var maxFrameBytes = 1 << 20
    /// Length limit of one session in latent frames (the page may ask for fewer).
    public var maxSessionFrames = 16 * 60 * 5
    /// Frames a session may have generated but not yet sent; bounds the memory a slow viewer pins.
    public var maxQueuedFrames = 48
    /// Prompts per take (until a reset): each keeps its embedding and cross-attention K/V (≈ 0.4 MB
    /// for the embedded model) while the take lasts, so this bounds what a chatty viewer can pin.
    public var maxPromptsPerTake = 100
    /// Where session videos are written (removed when their connection closes).
    public var videoDirectory = "/tmp"

    public init() {}
}
