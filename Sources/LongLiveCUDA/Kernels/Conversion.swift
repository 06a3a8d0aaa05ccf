extension CUDAKernelLibrary {
    /// f32 <-> bf16 conversion: uploads of f32 host tensors and read-back for the conformance checks.
    static let conversion = CUDAKernelSource(name: "conversion.cu", code: #"""
#include "longlive_common.cuh"

extern "C" __global__ void f32_to_bf16(const float* __restrict__ in, bf16* __restrict__ out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        out[i] = f32_to_bf16(in[i]);
}

extern "C" __global__ void bf16_to_f32(const bf16* __restrict__ in, float* __restrict__ out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        out[i] = bf16_to_f32(in[i]);
}
"""#, kernels: ["f32_to_bf16", "bf16_to_f32"])
}
