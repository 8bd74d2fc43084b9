// GRU, TF.js / Keras reset_after = false, gate order z, r, h (columns of Wih, Whh, b):
//   z = σ(x·Wz + h_{t-1}·Uz + bz)      r = σ(x·Wr + h_{t-1}·Ur + br)
//   n = tanh(x·Wh + (r ⊙ h_{t-1})·Uh + bh)
//   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
// The candidate's recurrent product needs r first, so a step is two gemms.
// Shapes and buffer contracts: cell.h.
#include "cells/cell.h"
#include "gemm.h"
#include "simd.h"

namespace srnn {

void gru_forward(const LayerBuf& L, const float* Whh, int T, int B, int H) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  for (int t = 0; t < T; t++) {
    float* a = L.gates + t * B * GH;     // (B, 3H) in: x_t·Wih + b; out: z r n
    const float* hp = L.hs + t * BH;     // (B, H) h_{t-1}
    float* rh = L.rh + t * BH;           // (B, H) r ⊙ h_{t-1}
    float* h = L.hs + (t + 1) * BH;      // (B, H) h_t
    // a[:, z r] += h_{t-1} · [Uz Ur]                             (B, 2H)
    sgemm(false, false, B, 2 * H, H, hp, H, Whh, (int)GH, 1.f, a, (int)GH);
    for_rows(B, 2 * (size_t)H, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        float* zr = a + b * GH;
        vec_sigmoid(zr, zr, 2 * (size_t)H);
        const float* r = zr + H;
        for (int j = 0; j < H; j++) rh[(size_t)b * H + j] = r[j] * hp[(size_t)b * H + j];
      }
    });
    // a[:, n] += (r ⊙ h_{t-1}) · Uh                              (B, H)
    sgemm(false, false, B, H, H, rh, H, Whh + 2 * H, (int)GH, 1.f, a + 2 * H, (int)GH);
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        float* gz = a + b * GH;
        float* n = gz + 2 * H;
        vec_tanh(n, n, H);
        const float* hpb = hp + (size_t)b * H;
        float* hb = h + (size_t)b * H;
        for (int j = 0; j < H; j++) hb[j] = gz[j] * hpb[j] + (1.f - gz[j]) * n[j];
      }
    });
  }
}

void gru_backward(float* dWhh, float* dhs, const LayerBuf& L, const float* WhhT,
                  int T, int B, int H, float* scratch) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  float* drh = scratch;  // (B, H) dL/d(r ⊙ h_{t-1})
  for (int t = T - 1; t >= 0; t--) {
    float* a = L.gates + t * B * GH;                 // (B, 3H) in: z r n; out: dL/da
    const float* hp = L.hs + t * BH;                 // (B, H) h_{t-1}
    const float* dh = dhs + t * BH;                  // (B, H) dL/dh_t
    float* dhp = t > 0 ? dhs + (t - 1) * BH : nullptr;  // (B, H) dL/dh_{t-1} accumulator
    // 1. through h_t = z h + (1-z) n: da_z, da_n; direct path dh_{t-1} += dh ⊙ z
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        float* z = a + b * GH;
        float* n = z + 2 * H;
        const float* hpb = hp + (size_t)b * H;
        const float* dhb = dh + (size_t)b * H;
        float* dhpb = dhp ? dhp + (size_t)b * H : nullptr;
        for (int j = 0; j < H; j++) {
          const float zj = z[j], nj = n[j], d = dhb[j];
          n[j] = d * (1.f - zj) * (1.f - nj * nj);
          z[j] = d * (hpb[j] - nj) * zj * (1.f - zj);
          if (dhpb) dhpb[j] += d * zj;
        }
      }
    });
    // 2. drh = da_n · Uh^T (rows 2H..3H of Whh^T)                                      (B, H)
    sgemm(false, false, B, H, H, a + 2 * H, (int)GH, WhhT + (size_t)2 * H * H, H, 0.f, drh, H);
    // 3. through rh = r ⊙ h_{t-1}: da_r; dh_{t-1} += drh ⊙ r
    for_rows(B, 2 * (size_t)H, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        float* r = a + b * GH + H;
        const float* hpb = hp + (size_t)b * H;
        const float* d = drh + (size_t)b * H;
        float* dhpb = dhp ? dhp + (size_t)b * H : nullptr;
        for (int j = 0; j < H; j++) {
          const float rj = r[j];
          if (dhpb) dhpb[j] += d[j] * rj;
          r[j] = d[j] * hpb[j] * rj * (1.f - rj);
        }
      }
    });
    // 4. dh_{t-1} += [da_z da_r] · [Uz Ur]^T                      (B, H)
    if (dhp) sgemm(false, false, B, H, 2 * H, a, (int)GH, WhhT, H, 1.f, dhp, H);
  }
  // dWhh[:, z r] = [h_{-1} … h_{T-2}]^T · dA[:, z r]             (H, 2H) over R rows
  sgemm(true, false, H, 2 * H, T * B, L.hs, H, L.gates, (int)GH, 0.f, dWhh, (int)GH);
  // dWhh[:, n] = (r ⊙ h_prev)^T · dA[:, n]                       (H, H) over R rows
  sgemm(true, false, H, H, T * B, L.rh, H, L.gates + 2 * H, (int)GH, 0.f, dWhh + 2 * H, (int)GH);
}

}  // namespace srnn
