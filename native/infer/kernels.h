// Batch-1 inference kernels of the sparse_infer addon (separate from the training core).
//
// Shape legend: R output rows (gate units), C columns (= D + H for a layer's main
// product), D layer input width, H hidden, G gates, O head width, K input length of a
// dense product, N output length.
//
// Three families, each with a fast path at the SIMD level in use and a plain reference
// (*_naive) the tests (native/tests/test_infer.cc) hold every level to. The level is
// the training core's (simd.h, kernels/targets.h: AVX-512 / AVX2 / scalar, chosen
// with function-level target attributes — the .node runs on any x86-64):
//   gather   y[r] = bias[r] + Σ_k val[k]·z[idx[k]]      CSR rows (the sparse path, SpMV)
//   dense    y[0:N] += x[0:K] · W[K, ldw][:, 0:N]        row-major W (the dense path)
//   gates    sigmoid / tanh over a vector (simd.h's vec_sigmoid / vec_tanh)
#pragma once
#include <cstddef>
#include <cstdint>

#include "simd.h"

namespace sinfer {

using srnn::SimdLevel;

// Sparse: rows [r0, r1) of a CSR product.   y (R)  z (C)  bias (R) or null
// I: uint16_t or uint32_t column indices; V: float values, uint16_t IEEE half bits, or
// int8_t codes (the caller folds the scales into z: see Csr::colScale).
template <typename I, typename V>
void gather(float* y, const uint32_t* rowPtr, const I* idx, const V* val,
            const float* z, const float* bias, int r0, int r1);
// The reference: one chain per row, terms in order.
template <typename I, typename V>
void gather_naive(float* y, const uint32_t* rowPtr, const I* idx, const V* val,
                  const float* z, const float* bias, int r0, int r1);

// Sparse, AVX-512 only: "window ELL". Rows in slices of 16 (one SIMD lane each),
// columns in windows of 32; the entries of a (slice, window) pair are padded to the
// depth of its longest row and stored level by level: 16 u8 offsets into the window
// and 16 values. A level is one vpermt2ps lookup into the two registers that hold
// z[32w, 32w+32) — no gathers, no horizontal sums. Padding entries have value 0.
//   depth  (S, W)   levels per (slice, window)
//   start  (S + 1)  first level of each slice
//   idx    (levels, 16) u8      val (levels, 16) V
// y rows [16·s0, 16·s1); z must be readable up to 32·W floats.
template <typename V>
bool ell_run(float* y, const uint8_t* depth, const uint32_t* start, const uint8_t* idx, const V* val,
             int W, const float* z, const float* bias, int s0, int s1);

// The same for B ≤ 8 inputs at once: every level's offsets and values are loaded once
// and applied to B windows (the weights are read once for the whole batch).
//   y[b] (rows)   z[b] (32·W)   b < B
template <typename V>
bool ell_run_batch(float* const* y, const uint8_t* depth, const uint32_t* start, const uint8_t* idx, const V* val,
                   int W, const float* const* z, int B, const float* bias, int s0, int s1);

// Dense: y (N) += x (K) · W (K, ldw)[:, 0:N].
void dense_xw(float* y, const float* x, const float* W, int K, int N, int ldw);
// The reference triple loop, scalar, no blocking.
void dense_xw_naive(float* y, const float* x, const float* W, int K, int N, int ldw);

// Elementwise, in place allowed.  n floats.  naive=true: std::exp / std::tanh.
void vsigmoid(float* y, const float* x, size_t n, bool naive);
void vtanh(float* y, const float* x, size_t n, bool naive);

}  // namespace sinfer
