// The per-ISA pieces of sgemm (native/gemm.cc): a register-blocked micro-kernel
// plus optional fast packers. Included only by gemm.cc.
#pragma once
#include <cstddef>

// GCC 12's AVX-512 intrinsics start from `_mm512_undefined_ps()` (`__Y = __Y`),
// which -Wall reports as (maybe-)uninitialized at inlined uses: silence both.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace srnn {
namespace gemm_kernels {

struct Kernel {
  int mr, nr;  // register tile
  bool fuses_pack;  // tile() honours nsrc (packs the next B sliver while computing)
  // C[m, n] (+)= Ap[kc, MR] · Bp[kc, NR] for m <= MR, n <= NR (acc: add to C, else
  // overwrite without reading it). Ap/Bp are packed (gemm.cc), Bp 64-byte aligned.
  // nsrc != null asks the kernel to also pack the next sliver of non-transposed
  // B (rows nsrc + k·nld, k < kc, nnr <= NR columns) into ndst; it returns false
  // from `fuses_pack` if it cannot, and gemm.cc packs separately.
  void (*tile)(int kc, const float* Ap, const float* Bp, float* C, long ldc, int m, int n, bool acc,
               const float* nsrc, long nld, float* ndst, int nnr);
  // Optional packers; return false to fall back to the generic loops in gemm.cc.
  // pack_a: rows [r0, r0+mr) of op(A) (A already offset to the block), k < kc.
  bool (*pack_a)(bool transA, const float* A, int lda, int r0, int mr, int kc, float* dst);
  // pack_b: cols [j0, j0+nr) of op(B) (B already offset to the K block), k < kc.
  bool (*pack_b)(bool transB, const float* B, int ldb, int j0, int nr, int kc, float* dst);
};

const Kernel& avx512();
const Kernel& avx2();
const Kernel& scalar();

}  // namespace gemm_kernels
}  // namespace srnn

#include "gemm_avx512.h"
#include "gemm_avx2.h"
#include "gemm_scalar.h"
