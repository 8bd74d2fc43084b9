// GRU, TF.js / Keras reset_after = false, gate order z, r, h (columns of Wih, Whh, b):
//   z = σ(x·Wz + h_{t-1}·Uz + bz)      r = σ(x·Wr + h_{t-1}·Ur + br)
//   n = tanh(x·Wh + (r ⊙ h_{t-1})·Uh + bh)
//   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
// The candidate's recurrent product needs r first, so a step is two gemms.
//
// Reset-after GRU (Keras reset_after = True, PyTorch), gru_ra_*:
//   n = tanh(x·Wh + bh + r ⊙ (h_{t-1}·Uh + b_hn))
// (the z and r recurrent biases are folded into the input bias by the caller). Both
// products read h_{t-1}: the z r one adds into the gates, the candidate's goes to
// un = h_{t-1}·Uh + b_hn, kept in L.rh for backward.
// Shapes and buffer contracts: cell.h.
#include <cstring>

#include "cells/cell.h"
#include "cells/gates.h"
#include "gemm.h"
#include "simd.h"

namespace srnn {

namespace {

// dWhh (H, 3H) after the time loop, over the R rows from t0 (a zero h_{-1} adds nothing):
//   [:, z r] = [h_{-1} … h_{T-2}]ᵀ · dA[:, z r]
//   [:, n]   = (r ⊙ h_prev)ᵀ · dA[:, n]   (reset before: its product's input, L.rh)
//            = h_prevᵀ · dun              (reset after: L.rh holds dun)
// Sparse: the kernels' kept entries (the matrices saw those inputs / gradients).
void gru_wgrad(float* dWhh, const LayerBuf& L, int T, int B, int H, const SparseRec* sp, bool resetAfter) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  const int t0 = L.h0zero ? 1 : 0;
  const int K = (T - t0) * B;
  if (sp) {
    sp->wgrad(0, t0, dWhh, (int)GH);
    sp->wgrad(1, t0, dWhh, (int)GH);
    return;
  }
  const float* hs = L.hs + t0 * BH;   // (K, H)
  const float* rh = L.rh + t0 * BH;   // (K, H)
  const float* dA = L.gates + t0 * B * GH;  // (K, 3H)
  sgemm(true, false, H, 2 * H, K, hs, H, dA, (int)GH, 0.f, dWhh, (int)GH);
  if (resetAfter) sgemm(true, false, H, H, K, hs, H, rh, H, 0.f, dWhh + 2 * H, (int)GH);
  else sgemm(true, false, H, H, K, rh, H, dA + 2 * H, (int)GH, 0.f, dWhh + 2 * H, (int)GH);
}

}  // namespace

void gru_forward(const LayerBuf& L, const PackedB& Uzr, const PackedB& Uh, int T, int B, int H,
                 const SparseRec* sp) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  const GateKernels& k = gate_kernels();
  for (int t = 0; t < T; t++) {
    float* a = L.gates + t * B * GH;     // (B, 3H) in: x_t·Wih + b; out: z r n
    const float* hp = L.hs + t * BH;     // (B, H) h_{t-1}
    float* rh = L.rh + t * BH;           // (B, H) r ⊙ h_{t-1}
    float* h = L.hs + (t + 1) * BH;      // (B, H) h_t
    const bool rec = t > 0 || !L.h0zero;
    // a[:, z r] += h_{t-1} · [Uz Ur]                             (B, 2H)
    if (rec) {
      if (sp) sp->fwd(0, t, hp, H, a, (int)GH);
      else sgemm_packed(false, B, hp, H, Uzr, 1.f, a, (int)GH);
    }
    for_rows(B, 2 * (size_t)H, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) k.gru_fwd_zr(a + b * GH, hp + (size_t)b * H, rh + (size_t)b * H, H);
    });
    // a[:, n] += (r ⊙ h_{t-1}) · Uh                              (B, H)
    if (rec) {
      if (sp) sp->fwd(1, t, rh, H, a + 2 * H, (int)GH);
      else sgemm_packed(false, B, rh, H, Uh, 1.f, a + 2 * H, (int)GH);
    }
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) k.gru_fwd_n(a + b * GH, hp + (size_t)b * H, h + (size_t)b * H, H);
    });
  }
}

void gru_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& UzrT, const PackedB& UhT,
                  int T, int B, int H, float* scratch, const SparseRec* sp) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  const GateKernels& k = gate_kernels();
  float* drh = scratch;  // (B, H) dL/d(r ⊙ h_{t-1})
  for (int t = T - 1; t >= 0; t--) {
    float* a = L.gates + t * B * GH;                 // (B, 3H) in: z r n; out: dL/da
    const float* hp = L.hs + t * BH;                 // (B, H) h_{t-1}
    const float* dh = dhs + t * BH;                  // (B, H) dL/dh_t
    float* dhp = t > 0 ? dhs + (t - 1) * BH : nullptr;  // (B, H) dL/dh_{t-1} accumulator
    // 1. through h_t = z h + (1-z) n: da_z, da_n; direct path dh_{t-1} += dh ⊙ z
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        const size_t o = (size_t)b * H;
        k.gru_bwd_zn(a + b * GH, hp + o, dh + o, dhp ? dhp + o : nullptr, H);
      }
    });
    // 2. drh = da_n · Uh^T                                      (B, H)
    if (sp) {
      sp->keepG(t, a + 2 * H, (int)GH, 2 * H, H);
      sp->bwd(1, t, 0.f, drh, H);
    } else {
      sgemm_packed(false, B, a + 2 * H, (int)GH, UhT, 0.f, drh, H);
    }
    // 3. through rh = r ⊙ h_{t-1}: da_r; dh_{t-1} += drh ⊙ r
    for_rows(B, 2 * (size_t)H, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) {
        const size_t o = (size_t)b * H;
        k.gru_bwd_r(a + b * GH, hp + o, drh + o, dhp ? dhp + o : nullptr, H);
      }
    });
    // 4. dh_{t-1} += [da_z da_r] · [Uz Ur]^T                      (B, H)
    if (sp) {
      sp->keepG(t, a, (int)GH, 0, 2 * H);
      if (dhp) sp->bwd(0, t, 1.f, dhp, H);
    } else if (dhp) {
      sgemm_packed(false, B, a, (int)GH, UzrT, 1.f, dhp, H);
    }
  }
  gru_wgrad(dWhh, L, T, B, H, sp, false);
}

void gru_ra_forward(const LayerBuf& L, const PackedB& Uzr, const PackedB& Uh, const float* bhn, int T, int B, int H,
                    const SparseRec* sp) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  const GateKernels& k = gate_kernels();
  for (int t = 0; t < T; t++) {
    float* a = L.gates + t * B * GH;     // (B, 3H) in: x_t·Wih + b (z r: + recurrent bias); out: z r n
    const float* hp = L.hs + t * BH;     // (B, H) h_{t-1}
    float* un = L.rh + t * BH;           // (B, H) h_{t-1}·Uh + b_hn
    float* h = L.hs + (t + 1) * BH;      // (B, H) h_t
    for (int b = 0; b < B; b++) std::memcpy(un + (size_t)b * H, bhn, (size_t)H * sizeof(float));
    if (t > 0 || !L.h0zero) {
      if (sp) {
        sp->fwd(0, t, hp, H, a, (int)GH);  // a[:, z r] += h_{t-1} · [Uz Ur]   (B, 2H)
        sp->fwd(1, t, hp, H, un, H);       // un += h_{t-1} · Uh               (B, H)
      } else {
        sgemm_packed(false, B, hp, H, Uzr, 1.f, a, (int)GH);
        sgemm_packed(false, B, hp, H, Uh, 1.f, un, H);
      }
    }
    for_rows(B, GH, [&](int b0, int b1) {
      for (int b = b0; b < b1; b++) k.gru_ra_fwd(a + b * GH, un + (size_t)b * H, hp + (size_t)b * H, h + (size_t)b * H, H);
    });
  }
}

void gru_ra_backward(float* dWhh, float* dhs, const LayerBuf& L, const PackedB& UzrT, const PackedB& UhT,
                     int T, int B, int H, const SparseRec* sp) {
  const size_t BH = (size_t)B * H, GH = 3 * (size_t)H;
  const GateKernels& k = gate_kernels();
  for (int t = T - 1; t >= 0; t--) {
    // Row (t, b) at offset o = (t·B + b)·H of the (T, B, H) buffers, 3·o of the gates:
    // gates in z r n, out dL/da; rh in un, out dL/dun; hs[t] = h_{t-1}; dhs[t] = dL/dh_t,
    // and dhs[t-1] accumulates dL/dh_{t-1} (none at t = 0).
    const size_t at = (size_t)t * BH;
    float* a = L.gates + 3 * at;                     // (B, 3H)
    float* un = L.rh + at;                           // (B, H)
    float* dhp = t > 0 ? dhs + at - BH : nullptr;    // (B, H)
    for_rows(B, GH, [&](int b0, int b1) {
      for (size_t o = at + (size_t)b0 * H; o < at + (size_t)b1 * H; o += H)
        k.gru_ra_bwd(L.gates + 3 * o, L.rh + o, L.hs + o, dhs + o, dhp ? dhs + o - BH : nullptr, H);
    });
    // dh_{t-1} += [da_z da_r] · [Uz Ur]ᵀ + dun · Uhᵀ               (B, H)
    if (sp) {
      sp->keepG(t, a, (int)GH, 0, 2 * H);
      sp->keepG(t, un, H, 2 * H, H);
      if (dhp) {
        sp->bwd(0, t, 1.f, dhp, H);
        sp->bwd(1, t, 1.f, dhp, H);
      }
    } else if (dhp) {
      sgemm_packed(false, B, a, (int)GH, UzrT, 1.f, dhp, H);
      sgemm_packed(false, B, un, H, UhT, 1.f, dhp, H);
    }
  }
  gru_wgrad(dWhh, L, T, B, H, sp, true);
}

}  // namespace srnn
