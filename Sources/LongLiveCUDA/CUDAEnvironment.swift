import LongLiveTensor

/// One GPU as the driver reports it.
public struct CUDADeviceInfo: Sendable, Equatable {
    public var ordinal: Int
    public var name: String
    public var computeCapability: (major: Int, minor: Int)
    public var multiprocessors: Int
    public var totalMemory: Int

    public init(ordinal: Int, name: String, computeCapability: (major: Int, minor: Int), multiprocessors: Int, totalMemory: Int) {
        self.ordinal = ordinal
        self.name = name
        self.computeCapability = computeCapability
        self.multiprocessors = multiprocessors
        self.totalMemory = totalMemory
    }

    /// `major·10 + minor`, the number in `sm_90`.
    public var arch: Int { computeCapability.major * 10 + computeCapability.minor }

    public static func == (a: Self, b: Self) -> Bool {
        a.ordinal == b.ordinal && a.name == b.name && a.arch == b.arch && a.totalMemory == b.totalMemory
    }
}

/// What the CUDA backend found on this machine: each library (where, which version, or why not)
/// and the GPUs. Probing never throws and never aborts, so `longlive info` can always print it.
public struct CUDAEnvironment: Sendable {
    /// One library's outcome.
    public struct LibraryStatus: Sendable {
        public var library: CUDALibrary
        /// The file that was loaded, or nil.
        public var path: String?
        /// A version string such as `12.9`, when loaded.
        public var version: String?
        /// Why it is unusable (not found, a symbol missing), with the fix.
        public var problem: String?

        public var isAvailable: Bool { path != nil && problem == nil }
    }

    public var driver: LibraryStatus
    public var nvrtc: LibraryStatus
    public var cublasLt: LibraryStatus
    /// GPUs the driver lists (empty without a driver or a device).
    public var devices: [CUDADeviceInfo]
    /// Why there is no usable GPU, when there is none.
    public var deviceProblem: String?

    /// True when everything the engine needs is present: a GPU, NVRTC and cuBLASLt.
    public var isUsable: Bool { !devices.isEmpty && nvrtc.isAvailable && cublasLt.isAvailable }

    /// Looks for the libraries and GPUs. Loads libraries and calls `cuInit` but allocates nothing on a GPU.
    public static func probe(locator: LibraryLocator = LibraryLocator()) -> CUDAEnvironment {
        var env = CUDAEnvironment(driver: LibraryStatus(library: .driver), nvrtc: LibraryStatus(library: .nvrtc),
                                  cublasLt: LibraryStatus(library: .cublasLt), devices: [], deviceProblem: nil)
        do {
            let lib = try locator.open(.driver)
            env.driver.path = lib.file(exporting: "cuInit")
            let api = try DriverAPI(library: lib)
            var v: Int32 = 0
            if api.cuDriverGetVersion(&v) == 0 { env.driver.version = "CUDA \(v / 1000).\((v % 1000) / 10)" }
            env.devices = try listDevices(api)
            if env.devices.isEmpty { env.deviceProblem = "the driver lists no GPU" }
        } catch {
            if env.driver.path == nil { env.driver.problem = "\(error)" }
            env.deviceProblem = env.driver.path == nil ? "no CUDA driver (libcuda.so.1)" : "\(error)"
        }
        do {
            let n = try NVRTC.load(locator: locator)
            env.nvrtc.path = n.library.file(exporting: "nvrtcVersion")
            env.nvrtc.version = "\(n.version.major).\(n.version.minor)"
        } catch { env.nvrtc.problem = "\(error)" }
        do {
            let c = try CuBLASLt(library: locator.open(.cublasLt))
            env.cublasLt.path = c.library.file(exporting: "cublasLtGetVersion")
            let v = c.version
            env.cublasLt.version = "\(v / 10000).\((v / 100) % 100).\(v % 100)"
        } catch { env.cublasLt.problem = "\(error)" }
        return env
    }

    /// `cuInit` and the device list. `CUDA_ERROR_NO_DEVICE` is an empty list, not an error.
    static func listDevices(_ api: DriverAPI) throws -> [CUDADeviceInfo] {
        let status = api.cuInit(0)
        if status == DriverAPI.errorNoDevice { return [] }
        try api.check(status, "cuInit")
        var count: Int32 = 0
        try api.check(api.cuDeviceGetCount(&count), "cuDeviceGetCount")
        return try (0..<Int(count)).map { i in
            var dev: Int32 = 0
            try api.check(api.cuDeviceGet(&dev, Int32(i)), "cuDeviceGet(\(i))")
            var name = [CChar](repeating: 0, count: 256)
            try api.check(api.cuDeviceGetName(&name, 256, dev), "cuDeviceGetName")
            func attribute(_ a: DriverAPI.Attribute) throws -> Int {
                var v: Int32 = 0
                try api.check(api.cuDeviceGetAttribute(&v, a.rawValue, dev), "cuDeviceGetAttribute(\(a))")
                return Int(v)
            }
            var bytes = 0
            try api.check(api.cuDeviceTotalMem(&bytes, dev), "cuDeviceTotalMem")
            return CUDADeviceInfo(ordinal: i, name: String(cString: name),
                                  computeCapability: (try attribute(.computeCapabilityMajor), try attribute(.computeCapabilityMinor)),
                                  multiprocessors: try attribute(.multiprocessorCount), totalMemory: bytes)
        }
    }

    /// Human-readable report, one item per line (what `longlive info` prints).
    public var report: [String] {
        var lines: [String] = []
        for s in [driver, nvrtc, cublasLt] {
            if let path = s.path, s.problem == nil {
                lines.append("\(s.library.rawValue): \(path)\(s.version.map { " (\($0))" } ?? "")")
            } else {
                lines.append("\(s.library.rawValue): \(s.problem ?? "not found")")
            }
        }
        if devices.isEmpty {
            lines.append("GPUs: none (\(deviceProblem ?? "unknown reason"))")
        }
        for d in devices {
            lines.append("GPU \(d.ordinal): \(d.name), sm_\(d.arch), \(d.multiprocessors) SMs, \(d.totalMemory >> 20) MiB")
        }
        return lines
    }

    /// The reason the `cuda` device cannot be used, or nil when it can.
    public var unavailableReason: String? {
        if isUsable { return nil }
        var reasons: [String] = []
        if let p = driver.problem { reasons.append(p) } else if devices.isEmpty { reasons.append(deviceProblem ?? "no GPU") }
        if let p = nvrtc.problem { reasons.append(p) }
        if let p = cublasLt.problem { reasons.append(p) }
        return reasons.joined(separator: "; ")
    }
}

extension CUDAEnvironment.LibraryStatus {
    init(library: CUDALibrary) { self.init(library: library, path: nil, version: nil, problem: nil) }
}
