// Int8 weight kernels for the quantised linears (schemes in LongLiveTensor/Quant): dequantising
// rows of W to float (for SGEMM), quantising activation rows to int8 blocks of 32, and an
// int8 x int8 -> int32 GEMM with per-block float rescaling. Each has a portable C version, an
// AVX2 version and (GEMM: AVX-512 VNNI, dequantise: AVX-512F) a wide one, chosen at run time under
// the same thread-local level limit as kernels.c; the Swift references in LongLiveTensor/Quant are
// what every path is tested against.
#include "CLongLiveKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#define QB 32          // quantisation block along the input dimension
#define GROUP 16       // activation rows interleaved per packed group (one zmm of int32 lanes)

static int vnni_checked = -1;

// 0 portable, 1 AVX2, 2 AVX-512 (+VNNI for the GEMM when the CPU has it).
static int quant_level(void) { return ll_kernels_simd_level(); }

static int has_vnni(void) {
    if (vnni_checked < 0) {
        __builtin_cpu_init();
        vnni_checked = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    }
    return vnni_checked;
}

int ll_quant_gemm_path(void) {
    int level = quant_level();
    if (level >= 2 && has_vnni()) return 2;
    return level >= 1 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Half -> float for the q8_0 block scales (bit manipulation, so no F16C is needed).

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    int exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    float v;
    if (exp == 0) {
        v = (float)mant * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    uint32_t bits = exp == 31 ? (sign | 0x7F800000u | (mant << 13)) : (sign | ((uint32_t)(exp + 112) << 23) | (mant << 13));
    memcpy(&v, &bits, 4);
    return v;
}

void ll_f16_to_f32(const uint16_t *src, float *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = half_to_float(src[i]);
}

// ---------------------------------------------------------------------------------------------
// Dequantisation: out[r][i] = w[r][i] * scale(r, i / 32), with scale(r, b) = scales[r * srow + b * sblock]
// (q8_0: srow = k/32, sblock = 1; per-channel: srow = 1, sblock = 0).

static void dequant_row_portable(const int8_t *w, const float *s, long sblock, long k, float *out) {
    for (long b = 0; b < k / QB; b++) {
        float sc = s[b * sblock];
        for (int j = 0; j < QB; j++) out[b * QB + j] = (float)w[b * QB + j] * sc;
    }
}

__attribute__((target("avx2,fma")))
static void dequant_row_avx2(const int8_t *w, const float *s, long sblock, long k, float *out) {
    for (long b = 0; b < k / QB; b++) {
        __m256 sc = _mm256_set1_ps(s[b * sblock]);
        for (int j = 0; j < QB; j += 8) {
            __m128i q = _mm_loadl_epi64((const __m128i *)(w + b * QB + j));
            __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            _mm256_storeu_ps(out + b * QB + j, _mm256_mul_ps(f, sc));
        }
    }
}

__attribute__((target("avx512f")))
static void dequant_row_avx512(const int8_t *w, const float *s, long sblock, long k, float *out) {
    for (long b = 0; b < k / QB; b++) {
        __m512 sc = _mm512_set1_ps(s[b * sblock]);
        for (int j = 0; j < QB; j += 16) {
            __m128i q = _mm_loadu_si128((const __m128i *)(w + b * QB + j));
            __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
            _mm512_storeu_ps(out + b * QB + j, _mm512_mul_ps(f, sc));
        }
    }
}

void ll_q8_dequant_rows(const int8_t *w, const float *scales, long srow, long sblock,
                        long rows, long k, float *out) {
    int level = quant_level();
    for (long r = 0; r < rows; r++) {
        const int8_t *wr = w + r * k;
        const float *sr = scales + r * srow;
        if (level >= 2) dequant_row_avx512(wr, sr, sblock, k, out + r * k);
        else if (level == 1) dequant_row_avx2(wr, sr, sblock, k, out + r * k);
        else dequant_row_portable(wr, sr, sblock, k, out + r * k);
    }
}

// ---------------------------------------------------------------------------------------------
// Activation quantisation into the packed layout the GEMM reads.
//
// Rows are taken GROUP at a time; a group of k columns is stored as k/4 steps of 64 bytes, each
// holding 4 consecutive columns of all 16 rows (row-major within the step), so one 64-byte load
// feeds vpdpbusd 16 rows x 4 columns. Values are stored offset by +128 (unsigned), because
// vpdpbusd multiplies unsigned by signed bytes; the GEMM removes the offset exactly with
// -128 * sum(w) per weight block. Scales: xs[group][block][16] (per row and block of 32).
// Rows past `rows` in the last group are zero (stored as 128) with scale 0.

void ll_q8_quantize_rows(const float *x, long rows, long k, long row_begin, long row_end,
                         uint8_t *xq, float *xs) {
    long nb = k / QB;
    for (long r = row_begin; r < row_end; r++) {
        long g = r / GROUP, lane = r % GROUP;
        uint8_t *dst = xq + g * GROUP * k;
        float *sdst = xs + g * nb * GROUP;
        const float *src = x + r * k;
        for (long b = 0; b < nb; b++) {
            float amax = 0;
            if (r < rows) for (int j = 0; j < QB; j++) { float a = fabsf(src[b * QB + j]); if (a > amax) amax = a; }
            // q = round(x * 127 / amax), |q| <= 127; the scale written is amax / 127.
            float inv = amax > 0 ? 127.0f / amax : 0.0f;
            sdst[b * GROUP + lane] = amax / 127.0f;
            for (int j = 0; j < QB; j++) {
                long col = b * QB + j;
                int q = r < rows ? (int)nearbyintf(src[col] * inv) : 0;
                if (q > 127) q = 127;
                if (q < -127) q = -127;
                dst[(col / 4) * 64 + lane * 4 + (col % 4)] = (uint8_t)(q + 128);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GEMM: y[r][o] (+)= sum_b xs(r, b) * ws[o][b] * sum_{j in b} xq(r, j) * w[o][j].
//
// `ws` holds one float per (output, block) and `corr` -128 * sum of the block's weights (both
// prepared per call by the caller from the stored scales), so one kernel serves both schemes.
// Outputs o0..o1 are computed for every row; y rows have stride ldy; y is overwritten (bias
// added when given).

static void write_tile(float *y, long ldy, long r0, long rows, long o, const float *tile, int nout,
                       const float *bias) {
    // tile[c * GROUP + lane] holds y[r0 + lane][o + c]
    for (int lane = 0; lane < GROUP && r0 + lane < rows; lane++) {
        float *yr = y + (r0 + lane) * ldy + o;
        for (int c = 0; c < nout; c++) yr[c] = tile[c * GROUP + lane] + (bias ? bias[o + c] : 0.0f);
    }
}

static void gemm_portable(const uint8_t *xq, const float *xs, long rows, long k,
                          const int8_t *w, const float *ws, const int32_t *corr,
                          long o0, long o1, const float *bias, float *y, long ldy) {
    long nb = k / QB, groups = (rows + GROUP - 1) / GROUP;
    float tile[GROUP];
    for (long g = 0; g < groups; g++) {
        const uint8_t *xg = xq + g * GROUP * k;
        for (long o = o0; o < o1; o++) {
            const int8_t *wo = w + o * k;
            for (int lane = 0; lane < GROUP; lane++) {
                float acc = 0;
                for (long b = 0; b < nb; b++) {
                    int32_t dot = corr[o * nb + b];
                    for (int j = 0; j < QB; j++) {
                        long col = b * QB + j;
                        dot += (int32_t)xg[(col / 4) * 64 + lane * 4 + (col % 4)] * (int32_t)wo[col];
                    }
                    acc = fmaf((float)dot, xs[(g * nb + b) * GROUP + lane] * ws[o * nb + b], acc);
                }
                tile[lane] = acc;
            }
            write_tile(y, ldy, g * GROUP, rows, o, tile, 1, bias);
        }
    }
}

// AVX2: no 256-bit VNNI is assumed, so the offset is removed from the activations (xor 0x80) and
// the classic sign trick feeds vpmaddubsw: |x| (unsigned) times w·sign(x) (signed). |x|, |w| <= 127
// keeps each pair sum below 32767, so vpmaddubsw never saturates.
__attribute__((target("avx2,fma")))
static void gemm_avx2(const uint8_t *xq, const float *xs, long rows, long k,
                      const int8_t *w, const float *ws, long o0, long o1,
                      const float *bias, float *y, long ldy) {
    long nb = k / QB, groups = (rows + GROUP - 1) / GROUP;
    const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    float tile[4 * GROUP];
    for (long g = 0; g < groups; g++) {
        const uint8_t *xg = xq + g * GROUP * k;
        for (long o = o0; o < o1; o += 4) {
            int nout = o1 - o < 4 ? (int)(o1 - o) : 4;
            for (int half = 0; half < 2; half++) {
                __m256 af[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
                for (long b = 0; b < nb; b++) {
                    __m256i ai[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
                    for (int s = 0; s < QB / 4; s++) {
                        __m256i xv = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(xg + (b * 8 + s) * 64 + half * 32)), flip);
                        __m256i ax = _mm256_abs_epi8(xv);
                        for (int c = 0; c < nout; c++) {
                            int32_t w4;
                            memcpy(&w4, w + (o + c) * k + b * QB + s * 4, 4);
                            __m256i wv = _mm256_sign_epi8(_mm256_set1_epi32(w4), xv);
                            ai[c] = _mm256_add_epi32(ai[c], _mm256_madd_epi16(_mm256_maddubs_epi16(ax, wv), ones));
                        }
                    }
                    __m256 sx = _mm256_loadu_ps(xs + (g * nb + b) * GROUP + half * 8);
                    for (int c = 0; c < nout; c++) {
                        __m256 sc = _mm256_mul_ps(sx, _mm256_set1_ps(ws[(o + c) * nb + b]));
                        af[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ai[c]), sc, af[c]);
                    }
                }
                for (int c = 0; c < nout; c++) _mm256_storeu_ps(tile + c * GROUP + half * 8, af[c]);
            }
            write_tile(y, ldy, g * GROUP, rows, o, tile, nout, bias);
        }
    }
}

// AVX-512 VNNI: a register tile of R groups (16 rows each) x C outputs; per step one 64-byte
// activation load per group and one 4-byte weight broadcast per output feed R x C vpdpbusd.
// The int32 accumulators start at the block's offset correction and are rescaled into float
// accumulators once per block of 32 columns.
#define VR 2
#define VC 6

__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void vnni_tile(const uint8_t *xq, const float *xs, long k, long nb, long g0, int R,
                             const int8_t *w, const float *ws, const int32_t *corr, long o, int C,
                             float *tile /* [VR][VC][GROUP] */) {
    __m512 af[VR][VC];
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) af[r][c] = _mm512_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m512i ai[VR][VC];
        for (int c = 0; c < C; c++) {
            __m512i init = _mm512_set1_epi32(corr[(o + c) * nb + b]);
            for (int r = 0; r < R; r++) ai[r][c] = init;
        }
        for (int s = 0; s < QB / 4; s++) {
            __m512i xv[VR];
            for (int r = 0; r < R; r++) xv[r] = _mm512_loadu_si512((const void *)(xq + (g0 + r) * GROUP * k + (b * 8 + s) * 64));
            for (int c = 0; c < C; c++) {
                int32_t w4;
                memcpy(&w4, w + (o + c) * k + b * QB + s * 4, 4);
                __m512i wv = _mm512_set1_epi32(w4);
                for (int r = 0; r < R; r++) ai[r][c] = _mm512_dpbusd_epi32(ai[r][c], xv[r], wv);
            }
        }
        __m512 sx[VR];
        for (int r = 0; r < R; r++) sx[r] = _mm512_loadu_ps(xs + ((g0 + r) * nb + b) * GROUP);
        for (int c = 0; c < C; c++) {
            __m512 swc = _mm512_set1_ps(ws[(o + c) * nb + b]);
            for (int r = 0; r < R; r++)
                af[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ai[r][c]), _mm512_mul_ps(sx[r], swc), af[r][c]);
        }
    }
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) _mm512_storeu_ps(tile + (r * VC + c) * GROUP, af[r][c]);
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void gemm_vnni(const uint8_t *xq, const float *xs, long rows, long k,
                      const int8_t *w, const float *ws, const int32_t *corr, long o0, long o1,
                      const float *bias, float *y, long ldy) {
    long nb = k / QB, groups = (rows + GROUP - 1) / GROUP;
    float tile[VR * VC * GROUP];
    // Groups in blocks of 4 (64 rows, at most 64·k bytes: stays in L2 while the outputs stream by).
    for (long gb = 0; gb < groups; gb += 4) {
        long gend = gb + 4 < groups ? gb + 4 : groups;
        for (long o = o0; o < o1; o += VC) {
            int C = o1 - o < VC ? (int)(o1 - o) : VC;
            for (long g = gb; g < gend; g += VR) {
                int R = gend - g < VR ? (int)(gend - g) : VR;
                // Constant R and C in the common case let the compiler keep the tile in registers.
                if (R == VR && C == VC) vnni_tile(xq, xs, k, nb, g, VR, w, ws, corr, o, VC, tile);
                else vnni_tile(xq, xs, k, nb, g, R, w, ws, corr, o, C, tile);
                for (int r = 0; r < R; r++) {
                    float t[VC * GROUP];
                    for (int c = 0; c < C; c++) memcpy(t + c * GROUP, tile + (r * VC + c) * GROUP, GROUP * sizeof(float));
                    write_tile(y, ldy, (g + r) * GROUP, rows, o, t, C, bias);
                }
            }
        }
    }
}

void ll_q8_gemm(const uint8_t *xq, const float *xs, long rows, long k,
                const int8_t *w, const float *ws, const int32_t *corr, long o0, long o1,
                const float *bias, float *y, long ldy) {
    int path = ll_quant_gemm_path();
    if (path == 2) gemm_vnni(xq, xs, rows, k, w, ws, corr, o0, o1, bias, y, ldy);
    else if (path == 1) gemm_avx2(xq, xs, rows, k, w, ws, o0, o1, bias, y, ldy);
    else gemm_portable(xq, xs, rows, k, w, ws, corr, o0, o1, bias, y, ldy);
}

void ll_q8_gemm_prepare(const int8_t *w, const float *scales, long srow, long sblock,
                        long o0, long o1, long k, float *ws, int32_t *corr) {
    long nb = k / QB;
    for (long o = o0; o < o1; o++) {
        for (long b = 0; b < nb; b++) {
            int32_t s = 0;
            for (int j = 0; j < QB; j++) s += w[o * k + b * QB + j];
            corr[o * nb + b] = -128 * s;
            ws[o * nb + b] = scales[o * srow + b * sblock];
        }
    }
}
