#if canImport(Glibc)
import Glibc
#endif

/// File access through the C library, so the core does not need Foundation.
public enum FileIO {
    /// Reads a whole file; the error names the path and the system's reason.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LongLiveError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LongLiveError("cannot stat \(path): \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw LongLiveError("\(path) is a folder, expected a file") }
        var out: [UInt8] = []
        out.reserveCapacity(Int(st.st_size))
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw LongLiveError("error reading \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Reads a UTF-8 text file.
    public static func readText(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes `chunks` to `path` through a temporary file and a rename, so readers never see a
    /// half-written file and an interrupted write leaves the old file intact.
    public static func writeAtomically(_ path: String, chunks: [UnsafeRawBufferPointer]) throws {
        let tmp = path + ".partial"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LongLiveError("cannot write \(path): \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(tmp) }
        }
        for c in chunks {
            var off = 0
            while off < c.count {
                let n = Glibc.write(fd, c.baseAddress! + off, c.count - off)
                if n <= 0 { throw LongLiveError("error writing \(path): \(String(cString: strerror(errno)))") }
                off += n
            }
        }
        guard fsync(fd) == 0 || errno == EINVAL else { throw LongLiveError("error flushing \(path): \(String(cString: strerror(errno)))") }
        guard rename(tmp, path) == 0 else { throw LongLiveError("cannot move \(tmp) to \(path): \(String(cString: strerror(errno)))") }
        ok = true
    }

    /// Writes bytes atomically.
    public static func write(_ path: String, bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAtomically(path, chunks: [$0]) }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a folder (not recursive), sorted.
    public static func list(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw LongLiveError("cannot list \(path): \(String(cString: strerror(errno)))") }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

extension FileIO {
    /// Creates a folder (and its parents).
    public static func makeDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if !isDirectory(partial) && mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw LongLiveError("cannot create folder \(partial): \(String(cString: strerror(errno)))")
            }
        }
    }
}
