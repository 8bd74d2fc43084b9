// Sparse-aware training (sparse.h): the sparse kernels at every SIMD level with their
// naive references, and SparseMat / SparseRec / SparseLinear built on them.
#include "sparse.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/targets.h"
#include "simd.h"
#include "threadpool.h"

#define SRNN_ISA SRNN_ISA_AVX512
#include "kernels/isa.h"
namespace srnn { namespace sp_avx512 {
#include "kernels/sparse.inc"
} }
#include "kernels/isa_end.h"
#define SRNN_ISA SRNN_ISA_AVX2
#include "kernels/isa.h"
namespace srnn { namespace sp_avx2 {
#include "kernels/sparse.inc"
} }
#include "kernels/isa_end.h"
#define SRNN_ISA SRNN_ISA_SCALAR
#include "kernels/isa.h"
namespace srnn { namespace sp_scalar {
#include "kernels/sparse.inc"
} }
#include "kernels/isa_end.h"

namespace srnn {

// ---------------------------------------------------------------- kernels at the level in use

void spmm_rows(const int32_t* ptr, const int32_t* idx, const float* val, int r0, int r1, const float* X, size_t ldx,
               float* Y, size_t ldy, int n) {
  const SimdLevel l = simd_level();
  auto f = l == SimdLevel::AVX512 ? sp_avx512::spmm_rows : l == SimdLevel::AVX2 ? sp_avx2::spmm_rows : sp_scalar::spmm_rows;
  f(ptr, idx, val, r0, r1, X, ldx, Y, ldy, n);
}

void spmm_scatter(const int32_t* ptr, const int32_t* idx, const float* val, int j0, int j1, const float* X,
                  size_t ldx, float* Y, size_t ldy, int n) {
  const SimdLevel l = simd_level();
  auto f = l == SimdLevel::AVX512 ? sp_avx512::spmm_scatter
           : l == SimdLevel::AVX2 ? sp_avx2::spmm_scatter : sp_scalar::spmm_scatter;
  f(ptr, idx, val, j0, j1, X, ldx, Y, ldy, n);
}

void sddmm(const SddmmArgs& a) {
  const SimdLevel l = simd_level();
  auto f = l == SimdLevel::AVX512 ? sp_avx512::sddmm_steps : l == SimdLevel::AVX2 ? sp_avx2::sddmm_steps : sp_scalar::sddmm_steps;
  f(a);
}

namespace {

// 8×8 block: out[c·ldo + r] = (acc ? out[..] : 0) + in[r·ldi + c], r, c < 8.
SRNN_TARGET_AVX2
inline void tr8x8_avx2(const float* in, size_t ldi, float* out, size_t ldo, bool acc) {
  __m256 r0 = _mm256_loadu_ps(in), r1 = _mm256_loadu_ps(in + ldi), r2 = _mm256_loadu_ps(in + 2 * ldi),
         r3 = _mm256_loadu_ps(in + 3 * ldi), r4 = _mm256_loadu_ps(in + 4 * ldi), r5 = _mm256_loadu_ps(in + 5 * ldi),
         r6 = _mm256_loadu_ps(in + 6 * ldi), r7 = _mm256_loadu_ps(in + 7 * ldi);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 o[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                 _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                 _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                 _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
  for (int i = 0; i < 8; i++) {
    float* d = out + i * ldo;
    _mm256_storeu_ps(d, acc ? _mm256_add_ps(_mm256_loadu_ps(d), o[i]) : o[i]);
  }
}

// out[c·ldo + r] = (acc ? out[c·ldo + r] : 0) + in[r·ldi + c]     in (rows, cols) → out (cols, rows)
SRNN_TARGET_AVX2
void transpose_avx2(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc) {
  const int r8 = rows & ~7, c8 = cols & ~7;
  // Walk along the rows of whichever side has the long stride (8 of its rows at a
  // time), so that its few rows stay cached (a 4 KiB stride maps them to one set).
  if (ldi >= ldo) {
    for (int r = 0; r < r8; r += 8)
      for (int c = 0; c < c8; c += 8) tr8x8_avx2(in + (size_t)r * ldi + c, ldi, out + (size_t)c * ldo + r, ldo, acc);
  } else {
    for (int c = 0; c < c8; c += 8)
      for (int r = 0; r < r8; r += 8) tr8x8_avx2(in + (size_t)r * ldi + c, ldi, out + (size_t)c * ldo + r, ldo, acc);
  }
  for (int r = 0; r < rows; r++)
    for (int c = r < r8 ? c8 : 0; c < cols; c++) {
      float& d = out[(size_t)c * ldo + r];
      d = (acc ? d : 0.f) + in[(size_t)r * ldi + c];
    }
}

void transpose_scalar(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc) {
  constexpr int kB = 16;
  for (int c0 = 0; c0 < cols; c0 += kB) {
    const int c1 = std::min(cols, c0 + kB);
    for (int r0 = 0; r0 < rows; r0 += kB) {
      const int r1 = std::min(rows, r0 + kB);
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) {
          float& d = out[(size_t)c * ldo + r];
          d = (acc ? d : 0.f) + in[(size_t)r * ldi + c];
        }
    }
  }
}

// Rows [0, n) of a sparse product split over the pool when the work pays.
template <class F>
void sp_par(int n, size_t work, F&& fn) {
  if (n > 1 && threads() > 1 && work >= ((size_t)1 << 15)) parallel_for(n, fn);
  else fn(0, n);
}

}  // namespace

void transpose(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc) {
  if (simd_level() == SimdLevel::Scalar) transpose_scalar(in, ldi, rows, cols, out, ldo, acc);
  else transpose_avx2(in, ldi, rows, cols, out, ldo, acc);
}

// ---------------------------------------------------------------- naive references

void spmm_rows_naive(const int32_t* ptr, const int32_t* idx, const float* val, int r0, int r1, const float* X,
                     size_t ldx, float* Y, size_t ldy, int n) {
  for (int r = r0; r < r1; r++)
    for (int c = 0; c < n; c++) {
      float s = 0.f;
      for (int p = ptr[r]; p < ptr[r + 1]; p++) s += val[p] * X[(size_t)idx[p] * ldx + c];
      Y[(size_t)r * ldy + c] = s;
    }
}

void spmm_scatter_naive(const int32_t* ptr, const int32_t* idx, const float* val, int j0, int j1, const float* X,
                        size_t ldx, float* Y, size_t ldy, int n) {
  for (int j = j0; j < j1; j++)
    for (int p = ptr[j]; p < ptr[j + 1]; p++)
      for (int c = 0; c < n; c++) Y[(size_t)idx[p] * ldy + c] += val[p] * X[(size_t)j * ldx + c];
}

void sddmm_naive(const SddmmArgs& a) {
  for (int j = a.j0; j < a.j1; j++)
    for (int p = a.pbeg[j]; p < a.pend[j]; p++) {
      float s = 0.f;
      for (int st = 0; st < a.ns; st++)
        for (int c = 0; c < a.n; c++)
          s += a.A[st * a.as + (size_t)j * a.lda + c] * a.X[st * a.xs + (size_t)a.idx[p] * a.ldx + c];
      a.acc[p - a.pb] += s;
    }
}

void transpose_naive(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) {
      float& d = out[(size_t)c * ldo + r];
      d = (acc ? d : 0.f) + in[(size_t)r * ldi + c];
    }
}

// ---------------------------------------------------------------- SparseMat, SparseRec, SparseLinear

namespace {

// dW[k·ldw + m.c0 + j] = the SDDMM sums at m's kept entries (k, j), others untouched.
// Threads take column ranges in whole tiles of 64; chunks(a) runs sddmm over its
// chunks with a's entry range and accumulators already set.
template <class F>
void sddmm_tiles(const SparseMat& m, size_t work, float* dW, int ldw, F&& chunks) {
  constexpr int kTile = 64;
  const int tiles = (m.N + kTile - 1) / kTile;
  sp_par(tiles, work, [&](int i0, int i1) {
    SddmmArgs a;
    a.pbeg = m.cptr.data(); a.pend = m.cptr.data() + 1; a.idx = m.cidx.data();
    a.j0 = i0 * kTile; a.j1 = std::min(m.N, i1 * kTile);
    a.pb = m.cptr[a.j0];
    const int p1 = m.cptr[a.j1];
    if (p1 == a.pb) return;
    std::vector<float> acc(p1 - a.pb, 0.f);
    a.acc = acc.data();
    chunks(a);
    for (int j = a.j0; j < a.j1; j++)
      for (int p = m.cptr[j]; p < m.cptr[j + 1]; p++) dW[(size_t)m.cidx[p] * ldw + m.c0 + j] = acc[p - a.pb];
  });
}

}  // namespace

double mask_density(const uint8_t* mask, int ld, int K, int N) {
  size_t kept = 0;
  for (int k = 0; k < K; k++) {
    const uint8_t* m = mask + (size_t)k * ld;
    for (int j = 0; j < N; j++) kept += m[j] != 0;
  }
  return K && N ? (double)kept / ((double)K * N) : 1.0;
}

void SparseMat::build(const float* W, const uint8_t* mask, int ldw, int K_, int N_, int c0_) {
  // Same shape and mask as the last call (the usual case: the mask changes only at
  // prune events, the weights at every step): refresh the values only.
  bool same = K == K_ && N == N_ && c0 == c0_ && keep.size() == (size_t)K_ * N_;
  for (int k = 0; same && k < K_; k++) same = !std::memcmp(keep.data() + (size_t)k * N_, mask + (size_t)k * ldw + c0_, N_);
  if (same) {
    for (int k = 0; k < K; k++) {
      const float* w = W + (size_t)k * ldw + c0;
      for (int p = rptr[k]; p < rptr[k + 1]; p++) rval[p] = w[ridx[p]];
    }
    for (size_t q = 0; q < cval.size(); q++) cval[q] = rval[cperm[q]];
    return;
  }
  K = K_; N = N_; c0 = c0_;
  keep.resize((size_t)K * N);
  for (int k = 0; k < K; k++) std::memcpy(keep.data() + (size_t)k * N, mask + (size_t)k * ldw + c0, N);
  rptr.assign(K + 1, 0);
  cptr.assign(N + 1, 0);
  ridx.clear(); rval.clear();
  for (int k = 0; k < K; k++) {
    const uint8_t* m = mask + (size_t)k * ldw + c0;
    const float* w = W + (size_t)k * ldw + c0;
    for (int j = 0; j < N; j++)
      if (m[j]) {
        ridx.push_back(j);
        rval.push_back(w[j]);
        cptr[j + 1]++;
      }
    rptr[k + 1] = (int32_t)ridx.size();
  }
  for (int j = 0; j < N; j++) cptr[j + 1] += cptr[j];
  cidx.resize(ridx.size());
  cval.resize(ridx.size());
  cperm.resize(ridx.size());
  std::vector<int32_t> at(cptr.begin(), cptr.end() - 1);
  for (int k = 0; k < K; k++)
    for (int p = rptr[k]; p < rptr[k + 1]; p++) {
      const int q = at[ridx[p]]++;
      cidx[q] = k;
      cval[q] = rval[p];
      cperm[q] = p;
    }
}

// Layouts (sparse.h): xT[m] (T, K, B) and gT (T, GH, B), one contiguous (rows, B) block per step.
void SparseRec::fwd(int mi, int t, const float* A, int lda, float* C, int ldc) const {
  const SparseMat& s = m[mi];
  float* x = xT[mi] + (size_t)t * s.K * B;
  transpose(A, lda, B, s.K, x, B);
  sp_par(s.N, s.cidx.size() * B, [&](int j0, int j1) {
    spmm_rows(s.cptr.data(), s.cidx.data(), s.cval.data(), j0, j1, x, B, yT, B, B);
    add_transposed(yT + (size_t)j0 * B, B, B, j1 - j0, 1.f, C + j0, ldc);
  });
}

void SparseRec::keepG(int t, const float* dG, int ldg, int c0, int n) const {
  transpose(dG, ldg, B, n, gT + ((size_t)t * GH + c0) * B, B);
}

void SparseRec::bwd(int mi, int t, float beta, float* C, int ldc) const {
  const SparseMat& s = m[mi];
  const float* g = gT + ((size_t)t * GH + s.c0) * B;
  sp_par(s.K, s.ridx.size() * B, [&](int k0, int k1) {
    spmm_rows(s.rptr.data(), s.ridx.data(), s.rval.data(), k0, k1, g, B, yT, B, B);
    add_transposed(yT + (size_t)k0 * B, B, B, k1 - k0, beta, C + k0, ldc);
  });
}

void SparseRec::wgrad(int mi, int t0, float* dW, int ldw) const {
  const SparseMat& s = m[mi];
  if (t0 >= T) return;
  const size_t xs = (size_t)s.K * B, gs = (size_t)GH * B;
  // Chunks of kSpChunk steps outer, columns inner (inside the kernel): per chunk the
  // dGates blocks are read in order once and the chunk's inputs (S·K·B) stay cached;
  // one horizontal sum per kept entry and chunk.
  sddmm_tiles(s, s.cidx.size() * (size_t)(T - t0) * B, dW, ldw, [&](SddmmArgs& a) {
    a.lda = B; a.as = gs; a.ldx = B; a.xs = xs; a.n = B;
    for (int t = t0; t < T; t += kSpChunk) {
      a.A = gT + (size_t)t * gs + (size_t)s.c0 * B;  // dG_m(t..)   (ns, N, B)
      a.X = xT[mi] + (size_t)t * xs;                 // x_m(t..)    (ns, K, B)
      a.ns = std::min(kSpChunk, T - t);
      sddmm(a);
    }
  });
}

// Row chunk (in floats) for a product that gathers rows of a (nrows, ld) matrix: the
// gathered rows' chunk, nrows·chunk floats, stays within ~256 KiB (L2), so that the
// R-row products (R = T·B in the thousands) do not stream the whole matrix through
// the cache once per column.
static int row_chunk(int nrows) { return std::max(64, (65536 / std::max(1, nrows)) / 16 * 16); }

void SparseLinear::fwd(const float* X, int ldx, float* C, int ldc) const {
  transpose(X, ldx, rows, in, XT, ld);
  const int ch = row_chunk(in);
  sp_par(out, m.cidx.size() * (size_t)rows, [&](int j0, int j1) {
    for (int c = 0; c < rows; c += ch)
      spmm_rows(m.cptr.data(), m.cidx.data(), m.cval.data(), j0, j1, XT + c, ld, yT + c, ld, std::min(ch, rows - c));
    add_transposed(yT + (size_t)j0 * ld, ld, rows, j1 - j0, 1.f, C + j0, ldc);
  });
}

void SparseLinear::bwd(const float* dG, int ldg, float* dW, float* dX, int lddx, float beta) const {
  transpose(dG, ldg, rows, out, dT, ld);
  const int chw = row_chunk(in);
  sddmm_tiles(m, m.cidx.size() * (size_t)rows, dW, out, [&](SddmmArgs& a) {
    a.lda = ld; a.ldx = ld; a.ns = 1;
    for (int c = 0; c < rows; c += chw) {  // row chunks: dGT (out, chunk), XT (in, chunk)
      a.A = dT + c; a.X = XT + c; a.n = std::min(chw, rows - c);
      sddmm(a);
    }
  });
  if (!dX) return;
  if (out > 1024) {
    // A wide map (the head of a word model: out = V): gathering dGT rows by the CSR
    // would stream out·chunk floats through the cache for every row k; scatter by
    // columns instead (each dGT row read once), into a zeroed yT (one thread: the
    // columns of different threads would add to the same rows).
    const int ch = std::max(16, (16384 / std::max(1, in)) / 16 * 16);
    std::memset(yT, 0, (size_t)in * ld * sizeof(float));
    for (int c = 0; c < rows; c += ch)
      spmm_scatter(m.cptr.data(), m.cidx.data(), m.cval.data(), 0, out, dT + c, ld, yT + c, ld, std::min(ch, rows - c));
    add_transposed(yT, ld, rows, in, beta, dX, lddx);
    return;
  }
  const int chx = row_chunk(out);
  sp_par(in, m.ridx.size() * (size_t)rows, [&](int k0, int k1) {
    for (int c = 0; c < rows; c += chx)
      spmm_rows(m.rptr.data(), m.ridx.data(), m.rval.data(), k0, k1, dT + c, ld, yT + c, ld, std::min(chx, rows - c));
    add_transposed(yT + (size_t)k0 * ld, ld, rows, k1 - k0, beta, dX + k0, lddx);
  });
}

}  // namespace srnn
