import LongLiveTensor

/// Device memory address (`CUdeviceptr`, 64-bit on every platform CUDA 12+ supports).
public typealias CUdeviceptr = UInt64
/// `CUresult`: 0 is success; the names come from `cuGetErrorName`.
public typealias CUresult = Int32

/// The CUDA driver API entry points the backend uses, resolved from `libcuda.so.1`.
///
/// Declared by hand from the documented C API (no CUDA headers at build time). Where the header
/// maps a name to a versioned symbol (`cuMemAlloc` → `cuMemAlloc_v2`), the versioned one is bound,
/// because `dlsym` sees the real export, not the macro.
public struct DriverAPI: @unchecked Sendable {
    public typealias Handle = OpaquePointer?

    public let library: DynamicLibrary
    let cuInit: @convention(c) (UInt32) -> CUresult
    let cuDriverGetVersion: @convention(c) (UnsafeMutablePointer<Int32>) -> CUresult
    let cuDeviceGetCount: @convention(c) (UnsafeMutablePointer<Int32>) -> CUresult
    let cuDeviceGet: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> CUresult
    let cuDeviceGetName: @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> CUresult
    let cuDeviceGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> CUresult
    let cuDeviceTotalMem: @convention(c) (UnsafeMutablePointer<Int>, Int32) -> CUresult
    let cuDevicePrimaryCtxRetain: @convention(c) (UnsafeMutablePointer<Handle>, Int32) -> CUresult
    let cuCtxSetCurrent: @convention(c) (Handle) -> CUresult
    let cuCtxSynchronize: @convention(c) () -> CUresult
    let cuMemAlloc: @convention(c) (UnsafeMutablePointer<CUdeviceptr>, Int) -> CUresult
    let cuMemFree: @convention(c) (CUdeviceptr) -> CUresult
    let cuMemGetInfo: @convention(c) (UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>) -> CUresult
    let cuMemcpyHtoDAsync: @convention(c) (CUdeviceptr, UnsafeRawPointer, Int, Handle) -> CUresult
    let cuMemcpyDtoHAsync: @convention(c) (UnsafeMutableRawPointer, CUdeviceptr, Int, Handle) -> CUresult
    let cuMemcpyDtoDAsync: @convention(c) (CUdeviceptr, CUdeviceptr, Int, Handle) -> CUresult
    let cuMemsetD8Async: @convention(c) (CUdeviceptr, UInt8, Int, Handle) -> CUresult
    let cuStreamCreate: @convention(c) (UnsafeMutablePointer<Handle>, UInt32) -> CUresult
    let cuStreamSynchronize: @convention(c) (Handle) -> CUresult
    let cuStreamDestroy: @convention(c) (Handle) -> CUresult
    let cuEventCreate: @convention(c) (UnsafeMutablePointer<Handle>, UInt32) -> CUresult
    let cuEventRecord: @convention(c) (Handle, Handle) -> CUresult
    let cuEventSynchronize: @convention(c) (Handle) -> CUresult
    let cuEventElapsedTime: @convention(c) (UnsafeMutablePointer<Float>, Handle, Handle) -> CUresult
    let cuModuleLoadDataEx: @convention(c) (UnsafeMutablePointer<Handle>, UnsafeRawPointer, UInt32,
                                           UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> CUresult
    let cuModuleGetFunction: @convention(c) (UnsafeMutablePointer<Handle>, Handle, UnsafePointer<CChar>) -> CUresult
    let cuFuncSetAttribute: @convention(c) (Handle, Int32, Int32) -> CUresult
    let cuLaunchKernel: @convention(c) (Handle, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, Handle,
                                       UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> CUresult
    let cuGetErrorName: @convention(c) (CUresult, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> CUresult

    /// `CUdevice_attribute` values used here (from the driver API documentation).
    public enum Attribute: Int32 {
        case multiprocessorCount = 16
        case computeCapabilityMajor = 75
        case computeCapabilityMinor = 76
        case maxSharedMemoryPerBlockOptin = 97
    }

    /// `CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES`: lets a kernel use more than 48 KiB of shared memory.
    static let funcAttributeMaxDynamicSharedBytes: Int32 = 8
    /// `CUDA_ERROR_NO_DEVICE`.
    static let errorNoDevice: CUresult = 100

    /// Resolves every entry point; throws naming the first one missing.
    public init(library: DynamicLibrary) throws {
        self.library = library
        cuInit = try library.function("cuInit")
        cuDriverGetVersion = try library.function("cuDriverGetVersion")
        cuDeviceGetCount = try library.function("cuDeviceGetCount")
        cuDeviceGet = try library.function("cuDeviceGet")
        cuDeviceGetName = try library.function("cuDeviceGetName")
        cuDeviceGetAttribute = try library.function("cuDeviceGetAttribute")
        cuDeviceTotalMem = try library.function("cuDeviceTotalMem_v2")
        cuDevicePrimaryCtxRetain = try library.function("cuDevicePrimaryCtxRetain")
        cuCtxSetCurrent = try library.function("cuCtxSetCurrent")
        cuCtxSynchronize = try library.function("cuCtxSynchronize")
        cuMemAlloc = try library.function("cuMemAlloc_v2")
        cuMemFree = try library.function("cuMemFree_v2")
        cuMemGetInfo = try library.function("cuMemGetInfo_v2")
        cuMemcpyHtoDAsync = try library.function("cuMemcpyHtoDAsync_v2")
        cuMemcpyDtoHAsync = try library.function("cuMemcpyDtoHAsync_v2")
        cuMemcpyDtoDAsync = try library.function("cuMemcpyDtoDAsync_v2")
        cuMemsetD8Async = try library.function("cuMemsetD8Async")
        cuStreamCreate = try library.function("cuStreamCreate")
        cuStreamSynchronize = try library.function("cuStreamSynchronize")
        cuStreamDestroy = try library.function("cuStreamDestroy_v2")
        cuEventCreate = try library.function("cuEventCreate")
        cuEventRecord = try library.function("cuEventRecord")
        cuEventSynchronize = try library.function("cuEventSynchronize")
        cuEventElapsedTime = try library.function("cuEventElapsedTime")
        cuModuleLoadDataEx = try library.function("cuModuleLoadDataEx")
        cuModuleGetFunction = try library.function("cuModuleGetFunction")
        cuFuncSetAttribute = try library.function("cuFuncSetAttribute")
        cuLaunchKernel = try library.function("cuLaunchKernel")
        cuGetErrorName = try library.function("cuGetErrorName")
    }

    /// The error's name (`CUDA_ERROR_OUT_OF_MEMORY`), or its number when the driver does not know it.
    public func errorName(_ code: CUresult) -> String {
        var p: UnsafePointer<CChar>?
        if cuGetErrorName(code, &p) == 0, let p { return String(cString: p) }
        return "CUresult \(code)"
    }

    /// Throws a readable error when a driver call failed.
    @inline(__always)
    public func check(_ code: CUresult, _ call: @autoclosure () -> String) throws {
        if code != 0 { throw LongLiveError("CUDA driver: \(call()) failed with \(errorName(code))") }
    }
}
