// Backward-pass kernels for training: the elementwise and row-wise derivatives whose scalar Swift
// loops dominated a step's non-GEMM time. Portable, AVX2+FMA and AVX-512 paths chosen at run time
// like the forward kernels; GradientKernels in LongLiveTensor holds the readable reference.
#include "CLongLiveKernels.h"
#include <math.h>
#include <immintrin.h>
#include "simd_exp.h"

#define GELU_K 0.7978845608028654f
#define GELU_C 0.044715f

// d/dv of 0.5 v (1 + tanh(u)), u = k (v + c v^3): 0.5 (1 + t) + 0.5 v (1 - t^2) k (1 + 3 c v^2).
static float gelu_grad1(float v) {
    float t = tanhf(GELU_K * (v + GELU_C * v * v * v));
    return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_C * v * v);
}

__attribute__((target("avx2,fma")))
static void gelu_backward_avx2(const float *x, const float *g, float *out, long n) {
    const __m256 k = _mm256_set1_ps(GELU_K), c = _mm256_set1_ps(GELU_C), c3 = _mm256_set1_ps(3.0f * GELU_C);
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), half = _mm256_set1_ps(0.5f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), v2 = _mm256_mul_ps(v, v);
        __m256 u = _mm256_mul_ps(k, _mm256_fmadd_ps(_mm256_mul_ps(c, v), v2, v));
        __m256 t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(exp256(_mm256_mul_ps(two, u)), one)));
        __m256 sech2 = _mm256_fnmadd_ps(t, t, one);
        __m256 inner = _mm256_mul_ps(k, _mm256_fmadd_ps(c3, v2, one));
        __m256 d = _mm256_fmadd_ps(_mm256_mul_ps(half, v), _mm256_mul_ps(sech2, inner), _mm256_mul_ps(half, _mm256_add_ps(one, t)));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d));
    }
    for (; i < n; i++) out[i] = g[i] * gelu_grad1(x[i]);
}

__attribute__((target("avx512f")))
static void gelu_backward_avx512(const float *x, const float *g, float *out, long n) {
    const __m512 k = _mm512_set1_ps(GELU_K), c = _mm512_set1_ps(GELU_C), c3 = _mm512_set1_ps(3.0f * GELU_C);
    const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f), half = _mm512_set1_ps(0.5f);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i), v2 = _mm512_mul_ps(v, v);
        __m512 u = _mm512_mul_ps(k, _mm512_fmadd_ps(_mm512_mul_ps(c, v), v2, v));
        __m512 t = _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(exp512(_mm512_mul_ps(two, u)), one)));
        __m512 sech2 = _mm512_fnmadd_ps(t, t, one);
        __m512 inner = _mm512_mul_ps(k, _mm512_fmadd_ps(c3, v2, one));
        __m512 d = _mm512_fmadd_ps(_mm512_mul_ps(half, v), _mm512_mul_ps(sech2, inner), _mm512_mul_ps(half, _mm512_add_ps(one, t)));
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), d));
    }
    for (; i < n; i++) out[i] = g[i] * gelu_grad1(x[i]);
}

void ll_gelu_tanh_backward(const float *x, const float *g, float *out, long n) {
    int simd = ll_kernels_simd_level();
    if (simd == 2) { gelu_backward_avx512(x, g, out, n); return; }
    if (simd) { gelu_backward_avx2(x, g, out, n); return; }
    for (long i = 0; i < n; i++) out[i] = g[i] * gelu_grad1(x[i]);
}

// dS = scale · P ⊙ (dP − rowsum(dP ⊙ P)), in place over dP.
static void softmax_backward_row_portable(const float *p, float *dp, long n, float scale) {
    float dot = 0;
    for (long j = 0; j < n; j++) dot += dp[j] * p[j];
    for (long j = 0; j < n; j++) dp[j] = p[j] * (dp[j] - dot) * scale;
}

__attribute__((target("avx512f")))
static void softmax_backward_row_avx512(const float *p, float *dp, long n, float scale) {
    __m512 acc = _mm512_setzero_ps();
    long j = 0;
    for (; j + 16 <= n; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(dp + j), _mm512_loadu_ps(p + j), acc);
    float dot = _mm512_reduce_add_ps(acc);
    for (; j < n; j++) dot += dp[j] * p[j];
    const __m512 d = _mm512_set1_ps(dot), s = _mm512_set1_ps(scale);
    for (j = 0; j + 16 <= n; j += 16) {
        __m512 pv = _mm512_mul_ps(_mm512_loadu_ps(p + j), s);
        _mm512_storeu_ps(dp + j, _mm512_mul_ps(pv, _mm512_sub_ps(_mm512_loadu_ps(dp + j), d)));
    }
    for (; j < n; j++) dp[j] = p[j] * (dp[j] - dot) * scale;
}

__attribute__((target("avx2,fma")))
static void softmax_backward_row_avx2(const float *p, float *dp, long n, float scale) {
    __m256 acc = _mm256_setzero_ps();
    long j = 0;
    for (; j + 8 <= n; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(dp + j), _mm256_loadu_ps(p + j), acc);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    float dot = _mm_cvtss_f32(h);
    for (; j < n; j++) dot += dp[j] * p[j];
    const __m256 d = _mm256_set1_ps(dot), s = _mm256_set1_ps(scale);
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 pv = _mm256_mul_ps(_mm256_loadu_ps(p + j), s);
        _mm256_storeu_ps(dp + j, _mm256_mul_ps(pv, _mm256_sub_ps(_mm256_loadu_ps(dp + j), d)));
    }
    for (; j < n; j++) dp[j] = p[j] * (dp[j] - dot) * scale;
}

void ll_softmax_backward_rows(const float *p, float *dp, long rows, long cols, long ld, float scale) {
    int simd = ll_kernels_simd_level();
    for (long r = 0; r < rows; r++) {
        if (simd == 2) softmax_backward_row_avx512(p + r * ld, dp + r * ld, cols, scale);
        else if (simd) softmax_backward_row_avx2(p + r * ld, dp + r * ld, cols, scale);
        else softmax_backward_row_portable(p + r * ld, dp + r * ld, cols, scale);
    }
}
