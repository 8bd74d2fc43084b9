// Fused per-row gate math of the cells, one pass over a row instead of a call per
// activation plus separate loops: written once against kernels/isa.h (gates.inc)
// and compiled per ISA (AVX-512, AVX2, scalar); gate_kernels() picks simd_level()'s.
//
// One row = one batch element at one step. H hidden; a row of gates holds G blocks of
// H floats in the TF.js / Keras order (lstm i f c o; gru z r h).
#pragma once

namespace srnn {

struct GateKernels {
  // a (4H) in: pre-activations; out: i f g o activated. c = f⊙cp + i⊙g, tc = tanh(c),
  // h = o⊙tc.                                       cp, c, tc, h: (H)
  void (*lstm_fwd)(float* a, const float* cp, float* c, float* tc, float* h, int H);
  // a (4H) in: i f g o; out: dL/d(pre-activation). dc (H) in: dL/dc_t from step t+1
  // (without the h path); out: dL/dc_{t-1}.           cp = c_{t-1}, tc = tanh(c_t), dh (H)
  void (*lstm_bwd)(float* a, const float* cp, const float* tc, const float* dh, float* dc, int H);
  // a (3H): z, r ← σ(z, r); rh = r ⊙ hp.            hp, rh: (H)
  void (*gru_fwd_zr)(float* a, const float* hp, float* rh, int H);
  // a (3H): n ← tanh(n); h = z⊙hp + (1 − z)⊙n.     hp, h: (H)
  void (*gru_fwd_n)(float* a, const float* hp, float* h, int H);
  // a (3H): z, n → their pre-activation gradients; dhp += dh ⊙ z (dhp may be null).
  void (*gru_bwd_zn)(float* a, const float* hp, const float* dh, float* dhp, int H);
  // a (3H): r → its pre-activation gradient from drh = dL/d(r⊙hp); dhp += drh ⊙ r.
  void (*gru_bwd_r)(float* a, const float* hp, const float* drh, float* dhp, int H);
  // Reset-after GRU. a (3H) in: z, r pre-activations (input and recurrent parts) and
  // the candidate's input part; out: z r n activated, n = tanh(a_n + r ⊙ un),
  // h = z⊙hp + (1 − z)⊙n.                            un = hp·Uh + b_hn, hp, h: (H)
  void (*gru_ra_fwd)(float* a, const float* un, const float* hp, float* h, int H);
  // a (3H): z r n → their pre-activation gradients (da_n: of a_n + r ⊙ un); un in:
  // hp·Uh + b_hn, out: dL/dun = da_n ⊙ r; dhp += dh ⊙ z (dhp may be null).
  void (*gru_ra_bwd)(float* a, float* un, const float* hp, const float* dh, float* dhp, int H);
};

const GateKernels& gate_kernels();

}  // namespace srnn
