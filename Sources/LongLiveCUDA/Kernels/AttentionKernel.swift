extension CUDAKernelLibrary {
    /// Flash-style attention forward: `out = softmax(q·kᵀ·scale)·v` per head, no mask, keys from
    /// up to two spans (the KV cache's `[sink | recent window + current chunk]`, or the cached
    /// text K/V for cross-attention with the second span empty), never materialising the scores.
    ///
    /// One block = 32 queries of one head, 128 threads; key tiles of 32 stream through shared
    /// memory; each query row is owned by 4 lanes of one warp, which keep the running max / sum
    /// (online softmax) and `headDim/4` f32 output accumulators each. f32 accumulation throughout.
    ///
    /// This is the portable SIMT kernel (correctness first, any sm_80+ GPU). Head dim 128 is a
    /// compile-time instantiation (fully unrolled); `flash_attention_generic` takes any head
    /// dim that is a multiple of 4, up to 128. A tensor-core (mma.sync / wgmma) variant is what reaches the H100 bars.
    static let attention = CUDAKernelSource(name: "attention.cu", code: #"""
#include "longlive_common.cuh"

#define BQ 32
#define BK 32
#define HD_MAX 128
#define KPAD 2   // bf16 padding per shared K/V row: row stride 65 words avoids bank conflicts
#define QPAD 1

template <int HD_FIXED>
__device__ __forceinline__ void flash_body(const bf16* __restrict__ q, long long q_stride,
                                           const bf16* __restrict__ k0, const bf16* __restrict__ v0, int n0,
                                           const bf16* __restrict__ k1, const bf16* __restrict__ v1, int n1,
                                           long long kv_stride, bf16* __restrict__ out, long long out_stride,
                                           int nq, int head_dim_runtime, float scale) {
    const int hd = HD_FIXED > 0 ? HD_FIXED : head_dim_runtime;
    __shared__ float sq[BQ][HD_MAX + QPAD];
    __shared__ bf16 sk[BK][HD_MAX + KPAD];
    __shared__ bf16 sv[BK][HD_MAX + KPAD];
    __shared__ float sp[BQ][BK + 1];

    const int head = blockIdx.y;
    const int q0 = blockIdx.x * BQ;
    const int tid = threadIdx.x;
    const int row = tid >> 2;      // query row of this thread within the tile
    const int quarter = tid & 3;   // which quarter of the key columns / output dims it owns
    const int n_keys = n0 + n1;
    const int dims_per_thread = hd / 4;

    // Q tile to shared as f32, pre-multiplied by the softmax scale.
    for (int i = tid; i < BQ * hd; i += blockDim.x) {
        int r = i / hd, d = i - r * hd;
        float v = 0.0f;
        if (q0 + r < nq) v = bf16_to_f32(q[(long long)(q0 + r) * q_stride + (long long)head * hd + d]) * scale;
        sq[r][d] = v;
    }

    float acc[HD_MAX / 4];
    #pragma unroll
    for (int i = 0; i < HD_MAX / 4; i++) acc[i] = 0.0f;
    float m = LL_NEG_INF, l = 0.0f;

    for (int kt = 0; kt < n_keys; kt += BK) {
        __syncthreads();  // previous tile fully consumed (and Q written, on the first pass)
        // K and V tile to shared, 2 bf16 per 4-byte load; keys past the end become zeros.
        for (int i = tid; i < BK * (hd / 2); i += blockDim.x) {
            int r = i / (hd / 2), d2 = (i - r * (hd / 2)) * 2;
            int j = kt + r;
            unsigned int kk = 0, vv = 0;
            if (j < n_keys) {
                const bf16* kb = j < n0 ? k0 + (long long)j * kv_stride : k1 + (long long)(j - n0) * kv_stride;
                const bf16* vb = j < n0 ? v0 + (long long)j * kv_stride : v1 + (long long)(j - n0) * kv_stride;
                kk = *(const unsigned int*)(kb + (long long)head * hd + d2);
                vv = *(const unsigned int*)(vb + (long long)head * hd + d2);
            }
            sk[r][d2] = (bf16)(kk & 0xffffu); sk[r][d2 + 1] = (bf16)(kk >> 16);
            sv[r][d2] = (bf16)(vv & 0xffffu); sv[r][d2 + 1] = (bf16)(vv >> 16);
        }
        __syncthreads();

        // Scores of this thread's 8 key columns: quarter, quarter+4, ...
        float s[BK / 4];
        float tile_max = LL_NEG_INF;
        #pragma unroll
        for (int i = 0; i < BK / 4; i++) {
            int c = quarter + 4 * i;
            float dot = 0.0f;
            #pragma unroll 8
            for (int d = 0; d < hd; d++) dot += sq[row][d] * bf16_to_f32(sk[c][d]);
            s[i] = (kt + c < n_keys) ? dot : LL_NEG_INF;
            tile_max = fmaxf(tile_max, s[i]);
        }
        // The 4 lanes of a row are adjacent in the warp: reduce across them.
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
        float m_new = fmaxf(m, tile_max);
        float correction = __expf(m - m_new);  // 0 on the first tile (m = -inf)
        float psum = 0.0f;
        #pragma unroll
        for (int i = 0; i < BK / 4; i++) {
            float p = expf(s[i] - m_new);
            sp[row][quarter + 4 * i] = p;
            psum += p;
        }
        psum += __shfl_xor_sync(0xffffffffu, psum, 1);
        psum += __shfl_xor_sync(0xffffffffu, psum, 2);
        l = l * correction + psum;
        m = m_new;
        __syncwarp();  // sp row written by the 4 lanes of the same warp
        // P·V for this thread's output dims: quarter·(hd/4) ... +hd/4.
        #pragma unroll
        for (int i = 0; i < HD_MAX / 4; i++) {
            if (i < dims_per_thread) {
                int d = quarter * dims_per_thread + i;
                float o = acc[i] * correction;
                #pragma unroll 8
                for (int c = 0; c < BK; c++) o += sp[row][c] * bf16_to_f32(sv[c][d]);
                acc[i] = o;
            }
        }
    }

    if (q0 + row < nq) {
        float inv = l > 0.0f ? 1.0f / l : 0.0f;
        bf16* dst = out + (long long)(q0 + row) * out_stride + (long long)head * hd + quarter * dims_per_thread;
        #pragma unroll
        for (int i = 0; i < HD_MAX / 4; i++)
            if (i < dims_per_thread) dst[i] = f32_to_bf16(acc[i] * inv);
    }
}

// grid (ceil(nq / 32), heads), block 128. Strides are in elements; heads·head_dim columns per row.
extern "C" __global__ void __launch_bounds__(128) flash_attention_hd128(
        const bf16* q, long long q_stride, const bf16* k0, const bf16* v0, int n0,
        const bf16* k1, const bf16* v1, int n1, long long kv_stride, bf16* out, long long out_stride,
        int nq, float scale) {
    flash_body<128>(q, q_stride, k0, v0, n0, k1, v1, n1, kv_stride, out, out_stride, nq, 128, scale);
}

extern "C" __global__ void __launch_bounds__(128) flash_attention_generic(
        const bf16* q, long long q_stride, const bf16* k0, const bf16* v0, int n0,
        const bf16* k1, const bf16* v1, int n1, long long kv_stride, bf16* out, long long out_stride,
        int nq, int head_dim, float scale) {
    flash_body<0>(q, q_stride, k0, v0, n0, k1, v1, n1, kv_stride, out, out_stride, nq, head_dim, scale);
}
"""#, kernels: ["flash_attention_hd128", "flash_attention_generic"])
}
