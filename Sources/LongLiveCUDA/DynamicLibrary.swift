#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// A shared library opened with `dlopen` at run time.
///
/// CUDA is never linked: the build machine has no CUDA, and a binary that links `libcuda` would not
/// even start on a machine without the driver. Every CUDA entry point is looked up here instead.
public final class DynamicLibrary: @unchecked Sendable {
    /// The name or path that opened the library.
    public let path: String
    let handle: UnsafeMutableRawPointer

    /// Opens `path` (a soname such as `libcuda.so.1`, searched by the dynamic loader, or a file path).
    /// Throws with `dlerror`'s message when it cannot be loaded.
    public init(_ path: String) throws {
        // RTLD_LOCAL: two CUDA majors (a wheel's and the system's) must not clash in the global namespace.
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw LongLiveError(reason)
        }
        self.path = path
        handle = h
    }

    /// The file the loader opened for this library (a soname resolved through the loader's search),
    /// found by locating one of its exported symbols in `/proc/self/maps` (`dladdr` is a GNU
    /// extension Swift's Glibc module does not expose).
    public func file(exporting symbol: String) -> String {
        guard let p = dlsym(handle, symbol), let maps = try? FileIO.readText("/proc/self/maps") else { return path }
        let address = UInt(bitPattern: p)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[5].hasPrefix("/") else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let lo = UInt(range[0], radix: 16), let hi = UInt(range[1], radix: 16) else { continue }
            if address >= lo && address < hi { return fields[5...].joined(separator: " ") }
        }
        return path
    }

    /// The address of `name`, or nil when the library does not export it.
    public func optionalSymbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(handle, name)
    }

    /// `name` cast to the C function type `T`; throws naming the symbol and library when it is absent
    /// (an older library than the one the binding was written against).
    public func function<T>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let p = dlsym(handle, name) else {
            throw LongLiveError("\(path) does not export \(name): the library is older than this binding expects; install a newer CUDA (12.x or 13.x)")
        }
        return unsafeBitCast(p, to: type)
    }

    // Libraries stay loaded for the life of the process: CUDA's own teardown order at exit is
    // fragile, and the handful of handles costs nothing.
}
