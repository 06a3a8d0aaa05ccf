#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped into memory, privately and writable: tensors handed out as borrowed storage
/// may be written by the kernel's copy-on-write without ever changing the file (and `Tensor` copies
/// borrowed storage before its own writes anyway). Checkpoint readers share this.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeMutableRawPointer
    public let size: Int

    /// Maps `path`; `kind` names the expected format in errors ("a safetensors file"), and files
    /// shorter than `minimumSize` are refused as not being one.
    public init(path: String, kind: String, minimumSize: Int) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LongLiveError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LongLiveError("cannot stat \(path): \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw LongLiveError("\(path) is a folder; expected \(kind)") }
        let n = Int(st.st_size)
        guard n >= minimumSize else { throw LongLiveError("\(path) is not \(kind) (only \(n) bytes)") }
        guard let m = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw LongLiveError("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = m
        size = n
    }

    deinit { munmap(base, size) }

    /// The mapped bytes (valid while this object is alive).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}
