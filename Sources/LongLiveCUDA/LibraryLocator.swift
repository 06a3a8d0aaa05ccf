#if canImport(Glibc)
import Glibc
#endif
import LongLiveTensor

/// One of the three CUDA libraries the backend loads at run time.
public enum CUDALibrary: String, CaseIterable, Sendable {
    case driver = "libcuda"
    case nvrtc = "libnvrtc"
    case cublasLt = "libcublasLt"

    /// Sonames to try, newest first. The driver keeps `.so.1` across CUDA versions; the toolkit
    /// libraries carry the CUDA major.
    public var sonames: [String] {
        switch self {
        case .driver: return ["libcuda.so.1", "libcuda.so"]
        case .nvrtc: return ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]
        case .cublasLt: return ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"]
        }
    }

    /// Environment variable naming this library's file explicitly (tried before anything else).
    public var overrideVariable: String {
        switch self {
        case .driver: return "LONGLIVE_LIBCUDA"
        case .nvrtc: return "LONGLIVE_LIBNVRTC"
        case .cublasLt: return "LONGLIVE_LIBCUBLASLT"
        }
    }

    /// Sub-folders of a Python `site-packages/nvidia` folder where NVIDIA's wheels put this library
    /// (`cu13/lib` is the CUDA 13 layout PyTorch uses; the per-component folders are the CUDA 12 wheels').
    var wheelFolders: [String] {
        switch self {
        case .driver: return []
        case .nvrtc: return ["cu13/lib", "cuda_nvrtc/lib"]
        case .cublasLt: return ["cu13/lib", "cublas/lib"]
        }
    }

    /// What a person should do when the library cannot be found.
    public var fix: String {
        switch self {
        case .driver:
            return "install the NVIDIA driver (it provides libcuda.so.1), or point \(overrideVariable) at libcuda.so.1"
        case .nvrtc:
            return "install the CUDA toolkit or `pip install nvidia-cuda-nvrtc-cu12` (or -cu13), then set \(overrideVariable) to the libnvrtc.so file or add its folder to LD_LIBRARY_PATH or LONGLIVE_CUDA_LIBRARY_PATH"
        case .cublasLt:
            return "install the CUDA toolkit or `pip install nvidia-cublas-cu12` (or -cu13), then set \(overrideVariable) to the libcublasLt.so file or add its folder to LD_LIBRARY_PATH or LONGLIVE_CUDA_LIBRARY_PATH"
        }
    }
}

/// Where the CUDA libraries are looked for, in order:
/// 1. the library's own override variable (`LONGLIVE_LIBNVRTC=/path/libnvrtc.so.12`),
/// 2. the plain sonames (the loader's search: `LD_LIBRARY_PATH`, the ldconfig cache),
/// 3. `$CUDA_HOME` / `$CUDA_PATH` and `/usr/local/cuda` (`lib64`, `targets/x86_64-linux/lib`),
/// 4. the folders in `LONGLIVE_CUDA_LIBRARY_PATH` (colon separated), and the NVIDIA wheel folders of
///    the active Python environment (`$VIRTUAL_ENV`), where PyTorch keeps its own copies.
public struct LibraryLocator: Sendable {
    /// Environment lookup; injectable so tests can describe a machine without changing the process's.
    public var environment: @Sendable (String) -> String?
    /// Folder listing (for the `lib/python3.*` folders of a virtual environment).
    public var listFolder: @Sendable (String) -> [String]

    public init(environment: @escaping @Sendable (String) -> String? = LibraryLocator.processEnvironment,
                listFolder: @escaping @Sendable (String) -> [String] = { (try? FileIO.list($0)) ?? [] }) {
        self.environment = environment
        self.listFolder = listFolder
    }

    /// The calling process's environment.
    public static let processEnvironment: @Sendable (String) -> String? = { name in
        getenv(name).map { String(cString: $0) }
    }

    /// Every name or path to hand to `dlopen` for `library`, in the order tried.
    public func candidates(for library: CUDALibrary) -> [String] {
        var out: [String] = []
        if let file = environment(library.overrideVariable), !file.isEmpty { out.append(file) }
        out += library.sonames
        var folders: [String] = []
        for variable in ["CUDA_HOME", "CUDA_PATH"] {
            if let root = environment(variable), !root.isEmpty { folders += cudaRootFolders(root) }
        }
        folders += cudaRootFolders("/usr/local/cuda")
        if library == .driver { folders += ["/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib"] }
        if let extra = environment("LONGLIVE_CUDA_LIBRARY_PATH") {
            folders += extra.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let venv = environment("VIRTUAL_ENV"), !venv.isEmpty {
            for python in listFolder(venv + "/lib") where python.hasPrefix("python3") {
                for sub in library.wheelFolders { folders.append("\(venv)/lib/\(python)/site-packages/nvidia/\(sub)") }
            }
        }
        for folder in folders {
            for name in library.sonames where name.contains(".so.") { out.append(folder + "/" + name) }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    private func cudaRootFolders(_ root: String) -> [String] {
        [root + "/lib64", root + "/targets/x86_64-linux/lib", root + "/targets/sbsa-linux/lib"]
    }

    /// Opens the first candidate that loads. On failure the error lists every attempt and the fix.
    public func open(_ library: CUDALibrary) throws -> DynamicLibrary {
        var attempts: [String] = []
        for candidate in candidates(for: library) {
            do { return try DynamicLibrary(candidate) } catch {
                // Only report attempts that got further than "no such file": a library that exists
                // but fails to load (wrong architecture, missing dependency) is the useful clue.
                let reason = "\(error)"
                if reason.contains("No such file or directory") { continue }
                attempts.append(reason)
            }
        }
        let tried = attempts.isEmpty ? "" : " (" + attempts.joined(separator: "; ") + ")"
        throw LongLiveError("\(library.rawValue) not found\(tried): \(library.fix)")
    }
}
