#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// A spawned program whose standard input is a pipe we write to (ffmpeg reading raw frames), or
/// whose output we collect (ffprobe, ffmpeg decoding).
final class ChildProcess {
    let pid: pid_t
    /// Write end of the child's stdin, or −1.
    private(set) var input: Int32

    /// Spawns `argv[0]` (a path) with stdin from a new pipe and stdout to `stdoutFile` (nil: inherited).
    /// `ownGroup`: a process group of its own, so a Ctrl-C at the terminal reaches only us and we can
    /// finish the file properly instead of ffmpeg stopping mid-stream.
    init(_ argv: [String], stdinPipe: Bool, stdoutFile: String? = nil, ownGroup: Bool = true) throws {
        var fds: [Int32] = [-1, -1]
        if stdinPipe {
            guard pipe(&fds) == 0 else { throw LongLiveError("pipe failed: \(String(cString: strerror(errno)))") }
            // Later children (another session's ffmpeg) must not inherit our write end, or this
            // child would never see end-of-file.
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinPipe {
            posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
            posix_spawn_file_actions_addclose(&actions, fds[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let out = stdoutFile {
            posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownGroup {
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, &attributes, cArgs, environ)
        if stdinPipe { close(fds[0]) }
        guard rc == 0 else {
            if stdinPipe { close(fds[1]) }
            throw LongLiveError("cannot run \(argv[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
        input = stdinPipe ? fds[1] : -1
    }

    /// Writes all of `bytes` to the child's stdin.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let w = Glibc.write(input, bytes.baseAddress! + off, bytes.count - off)
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { throw LongLiveError("\(String(cString: strerror(errno)))") }
            off += w
        }
    }

    /// Closes stdin (end of input) and waits; returns the exit status (128 + signal if killed).
    @discardableResult
    func finish() -> Int32 {
        if input >= 0 { close(input); input = -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Runs a program to completion with stdout captured; returns (status, stdout).
    static func run(_ argv: [String]) throws -> (status: Int32, output: [UInt8]) {
        var template = Array("/tmp/longlive-child-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw LongLiveError("mkstemp failed") }
        close(fd)
        let out = String(cString: template)
        defer { unlink(out) }
        let child = try ChildProcess(argv, stdinPipe: false, stdoutFile: out, ownGroup: false)
        let status = child.finish()
        return (status, (try? FileIO.read(out)) ?? [])
    }
}
