extension CUDAKernelLibrary {
    /// GELU (tanh approximation, as Wan's FFN and text MLP) and the gated residual update
    /// `x += y · gate[frame]` of the DiT block (the residual stream stays f32 so 30 layers of
    /// additions do not lose bf16 precision; the branch outputs are bf16).
    static let elementwise = CUDAKernelSource(name: "elementwise.cu", code: #"""
#include "longlive_common.cuh"

extern "C" __global__ void gelu_tanh_bf16(const bf16* __restrict__ x, bf16* __restrict__ y, long long n) {
    const float k0 = 0.7978845608028654f;  // sqrt(2/pi)
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float v = bf16_to_f32(x[i]);
        float u = k0 * (v + 0.044715f * v * v * v);
        y[i] = f32_to_bf16(0.5f * v * (1.0f + tanhf(u)));
    }
}

// x[r, :] += y[r, :] * gate[r / group_rows, :]   (gate: [groups, dim] f32, one row per latent frame)
extern "C" __global__ void gated_residual(float* __restrict__ x, const bf16* __restrict__ y, const float* __restrict__ gate,
                                          long long rows, int dim, int group_rows) {
    long long n = rows * dim;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long r = i / dim;
        int c = (int)(i - r * dim);
        x[i] += bf16_to_f32(y[i]) * gate[(r / group_rows) * dim + c];
    }
}

// x[i] += y[i]: the un-gated residual of the cross-attention branch.
extern "C" __global__ void residual_add(float* __restrict__ x, const bf16* __restrict__ y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        x[i] += bf16_to_f32(y[i]);
}
"""#, kernels: ["gelu_tanh_bf16", "gated_residual", "residual_add"])
}
