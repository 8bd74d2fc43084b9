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

namespace srnn {

void sgemm(bool transA, bool transB, int M, int N, int K,
           const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc);

void sgemm_naive(bool transA, bool transB, int M, int N, int K,
                 const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc);

}  // namespace srnn
