// The AdamW update, one pass over a parameter and its moments (the optimiser was ~8 % of a teacher
// step as a scalar Swift loop). Same arithmetic order as the Swift reference in AdamW.swift.
#include "CLongLiveKernels.h"
#include <math.h>
#include <immintrin.h>

static void adamw_portable(float *w, const float *g, float *m, float *v, long n,
                           float lr, float b1, float b2, float eps, float wd, float c1, float c2) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= lr * wd * w[i];
        w[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
    }
}

__attribute__((target("avx512f")))
static void adamw_avx512(float *w, const float *g, float *m, float *v, long n,
                         float lr, float b1, float b2, float eps, float wd, float c1, float c2) {
    const __m512 vb1 = _mm512_set1_ps(b1), vb1c = _mm512_set1_ps(1 - b1), vb2 = _mm512_set1_ps(b2), vb2c = _mm512_set1_ps(1 - b2);
    const __m512 vdecay = _mm512_set1_ps(lr * wd), vlr = _mm512_set1_ps(lr), veps = _mm512_set1_ps(eps);
    const __m512 vc1 = _mm512_set1_ps(c1), vc2 = _mm512_set1_ps(c2);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(vb1c, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_loadu_ps(v + i)), _mm512_mul_ps(_mm512_mul_ps(vb2c, gi), gi));
        __m512 wi = _mm512_loadu_ps(w + i);
        wi = _mm512_sub_ps(wi, _mm512_mul_ps(vdecay, wi));
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(vi, vc2)), veps);
        wi = _mm512_sub_ps(wi, _mm512_div_ps(_mm512_mul_ps(vlr, _mm512_mul_ps(mi, vc1)), den));
        _mm512_storeu_ps(m + i, mi); _mm512_storeu_ps(v + i, vi); _mm512_storeu_ps(w + i, wi);
    }
    adamw_portable(w + i, g + i, m + i, v + i, n - i, lr, b1, b2, eps, wd, c1, c2);
}

__attribute__((target("avx2,fma")))
static void adamw_avx2(float *w, const float *g, float *m, float *v, long n,
                       float lr, float b1, float b2, float eps, float wd, float c1, float c2) {
    const __m256 vb1 = _mm256_set1_ps(b1), vb1c = _mm256_set1_ps(1 - b1), vb2 = _mm256_set1_ps(b2), vb2c = _mm256_set1_ps(1 - b2);
    const __m256 vdecay = _mm256_set1_ps(lr * wd), vlr = _mm256_set1_ps(lr), veps = _mm256_set1_ps(eps);
    const __m256 vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vb1c, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(vb2c, gi), gi));
        __m256 wi = _mm256_loadu_ps(w + i);
        wi = _mm256_sub_ps(wi, _mm256_mul_ps(vdecay, wi));
        __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vc2)), veps);
        wi = _mm256_sub_ps(wi, _mm256_div_ps(_mm256_mul_ps(vlr, _mm256_mul_ps(mi, vc1)), den));
        _mm256_storeu_ps(m + i, mi); _mm256_storeu_ps(v + i, vi); _mm256_storeu_ps(w + i, wi);
    }
    adamw_portable(w + i, g + i, m + i, v + i, n - i, lr, b1, b2, eps, wd, c1, c2);
}

void ll_adamw(float *w, const float *g, float *m, float *v, long n,
              float lr, float b1, float b2, float eps, float wd, float c1, float c2) {
    int simd = ll_kernels_simd_level();
    if (simd == 2) adamw_avx512(w, g, m, v, n, lr, b1, b2, eps, wd, c1, c2);
    else if (simd) adamw_avx2(w, g, m, v, n, lr, b1, b2, eps, wd, c1, c2);
    else adamw_portable(w, g, m, v, n, lr, b1, b2, eps, wd, c1, c2);
}
