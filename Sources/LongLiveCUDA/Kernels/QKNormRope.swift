extension CUDAKernelLibrary {
    /// Wan's QK-RMSNorm (over the full `heads·headDim` width, before the head split) fused with the
    /// 3-D RoPE, as in `Rope3D`: pairs `(x[2i], x[2i+1])` interleaved; the `headDim/2` pairs of a
    /// head split into frame / height / width parts (22/21/21 at 128). The angle tables are built
    /// on the host in double precision exactly like the CPU path and passed as (cos, sin) pairs:
    /// `rope_f[f·fp + j]` for the forward's frames, `rope_h[h·hp + j]`, `rope_w[w·wp + j]`.
    /// One block per token row. `out` may point into the KV cache (keys are cached after RoPE), so
    /// the key path writes its cache slot directly with no extra copy.
    static let qkNormRope = CUDAKernelSource(name: "qk_norm_rope.cu", code: #"""
#include "longlive_common.cuh"

extern "C" __global__ void rmsnorm_rope(const bf16* __restrict__ in, bf16* __restrict__ out, long long out_stride,
                                        const bf16* __restrict__ weight, int dim, int head_dim, float eps,
                                        int rows_per_frame, int cols,
                                        const float2* __restrict__ rope_f, const float2* __restrict__ rope_h,
                                        const float2* __restrict__ rope_w, int fp, int hp, int wp, int apply_rope) {
    __shared__ float scratch[32];
    long long t = blockIdx.x;
    const bf16* row = in + t * dim;
    float ss = 0.0f;
    for (int c = threadIdx.x; c < dim; c += blockDim.x) { float v = bf16_to_f32(row[c]); ss += v * v; }
    float inv = rsqrtf(block_sum(ss, scratch) / dim + eps);
    int tokens_per_frame = rows_per_frame * cols;
    int f = (int)(t / tokens_per_frame);
    int h = (int)((t / cols) % rows_per_frame);
    int w = (int)(t % cols);
    int half = head_dim / 2;
    bf16* dst = out + t * out_stride;
    // One thread per complex pair: both halves of the pair are normalised, then rotated together.
    for (int p = threadIdx.x; p < dim / 2; p += blockDim.x) {
        int c0 = 2 * p;
        float a = bf16_to_f32(row[c0]) * inv * bf16_to_f32(weight[c0]);
        float b = bf16_to_f32(row[c0 + 1]) * inv * bf16_to_f32(weight[c0 + 1]);
        // The bf16 reference rounds the normalised q/k to bf16 before its float64 RoPE; so does this.
        a = bf16_to_f32(f32_to_bf16(a));
        b = bf16_to_f32(f32_to_bf16(b));
        if (apply_rope) {
            int j = p % half;
            float2 cs;
            if (j < fp) cs = rope_f[f * fp + j];
            else if (j < fp + hp) cs = rope_h[h * hp + (j - fp)];
            else cs = rope_w[w * wp + (j - fp - hp)];
            float ra = a * cs.x - b * cs.y;
            float rb = a * cs.y + b * cs.x;
            a = ra; b = rb;
        }
        dst[c0] = f32_to_bf16(a);
        dst[c0 + 1] = f32_to_bf16(b);
    }
}
"""#, kernels: ["rmsnorm_rope"])
}
