import LongLiveTensor

/// A GPU ready to run kernels: the primary context made current, one stream, the compiled kernel
/// modules and the arenas. Created once per process by ``CUDABackend/open(ordinal:)``.
///
/// Everything is enqueued on `stream` and the host synchronises only where a result leaves the GPU
/// (end of a chunk), so launches run ahead of the GPU, unlike the reference's per-layer syncs.
/// Written against the documented driver API but not yet run (no GPU in this project's CI).
public final class CUDAContext: @unchecked Sendable {
    public let api: DriverAPI
    public let device: CUDADeviceInfo
    public let compiler: KernelCompiler
    public let context: OpaquePointer?
    public let stream: OpaquePointer?
    private var functions: [String: OpaquePointer?] = [:]
    private var modules: [String: OpaquePointer?] = [:]

    init(api: DriverAPI, device: CUDADeviceInfo, compiler: KernelCompiler) throws {
        self.api = api
        self.device = device
        self.compiler = compiler
        var ctx: OpaquePointer? = nil
        try api.check(api.cuDevicePrimaryCtxRetain(&ctx, Int32(device.ordinal)), "cuDevicePrimaryCtxRetain(\(device.ordinal))")
        try api.check(api.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
        context = ctx
        var s: OpaquePointer? = nil
        try api.check(api.cuStreamCreate(&s, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate")
        stream = s
    }

    /// One device allocation (an arena's backing store).
    public func allocate(_ bytes: Int) throws -> CUdeviceptr {
        var p: CUdeviceptr = 0
        try api.check(api.cuMemAlloc(&p, max(bytes, 1)), "cuMemAlloc(\(bytes) bytes)")
        return p
    }

    /// The kernel `name`, compiling its program at first use: a CUBIN for this GPU's exact
    /// architecture (no driver JIT, no PTX-version mismatch), from the disk cache when present.
    public func function(_ name: String) throws -> OpaquePointer? {
        if let f = functions[name] { return f }
        guard let program = CUDAKernelLibrary.program(defining: name) else {
            throw LongLiveError("no CUDA kernel named \(name)")
        }
        if modules[program.name] == nil {
            let (image, _) = try compiler.image(of: program, arch: device.arch, output: .cubin)
            var module: OpaquePointer? = nil
            try image.withUnsafeBytes { raw in
                try api.check(api.cuModuleLoadDataEx(&module, raw.baseAddress!, 0, nil, nil), "cuModuleLoadDataEx(\(program.name))")
            }
            modules[program.name] = module
        }
        var f: OpaquePointer? = nil
        try name.withCString { try api.check(api.cuModuleGetFunction(&f, modules[program.name]!, $0), "cuModuleGetFunction(\(name))") }
        functions[name] = f
        return f
    }

    /// Enqueues `name` on the stream. `arguments` are the kernel's parameters in order, each a
    /// value of the exact C type (`CUdeviceptr` for pointers, `Int32`, `Int64`, `Float`).
    public func launch(_ name: String, grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0,
                       arguments: [any KernelArgument]) throws {
        let f = try function(name)
        // cuLaunchKernel takes an array of pointers to each argument's bytes.
        let storage = arguments.map { $0.boxed() }
        defer { storage.forEach { $0.deallocate() } }
        var pointers: [UnsafeMutableRawPointer?] = storage.map { $0 }
        try pointers.withUnsafeMutableBufferPointer { p in
            try api.check(api.cuLaunchKernel(f, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2),
                                             UInt32(block.0), UInt32(block.1), UInt32(block.2),
                                             UInt32(sharedBytes), stream, p.baseAddress, nil), "cuLaunchKernel(\(name))")
        }
    }

    /// Waits for everything enqueued on the stream.
    public func synchronize() throws { try api.check(api.cuStreamSynchronize(stream), "cuStreamSynchronize") }

    /// Copies host bytes to the device (stream ordered; the host buffer must stay alive until a sync).
    public func upload(_ bytes: UnsafeRawBufferPointer, to dst: CUdeviceptr) throws {
        try api.check(api.cuMemcpyHtoDAsync(dst, bytes.baseAddress!, bytes.count, stream), "cuMemcpyHtoDAsync")
    }

    /// Copies device bytes to the host and waits for them.
    public func download(_ src: CUdeviceptr, into bytes: UnsafeMutableRawBufferPointer) throws {
        try api.check(api.cuMemcpyDtoHAsync(bytes.baseAddress!, src, bytes.count, stream), "cuMemcpyDtoHAsync")
        try synchronize()
    }

    /// Free and total device memory (bytes).
    public func memoryInfo() throws -> (free: Int, total: Int) {
        var free = 0, total = 0
        try api.check(api.cuMemGetInfo(&free, &total), "cuMemGetInfo")
        return (free, total)
    }
}

/// A kernel parameter: copied into a heap box whose address goes into `cuLaunchKernel`'s array.
public protocol KernelArgument {
    func boxed() -> UnsafeMutableRawPointer
}

extension KernelArgument {
    public func boxed() -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<Self>.size, alignment: MemoryLayout<Self>.alignment)
        p.storeBytes(of: self, as: Self.self)
        return p
    }
}

extension UInt64: KernelArgument {}
extension Int64: KernelArgument {}
extension Int32: KernelArgument {}
extension Float: KernelArgument {}
