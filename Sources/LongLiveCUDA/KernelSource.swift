/// One CUDA C++ source compiled by NVRTC at run time: a program (`*.cu`) or a header (`*.cuh`) that
/// every program may `#include "name"`.
///
/// The text lives in Swift raw strings under `Kernels/`, always written as
/// `CUDAKernelSource(name: "x.cu", code: #"""` … `"""#)` with the closing delimiter in column 0, so
/// the text is byte-for-byte the CUDA source and `scripts/check-cuda-kernels` can extract it
/// without a Swift compiler.
public struct CUDAKernelSource: Sendable, Hashable {
    /// File-like name: `gelu.cu`, or `longlive_common.cuh` for a header.
    public let name: String
    /// The CUDA C++ text.
    public let code: String
    /// Entry points (`extern "C" __global__` functions) the program defines.
    public let kernels: [String]

    public init(name: String, code: String, kernels: [String] = []) {
        self.name = name
        self.code = code
        self.kernels = kernels
    }

    /// Headers are handed to NVRTC as include files, not compiled on their own.
    public var isHeader: Bool { name.hasSuffix(".cuh") }
}

/// Every kernel source of the CUDA backend.
public enum CUDAKernelLibrary {
    /// Headers every program can include.
    public static let headers: [CUDAKernelSource] = [common, quantHeader]
    /// Programs, one module each.
    public static let programs: [CUDAKernelSource] = [conversion, elementwise, norms, qkNormRope, kvCache, attention,
                                                          quantInt8, quantW8A16, quantFP8]
    /// Headers then programs.
    public static var all: [CUDAKernelSource] { headers + programs }

    /// The program defining `kernel`, if any.
    public static func program(defining kernel: String) -> CUDAKernelSource? {
        programs.first { $0.kernels.contains(kernel) }
    }
}
