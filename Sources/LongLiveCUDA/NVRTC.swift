import LongLiveTensor

/// NVRTC, the run-time CUDA C++ compiler, resolved from `libnvrtc.so.*`.
///
/// It needs no GPU: CI compiles every kernel with the `nvidia-cuda-nvrtc-cu12` wheel's library,
/// which is how a broken kernel is caught on machines without CUDA.
public struct NVRTC: @unchecked Sendable {
    public typealias Program = OpaquePointer?

    public let library: DynamicLibrary
    let nvrtcVersion: @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32
    let nvrtcGetErrorString: @convention(c) (Int32) -> UnsafePointer<CChar>?
    let nvrtcCreateProgram: @convention(c) (UnsafeMutablePointer<Program>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32,
                                            UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    let nvrtcCompileProgram: @convention(c) (Program, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    let nvrtcDestroyProgram: @convention(c) (UnsafeMutablePointer<Program>) -> Int32
    let nvrtcGetProgramLogSize: @convention(c) (Program, UnsafeMutablePointer<Int>) -> Int32
    let nvrtcGetProgramLog: @convention(c) (Program, UnsafeMutablePointer<CChar>) -> Int32
    let nvrtcGetPTXSize: @convention(c) (Program, UnsafeMutablePointer<Int>) -> Int32
    let nvrtcGetPTX: @convention(c) (Program, UnsafeMutablePointer<CChar>) -> Int32
    // CUBIN output exists since NVRTC 11.1; optional so an odd build without it still yields PTX.
    let nvrtcGetCUBINSize: (@convention(c) (Program, UnsafeMutablePointer<Int>) -> Int32)?
    let nvrtcGetCUBIN: (@convention(c) (Program, UnsafeMutablePointer<CChar>) -> Int32)?

    /// Resolves the entry points of an opened NVRTC library.
    public init(library: DynamicLibrary) throws {
        self.library = library
        nvrtcVersion = try library.function("nvrtcVersion")
        nvrtcGetErrorString = try library.function("nvrtcGetErrorString")
        nvrtcCreateProgram = try library.function("nvrtcCreateProgram")
        nvrtcCompileProgram = try library.function("nvrtcCompileProgram")
        nvrtcDestroyProgram = try library.function("nvrtcDestroyProgram")
        nvrtcGetProgramLogSize = try library.function("nvrtcGetProgramLogSize")
        nvrtcGetProgramLog = try library.function("nvrtcGetProgramLog")
        nvrtcGetPTXSize = try library.function("nvrtcGetPTXSize")
        nvrtcGetPTX = try library.function("nvrtcGetPTX")
        nvrtcGetCUBINSize = library.optionalSymbol("nvrtcGetCUBINSize").map { unsafeBitCast($0, to: (@convention(c) (Program, UnsafeMutablePointer<Int>) -> Int32).self) }
        nvrtcGetCUBIN = library.optionalSymbol("nvrtcGetCUBIN").map { unsafeBitCast($0, to: (@convention(c) (Program, UnsafeMutablePointer<CChar>) -> Int32).self) }
    }

    /// Opens NVRTC through ``LibraryLocator`` and binds it.
    public static func load(locator: LibraryLocator = LibraryLocator()) throws -> NVRTC {
        try NVRTC(library: locator.open(.nvrtc))
    }

    /// `(major, minor)`, e.g. `(12, 9)`.
    public var version: (major: Int, minor: Int) {
        var major: Int32 = 0, minor: Int32 = 0
        _ = nvrtcVersion(&major, &minor)
        return (Int(major), Int(minor))
    }

    /// What NVRTC produces: a CUBIN for one exact GPU (`sm_90`), or PTX for a virtual architecture
    /// (`compute_90`) that the driver compiles when the module is loaded.
    public enum Output: String, Sendable {
        case cubin, ptx
    }

    /// One compiled kernel module.
    public struct Compiled: Sendable {
        public var output: Output
        /// CUBIN bytes, or PTX text with its terminating zero (as `cuModuleLoadData` wants it).
        public var image: [UInt8]
        /// The compiler's log (warnings), empty when clean.
        public var log: String
    }

    /// Compiles `source` (named `name` in messages) for compute capability `arch` (e.g. 90).
    /// `headers` are `(include name, text)` pairs the source may `#include "…"`: the kernels use no
    /// system headers, so the same program compiles wherever NVRTC runs.
    public func compile(source: String, name: String, headers: [(String, String)] = [], arch: Int,
                        output: Output, options extra: [String] = []) throws -> Compiled {
        if output == .cubin && nvrtcGetCUBIN == nil {
            throw LongLiveError("NVRTC \(version.major).\(version.minor) cannot produce CUBIN; compile to PTX instead")
        }
        let options = NVRTC.options(arch: arch, output: output) + extra
        return try withCStrings([source, name] + headers.map(\.1) + headers.map(\.0) + options) { c in
            let headerTexts = Array(c[2..<(2 + headers.count)])
            let headerNames = Array(c[(2 + headers.count)..<(2 + 2 * headers.count)])
            let opts = Array(c[(2 + 2 * headers.count)...])
            var program: Program = nil
            try check(nvrtcCreateProgram(&program, c[0]!, c[1], Int32(headers.count), headerTexts, headerNames), "nvrtcCreateProgram(\(name))")
            defer { _ = nvrtcDestroyProgram(&program) }
            let status = nvrtcCompileProgram(program, Int32(opts.count), opts)
            let log = programLog(program)
            guard status == 0 else {
                throw LongLiveError("NVRTC could not compile \(name) for sm_\(arch): \(errorString(status))\n\(log)")
            }
            var size = 0
            var image: [UInt8]
            switch output {
            case .cubin:
                try check(nvrtcGetCUBINSize!(program, &size), "nvrtcGetCUBINSize")
                image = [UInt8](repeating: 0, count: size)
                try image.withUnsafeMutableBytes { try check(nvrtcGetCUBIN!(program, $0.baseAddress!.assumingMemoryBound(to: CChar.self)), "nvrtcGetCUBIN") }
            case .ptx:
                try check(nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize")
                image = [UInt8](repeating: 0, count: size)
                try image.withUnsafeMutableBytes { try check(nvrtcGetPTX(program, $0.baseAddress!.assumingMemoryBound(to: CChar.self)), "nvrtcGetPTX") }
            }
            return Compiled(output: output, image: image, log: log)
        }
    }

    /// The command-line options every kernel is compiled with (part of the cache key).
    public static func options(arch: Int, output: Output) -> [String] {
        let target = output == .cubin ? "sm_\(arch)" : "compute_\(arch)"
        // No fast-math: the kernels must match the f32 CPU reference (expf, rsqrtf at full precision).
        return ["--gpu-architecture=\(target)", "--std=c++17", "-default-device", "-lineinfo"]
    }

    func programLog(_ program: Program) -> String {
        var size = 0
        guard nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "" }
        var buf = [CChar](repeating: 0, count: size)
        _ = nvrtcGetProgramLog(program, &buf)
        return String(cString: buf)
    }

    func errorString(_ status: Int32) -> String {
        nvrtcGetErrorString(status).map { String(cString: $0) } ?? "nvrtcResult \(status)"
    }

    func check(_ status: Int32, _ call: String) throws {
        if status != 0 { throw LongLiveError("NVRTC: \(call) failed: \(errorString(status))") }
    }
}

/// Runs `body` with NUL-terminated copies of `strings` that live until it returns.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    let copies = strings.map { s -> UnsafeMutablePointer<CChar> in
        let bytes = Array(s.utf8CString)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return p
    }
    defer { copies.forEach { $0.deallocate() } }
    return try body(copies.map { UnsafePointer($0) })
}
