extension CUDAKernelLibrary {
    /// LayerNorm fused with Wan's per-frame modulation `LN(x)·(1 + scale[f]) + shift[f]` (norm1,
    /// norm2, head), and the affine LayerNorm before cross-attention (norm3). One block per token
    /// row; statistics in f32 over the f32 residual stream; bf16 out, ready for the next GEMM.
    static let norms = CUDAKernelSource(name: "norms.cu", code: #"""
#include "longlive_common.cuh"

// Mean and 1/sqrt(var + eps) of one row, two passes (the row stays in L1 between them).
__device__ __forceinline__ void row_stats(const float* __restrict__ row, int dim, float eps, float* scratch,
                                          float* mean_out, float* inv_out) {
    float s = 0.0f;
    for (int c = threadIdx.x; c < dim; c += blockDim.x) s += row[c];
    float mean = block_sum(s, scratch) / dim;
    float q = 0.0f;
    for (int c = threadIdx.x; c < dim; c += blockDim.x) { float d = row[c] - mean; q += d * d; }
    float var = block_sum(q, scratch) / dim;
    *mean_out = mean;
    *inv_out = rsqrtf(var + eps);
}

// y[r, :] = LN(x[r, :]) * (1 + scale[g, :]) + shift[g, :],  g = r / group_rows.
extern "C" __global__ void layernorm_modulate(const float* __restrict__ x, bf16* __restrict__ y,
                                              const float* __restrict__ scale, const float* __restrict__ shift,
                                              int dim, int group_rows, float eps) {
    __shared__ float scratch[32];
    long long r = blockIdx.x;
    const float* row = x + r * dim;
    float mean, inv;
    row_stats(row, dim, eps, scratch, &mean, &inv);
    const float* sc = scale + (r / group_rows) * dim;
    const float* sh = shift + (r / group_rows) * dim;
    for (int c = threadIdx.x; c < dim; c += blockDim.x)
        y[r * dim + c] = f32_to_bf16((row[c] - mean) * inv * (1.0f + sc[c]) + sh[c]);
}

// y[r, :] = LN(x[r, :]) * weight + bias   (nn.LayerNorm with affine; weight/bias bf16).
extern "C" __global__ void layernorm_affine(const float* __restrict__ x, bf16* __restrict__ y,
                                            const bf16* __restrict__ weight, const bf16* __restrict__ bias,
                                            int dim, float eps) {
    __shared__ float scratch[32];
    long long r = blockIdx.x;
    const float* row = x + r * dim;
    float mean, inv;
    row_stats(row, dim, eps, scratch, &mean, &inv);
    for (int c = threadIdx.x; c < dim; c += blockDim.x)
        y[r * dim + c] = f32_to_bf16((row[c] - mean) * inv * bf16_to_f32(weight[c]) + bf16_to_f32(bias[c]));
}
"""#, kernels: ["layernorm_modulate", "layernorm_affine"])
}
