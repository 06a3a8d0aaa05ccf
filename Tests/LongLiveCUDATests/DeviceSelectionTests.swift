import Testing
import LongLiveCUDA
import LongLiveTensor
#if canImport(Glibc)
import Glibc
#endif

/// `--device` handling: cpu passes, cuda fails with the reason, nothing falls back silently.
@Suite struct DeviceSelectionTests {
    static func environment(gpu: Bool) -> CUDAEnvironment {
        var env = CUDAEnvironment.probe(locator: LibraryLocator(environment: { _ in nil }, listFolder: { _ in [] }))
        if gpu {
            env.driver.path = "/usr/lib/libcuda.so.1"; env.driver.problem = nil
            env.nvrtc.path = "/usr/lib/libnvrtc.so.13"; env.nvrtc.problem = nil
            env.cublasLt.path = "/usr/lib/libcublasLt.so.13"; env.cublasLt.problem = nil
            env.devices = [CUDADeviceInfo(ordinal: 0, name: "NVIDIA H100 80GB HBM3", computeCapability: (9, 0),
                                          multiprocessors: 132, totalMemory: 80 << 30)]
            env.deviceProblem = nil
        } else {
            env.driver.path = nil; env.driver.problem = "libcuda not found: install the NVIDIA driver"
            env.devices = []; env.deviceProblem = "no CUDA driver (libcuda.so.1)"
        }
        return env
    }

    @Test func cpuIsAlwaysValid() throws {
        try CUDABackend.validate(device: "cpu", environment: { Self.environment(gpu: false) })
    }

    @Test func cudaWithoutGPUNamesTheReason() {
        #expect {
            try CUDABackend.validate(device: "cuda", environment: { Self.environment(gpu: false) })
        } throws: { error in
            let m = "\(error)"
            return m.contains("no usable CUDA GPU") && m.contains("install the NVIDIA driver") && m.contains("--device cpu")
        }
    }

    @Test func cudaWithGPUSaysTheEnginePathIsMissing() {
        #expect {
            try CUDABackend.validate(device: "cuda:0", environment: { Self.environment(gpu: true) })
        } throws: { error in
            let m = "\(error)"
            return m.contains("H100") && m.contains("not implemented yet")
        }
    }

    @Test func unknownDeviceIsRejected() {
        #expect {
            try CUDABackend.validate(device: "gpu", environment: { Self.environment(gpu: true) })
        } throws: { error in "\(error)".contains("unknown --device gpu") }
    }

    static let binary: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/.build/debug/longlive"
    }()

    /// The CLI refuses `--device cuda` before doing any work, with the probe's reason.
    @Test(arguments: ["generate --prompt x --frames 3 --device cuda --output /tmp/unused.safetensors",
                      "bench engine --preset tiny --chunks 1 --device cuda"])
    func cliRefusesCUDAWithoutGPU(_ arguments: String) throws {
        guard access(Self.binary, X_OK) == 0 else {
            Issue.record("\(Self.binary) is missing: run `swift build` before the tests")
            return
        }
        var template = Array("/tmp/longlive-cuda-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw LongLiveError("mkdtemp failed") }
        let log = String(cString: dir) + "/log.txt"
        let status = system("\(Self.binary) \(arguments) > \(log) 2>&1")
        let output = (try? FileIO.readText(log)) ?? ""
        #expect(status != 0, "expected a failure, got: \(output)")
        let usable = CUDAEnvironment.probe().isUsable
        #expect(output.contains(usable ? "not implemented yet" : "no usable CUDA GPU"), "output: \(output)")
    }
}
