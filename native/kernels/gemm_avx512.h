// AVX-512 sgemm micro-kernel: MR x 32 register tile (MR rows x 2 zmm).
// Per k: 2 aligned loads of the B sliver row, MR broadcasts of A, 2·MR FMAs.
// With MR = 14: 28 accumulators + 2 B registers of the 32 zmm; 16 loads per 28
// FMAs keeps Zen 5's two 512-bit FMA pipes busy (2 loads/cycle available).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <utility>

#define SRNN_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

namespace srnn {
namespace gemm_kernels {
namespace k512 {

#ifndef SRNN_GEMM512_MR
#define SRNN_GEMM512_MR 14
#endif
constexpr int MR = SRNN_GEMM512_MR;
constexpr int NR = 32;

// ROWS <= MR rows computed, NV (1 or 2) column vectors; `last` masks the lanes of
// the last vector that exist in C.
template <int ROWS, int NV>
SRNN_AVX512 void ukr(int kc, const float* __restrict a, const float* __restrict b, float* c, long ldc,
                     __mmask16 last, bool acc) {
  __m512 r[ROWS][NV];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) r[i][v] = _mm512_setzero_ps();

#pragma GCC unroll 2
  for (int k = 0; k < kc; k++) {
    __m512 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
      __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) r[i][v] = _mm512_fmadd_ps(ai, bv[v], r[i][v]);
    }
    a += MR;
    b += NR;
  }

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
SRNN_AVX512 void ukr_rows(int kc, const float* a, const float* b, float* c, long ldc, int n, bool acc) {
  int rem = n - (n > 16 ? 16 : 0);  // lanes in the last vector, 1..16
  __mmask16 last = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
  if (n > 16) ukr<ROWS, 2>(kc, a, b, c, ldc, last, acc);
  else ukr<ROWS, 1>(kc, a, b, c, ldc, last, acc);
}

template <int... R>
struct RowTable {
  using Fn = void (*)(int, const float*, const float*, float*, long, int, bool);
  static constexpr Fn fns[sizeof...(R)] = {&ukr_rows<R + 1>...};
};

template <int... I>
constexpr auto make_rows(std::integer_sequence<int, I...>) { return RowTable<I...>{}; }

inline void tile(int kc, const float* a, const float* b, float* c, long ldc, int m, int n, bool acc) {
  using Table = decltype(make_rows(std::make_integer_sequence<int, MR>{}));
  Table::fns[m - 1](kc, a, b, c, ldc, n, acc);
}

}  // namespace k512

inline const Kernel& avx512() {
  static const Kernel k{k512::MR, k512::NR, &k512::tile, nullptr, nullptr};
  return k;
}

}  // namespace gemm_kernels
}  // namespace srnn
