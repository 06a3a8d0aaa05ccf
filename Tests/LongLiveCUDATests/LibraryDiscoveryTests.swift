import Testing
import LongLiveCUDA
import LongLiveTensor
#if canImport(Glibc)
import Glibc
#endif

/// Library discovery and the probe's "not found" report.
@Suite struct LibraryDiscoveryTests {
    /// True when this machine has an NVIDIA driver the loader can open (then the no-GPU
    /// expectations flip to GPU ones).
    static let machineHasDriver: Bool = {
        guard let h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) else { return false }
        dlclose(h)
        return true
    }()

    @Test func candidatesFollowTheDocumentedOrder() {
        let env: [String: String] = [
            "LONGLIVE_LIBNVRTC": "/opt/x/libnvrtc.so.12",
            "CUDA_HOME": "/opt/cuda",
            "LONGLIVE_CUDA_LIBRARY_PATH": "/a:/b",
            "VIRTUAL_ENV": "/venv",
        ]
        let locator = LibraryLocator(environment: { env[$0] }, listFolder: { $0 == "/venv/lib" ? ["python3.12", "other"] : [] })
        let c = locator.candidates(for: .nvrtc)
        #expect(c.first == "/opt/x/libnvrtc.so.12")
        #expect(Array(c[1...3]) == ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"])
        let home = c.firstIndex(of: "/opt/cuda/lib64/libnvrtc.so.12")!
        let extra = c.firstIndex(of: "/a/libnvrtc.so.12")!
        let wheel = c.firstIndex(of: "/venv/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12")!
        #expect(home < extra && extra < wheel)
        #expect(c.contains("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13"))
        #expect(!c.contains { $0.contains("/other/") })
        #expect(Set(c).count == c.count)
    }

    @Test func missingLibraryErrorNamesTheFix() {
        // Nothing but files that do not exist and sonames of a library no machine has.
        let locator = LibraryLocator(environment: { $0 == "LONGLIVE_LIBCUBLASLT" ? "/nonexistent/libcublasLt.so.99" : nil },
                                     listFolder: { _ in [] })
        guard (try? locator.open(.cublasLt)) == nil else { return }  // a machine with cuBLASLt installed
        do {
            _ = try locator.open(.cublasLt)
            Issue.record("opening cuBLASLt should fail here")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("libcublasLt not found"))
            #expect(message.contains("pip install nvidia-cublas-cu12"))
            #expect(message.contains("LONGLIVE_LIBCUBLASLT"))
        }
    }

    @Test func probeReportsWhatThisMachineHas() {
        let env = CUDAEnvironment.probe()
        if Self.machineHasDriver {
            #expect(env.driver.isAvailable)
            #expect(env.devices.isEmpty == (env.deviceProblem != nil))
        } else {
            #expect(!env.driver.isAvailable)
            #expect(env.driver.problem?.contains("libcuda not found") == true)
            #expect(env.driver.problem?.contains("install the NVIDIA driver") == true)
            #expect(env.devices.isEmpty)
            #expect(!env.isUsable)
            #expect(env.report.contains { $0.hasPrefix("GPUs: none") })
            let message = CUDABackend.unavailableMessage(env)
            #expect(message?.contains("no usable CUDA GPU") == true)
            #expect(message?.contains("longlive info") == true)
        }
        #expect(env.report.count >= 4)
    }

    @Test func nvrtcFoundThroughTheOverrideVariable() throws {
        guard let path = getenv("LONGLIVE_LIBNVRTC").map({ String(cString: $0) }), FileIO.exists(path) else { return }
        let env = CUDAEnvironment.probe()
        #expect(env.nvrtc.isAvailable)
        #expect(env.nvrtc.path?.hasSuffix(path.split(separator: "/").last.map(String.init) ?? "") == true)
        #expect(env.nvrtc.version?.hasPrefix("1") == true)
    }
}
