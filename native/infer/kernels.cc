// Kernels of kernels.h. Each fast kernel exists for AVX-512, AVX2 + FMA and scalar,
// compiled from one source file with the target attributes of kernels/targets.h (no
// -march flag); the level is simd.h's: picked once from cpuid, forceable down.
#include "kernels.h"
#include <immintrin.h>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/targets.h"

#define T_AVX2 SRNN_TARGET_AVX2
#define T_AVX512 SRNN_TARGET_AVX512

namespace sinfer {

using srnn::simd_level;

// ---------------------------------------------------------------- gather (CSR rows)
//
// Values are fp32 (V = float) or IEEE half bits (V = uint16_t, used when every value of
// the model is exactly representable, e.g. an fp16 export: lossless, and a third less
// memory traffic — batch-1 sparse steps are bound by the bytes of indices + values).

static float half_to_float(uint16_t h) {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t i = 0; i < 65536; i++) {
      const uint32_t sign = (i & 0x8000u) << 16, exp = (i >> 10) & 0x1f, mant = i & 0x3ff;
      uint32_t bits;
      if (exp == 0 && mant == 0) bits = sign;
      else if (exp == 0) {  // subnormal: renormalise
        int e = -1;
        uint32_t m = mant;
        do { e++; m <<= 1; } while (!(m & 0x400));
        bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((m & 0x3ff) << 13);
      } else if (exp == 0x1f) bits = sign | 0x7f800000u | (mant << 13);
      else bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
      float f;
      std::memcpy(&f, &bits, 4);
      t[i] = f;
    }
    return t;
  }();
  return table[h];
}

static inline float val_at(const float* v, uint32_t k) { return v[k]; }
static inline float val_at(const uint16_t* v, uint32_t k) { return half_to_float(v[k]); }
static inline float val_at(const int8_t* v, uint32_t k) { return (float)v[k]; }

// Scalar, four independent chains. Also the AVX2 level's kernel: on the AMD parts we
// measured, vpgatherdps ymm was ~2x slower than these plain loads.
template <typename I, typename V>
static void gather_scalar(float* y, const uint32_t* rp, const I* idx, const V* val,
                          const float* z, const float* bias, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    uint32_t k = rp[r];
    const uint32_t e = rp[r + 1];
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    for (; k + 4 <= e; k += 4) {
      s0 += val_at(val, k) * z[idx[k]];
      s1 += val_at(val, k + 1) * z[idx[k + 1]];
      s2 += val_at(val, k + 2) * z[idx[k + 2]];
      s3 += val_at(val, k + 3) * z[idx[k + 3]];
    }
    for (; k < e; k++) s0 += val_at(val, k) * z[idx[k]];
    y[r] = (bias ? bias[r] : 0.f) + ((s0 + s1) + (s2 + s3));
  }
}

T_AVX2 static inline float f16c_to_float(uint16_t h) { return _cvtsh_ss(h); }
T_AVX2 static inline float val_at_f16c(const float* v, uint32_t k) { return v[k]; }
T_AVX2 static inline float val_at_f16c(const uint16_t* v, uint32_t k) { return f16c_to_float(v[k]); }
T_AVX2 static inline float val_at_f16c(const int8_t* v, uint32_t k) { return (float)v[k]; }

template <typename I, typename V>
T_AVX2 static void gather_avx2(float* y, const uint32_t* rp, const I* idx, const V* val,
                               const float* z, const float* bias, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    uint32_t k = rp[r];
    const uint32_t e = rp[r + 1];
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    for (; k + 4 <= e; k += 4) {
      s0 = std::fma(val_at_f16c(val, k), z[idx[k]], s0);
      s1 = std::fma(val_at_f16c(val, k + 1), z[idx[k + 1]], s1);
      s2 = std::fma(val_at_f16c(val, k + 2), z[idx[k + 2]], s2);
      s3 = std::fma(val_at_f16c(val, k + 3), z[idx[k + 3]], s3);
    }
    for (; k < e; k++) s0 = std::fma(val_at_f16c(val, k), z[idx[k]], s0);
    y[r] = (bias ? bias[r] : 0.f) + ((s0 + s1) + (s2 + s3));
  }
}

T_AVX512 static inline __m512i load_idx16(const uint16_t* p) { return _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)); }
T_AVX512 static inline __m512i load_idx16(const uint32_t* p) { return _mm512_loadu_si512(p); }
T_AVX512 static inline __m512i load_idx16_mask(const uint16_t* p, __mmask16 m) { return _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)); }
T_AVX512 static inline __m512i load_idx16_mask(const uint32_t* p, __mmask16 m) { return _mm512_maskz_loadu_epi32(m, p); }
T_AVX512 static inline __m512 load_val16(const float* p) { return _mm512_loadu_ps(p); }
T_AVX512 static inline __m512 load_val16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p)); }
T_AVX512 static inline __m512 load_val16_mask(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
T_AVX512 static inline __m512 load_val16_mask(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
T_AVX512 static inline __m512 load_val16(const int8_t* p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p))); }
T_AVX512 static inline __m512 load_val16_mask(const int8_t* p, __mmask16 m) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p))); }

template <typename I, typename V>
T_AVX512 static void gather_avx512(float* y, const uint32_t* rp, const I* idx, const V* val,
                                   const float* z, const float* bias, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    uint32_t k = rp[r];
    const uint32_t e = rp[r + 1];
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; k + 32 <= e; k += 32) {
      a0 = _mm512_fmadd_ps(load_val16(val + k), _mm512_i32gather_ps(load_idx16(idx + k), z, 4), a0);
      a1 = _mm512_fmadd_ps(load_val16(val + k + 16), _mm512_i32gather_ps(load_idx16(idx + k + 16), z, 4), a1);
    }
    if (k + 16 <= e) {
      a0 = _mm512_fmadd_ps(load_val16(val + k), _mm512_i32gather_ps(load_idx16(idx + k), z, 4), a0);
      k += 16;
    }
    if (k < e) {
      const __mmask16 m = (__mmask16)((1u << (e - k)) - 1);
      const __m512 g = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, load_idx16_mask(idx + k, m), z, 4);
      a1 = _mm512_fmadd_ps(load_val16_mask(val + k, m), g, a1);
    }
    y[r] = (bias ? bias[r] : 0.f) + _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
  }
}

template <typename I, typename V>
void gather(float* y, const uint32_t* rp, const I* idx, const V* val,
            const float* z, const float* bias, int r0, int r1) {
  switch (simd_level()) {
    case SimdLevel::AVX512: return gather_avx512(y, rp, idx, val, z, bias, r0, r1);
    case SimdLevel::AVX2: return gather_avx2(y, rp, idx, val, z, bias, r0, r1);
    default: return gather_scalar(y, rp, idx, val, z, bias, r0, r1);
  }
}

template <typename I, typename V>
void gather_naive(float* y, const uint32_t* rp, const I* idx, const V* val,
                  const float* z, const float* bias, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    float s = 0.f;
    for (uint32_t k = rp[r]; k < rp[r + 1]; k++) s += val_at(val, k) * z[idx[k]];
    y[r] = (bias ? bias[r] : 0.f) + s;
  }
}

#define GATHER(I, V)                                                                                          \
  template void gather<I, V>(float*, const uint32_t*, const I*, const V*, const float*, const float*, int, int); \
  template void gather_naive<I, V>(float*, const uint32_t*, const I*, const V*, const float*, const float*, int, int);
GATHER(uint16_t, float) GATHER(uint32_t, float) GATHER(uint16_t, uint16_t) GATHER(uint32_t, uint16_t)
GATHER(uint16_t, int8_t) GATHER(uint32_t, int8_t)
#undef GATHER

// ---------------------------------------------------------------- window ELL (AVX-512)

T_AVX512 static inline __m512 load_lvl(const float* p) { return _mm512_loadu_ps(p); }
T_AVX512 static inline __m512 load_lvl(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p)); }
T_AVX512 static inline __m512 load_lvl(const int8_t* p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p))); }

template <typename V>
T_AVX512 static void ell_avx512(float* y, const uint8_t* depth, const uint32_t* start, const uint8_t* idx,
                                const V* val, int W, const float* z, const float* bias, int s0, int s1) {
  for (int s = s0; s < s1; s++) {
    __m512 a0 = bias ? _mm512_loadu_ps(bias + 16 * s) : _mm512_setzero_ps();
    __m512 a1 = _mm512_setzero_ps();
    size_t lv = start[s];
    const uint8_t* dp = depth + (size_t)s * W;
    for (int w = 0; w < W; w++) {
      const int d = dp[w];
      if (!d) continue;
      const __m512 zlo = _mm512_loadu_ps(z + 32 * w), zhi = _mm512_loadu_ps(z + 32 * w + 16);
      int t = 0;
      for (; t + 2 <= d; t += 2, lv += 2) {
        const __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(idx + 16 * lv)));
        const __m512i i1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(idx + 16 * lv + 16)));
        a0 = _mm512_fmadd_ps(load_lvl(val + 16 * lv), _mm512_permutex2var_ps(zlo, i0, zhi), a0);
        a1 = _mm512_fmadd_ps(load_lvl(val + 16 * lv + 16), _mm512_permutex2var_ps(zlo, i1, zhi), a1);
      }
      if (t < d) {
        const __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(idx + 16 * lv)));
        a0 = _mm512_fmadd_ps(load_lvl(val + 16 * lv), _mm512_permutex2var_ps(zlo, i0, zhi), a0);
        lv++;
      }
    }
    _mm512_storeu_ps(y + 16 * s, _mm512_add_ps(a0, a1));
  }
}

template <typename V>
bool ell_run(float* y, const uint8_t* depth, const uint32_t* start, const uint8_t* idx, const V* val,
             int W, const float* z, const float* bias, int s0, int s1) {
  if (simd_level() != SimdLevel::AVX512) return false;
  ell_avx512(y, depth, start, idx, val, W, z, bias, s0, s1);
  return true;
}

template <int B, typename V>
T_AVX512 static void ell_batch_avx512(float* const* y, const uint8_t* depth, const uint32_t* start, const uint8_t* idx,
                                      const V* val, int W, const float* const* z, const float* bias, int s0, int s1) {
  for (int s = s0; s < s1; s++) {
    __m512 acc[B];
    for (int b = 0; b < B; b++) acc[b] = bias ? _mm512_loadu_ps(bias + 16 * s) : _mm512_setzero_ps();
    size_t lv = start[s];
    const uint8_t* dp = depth + (size_t)s * W;
    for (int w = 0; w < W; w++) {
      const int d = dp[w];
      if (!d) continue;
      __m512 zlo[B], zhi[B];
      for (int b = 0; b < B; b++) {
        zlo[b] = _mm512_loadu_ps(z[b] + 32 * w);
        zhi[b] = _mm512_loadu_ps(z[b] + 32 * w + 16);
      }
      for (int t = 0; t < d; t++, lv++) {
        const __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(idx + 16 * lv)));
        const __m512 v = load_lvl(val + 16 * lv);
        for (int b = 0; b < B; b++) acc[b] = _mm512_fmadd_ps(v, _mm512_permutex2var_ps(zlo[b], i0, zhi[b]), acc[b]);
      }
    }
    for (int b = 0; b < B; b++) _mm512_storeu_ps(y[b] + 16 * s, acc[b]);
  }
}

template <typename V>
bool ell_run_batch(float* const* y, const uint8_t* depth, const uint32_t* start, const uint8_t* idx, const V* val,
                   int W, const float* const* z, int B, const float* bias, int s0, int s1) {
  if (simd_level() != SimdLevel::AVX512) return false;
  switch (B) {
#define CASE(n) case n: ell_batch_avx512<n>(y, depth, start, idx, val, W, z, bias, s0, s1); return true;
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
#undef CASE
    default: return false;
  }
}

template bool ell_run_batch<float>(float* const*, const uint8_t*, const uint32_t*, const uint8_t*, const float*, int, const float* const*, int, const float*, int, int);
template bool ell_run_batch<int8_t>(float* const*, const uint8_t*, const uint32_t*, const uint8_t*, const int8_t*, int, const float* const*, int, const float*, int, int);
template bool ell_run_batch<uint16_t>(float* const*, const uint8_t*, const uint32_t*, const uint8_t*, const uint16_t*, int, const float* const*, int, const float*, int, int);

template bool ell_run<float>(float*, const uint8_t*, const uint32_t*, const uint8_t*, const float*, int, const float*, const float*, int, int);
template bool ell_run<int8_t>(float*, const uint8_t*, const uint32_t*, const uint8_t*, const int8_t*, int, const float*, const float*, int, int);
template bool ell_run<uint16_t>(float*, const uint8_t*, const uint32_t*, const uint8_t*, const uint16_t*, int, const float*, const float*, int, int);

// ---------------------------------------------------------------- dense y += x·W

void dense_xw_naive(float* y, const float* x, const float* W, int K, int N, int ldw) {
  for (int n = 0; n < N; n++) {
    float s = 0.f;
    for (int k = 0; k < K; k++) s += x[k] * W[(size_t)k * ldw + n];
    y[n] += s;
  }
}

static void dense_xw_scalar(float* y, const float* x, const float* W, int K, int N, int ldw) {
  for (int k = 0; k < K; k++) {
    const float xk = x[k];
    const float* w = W + (size_t)k * ldw;
    for (int n = 0; n < N; n++) y[n] += xk * w[n];
  }
}

// Column panels of 8 vectors kept in registers while k runs down the panel: W is read
// once, y is loaded and stored once per panel.
T_AVX2 static void dense_xw_avx2(float* y, const float* x, const float* W, int K, int N, int ldw) {
  int n0 = 0;
  for (; n0 + 64 <= N; n0 += 64) {
    __m256 a[8];
    for (int i = 0; i < 8; i++) a[i] = _mm256_loadu_ps(y + n0 + 8 * i);
    const float* w = W + n0;
    for (int k = 0; k < K; k++, w += ldw) {
      const __m256 xk = _mm256_broadcast_ss(x + k);
      for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w + 8 * i), a[i]);
    }
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(y + n0 + 8 * i, a[i]);
  }
  if (n0 < N) dense_xw_scalar(y + n0, x, W + n0, K, N - n0, ldw);
}

T_AVX512 static void dense_xw_avx512(float* y, const float* x, const float* W, int K, int N, int ldw) {
  int n0 = 0;
  for (; n0 + 128 <= N; n0 += 128) {
    __m512 a[8];
    for (int i = 0; i < 8; i++) a[i] = _mm512_loadu_ps(y + n0 + 16 * i);
    const float* w = W + n0;
    for (int k = 0; k < K; k++, w += ldw) {
      const __m512 xk = _mm512_set1_ps(x[k]);
      for (int i = 0; i < 8; i++) a[i] = _mm512_fmadd_ps(xk, _mm512_loadu_ps(w + 16 * i), a[i]);
    }
    for (int i = 0; i < 8; i++) _mm512_storeu_ps(y + n0 + 16 * i, a[i]);
  }
  if (n0 < N) dense_xw_avx2(y + n0, x, W + n0, K, N - n0, ldw);
}

void dense_xw(float* y, const float* x, const float* W, int K, int N, int ldw) {
  switch (simd_level()) {
    case SimdLevel::AVX512: return dense_xw_avx512(y, x, W, K, N, ldw);
    case SimdLevel::AVX2: return dense_xw_avx2(y, x, W, K, N, ldw);
    default: return dense_xw_scalar(y, x, W, K, N, ldw);
  }
}

// ---------------------------------------------------------------- sigmoid / tanh
// The training core's activations (simd.h, kernels/act.inc) at the level in use; the
// reference: std::exp / std::tanh.

void vsigmoid(float* y, const float* x, size_t n, bool naive) {
  if (!naive) return srnn::vec_sigmoid(y, x, n);
  for (size_t i = 0; i < n; i++) y[i] = 1.f / (1.f + std::exp(-x[i]));
}

void vtanh(float* y, const float* x, size_t n, bool naive) {
  if (!naive) return srnn::vec_tanh(y, x, n);
  for (size_t i = 0; i < n; i++) y[i] = std::tanh(x[i]);
}

}  // namespace sinfer
