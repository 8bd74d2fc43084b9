// Dense products. Row-major everywhere; lda/ldb/ldc are row strides in floats.
//
//   C[M,N] = beta * C + op(A)[M,K] · op(B)[K,N]        beta ∈ {0, 1}
//   op(A) = A   (A stored M×K, row stride lda)   when !transA
//         = A^T (A stored K×M, row stride lda)   when  transA
//   op(B) = B   (B stored K×N, row stride ldb)   when !transB
//         = B^T (B stored N×K, row stride ldb)   when  transB
//
// sgemm is the fast path (packed panels, SIMD micro-kernel chosen once at load,
// split across the thread pool); sgemm_naive is the triple loop kept beside it as
// the reference every fast path is tested against.
#pragma once
#include <cstddef>

namespace srnn {

void sgemm(bool transA, bool transB, int M, int N, int K,
           const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc);

void sgemm_naive(bool transA, bool transB, int M, int N, int K,
                 const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc);

// op(B) [K, N] packed once for several products with the same right operand (the
// recurrent weights over the T steps of a sequence): sgemm re-packs B at every
// call, sgemm_packed reads the packed copy. Repack after B changes. If the SIMD
// level changes after pack(), sgemm_packed falls back to sgemm on B itself, so B
// must stay alive (and unchanged) while the PackedB is used. Holds ~4·K·N bytes;
// reuse one PackedB (pack() keeps its buffer when it is big enough).
class PackedB {
 public:
  PackedB() = default;
  ~PackedB();
  PackedB(const PackedB&) = delete;
  PackedB& operator=(const PackedB&) = delete;
  void pack(bool transB, int N, int K, const float* B, int ldb);
  int N() const { return N_; }
  int K() const { return K_; }

 private:
  friend void sgemm_packed(bool, int, const float*, int, const PackedB&, float, float*, int);
  float* data_ = nullptr;
  size_t cap_ = 0, ld_ = 0;
  int N_ = 0, K_ = 0, ldb_ = 0, level_ = -1;
  bool transB_ = false;
  const float* B_ = nullptr;
};

// C[M, N] = beta·C + op(A)[M, K] · op(B), with op(B) from B.pack(...).
void sgemm_packed(bool transA, int M, const float* A, int lda, const PackedB& B,
                  float beta, float* C, int ldc);

}  // namespace srnn
