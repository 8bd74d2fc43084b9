// LSTM, TF.js / Keras gate order i, f, c, o (columns of Wih, Whh, b):
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_c)  o = σ(a_o),   a = x·Wih + h_{t-1}·Whh + b
//   c_t = f ⊙ c_{t-1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
// Shapes and buffer contracts: cell.h.
#include "cells/cell.h"
#include "cells/gates.h"
#include "gemm.h"
#include "simd.h"

#include <cstring>

namespace srnn {

void lstm_forward(const LayerBuf& L, const PackedB& Whh, int T, int B, int H, const SparseRec* sp) {
  const size_t BH = (size_t)B * H, GH = 4 * (size_t)H;
  const GateKernels& k = gate_kernels();
  for (int t = 0; t < T; t++) {
    float* a = L.gates + t * B * GH;  // (B, 4H) in: x_t·Wih + b; out: i f g o
    if (t > 0 || !L.h0zero) {
      if (sp) sp->fwd(0, t, L.hs + t * BH, H, a, (int)GH);
      else sgemm_packed(false, B, L.hs + t * BH, H, Whh, 1.f, a, (int)GH);
    }
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        const size_t o = (size_t)b * H;
        k.lstm_fwd(a + b * GH, L.cs + t * BH + o, L.cs + (t + 1) * BH + o, L.tcs + t * BH + o,
                   L.hs + (t + 1) * BH + o, H);
      }
    });
  }
}

void lstm_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& WhhT,
                   int T, int B, int H, float* scratch, const SparseRec* sp) {
  const size_t BH = (size_t)B * H, GH = 4 * (size_t)H;
  const GateKernels& k = gate_kernels();
  float* dc = scratch;  // (B, H) dL/dc_t carried backwards through f
  std::memset(dc, 0, BH * sizeof(float));
  for (int t = T - 1; t >= 0; t--) {
    float* a = L.gates + t * B * GH;  // (B, 4H) in: i f g o; out: dL/da
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        const size_t o = (size_t)b * H;
        k.lstm_bwd(a + b * GH, L.cs + t * BH + o, L.tcs + t * BH + o, dhs + t * BH + o, dc + o, H);
      }
    });
    // dh_{t-1} += dA_t · Whh^T                                  (B, H)
    if (sp) {
      sp->keepG(t, a, (int)GH, 0, (int)GH);
      if (t > 0) sp->bwd(0, t, 1.f, dhs + (t - 1) * BH, H);
    } else if (t > 0) {
      sgemm_packed(false, B, a, (int)GH, WhhT, 1.f, dhs + (t - 1) * BH, H);
    }
  }
  // dWhh = [h_{-1} … h_{T-2}]^T · dA                            (H, 4H) over R rows
  const int t0 = L.h0zero ? 1 : 0;  // a zero h_{-1} adds nothing
  if (sp) { sp->wgrad(0, t0, dWhh, (int)GH); return; }
  sgemm(true, false, H, (int)GH, (T - t0) * B, L.hs + t0 * BH, H, L.gates + t0 * B * GH, (int)GH, 0.f, dWhh, (int)GH);
}

}  // namespace srnn
