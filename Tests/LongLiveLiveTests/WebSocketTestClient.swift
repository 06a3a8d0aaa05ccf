import LongLiveEngine
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small WebSocket client (RFC 6455) over a plain socket, so tests can also misbehave:
/// send raw bytes, oversized frames, or drop the connection without a close frame. Reads time out
/// (never hang a test run).
final class WebSocketTestClient {
    enum Message: Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: Int)
    }

    let fd: Int32
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and upgrades `path`; throws with the HTTP status line if refused.
    init(port: Int, path: String = "/ws", timeout: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LongLiveError("socket failed") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        // A server that stops reading (after refusing an oversized frame) must not stall a send for long.
        var sendTimeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw LongLiveError("cannot connect to port \(port)") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try sendRaw(Array(request.utf8))
        var head: [UInt8] = []
        while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) {
            head += try readBytes(1)
        }
        let status = String(decoding: head, as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? ""
        guard status.contains(" 101 ") else { close(fd); throw LongLiveError("upgrade refused: \(status)") }
    }

    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw LongLiveError("send failed: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// One masked frame (clients must mask).
    func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let n = payload.count
        if n < 126 { frame.append(0x80 | UInt8(n)) }
        else if n < 65536 { frame += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)] }
        else { frame.append(0x80 | 127); for s in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((n >> s) & 0xFF)) } }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try sendRaw(frame)
    }

    func send(text: String) throws { try sendFrame(opcode: 1, Array(text.utf8)) }

    private func readBytes(_ n: Int) throws -> [UInt8] {
        while pending.count < n {
            var buf = [UInt8](repeating: 0, count: 65536)
            let got = recv(fd, &buf, buf.count, 0)
            guard got > 0 else { throw LongLiveError(got == 0 ? "connection closed" : "read timed out or failed") }
            pending += buf[0..<got]
        }
        let out = Array(pending[0..<n])
        pending.removeFirst(n)
        return out
    }

    /// The next data or close message (pings are answered, pongs skipped).
    func receive() throws -> Message {
        while true {
            let h = try readBytes(2)
            let opcode = h[0] & 0x0F
            var n = Int(h[1] & 0x7F)
            if n == 126 { n = try readBytes(2).reduce(0) { $0 << 8 | Int($1) } }
            else if n == 127 { n = try readBytes(8).reduce(0) { $0 << 8 | Int($1) } }
            let payload = try readBytes(n)
            switch opcode {
            case 1: return .text(String(decoding: payload, as: UTF8.self))
            case 2: return .binary(payload)
            case 8: return .close(code: payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 1005)
            case 9: try sendFrame(opcode: 10, payload)
            default: continue
            }
        }
    }

    /// The next JSON text message, skipping frames; nil when the connection closes.
    func nextJSON(skippingFrames: Bool = true) throws -> [String: JSONValue]? {
        while true {
            switch try receive() {
            case .text(let t): return try JSONValue.parse(t).objectValue
            case .binary: if !skippingFrames { return nil }
            case .close: return nil
            }
        }
    }

    /// The next JSON message whose type is not in `types` (frames skipped); nil when the connection closes.
    func nextJSONSkipping(_ types: Set<String>) throws -> [String: JSONValue]? {
        while let m = try nextJSON() {
            if !types.contains(m["type"]?.stringValue ?? "") { return m }
        }
        return nil
    }

    /// Reads until a JSON message of `type` arrives (nil if the connection closes first); an `error`
    /// message instead, or no answer within `seconds` (server pings do not count), throws.
    func waitFor(_ type: String, seconds: Double = 180, onFrame: (([UInt8]) -> Void)? = nil, onJSON: (([String: JSONValue]) -> Void)? = nil) throws -> [String: JSONValue]? {
        let deadline = monotonicSeconds() + seconds
        while true {
            guard monotonicSeconds() < deadline else { throw LongLiveError("no \(type) message within \(Int(seconds)) s") }
            switch try receive() {
            case .text(let t):
                guard let o = try JSONValue.parse(t).objectValue else { continue }
                onJSON?(o)
                if o["type"]?.stringValue == type { return o }
                if o["type"]?.stringValue == "error" { throw LongLiveError("error while waiting for \(type): \(t)") }
            case .binary(let b): onFrame?(b)
            case .close: return nil
            }
        }
    }

    /// Drops the TCP connection with no close frame (a crashed or vanished browser).
    func abort() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

/// A plain HTTP GET on 127.0.0.1 (status code and body).
func httpGet(port: Int, path: String) throws -> (status: Int, body: [UInt8]) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var tv = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { throw LongLiveError("cannot connect to port \(port)") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
    var all: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        all += buf[0..<n]
    }
    guard let split = (0..<max(0, all.count - 3)).first(where: { all[$0] == 13 && all[$0 + 1] == 10 && all[$0 + 2] == 13 && all[$0 + 3] == 10 }) else {
        throw LongLiveError("no HTTP response")
    }
    let head = String(decoding: all[0..<split], as: UTF8.self)
    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    var body = Array(all[(split + 4)...])
    if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
    return (status, body)
}

private func dechunk(_ b: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [], i = 0
    while i < b.count {
        guard let eol = (i..<(b.count - 1)).first(where: { b[$0] == 13 && b[$0 + 1] == 10 }) else { break }
        let size = Int(String(decoding: b[i..<eol], as: UTF8.self), radix: 16) ?? 0
        if size == 0 { break }
        out += b[(eol + 2)..<min(b.count, eol + 2 + size)]
        i = eol + 2 + size + 2
    }
    return out
}
