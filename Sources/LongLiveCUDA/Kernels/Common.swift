extension CUDAKernelLibrary {
    /// Shared device helpers: bf16 as raw 16-bit patterns (NVRTC's wheel ships no `cuda_bf16.h`, and
    /// the kernels must compile with nothing but NVRTC), and warp / block reductions.
    static let common = CUDAKernelSource(name: "longlive_common.cuh", code: #"""
#pragma once
// bf16 is stored as its bit pattern; compute is always f32.
typedef unsigned short bf16;
// -infinity without <math.h> (NVRTC programs include no system headers).
#define LL_NEG_INF (__int_as_float(0xff800000))

__device__ __forceinline__ float bf16_to_f32(bf16 b) {
    return __uint_as_float(((unsigned int)b) << 16);
}

// Round to nearest even, NaN kept a (quiet) NaN: the same rule as the CPU's BFloat16Bits.fromFloat.
__device__ __forceinline__ bf16 f32_to_bf16(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16)(u >> 16);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `scratch` holds 32 floats of shared memory; the trailing barrier lets the caller reuse it.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = lane < warps ? scratch[lane] : 0.0f;
    total = warp_sum(total);
    __syncthreads();
    return total;
}
"""#)
}
