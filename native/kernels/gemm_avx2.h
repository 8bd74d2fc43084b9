// AVX2 sgemm micro-kernel: 6 x 16 register tile (6 rows x 2 ymm = 12 accumulators,
// + 2 B registers + 1 broadcast of the 16 ymm). Edge tiles go through a buffer.
#pragma once
#include <immintrin.h>

#include "kernels/targets.h"

#include <cstddef>
#include <cstring>

#define SRNN_AVX2 SRNN_TARGET_AVX2

namespace srnn {
namespace gemm_kernels {
namespace k256 {

constexpr int MR = 6;
constexpr int NR = 16;

template <int ROWS>
SRNN_AVX2 void ukr(int kc, const float* __restrict a, const float* __restrict b, float* c, long ldc, bool acc) {
  __m256 r[ROWS][2];
#pragma GCC unroll 8
  for (int i = 0; i < ROWS; i++) r[i][0] = r[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int k = 0; k < kc; k++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      r[i][0] = _mm256_fmadd_ps(ai, b0, r[i][0]);
      r[i][1] = _mm256_fmadd_ps(ai, b1, r[i][1]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 8
  for (int i = 0; i < ROWS; i++) {
    float* ci = c + i * ldc;
    __m256 x0 = r[i][0], x1 = r[i][1];
    if (acc) {
      x0 = _mm256_add_ps(x0, _mm256_loadu_ps(ci));
      x1 = _mm256_add_ps(x1, _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, x0);
    _mm256_storeu_ps(ci + 8, x1);
  }
}

template <int ROWS>
void ukr_rows(int kc, const float* a, const float* b, float* c, long ldc, int n, bool acc) {
  if (n == NR) return ukr<ROWS>(kc, a, b, c, ldc, acc);
  alignas(32) float t[ROWS * NR];
  ukr<ROWS>(kc, a, b, t, NR, false);
  for (int i = 0; i < ROWS; i++)
    for (int j = 0; j < n; j++) c[i * ldc + j] = (acc ? c[i * ldc + j] : 0.f) + t[i * NR + j];
}

inline void tile(int kc, const float* a, const float* b, float* c, long ldc, int m, int n, bool acc,
                 const float*, long, float*, int) {
  switch (m) {
    case 6: return ukr_rows<6>(kc, a, b, c, ldc, n, acc);
    case 5: return ukr_rows<5>(kc, a, b, c, ldc, n, acc);
    case 4: return ukr_rows<4>(kc, a, b, c, ldc, n, acc);
    case 3: return ukr_rows<3>(kc, a, b, c, ldc, n, acc);
    case 2: return ukr_rows<2>(kc, a, b, c, ldc, n, acc);
    default: return ukr_rows<1>(kc, a, b, c, ldc, n, acc);
  }
}


// In-register 8x8 transpose: r[i] lane j  ->  r[j] lane i.
SRNN_AVX2 inline void transpose8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  __m256 u[8];
  for (int g = 0; g < 2; g++) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xee);
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xee);
  }
  for (int c = 0; c < 4; c++) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

SRNN_AVX2 inline __m256i lanes8(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

SRNN_AVX2 inline bool pack_b(bool transB, const float* B, int ldb, int j0, int nr, int kc, float* dst) {
  if (!transB) {
    const __m256i m0 = lanes8(nr), m1 = lanes8(nr - 8);
    const float* src = B + j0;
    for (int k = 0; k < kc; k++, src += ldb, dst += NR) {
      _mm_prefetch((const char*)(src + (ptrdiff_t)12 * ldb), _MM_HINT_T0);
      _mm256_store_ps(dst, _mm256_maskload_ps(src, m0));
      _mm256_store_ps(dst + 8, _mm256_maskload_ps(src + 8, m1));
    }
    return true;
  }
  for (int k0 = 0; k0 < kc; k0 += 8) {
    const int kk = kc - k0 < 8 ? kc - k0 : 8;
    const __m256i km = lanes8(kk);
    for (int h = 0; h < 2; h++) {
      __m256 r[8];
      for (int i = 0; i < 8; i++) {
        const int j = 8 * h + i;
        r[i] = j < nr ? _mm256_maskload_ps(B + (size_t)(j0 + j) * ldb + k0, km) : _mm256_setzero_ps();
      }
      transpose8(r);
      for (int c = 0; c < kk; c++) _mm256_store_ps(dst + (size_t)(k0 + c) * NR + 8 * h, r[c]);
    }
  }
  return true;
}

// k rows of MR = 6 written as full 8-lane vectors in increasing k (the 2 lanes
// that spill over are overwritten next; the buffer has slack).
SRNN_AVX2 inline bool pack_a(bool transA, const float* A, int lda, int r0, int mr, int kc, float* dst) {
  if (transA) {
    const __m256i m = lanes8(mr);
    const float* src = A + r0;
    for (int k = 0; k < kc; k++, src += lda) _mm256_storeu_ps(dst + (size_t)k * MR, _mm256_maskload_ps(src, m));
    return true;
  }
  for (int k0 = 0; k0 < kc; k0 += 8) {
    const int kk = kc - k0 < 8 ? kc - k0 : 8;
    const __m256i km = lanes8(kk);
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = i < mr ? _mm256_maskload_ps(A + (size_t)(r0 + i) * lda + k0, km) : _mm256_setzero_ps();
    transpose8(r);
    for (int c = 0; c < kk; c++) _mm256_storeu_ps(dst + (size_t)(k0 + c) * MR, r[c]);
  }
  return true;
}

}  // namespace k256

inline const Kernel& avx2() {
  static const Kernel k{k256::MR, k256::NR, false, &k256::tile, &k256::pack_a, &k256::pack_b};
  return k;
}

}  // namespace gemm_kernels
}  // namespace srnn
