#ifndef CLONGLIVE_KERNELS_H
#define CLONGLIVE_KERNELS_H
#include <stddef.h>

/// 2 when AVX-512 paths are used as well, 1 for AVX2+FMA only, 0 when the portable paths run.
int ll_kernels_simd_level(void);
/// Forces the portable paths (for tests that compare both).
void ll_kernels_force_portable(int on);
/// Uses at most SIMD level `level` (0-2) on the calling thread; 2 restores the default.
void ll_kernels_limit_level(int level);
/// The calling thread's limit (2 = no limit).
int ll_kernels_level_limit(void);
/// Worker threads the calling thread's parallel loops may use (0 = all cores).
int ll_worker_budget(void);
void ll_set_worker_budget(int n);

/// In-place row softmax of `rows` rows of `cols` floats (row stride `ld`) of `scale * x`.
void ll_softmax_rows(float *x, long rows, long cols, long ld, float scale);
/// y = (x - mean) / sqrt(var + eps) * mul + add, per row; mul/add of length dim, either may be NULL.
void ll_layernorm_rows(const float *x, float *y, long rows, long dim, float eps,
                       const float *mul, const float *add);
/// y = x * rsqrt(mean(x^2) + eps) * weight, per row; weight may be NULL.
void ll_rmsnorm_rows(const float *x, float *y, long rows, long dim, float eps, const float *weight);
/// In place: x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void ll_gelu_tanh(float *x, long n);
/// In place: x = x / (1 + exp(-x)).
void ll_silu(float *x, long n);
/// In place: x = exp(x).
void ll_exp(float *x, long n);

/// out = g * d/dx gelu_tanh(x) (the backward of ll_gelu_tanh).
void ll_gelu_tanh_backward(const float *x, const float *g, float *out, long n);
/// Softmax backward in place over dp, per row: dp = scale * p * (dp - sum(dp * p)).
void ll_softmax_backward_rows(const float *p, float *dp, long rows, long cols, long ld, float scale);
/// One AdamW step in place: m, v moments; w decayed by lr*wd then moved by lr*(m*c1)/(sqrt(v*c2)+eps)
/// (c1, c2: the bias corrections 1/(1-b1^t), 1/(1-b2^t)).
void ll_adamw(float *w, const float *g, float *m, float *v, long n,
              float lr, float b1, float b2, float eps, float wd, float c1, float c2);

// ---- int8 weights (quant.c); blocks of 32 along the input dimension ----
#include <stdint.h>
/// Which int8 GEMM path runs under the current limit: 2 AVX-512 VNNI, 1 AVX2, 0 portable.
int ll_quant_gemm_path(void);
/// IEEE half bit patterns to float.
void ll_f16_to_f32(const uint16_t *src, float *dst, long n);
/// out[r][i] = w[r][i] * scales[r * srow + (i / 32) * sblock] for `rows` rows of k (k % 32 == 0).
void ll_q8_dequant_rows(const int8_t *w, const float *scales, long srow, long sblock,
                        long rows, long k, float *out);
/// Quantises rows [row_begin, row_end) of x (`rows` real rows of k; rows past `rows` pad the last
/// group of 16) to int8 blocks of 32 in the packed, +128-offset layout read by ll_q8_gemm.
/// xq holds ceil(rows/16)·16·k bytes, xs ceil(rows/16)·(k/32)·16 floats.
void ll_q8_quantize_rows(const float *x, long rows, long k, long row_begin, long row_end,
                         uint8_t *xq, float *xs);
/// Per-call weight preparation for outputs [o0, o1): ws[o][b] = scales[o*srow + b*sblock],
/// corr[o][b] = -128 · Σ w[o][32b ..< 32b+32].
void ll_q8_gemm_prepare(const int8_t *w, const float *scales, long srow, long sblock,
                        long o0, long o1, long k, float *ws, int32_t *corr);
/// y[r][o] = bias[o] + Σ_b xs(r,b)·ws[o][b]·Σ_{j∈b} x(r,j)·w[o][j] for all rows and o in [o0, o1).
void ll_q8_gemm(const uint8_t *xq, const float *xs, long rows, long k,
                const int8_t *w, const float *ws, const int32_t *corr, long o0, long o1,
                const float *bias, float *y, long ldy);

#endif
