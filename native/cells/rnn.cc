// Vanilla RNN:  h_t = act(x_t · Wih + h_{t-1} · Whh + b),  act = tanh or relu.
// Shapes and buffer contracts: cell.h.
#include "cells/cell.h"
#include "gemm.h"
#include "simd.h"

namespace srnn {

void rnn_forward(const LayerBuf& L, const PackedB& Whh, int T, int B, int H, bool relu,
                 const SparseRec* sp) {
  const size_t BH = (size_t)B * H;
  for (int t = 0; t < T; t++) {
    float* a = L.gates + t * BH;         // (B, H) in: x_t·Wih + b
    const float* hp = L.hs + t * BH;     // (B, H) h_{t-1}
    float* h = L.hs + (t + 1) * BH;      // (B, H) h_t
    if (t > 0 || !L.h0zero) {
      if (sp) sp->fwd(0, t, hp, H, a, H);
      else sgemm_packed(false, B, hp, H, Whh, 1.f, a, H);
    }
    for_rows(B, H, [&](int b0, int b1) {
      const size_t o = (size_t)b0 * H, n = (size_t)(b1 - b0) * H;
      if (relu) {
        for (size_t j = 0; j < n; j++) h[o + j] = a[o + j] > 0.f ? a[o + j] : 0.f;
      } else {
        vec_tanh(h + o, a + o, n);
      }
    });
  }
}

void rnn_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& WhhT,
                  int T, int B, int H, bool relu, float* /*scratch*/, const SparseRec* sp) {
  const size_t BH = (size_t)B * H;
  for (int t = T - 1; t >= 0; t--) {
    const float* h = L.hs + (t + 1) * BH;  // (B, H) h_t
    const float* dh = dhs + t * BH;        // (B, H) dL/dh_t, recurrent part included
    float* da = L.gates + t * BH;          // (B, H) out: dL/da_t
    for_rows(B, H, [&](int b0, int b1) {
      const size_t o = (size_t)b0 * H, n = (size_t)(b1 - b0) * H;
      if (relu) {
        for (size_t j = 0; j < n; j++) da[o + j] = h[o + j] > 0.f ? dh[o + j] : 0.f;
      } else {
        for (size_t j = 0; j < n; j++) da[o + j] = dh[o + j] * (1.f - h[o + j] * h[o + j]);
      }
    });
    // dh_{t-1} += da_t · Whh^T                                  (B, H)
    if (sp) {
      sp->keepG(t, da, H, 0, H);
      if (t > 0) sp->bwd(0, t, 1.f, dhs + (t - 1) * BH, H);
    } else if (t > 0) {
      sgemm_packed(false, B, da, H, WhhT, 1.f, dhs + (t - 1) * BH, H);
    }
  }
  // dWhh = [h_{-1} … h_{T-2}]^T · dA                            (H, H) over R rows
  const int t0 = L.h0zero ? 1 : 0;  // a zero h_{-1} adds nothing
  if (sp) { sp->wgrad(0, t0, dWhh, H); return; }
  sgemm(true, false, H, H, (T - t0) * B, L.hs + t0 * BH, H, L.gates + t0 * BH, H, 0.f, dWhh, H);
}

}  // namespace srnn
