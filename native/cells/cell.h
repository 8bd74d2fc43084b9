// Recurrent cells over a whole sequence, time-major, forward/backward pairs.
//
// Shape legend: T steps, B batch, H hidden, G gates, GH = G·H, R = T·B.
// Weights use the TF.js / Keras layout: Whh (H, GH), columns grouped by gate
// (rnn: h; lstm: i f c o; gru: z r h), so out = h · Whh.
//
// The caller (net.cc) computes the input projection for all T steps with one big
// gemm before calling *_forward, and the input-side gradients (dWih, dbias, dX)
// from the dGates the *_backward leaves behind. A cell only does the recurrence:
// per step one small gemm h_{t-1} · Whh (two for GRU) and fused gate math forward;
// per step dGates and dh_{t-1} += dGates · Whh^T backward; then dWhh as one big
// gemm over all steps after the loop.
//
// Buffers (the Workspace of net.h, one set per layer):
//   gates (T, B, GH)  forward in:  x_t · Wih + b            (pre-activation, input part)
//                     forward out: what backward needs (activated gates)
//                     backward out: dL/d(pre-activation gates), all steps
//   hs    (T+1, B, H) hs[0] = initial h (caller fills), hs[t+1] = h_t
//   cs    (T+1, B, H) lstm only: cs[0] = initial c, cs[t+1] = c_t
//   tcs   (T, B, H)   lstm only: tanh(c_t)
//   rh    (T, B, H)   gru only: r_t ⊙ h_{t-1}, the input of the candidate's recurrent product
//                     (reset-after GRU: un_t = h_{t-1}·Uh + b_hn, then dL/dun_t)
//   dhs   (T, B, H)   backward in: dL/dh_t from above (next layer or head); used as the
//                     accumulator for the recurrent gradient, so it is clobbered
//   scratch (4, B, H) per-step temporaries
// dWhh (H, GH) is overwritten (gemm with beta = 0), every entry.
// No gradient flows into the initial state (truncated BPTT).
#pragma once
#include <cstddef>

#include "gemm.h"
#include "sparse.h"
#include "threadpool.h"

namespace srnn {

struct LayerBuf {
  float* gates = nullptr;  // (T, B, GH)
  float* hs = nullptr;     // (T+1, B, H)
  float* cs = nullptr;     // (T+1, B, H) lstm
  float* tcs = nullptr;    // (T, B, H)   lstm
  float* rh = nullptr;     // (T, B, H)   gru
  bool h0zero = false;     // hs[0] is all zeros: skip the t = 0 recurrent products
};

// The recurrent products use weights packed once per call (gemm.h PackedB): forward
// op(B) = Whh (K H, N GH), backward op(B) = Whhᵀ (K GH, N H); for the GRU the z r
// columns and the h columns are packed separately ([Uz Ur] and Uh, and their
// transposes), since the candidate's product needs r first.
//
// sp (sparse.h), when not null, replaces the packed products and the dWhh gemm with
// the sparse kernels (the PackedB arguments are then not read); dWhh must then be
// zeroed by the caller, and only its kept entries are written.
void rnn_forward(const LayerBuf& L, const PackedB& Whh, int T, int B, int H, bool relu,
                 const SparseRec* sp = nullptr);
void rnn_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& WhhT,
                  int T, int B, int H, bool relu, float* scratch, const SparseRec* sp = nullptr);

void lstm_forward(const LayerBuf& L, const PackedB& Whh, int T, int B, int H, const SparseRec* sp = nullptr);
void lstm_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& WhhT,
                   int T, int B, int H, float* scratch, const SparseRec* sp = nullptr);

void gru_forward(const LayerBuf& L, const PackedB& Uzr, const PackedB& Uh, int T, int B, int H,
                 const SparseRec* sp = nullptr);
void gru_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& UzrT, const PackedB& UhT,
                  int T, int B, int H, float* scratch, const SparseRec* sp = nullptr);
// The reset-after GRU (gru.cc): bhn (H) the candidate's recurrent bias; the gates'
// input part must already hold the z and r recurrent biases. L.rh holds un = h_{t-1}·Uh
// + b_hn (forward out), then dL/dun (backward out: the caller sums it for db_hn). Uzr,
// Uh (and their transposes) as gru_*; both sparse matrices read h_{t-1}.
void gru_ra_forward(const LayerBuf& L, const PackedB& Uzr, const PackedB& Uh, const float* bhn, int T, int B, int H,
                    const SparseRec* sp = nullptr);
void gru_ra_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& UzrT, const PackedB& UhT,
                     int T, int B, int H, const SparseRec* sp = nullptr);

// Runs fn(b0, b1) over the B rows of one step: split across the thread pool when
// there is enough work per call to pay for the hand-off, inline otherwise.
template <class F>
inline void for_rows(int B, size_t floatsPerRow, F&& fn) {
  constexpr size_t kMinParallel = 16384;  // floats of gate math per call
  if (B > 1 && threads() > 1 && (size_t)B * floatsPerRow >= kMinParallel)
    parallel_for(B, fn);
  else
    fn(0, B);
}

}  // namespace srnn
