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

#endif
