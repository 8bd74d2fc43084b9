// PLACEHOLDER until the packed SIMD kernel lands: sgemm forwards to the naive loop.
#include "gemm.h"

namespace srnn {

void sgemm_naive(bool transA, bool transB, int M, int N, int K,
                 const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double acc = 0;
      for (int k = 0; k < K; k++) {
        float a = transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
        float b = transB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
        acc += (double)a * b;
      }
      float* c = &C[(size_t)i * ldc + j];
      *c = (beta == 0.f ? 0.f : *c) + (float)acc;
    }
}

void sgemm(bool transA, bool transB, int M, int N, int K,
           const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc) {
  sgemm_naive(transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace srnn
