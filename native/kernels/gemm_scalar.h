// Portable sgemm micro-kernel: 4 x 8 tile in plain C++ (the compiler may use the
// baseline SSE2 registers). Edge tiles go through a buffer.
#pragma once

namespace srnn {
namespace gemm_kernels {
namespace k1 {

constexpr int MR = 4;
constexpr int NR = 8;

inline void ukr(int kc, const float* __restrict a, const float* __restrict b, float* __restrict t) {
  float r[MR][NR] = {};
  for (int k = 0; k < kc; k++, a += MR, b += NR)
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) r[i][j] += a[i] * b[j];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) t[i * NR + j] = r[i][j];
}

inline void tile(int kc, const float* a, const float* b, float* c, long ldc, int m, int n, bool acc,
                 const float*, long, float*, int) {
  float t[MR * NR];
  ukr(kc, a, b, t);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) c[i * ldc + j] = (acc ? c[i * ldc + j] : 0.f) + t[i * NR + j];
}

}  // namespace k1

inline const Kernel& scalar() {
  static const Kernel k{k1::MR, k1::NR, false, &k1::tile, nullptr, nullptr};
  return k;
}

}  // namespace gemm_kernels
}  // namespace srnn
