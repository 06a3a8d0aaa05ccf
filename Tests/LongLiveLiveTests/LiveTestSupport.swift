import Testing
import LongLiveEngine
#if canImport(Glibc)
import Glibc
#endif

/// Finding and running the built `longlive` binary (CI runs `swift build` before `swift test`).
enum Live {
    static let repo: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()
    static let binary = repo + "/.build/debug/longlive"

    static func requireBinary() throws {
        guard access(binary, X_OK) == 0 else { throw LongLiveError("\(binary) is missing: run `swift build` before the tests") }
    }

    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/longlive-live-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw LongLiveError("mkdtemp failed") }
        return String(cString: p)
    }

    /// Starts `sh -c command` in the background; returns the shell's pid (the shell `exec`s the
    /// binary, so it is the binary's pid).
    static func spawn(_ command: String) throws -> pid_t {
        var pid: pid_t = 0
        let parts: [String] = ["/bin/sh", "-c", command]
        let args: [UnsafeMutablePointer<CChar>?] = parts.map { strdup($0) } + [nil]
        defer { for a in args { free(a) } }
        let rc = posix_spawn(&pid, "/bin/sh", nil, nil, args, environ)
        guard rc == 0 else { throw LongLiveError("posix_spawn failed: \(rc)") }
        return pid
    }

    /// Waits for a child; returns its exit status, or 128 + signal.
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Polls `condition` every 50 ms for up to `seconds` (a bound against hangs, not a timing assertion).
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = monotonicSeconds() + seconds
        while monotonicSeconds() < end {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    /// Whether any process's command line contains `text` (to wait for an orphaned ffmpeg).
    static func processRunning(containing text: String) -> Bool {
        guard let names = try? FileIO.list("/proc") else { return false }
        for n in names where Int(n) != nil {
            guard let bytes = try? FileIO.read("/proc/\(n)/cmdline") else { continue }
            let line = String(decoding: bytes.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if line.contains(text) && !line.contains("/bin/sh") { return true }
        }
        return false
    }

    /// Resident memory of a process in bytes.
    static func residentBytes(_ pid: pid_t) -> Int {
        guard let text = try? FileIO.readText("/proc/\(pid)/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return 0
    }
}
