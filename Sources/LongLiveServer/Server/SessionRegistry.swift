import LongLiveEngine

/// Counts connections and generating sessions against their limits, and maps session ids to their
/// video files for downloads.
actor SessionRegistry {
    let maxSessions: Int
    let maxConnections: Int
    private(set) var connections = 0
    private(set) var sessions = 0
    private var videos: [String: String] = [:]
    private var generator = SystemRandomNumberGenerator()

    init(maxSessions: Int, maxConnections: Int) {
        self.maxSessions = maxSessions
        self.maxConnections = maxConnections
    }

    func openConnection() -> Bool {
        guard connections < maxConnections else { return false }
        connections += 1
        return true
    }

    func closeConnection() { connections = max(0, connections - 1) }

    /// A slot for a generating session, or nil when all are taken.
    func acquireSession() -> String? {
        guard sessions < maxSessions else { return nil }
        sessions += 1
        // Unguessable: the id is the download's only key besides the token.
        return (0..<2).map { _ in hex(generator.next()) }.joined()
    }

    func releaseSession() { sessions = max(0, sessions - 1) }

    func registerVideo(id: String, path: String) { videos[id] = path }
    func removeVideo(id: String) { videos[id] = nil }
    func video(id: String) -> String? { videos[id] }
    var videoCount: Int { videos.count }

    private func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
