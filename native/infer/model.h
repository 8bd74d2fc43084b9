// One loaded model of the sparse_infer addon: a batch-1 recurrent stack + head.
//
// Shape legend: D layer input width, H hidden, G gates (1 rnn, 4 lstm, 3 gru),
// S state vectors (2 lstm: h then c; else 1), L layers, O head width.
//
// Modes:
//   Sparse  CSR gather products from the gather model (src/deploy/gather.ts), fused per block of
//           hidden units with the gate nonlinearities; AVX-512 / AVX2 / scalar.
//   Dense   the same cells on dense TF.js-layout kernels ih (D, G·H), hh (H, G·H),
//           head (H, O); SIMD panels — "our dense" in benchmarks.
//   Naive   the dense kernels as plain triple loops with std::exp / std::tanh — the
//           reference the fast paths are tested against.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sinfer {

enum class Mode { Sparse, Dense, Naive };

struct Csr {
  int rows = 0, cols = 0;
  std::vector<uint32_t> rowPtr;  // (rows + 1)
  std::vector<uint16_t> idx16;   // (nnz) when cols <= 65536
  std::vector<uint32_t> idx32;   // (nnz) otherwise
  std::vector<float> val;        // (nnz) fp32 values, or
  std::vector<uint16_t> valh;    // (nnz) IEEE half bits (when every value is exactly a half), or
  std::vector<int8_t> valq;      // (nnz) int8 codes; value = code · colScale[col]
  std::vector<float> colScale;   // (cols) int8 only: callers pass z ⊙ colScale (scale_input)
  // Window-ELL copy for the AVX-512 path (kernels.h), built when rows % 16 == 0.
  int W = 0;                      // column windows of 32
  std::vector<uint8_t> depth;     // (rows/16, W)
  std::vector<uint32_t> start;    // (rows/16 + 1)
  std::vector<uint8_t> eidx;      // (levels, 16)
  std::vector<float> eval;        // (levels, 16)  or
  std::vector<uint16_t> evalh;    // (levels, 16)  half bits, or
  std::vector<int8_t> evalq;      // (levels, 16)  int8 codes
  void build_ell();
  bool quantized() const { return !colScale.empty(); }
  // out[i] = z[i] · colScale[i] for i < cols (int8 products take this instead of z).
  void scale_input(float* out, const float* z) const;
  // y[r] = bias[r] + row r · z for r in [r0, r1). z readable up to max(cols, 32·W) floats.
  void run(float* y, const float* z, const float* bias, int r0, int r1) const;
  // The same for B inputs (the weights are read once on the window-ELL path).
  void run_batch(float* const* y, const float* const* z, int B, const float* bias, int r0, int r1) const;
  // Bytes the active path reads per product (window ELL when AVX-512 is in use, else CSR).
  size_t bytes() const;
  // Checks the structure; returns "" or what is wrong.
  std::string check() const;
};

struct Layer {
  int D = 0;
  Csr main;                  // (G·H, D + H) sparse mode
  Csr rec;                   // (H, H) GRU candidate's recurrent kernel, sparse mode
  std::vector<float> bias;   // (G·H) (reset-after GRU: input bias + the z r recurrent biases)
  std::vector<float> recBias;  // (H) reset-after GRU: b_hn
  std::vector<float> ih, hh; // (D, G·H), (H, G·H) dense modes
};

struct Model {
  int cell = 1;  // 0 rnn, 1 lstm, 2 gru
  bool resetAfter = false;  // GRU: n = tanh(x·Wh + bh + r ⊙ (h·Uh + b_hn))
  bool relu = false;
  int H = 0, G = 0, S = 0, L = 0, O = 0;
  Mode mode = Mode::Sparse;
  std::vector<Layer> layers;
  Csr head;                      // (O, H) sparse mode
  std::vector<float> headW;      // (H, O) dense modes
  std::vector<float> headBias;   // (O)
  // Scratch of one batch lane.
  struct Lane {
    std::vector<float> z;    // (D + H + 32) [x; h_{t-1}], padded for window loads
    std::vector<float> pre;  // (G·H) pre-activations
    std::vector<float> rh;   // (H + 32) GRU r ⊙ h_{t-1}
    std::vector<float> tmp;  // (H)
    std::vector<float> zq;   // (D + H + 32) z ⊙ colScale for int8 products
    std::vector<float> rhq;  // (H + 32) rh ⊙ colScale
  };
  std::vector<Lane> lanes;
  static constexpr int kMaxBatch = 8;

  void init_scratch();
  // Bytes of weights one step reads (recurrent layers only, not the head).
  size_t layer_bytes() const;
  // x (D0), state (L, S, H) updated in place.
  void advance(const float* x, float* state);
  // B ≤ kMaxBatch independent sequences: xs (B, D0), states (B, L·S·H), in place.
  void advance_batch(const float* xs, float* states, int B);
  // logits (O) from the top layer's h in state.
  void logits(const float* state, float* out);

 private:
  void layer_sparse(const Layer& ly, const float* const* x, float* const* h, float* const* c, int B);
  void gru_sparse(const Layer& ly, float* const* ps, const float* const* zc, const float* const* hp, float* const* h, int B);
  void gru_ra_sparse(const Layer& ly, float* const* ps, const float* const* zc, const float* const* hp, float* const* h,
                     int B);
  void layer_dense(const Layer& ly, const float* x, float* h, float* c);
  // Gate nonlinearities and the state update for units [j0, j1) of one lane.
  void update(Lane& ln, int j0, int j1, const float* hp, float* h, float* c);
};

}  // namespace sinfer
