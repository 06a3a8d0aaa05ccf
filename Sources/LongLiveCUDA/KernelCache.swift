#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// What identifies one compiled kernel module: the exact text NVRTC saw (program, headers and
/// options), the target architecture and the NVRTC version. Any change gives a new key, so a stale
/// binary is never loaded after a kernel edit or a CUDA upgrade.
public struct KernelCacheKey: Hashable, Sendable {
    /// Program name (`attention.cu`).
    public var program: String
    /// FNV-1a 64 of the program text, every header (name and text) and the compile options.
    public var sourceHash: UInt64
    /// Compute capability, e.g. 90.
    public var arch: Int
    /// `major.minor` of the NVRTC that compiles it.
    public var nvrtcVersion: String
    public var output: NVRTC.Output

    public init(program: CUDAKernelSource, headers: [CUDAKernelSource], options: [String], arch: Int,
                nvrtcVersion: String, output: NVRTC.Output) {
        var h = FNV1a64()
        h.add(program.code)
        for header in headers { h.add(header.name); h.add(header.code) }
        for option in options { h.add(option) }
        self.program = program.name
        sourceHash = h.value
        self.arch = arch
        self.nvrtcVersion = nvrtcVersion
        self.output = output
    }

    /// File name in the cache folder, e.g. `attention-1f2e…-sm90-nvrtc12.9.cubin`.
    public var fileName: String {
        let stem = program.split(separator: ".").first.map(String.init) ?? program
        let hex = String(sourceHash, radix: 16)
        return "\(stem)-\(String(repeating: "0", count: 16 - hex.count))\(hex)-sm\(arch)-nvrtc\(nvrtcVersion).\(output.rawValue)"
    }
}

/// 64-bit FNV-1a: a stable content hash with no dependency (Swift's `Hasher` is seeded per process).
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ s: String) {
        for b in s.utf8 { value = (value ^ UInt64(b)) &* 0x100_0000_01b3 }
        // A separator byte so ("ab","c") and ("a","bc") differ.
        value = (value ^ 0xff) &* 0x100_0000_01b3
    }
}

/// Compiled kernel images on disk, one file per ``KernelCacheKey``.
public struct KernelDiskCache: Sendable {
    /// The folder holding the files.
    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// `$LONGLIVE_KERNEL_CACHE`, else `$XDG_CACHE_HOME/longlive/kernels`, else `~/.cache/longlive/kernels`.
    public static func defaultFolder(environment: (String) -> String? = LibraryLocator.processEnvironment) -> String {
        if let dir = environment("LONGLIVE_KERNEL_CACHE"), !dir.isEmpty { return dir }
        if let xdg = environment("XDG_CACHE_HOME"), !xdg.isEmpty { return xdg + "/longlive/kernels" }
        return (environment("HOME") ?? "/tmp") + "/.cache/longlive/kernels"
    }

    /// The stored image, or nil when absent or unreadable (a cache miss, never an error).
    public func load(_ key: KernelCacheKey) -> [UInt8]? {
        let path = folder + "/" + key.fileName
        guard FileIO.exists(path), let bytes = try? FileIO.read(path), !bytes.isEmpty else { return nil }
        return bytes
    }

    /// Stores an image (atomically, so a concurrent process never reads half a file). A cache that
    /// cannot be written only costs a recompile next time, so failures are swallowed.
    public func store(_ key: KernelCacheKey, image: [UInt8]) {
        do {
            try FileIO.makeDirectory(folder)
            try FileIO.write(folder + "/" + key.fileName, bytes: image)
        } catch {}
    }
}

/// Compiles kernel programs through NVRTC, going to the disk cache first.
public struct KernelCompiler: Sendable {
    public let nvrtc: NVRTC
    public let cache: KernelDiskCache?

    public init(nvrtc: NVRTC, cache: KernelDiskCache? = KernelDiskCache(folder: KernelDiskCache.defaultFolder())) {
        self.nvrtc = nvrtc
        self.cache = cache
    }

    /// `major.minor` of the bound NVRTC.
    public var nvrtcVersion: String { "\(nvrtc.version.major).\(nvrtc.version.minor)" }

    /// The image of `program` for `arch`, from the cache or freshly compiled (and then cached).
    public func image(of program: CUDAKernelSource, arch: Int, output: NVRTC.Output,
                      headers: [CUDAKernelSource] = CUDAKernelLibrary.headers) throws -> (image: [UInt8], cached: Bool) {
        let key = KernelCacheKey(program: program, headers: headers, options: NVRTC.options(arch: arch, output: output),
                                 arch: arch, nvrtcVersion: nvrtcVersion, output: output)
        if let hit = cache?.load(key) { return (hit, true) }
        let compiled = try nvrtc.compile(source: program.code, name: program.name,
                                         headers: headers.map { ($0.name, $0.code) }, arch: arch, output: output)
        cache?.store(key, image: compiled.image)
        return (compiled.image, false)
    }
}
