import LongLiveTensor

/// Entry point of the CUDA backend: finds the GPU and libraries, and opens a ``CUDAContext``.
///
/// The `cuda` device exists only when ``CUDAEnvironment/probe(locator:)`` finds a GPU, NVRTC and
/// cuBLASLt; otherwise every request for it fails with the probe's reasons and the fixes.
public enum CUDABackend {
    /// The device names the CLI accepts for `--device`.
    public static let deviceNames = ["cpu", "cuda"]

    /// Why the `cuda` device cannot be used here, as a person should read it; nil when it can.
    public static func unavailableMessage(_ env: CUDAEnvironment) -> String? {
        guard let reason = env.unavailableReason else { return nil }
        return "--device cuda: no usable CUDA GPU on this machine: \(reason). `longlive info` lists what was found; --device cpu runs on the CPU."
    }

    /// Opens GPU `ordinal` with a compiler and kernel cache; throws the probe's reasons when there is none.
    public static func open(ordinal: Int = 0, locator: LibraryLocator = LibraryLocator()) throws -> CUDAContext {
        let env = CUDAEnvironment.probe(locator: locator)
        if let message = unavailableMessage(env) { throw LongLiveError(message) }
        guard ordinal < env.devices.count else {
            throw LongLiveError("--device cuda:\(ordinal): only \(env.devices.count) GPU(s) found")
        }
        let api = try DriverAPI(library: locator.open(.driver))
        let compiler = KernelCompiler(nvrtc: try NVRTC.load(locator: locator))
        return try CUDAContext(api: api, device: env.devices[ordinal], compiler: compiler)
    }

    /// Checks a `--device` value before any work starts. `cpu` passes; `cuda` passes only where a GPU
    /// is usable **and** the engine has a CUDA path, which it does not yet (issue #6): then the error
    /// says so instead of silently running on the CPU.
    public static func validate(device: String, environment: () -> CUDAEnvironment = { CUDAEnvironment.probe() }) throws {
        switch device {
        case "cpu": return
        case _ where device == "cuda" || device.hasPrefix("cuda:"):
            let env = environment()
            if let message = unavailableMessage(env) { throw LongLiveError(message) }
            throw LongLiveError("--device cuda: a GPU was found (\(env.devices.map(\.name).joined(separator: ", "))), but the engine's CUDA path is not implemented yet (issue #6); `longlive cuda check` compiles the kernels on it. Use --device cpu.")
        default:
            throw LongLiveError("unknown --device \(device); use one of: \(deviceNames.joined(separator: ", "))")
        }
    }
}
