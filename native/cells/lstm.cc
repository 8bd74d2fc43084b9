// LSTM, TF.js / Keras gate order i, f, c, o (columns of Wih, Whh, b):
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_c)  o = σ(a_o),   a = x·Wih + h_{t-1}·Whh + b
//   c_t = f ⊙ c_{t-1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
// Shapes and buffer contracts: cell.h.
#include "cells/cell.h"
#include "gemm.h"
#include "simd.h"

#include <cstring>

namespace srnn {

void lstm_forward(const LayerBuf& L, const float* Whh, int T, int B, int H) {
  const size_t BH = (size_t)B * H, GH = 4 * (size_t)H;
  for (int t = 0; t < T; t++) {
    float* a = L.gates + t * B * GH;  // (B, 4H) in: x_t·Wih + b; out: i f g o
    sgemm(false, false, B, (int)GH, H, L.hs + t * BH, H, Whh, (int)GH, 1.f, a, (int)GH);
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        float* gi = a + b * GH;  // (4H) i f g o
        vec_sigmoid(gi, gi, 2 * (size_t)H);               // i, f
        vec_tanh(gi + 2 * H, gi + 2 * H, H);              // g
        vec_sigmoid(gi + 3 * H, gi + 3 * H, H);           // o
        const float *i = gi, *f = gi + H, *g = gi + 2 * H, *o = gi + 3 * H;
        const float* cp = L.cs + t * BH + (size_t)b * H;  // (H) c_{t-1}
        float* c = L.cs + (t + 1) * BH + (size_t)b * H;   // (H) c_t
        float* tc = L.tcs + t * BH + (size_t)b * H;       // (H) tanh(c_t)
        float* h = L.hs + (t + 1) * BH + (size_t)b * H;   // (H) h_t
        for (int j = 0; j < H; j++) c[j] = f[j] * cp[j] + i[j] * g[j];
        vec_tanh(tc, c, H);
        for (int j = 0; j < H; j++) h[j] = o[j] * tc[j];
      }
    });
  }
}

void lstm_backward(float* dWhh, float* dhs, const LayerBuf& L, const float* WhhT,
                   int T, int B, int H, float* scratch) {
  const size_t BH = (size_t)B * H, GH = 4 * (size_t)H;
  float* dc = scratch;  // (B, H) dL/dc_t carried backwards through f
  std::memset(dc, 0, BH * sizeof(float));
  for (int t = T - 1; t >= 0; t--) {
    float* a = L.gates + t * B * GH;  // (B, 4H) in: i f g o; out: dL/da
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        float* gi = a + b * GH;
        float *i = gi, *f = gi + H, *g = gi + 2 * H, *o = gi + 3 * H;
        const float* cp = L.cs + t * BH + (size_t)b * H;  // (H) c_{t-1}
        const float* tc = L.tcs + t * BH + (size_t)b * H; // (H) tanh(c_t)
        const float* dh = dhs + t * BH + (size_t)b * H;   // (H) dL/dh_t
        float* dcb = dc + (size_t)b * H;                  // (H) in: dL/dc_t from t+1
        for (int j = 0; j < H; j++) {
          const float ij = i[j], fj = f[j], gj = g[j], oj = o[j], tcj = tc[j];
          const float dcj = dcb[j] + dh[j] * oj * (1.f - tcj * tcj);
          o[j] = dh[j] * tcj * oj * (1.f - oj);
          i[j] = dcj * gj * ij * (1.f - ij);
          g[j] = dcj * ij * (1.f - gj * gj);
          f[j] = dcj * cp[j] * fj * (1.f - fj);
          dcb[j] = dcj * fj;
        }
      }
    });
    // dh_{t-1} += dA_t · Whh^T                                  (B, H)
    if (t > 0) sgemm(false, false, B, H, (int)GH, a, (int)GH, WhhT, H, 1.f, dhs + (t - 1) * BH, H);
  }
  // dWhh = [h_{-1} … h_{T-2}]^T · dA                            (H, 4H) over R rows
  sgemm(true, false, H, (int)GH, T * B, L.hs, H, L.gates, (int)GH, 0.f, dWhh, (int)GH);
}

}  // namespace srnn
