// Sparse-aware training (docs/engine.md "Sparse-aware training"): once a recurrent
// kernel Whh is sparse enough (density <= kSparseDensity under the mask given to
// Net::run), its per-step products and its weight gradient use the kernels here
// instead of the dense packed gemms (SparseRec); an input kernel Wih, and the head,
// likewise for their whole-sequence products (SparseLinear, at the end).
//
// Layouts (one contiguous (rows, B) block per step t):
//   xT (T, K, B)   the product's input transposed: xT[t][k][b] = h_{t-1}[b][k]
//                  (gru: a second one for r ⊙ h_{t-1}), written step by step forward
//   gT (T, GH, B)  dGates transposed, written step by step backward
// so one non-zero is one B-wide FMA on contiguous memory in the per-step products,
// and a dot over T segments of B floats in the weight gradient (kept entries only),
// summed kSpChunk steps at a time per horizontal sum. (A chunk-interleaved layout,
// (T/S, K, S, B), made the gradient's dots contiguous but spread a step's block over
// 4× the L1 sets: the forward product lost more than the gradient gained.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace srnn {

// Groups at or below this density (kept / size) run sparse.
constexpr double kSparseDensity = 0.25;
// Steps summed per horizontal sum in the weight gradient (2 measured best of 1/2/4/8
// with B 32, H 256: more steps push the chunk's inputs, S·K·B floats, out of L1).
constexpr int kSpChunk = 2;

// ---- The kernels (sparse.cc). Each runs at the SIMD level in use (simd.h) and has a
// naive reference beside it (*_naive: plain loops, one term at a time), the definition
// native/tests/test_sparse.cc holds every level to.

// SpMM by rows (CSR, or CSC read as the CSR of Wᵀ): for rows r in [r0, r1)
//   Y[r·ldy + c] = Σ_{p ∈ [ptr[r], ptr[r+1])} val[p] · X[idx[p]·ldx + c]      c < n
void spmm_rows(const int32_t* ptr, const int32_t* idx, const float* val, int r0, int r1, const float* X, size_t ldx,
               float* Y, size_t ldy, int n);
void spmm_rows_naive(const int32_t* ptr, const int32_t* idx, const float* val, int r0, int r1, const float* X,
                     size_t ldx, float* Y, size_t ldy, int n);
// SpMM by scatter (the same product on the transposed matrix, each X row read once):
// for columns j in [j0, j1), p in [ptr[j], ptr[j+1])
//   Y[idx[p]·ldy + c] += val[p] · X[j·ldx + c]                                   c < n
void spmm_scatter(const int32_t* ptr, const int32_t* idx, const float* val, int j0, int j1, const float* X,
                  size_t ldx, float* Y, size_t ldy, int n);
void spmm_scatter_naive(const int32_t* ptr, const int32_t* idx, const float* val, int j0, int j1, const float* X,
                        size_t ldx, float* Y, size_t ldy, int n);

// SDDMM (the weight gradient at kept entries) over ns consecutive steps: for columns
// j in [j0, j1) and entries p in [pbeg[j], pend[j]) (row k = idx[p])
//   acc[p − pb] += Σ_{s < ns} Σ_{c < n} A[s·as + j·lda + c] · X[s·xs + k·ldx + c]
struct SddmmArgs {
  const int32_t* pbeg = nullptr;  // (columns) first entry of column j
  const int32_t* pend = nullptr;  // (columns) one past its last entry
  const int32_t* idx = nullptr;   // (entries) row of entry p
  int j0 = 0, j1 = 0;             // the columns
  int pb = 0;                     // entry stored at acc[0]
  const float* A = nullptr;       // dG side: row j at A + j·lda, step s at + s·as
  size_t lda = 0, as = 0;
  const float* X = nullptr;       // input side: row k at X + k·ldx, step s at + s·xs
  size_t ldx = 0, xs = 0;
  int ns = 1;                     // steps
  int n = 0;                      // floats per dot (B, or a chunk of rows)
  float* acc = nullptr;           // (pend[j1 - 1] − pb) accumulators, added to
};
void sddmm(const SddmmArgs& a);
void sddmm_naive(const SddmmArgs& a);

// Transposes: out[c·ldo + r] = (acc ? out[c·ldo + r] : 0) + in[r·ldi + c]
//                                            in (rows, cols) → out (cols, rows)
void transpose(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc = false);
void transpose_naive(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc = false);
// C[r·ldc + c] = beta·C[r·ldc + c] + yT[c·ldy + r]   C (rows, cols), yT (cols, rows); beta ∈ {0, 1}
inline void add_transposed(const float* yT, size_t ldy, int rows, int cols, float beta, float* C, size_t ldc) {
  transpose(yT, ldy, cols, rows, C, ldc, beta != 0.f);
}

// One (K, N) block of a recurrent matrix W (row stride ldw, columns [c0, c0 + N) of
// the full (H, GH) Whh), kept entries only, by column (forward) and by row (backward).
struct SparseMat {
  int K = 0, N = 0, c0 = 0;
  std::vector<int32_t> cptr, cidx;  // CSC: column j holds rows cidx[cptr[j] .. cptr[j+1])
  std::vector<float> cval;
  std::vector<int32_t> rptr, ridx;  // CSR: row k holds columns ridx[rptr[k] .. rptr[k+1])
  std::vector<float> rval;
  std::vector<int32_t> cperm;  // CSC entry q is CSR entry cperm[q]
  std::vector<uint8_t> keep;   // the (K, N) mask block this structure was built for
  // From W's kept entries; rebuilds the index arrays only when the mask block changed.
  void build(const float* W, const uint8_t* mask, int ldw, int K, int N, int c0);
};

// Density of the kept entries of a (K, N) block with row stride ld.
double mask_density(const uint8_t* mask, int ld, int K, int N);

// The sparse recurrent products of one layer (see the layout note above).
struct SparseRec {
  int B = 0, T = 0, GH = 0;
  size_t R = 0;
  int nm = 0;          // matrices: 1 (rnn, lstm), 2 (gru: [Uz Ur], Uh)
  SparseMat m[2];
  float* xT[2] = {nullptr, nullptr};  // (T, K, B) per matrix
  float* gT = nullptr;                // (T, GH, B)
  float* yT = nullptr;                // (max(GH, H), B) per-step scratch
  // C (B, N) += A (B, K) · W_m at step t; A is transposed into xT[m] column block t.
  void fwd(int mi, int t, const float* A, int lda, float* C, int ldc) const;
  // dG columns [c0, c0 + n) of step t (B rows, stride ldg) transposed into gT.
  void keepG(int t, const float* dG, int ldg, int c0, int n) const;
  // C (B, K) = beta·C + dG_m(t) · W_mᵀ, dG_m read from gT (after keepG).
  void bwd(int mi, int t, float beta, float* C, int ldc) const;
  // dW[k][c0 + j] = Σ_{t ≥ t0} Σ_b xT[m](t)[k][b] · gT(t)[c0 + j][b] at kept (k, j) only;
  // other entries untouched (zero them first).
  void wgrad(int mi, int t0, float* dW, int ldw) const;
};

// A sparse linear map applied to all rows at once (no recurrence): an input kernel
// Wih (in, GH) — rows = R = T·B, or V for layer 0's fused (V, GH) table where X is
// the embedding — or the head (H, O) over its Rh rows, at density <= kSparseDensity.
// Same kernels as SparseRec, on whole transposed matrices:
//   fwd   XT = Xᵀ (in, rows), kept for bwd;  yT = Wᵀ·XT by columns (CSC);  C += yTᵀ
//   bwd   dGT = dGᵀ (out, rows);  dW[k][j] = dot(XT[k], dGT[j]) at kept entries;
//         dXT = W·dGT by rows (CSR);  dX = beta·dX + dXTᵀ
struct SparseLinear {
  int rows = 0, ld = 0, in = 0, out = 0;  // ld: row stride of the transposed buffers (rows padded to 16)
  SparseMat m;
  float* XT = nullptr;  // (in, ld), this map's
  float* yT = nullptr;  // (max(out, in), ld) scratch shared by the maps
  float* dT = nullptr;  // (out, ld) scratch shared by the maps
  // C (rows, out) += X (rows, in) · W
  void fwd(const float* X, int ldx, float* C, int ldc) const;
  // dW (in, out): kept entries written, others untouched (zero them first); and, when
  // dX is not null, dX (rows, in) = beta·dX + dG · Wᵀ (beta 0 or 1).
  void bwd(const float* dG, int ldg, float* dW, float* dX, int lddx, float beta) const;
};

}  // namespace srnn
