// Fast paths for the elementwise and row-wise kernels. Each has a portable C version and an
// AVX2+FMA version selected at run time; the Swift reference in LongLiveTensor is what both
// are tested against.
#include "CLongLiveKernels.h"
#include <math.h>
#include <immintrin.h>
#include "simd_exp.h"

// Thread-local so a test that pins a path affects only its own thread and the workers it fans out to
// (Parallel passes the limit on), never other work running in the same process.
static _Thread_local int max_level = 2;
static int simd_checked = -1;

// 0: portable, 1: AVX2+FMA, 2: AVX-512F as well (used by the heaviest row kernels).
static int use_simd(void) {
    if (simd_checked < 0) {
        __builtin_cpu_init();
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        simd_checked = avx2 ? (__builtin_cpu_supports("avx512f") ? 2 : 1) : 0;
    }
    return simd_checked < max_level ? simd_checked : max_level;
}

int ll_kernels_simd_level(void) { return use_simd(); }
void ll_kernels_force_portable(int on) { max_level = on ? 0 : 2; }
void ll_kernels_limit_level(int level) { max_level = level; }
int ll_kernels_level_limit(void) { return max_level; }

// Worker budget of the calling thread for Parallel (0 = all cores); thread-local so concurrent
// single-threaded tasks (data-parallel training micro-batches) do not fan out again.
static _Thread_local int worker_budget = 0;
int ll_worker_budget(void) { return worker_budget; }
void ll_set_worker_budget(int n) { worker_budget = n; }

// ---------------------------------------------------------------------------------------------
// Portable versions.

static void softmax_row_portable(float *x, long n, float scale) {
    float m = -INFINITY;
    for (long i = 0; i < n; i++) if (x[i] > m) m = x[i];
    double sum = 0;
    for (long i = 0; i < n; i++) { float e = expf((x[i] - m) * scale); x[i] = e; sum += e; }
    float inv = (float)(1.0 / sum);
    for (long i = 0; i < n; i++) x[i] *= inv;
}

static void layernorm_row_portable(const float *x, float *y, long n, float eps,
                                   const float *mul, const float *add) {
    double s = 0;
    for (long i = 0; i < n; i++) s += x[i];
    float mean = (float)(s / n);
    double v = 0;
    for (long i = 0; i < n; i++) { float d = x[i] - mean; v += (double)d * d; }
    float r = 1.0f / sqrtf((float)(v / n) + eps);
    for (long i = 0; i < n; i++) {
        float t = (x[i] - mean) * r;
        if (mul) t *= mul[i];
        if (add) t += add[i];
        y[i] = t;
    }
}

static void rmsnorm_row_portable(const float *x, float *y, long n, float eps, const float *w) {
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)x[i] * x[i];
    float r = 1.0f / sqrtf((float)(s / n) + eps);
    for (long i = 0; i < n; i++) y[i] = w ? x[i] * r * w[i] : x[i] * r;
}

static float gelu1(float v) {
    const float k = 0.7978845608028654f;
    return 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA versions.

__attribute__((target("avx2,fma")))
static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma")))
static inline float hmax256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_max_ps(lo, hi);
    lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_max_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma")))
static void softmax_row_avx2(float *x, long n, float scale) {
    long i = 0;
    __m256 vm = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + i));
    float m = hmax256(vm);
    for (; i < n; i++) if (x[i] > m) m = x[i];
    __m256 vs = _mm256_set1_ps(scale), vmax = _mm256_set1_ps(m), acc = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp256(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax), vs));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float sum = hsum256(acc);
    for (; i < n; i++) { float e = expf((x[i] - m) * scale); x[i] = e; sum += e; }
    __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] *= 1.0f / sum;
}

__attribute__((target("avx2,fma")))
static void layernorm_row_avx2(const float *x, float *y, long n, float eps,
                               const float *mul, const float *add) {
    long i = 0;
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(x + i));
    float s = hsum256(acc);
    for (; i < n; i++) s += x[i];
    float mean = s / n;
    __m256 vmean = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
        acc = _mm256_fmadd_ps(d, d, acc);
    }
    float v = hsum256(acc);
    for (; i < n; i++) { float d = x[i] - mean; v += d * d; }
    float r = 1.0f / sqrtf(v / n + eps);
    __m256 vr = _mm256_set1_ps(r);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), vr);
        if (mul) t = _mm256_mul_ps(t, _mm256_loadu_ps(mul + i));
        if (add) t = _mm256_add_ps(t, _mm256_loadu_ps(add + i));
        _mm256_storeu_ps(y + i, t);
    }
    for (; i < n; i++) {
        float t = (x[i] - mean) * r;
        if (mul) t *= mul[i];
        if (add) t += add[i];
        y[i] = t;
    }
}

__attribute__((target("avx2,fma")))
static void rmsnorm_row_avx2(const float *x, float *y, long n, float eps, const float *w) {
    long i = 0;
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) { __m256 a = _mm256_loadu_ps(x + i); acc = _mm256_fmadd_ps(a, a, acc); }
    float s = hsum256(acc);
    for (; i < n; i++) s += x[i] * x[i];
    float r = 1.0f / sqrtf(s / n + eps);
    __m256 vr = _mm256_set1_ps(r);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 t = _mm256_mul_ps(_mm256_loadu_ps(x + i), vr);
        if (w) t = _mm256_mul_ps(t, _mm256_loadu_ps(w + i));
        _mm256_storeu_ps(y + i, t);
    }
    for (; i < n; i++) y[i] = w ? x[i] * r * w[i] : x[i] * r;
}

__attribute__((target("avx2,fma")))
static void gelu_avx2(float *x, long n) {
    // tanh(u) = 1 - 2 / (exp(2u) + 1), exact in the limits thanks to exp's clamping.
    const __m256 k = _mm256_set1_ps(0.7978845608028654f), c = _mm256_set1_ps(0.044715f);
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), half = _mm256_set1_ps(0.5f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 u = _mm256_mul_ps(k, _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v));
        __m256 e = exp256(_mm256_mul_ps(two, u));
        __m256 t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, t)));
    }
    for (; i < n; i++) x[i] = gelu1(x[i]);
}

__attribute__((target("avx2,fma")))
static void silu_avx2(float *x, long n) {
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = exp256(_mm256_sub_ps(zero, v));
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
    }
    for (; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

__attribute__((target("avx2,fma")))
static void exp_avx2(float *x, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp256(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] = expf(x[i]);
}

// ---------------------------------------------------------------------------------------------
// AVX-512 versions of the two kernels that dominate the non-GEMM time (attention softmax, GELU).

__attribute__((target("avx512f")))
static void softmax_row_avx512(float *x, long n, float scale) {
    long i = 0;
    __m512 vm = _mm512_set1_ps(-INFINITY);
    for (; i + 16 <= n; i += 16) vm = _mm512_max_ps(vm, _mm512_loadu_ps(x + i));
    float m = _mm512_reduce_max_ps(vm);
    for (; i < n; i++) if (x[i] > m) m = x[i];
    __m512 vs = _mm512_set1_ps(scale), vmax = _mm512_set1_ps(m), acc = _mm512_setzero_ps();
    for (i = 0; i + 16 <= n; i += 16) {
        __m512 e = exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vmax), vs));
        _mm512_storeu_ps(x + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    float sum = _mm512_reduce_add_ps(acc);
    for (; i < n; i++) { float e = expf((x[i] - m) * scale); x[i] = e; sum += e; }
    __m512 inv = _mm512_set1_ps(1.0f / sum);
    for (i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] *= 1.0f / sum;
}

__attribute__((target("avx512f")))
static void gelu_avx512(float *x, long n) {
    const __m512 k = _mm512_set1_ps(0.7978845608028654f), c = _mm512_set1_ps(0.044715f);
    const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f), half = _mm512_set1_ps(0.5f);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 u = _mm512_mul_ps(k, _mm512_fmadd_ps(_mm512_mul_ps(c, v), _mm512_mul_ps(v, v), v));
        __m512 e = exp512(_mm512_mul_ps(two, u));
        __m512 t = _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(e, one)));
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, t)));
    }
    for (; i < n; i++) x[i] = gelu1(x[i]);
}

// ---------------------------------------------------------------------------------------------
// Entry points.

void ll_softmax_rows(float *x, long rows, long cols, long ld, float scale) {
    int simd = use_simd();
    for (long r = 0; r < rows; r++) {
        if (simd == 2) softmax_row_avx512(x + r * ld, cols, scale);
        else if (simd) softmax_row_avx2(x + r * ld, cols, scale);
        else softmax_row_portable(x + r * ld, cols, scale);
    }
}

void ll_layernorm_rows(const float *x, float *y, long rows, long dim, float eps,
                       const float *mul, const float *add) {
    int simd = use_simd();
    for (long r = 0; r < rows; r++) {
        if (simd) layernorm_row_avx2(x + r * dim, y + r * dim, dim, eps, mul, add);
        else layernorm_row_portable(x + r * dim, y + r * dim, dim, eps, mul, add);
    }
}

void ll_rmsnorm_rows(const float *x, float *y, long rows, long dim, float eps, const float *weight) {
    int simd = use_simd();
    for (long r = 0; r < rows; r++) {
        if (simd) rmsnorm_row_avx2(x + r * dim, y + r * dim, dim, eps, weight);
        else rmsnorm_row_portable(x + r * dim, y + r * dim, dim, eps, weight);
    }
}

void ll_gelu_tanh(float *x, long n) {
    int simd = use_simd();
    if (simd == 2) { gelu_avx512(x, n); return; }
    if (simd) { gelu_avx2(x, n); return; }
    for (long i = 0; i < n; i++) x[i] = gelu1(x[i]);
}

void ll_silu(float *x, long n) {
    if (use_simd()) { silu_avx2(x, n); return; }
    for (long i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

void ll_exp(float *x, long n) {
    if (use_simd()) { exp_avx2(x, n); return; }
    for (long i = 0; i < n; i++) x[i] = expf(x[i]);
}
