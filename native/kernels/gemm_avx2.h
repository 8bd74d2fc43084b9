// AVX2 sgemm micro-kernel: 6 x 16 register tile (6 rows x 2 ymm = 12 accumulators,
// + 2 B registers + 1 broadcast of the 16 ymm). Edge tiles go through a buffer.
#pragma once
#include <immintrin.h>

#include <cstring>

#define SRNN_AVX2 __attribute__((target("avx2,fma")))

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

inline void tile(int kc, const float* a, const float* b, float* c, long ldc, int m, int n, bool acc) {
  switch (m) {
    case 6: return ukr_rows<6>(kc, a, b, c, ldc, n, acc);
    case 5: return ukr_rows<5>(kc, a, b, c, ldc, n, acc);
    case 4: return ukr_rows<4>(kc, a, b, c, ldc, n, acc);
    case 3: return ukr_rows<3>(kc, a, b, c, ldc, n, acc);
    case 2: return ukr_rows<2>(kc, a, b, c, ldc, n, acc);
    default: return ukr_rows<1>(kc, a, b, c, ldc, n, acc);
  }
}

}  // namespace k256

inline const Kernel& avx2() {
  static const Kernel k{k256::MR, k256::NR, &k256::tile, nullptr, nullptr};
  return k;
}

}  // namespace gemm_kernels
}  // namespace srnn
