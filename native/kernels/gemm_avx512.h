// AVX-512 sgemm micro-kernel: MR x 32 register tile (MR rows x 2 zmm).
// Per k: 2 aligned loads of the packed B row, MR broadcasts of A, 2·MR FMAs.
// MR = 12: 24 accumulators + 2 B registers of the 32 zmm; 14 loads per 24 FMAs
// keeps Zen 5's two 512-bit FMA pipes busy (2 vector loads/cycle available) and
// 24 independent chains cover the 4-cycle FMA latency 3 times over. MR = 14 (28
// accumulators) measures the same on tall products and ~5% slower at M = 32
// (14 + 14 + 4 rows against 12 + 12 + 8); -DSRNN_GEMM512_MR=N to experiment.
#pragma once
#include <immintrin.h>

#include "kernels/targets.h"

#include <cstddef>
#include <cstdint>
#include <array>
#include <utility>

#define SRNN_AVX512 SRNN_TARGET_AVX512

namespace srnn {
namespace gemm_kernels {
namespace k512 {

#ifndef SRNN_GEMM512_MR
#define SRNN_GEMM512_MR 12
#endif
constexpr int MR = SRNN_GEMM512_MR;
constexpr int NR = 32;

inline __mmask16 lanes(int n) { return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1); }

// ROWS <= MR rows computed, NV (1 or 2) column vectors; `last` masks the lanes of
// the last vector that exist in C.
//
// Fused packing: with nx.src != null the kernel also packs the next B sliver
// (non-transposed B: row k is nx.src + k·nx.ld, nx.nr columns) into nx.dst, one
// row per k step. Rows of B are often 4 KB apart, each on its own page and all in
// the same cache sets, so a separate packing pass is latency-bound (and what it
// prefetches is evicted before use); inside the kernel the loads ride in the load
// slots the FMAs leave idle and their latency hides behind the FMAs.
struct NextSliver {
  const float* src;
  long ld;
  float* dst;
  int nr;
};

template <int ROWS, int NV>
SRNN_AVX512 void ukr(int kc, const float* __restrict a, const float* __restrict b, float* c, long ldc,
                     __mmask16 last, bool acc, NextSliver nx) {
  __m512 r[ROWS][NV];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) {
    if (acc) _mm_prefetch((const char*)(c + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) r[i][v] = _mm512_setzero_ps();
  }

  // One k step: NV loads of the B row, ROWS broadcasts of A, ROWS·NV FMAs. (A
  // macro, not a lambda: lambdas do not inherit the target attribute.)
#define SRNN_K512_STEP(k)                                                            \
  {                                                                                \
    __m512 bv[NV];                                                                 \
    _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) bv[v] =                   \
        _mm512_load_ps(b + (size_t)(k) * NR + 16 * v);                             \
    _Pragma("GCC unroll 16") for (int i = 0; i < ROWS; i++) {                      \
      __m512 ai = _mm512_set1_ps(a[(size_t)(k) * MR + i]);                         \
      _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) r[i][v] =               \
          _mm512_fmadd_ps(ai, bv[v], r[i][v]);                                     \
    }                                                                              \
  }
  if (nx.src) {
    const __mmask16 m0 = lanes(nx.nr), m1 = lanes(nx.nr - 16);
    const float* src = nx.src;
    float* dst = nx.dst;
    for (int k = 0; k < kc; k++, src += nx.ld, dst += NR) {
      __m512 x0 = _mm512_maskz_loadu_ps(m0, src), x1 = _mm512_maskz_loadu_ps(m1, src + 16);
      SRNN_K512_STEP(k)
      _mm512_store_ps(dst, x0);
      _mm512_store_ps(dst + 16, x1);
    }
  } else {
#pragma GCC unroll 2
    for (int k = 0; k < kc; k++) SRNN_K512_STEP(k)
  }
#undef SRNN_K512_STEP

#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) {
    float* ci = c + i * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
      __mmask16 m = v == NV - 1 ? last : (__mmask16)0xffff;
      __m512 x = r[i][v];
      if (acc) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, ci + 16 * v));
      _mm512_mask_storeu_ps(ci + 16 * v, m, x);
    }
  }
}

template <int ROWS>
SRNN_AVX512 void ukr_rows(int kc, const float* a, const float* b, float* c, long ldc, int n, bool acc, NextSliver nx) {
  int rem = n - (n > 16 ? 16 : 0);  // lanes in the last vector, 1..16
  __mmask16 last = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
  if (n > 16) ukr<ROWS, 2>(kc, a, b, c, ldc, last, acc, nx);
  else ukr<ROWS, 1>(kc, a, b, c, ldc, last, acc, nx);
}

using TileFn = void (*)(int, const float*, const float*, float*, long, int, bool, NextSliver);

template <int... R>
constexpr std::array<TileFn, sizeof...(R)> row_table(std::integer_sequence<int, R...>) {
  return {&ukr_rows<R + 1>...};
}

inline void tile(int kc, const float* a, const float* b, float* c, long ldc, int m, int n, bool acc,
                 const float* nsrc, long nld, float* ndst, int nnr) {
  static constexpr auto fns = row_table(std::make_integer_sequence<int, MR>{});
  fns[m - 1](kc, a, b, c, ldc, n, acc, NextSliver{nsrc, nld, ndst, nnr});
}

// In-register 16x16 transpose: r[i] lane j  ->  r[j] lane i.
SRNN_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4g + c], 128-bit lane L: rows 4g..4g+3 of column 4L + c
#pragma GCC unroll 4
  for (int g = 0; g < 4; g++) {
    __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
    r[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    __m512 u0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88), u1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
    __m512 u2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88), u3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
    t[c] = _mm512_shuffle_f32x4(u0, u2, 0x88);       // column c
    t[4 + c] = _mm512_shuffle_f32x4(u1, u3, 0x88);   // column 4 + c
    t[8 + c] = _mm512_shuffle_f32x4(u0, u2, 0xdd);   // column 8 + c
    t[12 + c] = _mm512_shuffle_f32x4(u1, u3, 0xdd);  // column 12 + c
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++) r[i] = t[i];
}


// Rows of B (non-transposed) are 4 KB apart for N = 1024, so each row sits on its
// own page and the hardware prefetcher does not follow; prefetch kPf rows ahead,
// running on into the next sliver's first rows.
constexpr int kPf = 12;

SRNN_AVX512 inline bool pack_b(bool transB, const float* B, int ldb, int j0, int nr, int kc, float* dst) {
  if (!transB) {
    const __mmask16 m0 = lanes(nr), m1 = lanes(nr - 16);
    const float* src = B + j0;
    for (int k = 0; k < kc; k++, src += ldb, dst += NR) {
      const float* pf = src + (ptrdiff_t)kPf * ldb + (k + kPf < kc ? 0 : NR - (ptrdiff_t)kc * ldb);
      _mm_prefetch((const char*)pf, _MM_HINT_T0);
      _mm_prefetch((const char*)(pf + 16), _MM_HINT_T0);
      _mm512_store_ps(dst, _mm512_maskz_loadu_ps(m0, src));
      _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
    return true;
  }
  // op(B) = B^T: columns of the sliver are rows of B, contiguous in k.
  for (int k0 = 0; k0 < kc; k0 += 16) {
    const int kk = kc - k0 < 16 ? kc - k0 : 16;
    const __mmask16 km = lanes(kk);
    for (int h = 0; h < 2; h++) {
      __m512 r[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++) {
        const int j = 16 * h + i;
        const float* src = B + (size_t)(j0 + j) * ldb + k0;
        if (j < nr) {
          _mm_prefetch((const char*)(src + 32), _MM_HINT_T0);
          r[i] = _mm512_maskz_loadu_ps(km, src);
        } else {
          r[i] = _mm512_setzero_ps();
        }
      }
      transpose16(r);
      for (int c = 0; c < kk; c++) _mm512_store_ps(dst + (size_t)(k0 + c) * NR + 16 * h, r[c]);
    }
  }
  return true;
}

// A micro-panel rows are stored k-major with stride MR (< 16): each k row is
// written as a full 16-lane vector, in increasing k, so the 16 - MR lanes that
// spill over are overwritten by the next row (the buffer has 16 floats of slack).
SRNN_AVX512 inline bool pack_a(bool transA, const float* A, int lda, int r0, int mr, int kc, float* dst) {
  static_assert(MR <= 16, "pack_a assumes one vector per k row");
  if (transA) {
    const __mmask16 m = lanes(mr);
    const float* src = A + r0;
    for (int k = 0; k < kc; k++, src += lda) {
      _mm_prefetch((const char*)(src + (size_t)kPf * lda), _MM_HINT_T0);
      _mm512_storeu_ps(dst + (size_t)k * MR, _mm512_maskz_loadu_ps(m, src));
    }
    return true;
  }
  for (int k0 = 0; k0 < kc; k0 += 16) {
    const int kk = kc - k0 < 16 ? kc - k0 : 16;
    const __mmask16 km = lanes(kk);
    __m512 r[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
      if (i < mr) {
        const float* src = A + (size_t)(r0 + i) * lda + k0;
        // The same line of the next panel's rows: each panel row is only kc
        // floats long, too short a stream for the hardware prefetcher.
        if (i < MR) _mm_prefetch((const char*)(src + (size_t)MR * lda), _MM_HINT_T0);
        r[i] = _mm512_maskz_loadu_ps(km, src);
      } else {
        r[i] = _mm512_setzero_ps();
      }
    }
    transpose16(r);
    for (int c = 0; c < kk; c++) _mm512_storeu_ps(dst + (size_t)(k0 + c) * MR, r[c]);
  }
  return true;
}

}  // namespace k512

inline const Kernel& avx512() {
  static const Kernel k{k512::MR, k512::NR, true, &k512::tile, &k512::pack_a, &k512::pack_b};
  return k;
}

}  // namespace gemm_kernels
}  // namespace srnn
