extension CUDAKernelLibrary {
    /// Helpers of the quantised linears (issue 9): block max, f16 decode, GELU, and the FP8 E4M3
    /// codec written with bit operations (the NVRTC wheel ships no `cuda_fp8.h`; bit ops also make
    /// the codec identical on every architecture and equal to the Swift reference `E4M3`).
    static let quantHeader = CUDAKernelSource(name: "longlive_quant.cuh", code: #"""
#pragma once
#include "longlive_common.cuh"

// Largest finite E4M3 (OCP "E4M3FN": no infinities, S.1111.111 is NaN): 1.75 * 2^8.
#define LL_E4M3_MAX 448.0f

// Max over the whole block of non-negative values (same contract as block_sum: blockDim.x a
// multiple of 32, `scratch` 32 floats of shared memory, every thread gets the result).
__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float m = lane < warps ? scratch[lane] : 0.0f;
    m = warp_max(m);
    __syncthreads();
    return m;
}

// IEEE half (raw bits) to f32: exact, with the hardware conversion every architecture has.
__device__ __forceinline__ float f16_to_f32(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

// GELU, tanh approximation (as elementwise.cu and Wan's FFN).
__device__ __forceinline__ float gelu_tanh_f32(float v) {
    const float k0 = 0.7978845608028654f;  // sqrt(2/pi)
    float u = k0 * (v + 0.044715f * v * v * v);
    return 0.5f * v * (1.0f + tanhf(u));
}

// f32 -> E4M3 (bias 7), round to nearest even, saturating to +-448 (infinities too); NaN -> 0x7f|sign.
__device__ __forceinline__ unsigned char f32_to_e4m3(float x) {
    unsigned int u = __float_as_uint(x);
    unsigned int sign = (u >> 24) & 0x80u;
    unsigned int a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (unsigned char)(sign | 0x7fu);
    // |x| >= 448 (0x43e00000): anything that would round above 448 saturates.
    if (a >= 0x43e00000u) return (unsigned char)(sign | 0x7eu);
    if (a < 0x3c800000u) {
        // Below 2^-6: subnormal steps of 2^-9. The scaling is exact, rintf rounds ties to even; a
        // result of 8 is the smallest normal's code 0x08, as it should be.
        int m = (int)rintf(__uint_as_float(a) * 512.0f);
        return (unsigned char)(sign | (unsigned int)m);
    }
    // Normal: keep 3 mantissa bits with round-to-nearest-even at bit 20, then rebias 127 -> 7.
    unsigned int r = (a + 0x7ffffu + ((a >> 20) & 1u)) >> 20;
    return (unsigned char)(sign | (r - (120u << 3)));
}

__device__ __forceinline__ float e4m3_to_f32(unsigned char b) {
    unsigned int sign = ((unsigned int)b & 0x80u) << 24;
    unsigned int e = ((unsigned int)b >> 3) & 0xfu, m = (unsigned int)b & 7u;
    if (e == 15u && m == 7u) return __uint_as_float(sign | 0x7fc00000u);
    if (e == 0u) return __uint_as_float(sign | __float_as_uint((float)m * 0.001953125f));  // m * 2^-9
    return __uint_as_float(sign | ((e + 120u) << 23) | (m << 20));
}

// The shared rescale of both W8A8 epilogues: acc * (s_act * s_w) (+ bias) (then GELU), in exactly
// this order with explicit rounding (no FMA contraction surprises), as the Swift reference does.
__device__ __forceinline__ float rescale_one(float acc, float sa, float sw, const bf16* bias, int c, int gelu) {
    float s = __fmul_rn(sa, sw);
    float v = bias ? __fmaf_rn(acc, s, bf16_to_f32(bias[c])) : __fmul_rn(acc, s);
    return gelu ? gelu_tanh_f32(v) : v;
}
"""#)

    /// W8A8 int8: per-token dynamic activation quantisation and the int32 -> bf16 epilogue around
    /// cuBLASLt's int8 x int8 -> int32 GEMM (``CuBLASLt/quantizedMatmul(handle:spec:a:b:d:...)``).
    static let quantInt8 = CUDAKernelSource(name: "quant_int8.cu", code: #"""
#include "longlive_quant.cuh"

// One block per row (blockDim.x a multiple of 32, at most 1024). scale[r] = amax / 127 and
// q = rint(x * (127 / amax)) clamped to +-127 (ties to even, never -128); an all-zero row gives
// scale 0 and zeros. The same float operations as referenceQuantizeActivationBlock on the CPU.
// Also quantises bf16 weights per output channel at load (rows = outputs).
extern "C" __global__ void quantize_rows_int8(const bf16* __restrict__ x, signed char* __restrict__ q,
                                              float* __restrict__ scale, int cols) {
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const bf16* xr = x + row * cols;
    float amax = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) amax = fmaxf(amax, fabsf(bf16_to_f32(xr[c])));
    amax = block_max(amax, scratch);
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    signed char* qr = q + row * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float v = rintf(__fmul_rn(bf16_to_f32(xr[c]), inv));
        qr[c] = (signed char)(int)fminf(127.0f, fmaxf(-127.0f, v));
    }
    if (threadIdx.x == 0) scale[row] = amax / 127.0f;
}

// y[r, c] = bf16(acc[r, c] * (s_act[r * act_stride] * s_w[c]) + bias[c]), then GELU if `gelu`.
// acc: int32 [rows, cols] row-major (cuBLASLt's column-major cols x rows D). act_stride 1 for
// per-token scales, 0 for one per-tensor scale; bias may be null.
extern "C" __global__ void int8_rescale_bf16(const int* __restrict__ acc, const float* __restrict__ s_act, int act_stride,
                                             const float* __restrict__ s_w, const bf16* __restrict__ bias,
                                             bf16* __restrict__ y, long long rows, int cols, int gelu) {
    const long long n = rows * cols;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long r = i / cols;
        int c = (int)(i - r * cols);
        y[i] = f32_to_bf16(rescale_one((float)acc[i], s_act[r * act_stride], s_w[c], bias, c, gelu));
    }
}
"""#, kernels: ["quantize_rows_int8", "int8_rescale_bf16"])

    /// W8A16: int8 weights (q8_0 blocks of 32 with f16 scales, or one f32 scale per row) expanded
    /// to bf16 for the existing bf16 cuBLASLt linear. Memory-bound: one read of 1 byte and one write
    /// of 2 bytes per weight, so a per-layer expansion into a reused scratch costs about 1.5x the
    /// bf16 weight read it feeds; the point of W8A16 on the GPU is resident memory, not speed.
    static let quantW8A16 = CUDAKernelSource(name: "quant_w8a16.cu", code: #"""
#include "longlive_quant.cuh"

// w[r, c] = bf16(q[r, c] * scale[r, c / 32]); scales are IEEE half bits [rows, cols / 32]; cols % 32 == 0.
extern "C" __global__ void dequant_q8_0_bf16(const signed char* __restrict__ q, const unsigned short* __restrict__ scales,
                                             bf16* __restrict__ w, long long rows, int cols) {
    const long long n = rows * cols;
    const int blocks = cols >> 5;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long r = i / cols;
        int c = (int)(i - r * cols);
        w[i] = f32_to_bf16(__fmul_rn((float)q[i], f16_to_f32(scales[r * blocks + (c >> 5)])));
    }
}

// w[r, c] = bf16(q[r, c] * scale[r]); scales f32 [rows].
extern "C" __global__ void dequant_channel_bf16(const signed char* __restrict__ q, const float* __restrict__ scales,
                                                bf16* __restrict__ w, long long rows, int cols) {
    const long long n = rows * cols;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        w[i] = f32_to_bf16(__fmul_rn((float)q[i], scales[i / cols]));
}
"""#, kernels: ["dequant_q8_0_bf16", "dequant_channel_bf16"])

    /// FP8 E4M3 (the GEMM needs sm_89+; these kernels are plain integer/float code and compile for
    /// every architecture): per-row or per-tensor quantisation and the f32 -> bf16 rescale epilogue.
    static let quantFP8 = CUDAKernelSource(name: "quant_fp8.cu", code: #"""
#include "longlive_quant.cuh"

// One block per row: scale[r] = amax / 448, q = e4m3(x * (448 / amax)); all-zero row -> scale 0, zeros.
extern "C" __global__ void quantize_rows_e4m3(const bf16* __restrict__ x, unsigned char* __restrict__ q,
                                              float* __restrict__ scale, int cols) {
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const bf16* xr = x + row * cols;
    float amax = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) amax = fmaxf(amax, fabsf(bf16_to_f32(xr[c])));
    amax = block_max(amax, scratch);
    const float inv = amax > 0.0f ? LL_E4M3_MAX / amax : 0.0f;
    unsigned char* qr = q + row * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) qr[c] = f32_to_e4m3(__fmul_rn(bf16_to_f32(xr[c]), inv));
    if (threadIdx.x == 0) scale[row] = amax / LL_E4M3_MAX;
}

// Per-tensor pass 1: *amax_bits = max(*amax_bits, max|x|) as f32 bits (non-negative floats order as
// unsigned integers, so atomicMax on the bits is exact). Zero *amax_bits first (cuMemsetD8Async).
extern "C" __global__ void absmax_bf16(const bf16* __restrict__ x, unsigned int* __restrict__ amax_bits, long long n) {
    __shared__ float scratch[32];
    float amax = 0.0f;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        amax = fmaxf(amax, fabsf(bf16_to_f32(x[i])));
    amax = block_max(amax, scratch);
    if (threadIdx.x == 0) atomicMax(amax_bits, __float_as_uint(amax));
}

// Per-tensor pass 2: q = e4m3(x * (448 / amax)); block 0 writes scale[0] = amax / 448 (the value
// cuBLASLt's A/B_SCALE_POINTER expects: it multiplies the product by it).
extern "C" __global__ void quantize_tensor_e4m3(const bf16* __restrict__ x, unsigned char* __restrict__ q,
                                                const unsigned int* __restrict__ amax_bits, float* __restrict__ scale,
                                                long long n) {
    const float amax = __uint_as_float(*amax_bits);
    const float inv = amax > 0.0f ? LL_E4M3_MAX / amax : 0.0f;
    if (blockIdx.x == 0 && threadIdx.x == 0) scale[0] = amax / LL_E4M3_MAX;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        q[i] = f32_to_e4m3(__fmul_rn(bf16_to_f32(x[i]), inv));
}

// The FP8 epilogue: cuBLASLt wrote the unscaled product as f32 [rows, cols] row-major;
// y = bf16(acc * (s_act[r * act_stride] * s_w[c]) + bias[c]) (then GELU), as int8_rescale_bf16.
extern "C" __global__ void f32_rescale_bf16(const float* __restrict__ acc, const float* __restrict__ s_act, int act_stride,
                                            const float* __restrict__ s_w, const bf16* __restrict__ bias,
                                            bf16* __restrict__ y, long long rows, int cols, int gelu) {
    const long long n = rows * cols;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long r = i / cols;
        int c = (int)(i - r * cols);
        y[i] = f32_to_bf16(rescale_one(acc[i], s_act[r * act_stride], s_w[c], bias, c, gelu));
    }
}

// Read-back for the conformance check: E4M3 bytes to f32.
extern "C" __global__ void e4m3_decode(const unsigned char* __restrict__ in, float* __restrict__ out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        out[i] = e4m3_to_f32(in[i]);
}
"""#, kernels: ["quantize_rows_e4m3", "absmax_bf16", "quantize_tensor_e4m3", "f32_rescale_bf16", "e4m3_decode"])
}
