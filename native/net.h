// The whole model behind one `Net.run` call (see src/engine/native.ts, docs/engine.md):
//
//   tokens (B,T) → embedding gather ─┐
//   vectors (B,T,D) → transpose ─────┴→ X0 (T,B,in0) → [dropout] → layer 0 → [dropout]
//     → … → layer L-1 → [dropout] → head (logits) → softmax cross-entropy
//
// Shape legend: B batch, T steps, R = T·B rows (time-major: row = t·B + b), D vector
// width, V vocabulary, E embedding width, in0 = E or D, H hidden, G gates
// (1 rnn, 4 lstm, 3 gru), GH = G·H, L layers, S state vectors (2 lstm, else 1),
// O head width, Rh head rows (R for lm, B for classify: only t = T-1).
//
// Net knows nothing about JavaScript: binding.cc validates the arguments and hands
// over raw pointers. The parameter and gradient buffers share one flat layout
// (src/model/layout.ts); NetConfig holds the offsets of every segment.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gemm.h"
#include "sparse.h"

namespace srnn {

enum class CellType { RNN = 0, LSTM = 1, GRU = 2 };

struct NetConfig {
  CellType cell = CellType::LSTM;
  bool resetAfter = false;  // GRU: reset after the candidate's recurrent product (gru.cc)
  bool tokens = true;
  int inputSize = 0;   // V (tokens) or D (vectors)
  int embedDim = 0;    // E (tokens); unused for vectors
  int hidden = 0;      // H
  int layers = 0;      // L
  int outputSize = 0;  // O
  bool classify = false;
  bool relu = false;
  bool tied = false;
  float dropout = 0.f;
  size_t total = 0;    // floats in the params / grads buffers
  // Offsets in floats into the flat buffer; -1 = absent.
  int64_t embedding = -1;            // (V, E)
  std::vector<int64_t> ih, hh, bias; // per layer: (in_l, GH), (H, GH), (GH) or, resetAfter,
                                     // (2, GH): input bias; recurrent bias
  int64_t head = -1;                 // (H, O), absent when tied
  int64_t headBias = -1;             // (O)

  int gates() const { return cell == CellType::LSTM ? 4 : cell == CellType::GRU ? 3 : 1; }
  int states() const { return cell == CellType::LSTM ? 2 : 1; }
  int in0() const { return tokens ? embedDim : inputSize; }
  int layerIn(int l) const { return l == 0 ? in0() : hidden; }
  size_t biasSize() const { return (resetAfter ? 2 : 1) * (size_t)gates() * hidden; }
  // "" when consistent; otherwise one line naming the field and the rule.
  std::string check() const;
};

struct RunIO {
  int B = 0, T = 0;
  const int32_t* tokens = nullptr;  // (B, T) ids in [0, V)        when cfg.tokens
  const float* vectors = nullptr;   // (B, T, D)                    otherwise
  const int32_t* y = nullptr;       // lm (B, T), classify (B); -1 = ignored
  float* state = nullptr;           // (L, S, B, H) in: initial, out: final; or null
  bool backward = false;
  uint64_t seed = 0;                // dropout key (backward only)
  float* logits = nullptr;          // lm (B, T, O), classify (B, O); or null
  // (total) 1 kept / 0 pruned, or null (all dense). Pruned params must be 0. A
  // recurrent (hh) or input (ih) kernel, or an untied head, at density <=
  // kSparseDensity runs on the sparse kernels (sparse.h); the grads of such a group
  // are 0 at pruned positions (kept positions: as the dense path, up to summation order).
  const uint8_t* mask = nullptr;
};

struct RunStats {
  double loss = 0;      // sum of cross-entropy (nats) over counted targets
  int64_t count = 0;    // targets != -1
  int64_t correct = 0;  // argmax hits among them
};

// One Net::run call's shapes, flags and sparse-path choice, shared by its phases (net.cc).
struct RunPass {
  const float* P = nullptr;  // params (total)
  float* Gr = nullptr;       // grads (total), written only when backward
  const RunIO* io = nullptr;
  int B = 0, T = 0, R = 0, H = 0, GH = 0, L = 0, O = 0, in0 = 0, V = 0, E = 0, S = 0, Rh = 0;
  size_t BH = 0;             // B·H, one step of one layer's state
  bool dropping = false;     // training with dropout > 0
  bool fused = false;        // layer 0 reads the (V, GH) projection table (Net::fusedInput)
  float p = 0.f;             // dropout rate
  const float* emb = nullptr;             // (V, E), token input only
  std::vector<const SparseRec*> spl;      // per layer: sparse recurrent products, or null
  std::vector<const SparseLinear*> spi;   // per layer: sparse input products, or null
  const SparseLinear* sph = nullptr;      // the sparse head, or null
  float inv = 0.f;                        // 1 / targets counted (0 when none), set by the loss
};

struct LayerBuf;  // cells/cell.h

// Scratch memory for one (B, T): allocated on the first call and whenever B or T
// changes, reused otherwise. Floats; see Net::sizeWorkspace for the size table.
struct Workspace {
  int B = -1, T = -1;
  std::vector<float> mem;
  // per layer
  std::vector<float*> gates;  // (T, B, GH)  pre-activations → activations → dGates
  std::vector<float*> hs;     // (T+1, B, H) hs[0] initial h, hs[t+1] = h_t
  std::vector<float*> cs;     // (T+1, B, H) lstm cell state
  std::vector<float*> tcs;    // (T, B, H)   lstm tanh(c_t)
  std::vector<float*> rh;     // (T, B, H)   gru r ⊙ h_{t-1}
  std::vector<float*> xd;     // (T, B, H)   dropped output of layer l (dropout > 0)
  float* x0 = nullptr;        // (T, B, in0) layer-0 input (gathered / transposed, dropped)
  float* logits = nullptr;    // (Rh, O)     logits → probabilities → dlogits
  float* dA = nullptr;        // (R, max(H, in0)) gradient ping-pong buffers
  float* dB = nullptr;
  float* scratch = nullptr;   // (4, B, H)   per-step temporaries of the cells
  float* proj = nullptr;      // (V, GH)     embedding · Wih + bias (fused input path)
  float* dproj = nullptr;     // (V, GH)     dGates summed per token
  std::vector<int32_t> tok;   // (R)         token ids, time-major
  std::vector<int32_t> tgt;   // (Rh)        targets, time-major
  std::vector<double> rowLoss;   // (Rh)
  std::vector<uint8_t> rowHit;   // (Rh)
  std::vector<float> biasIn;     // (GH) reset-after GRU: the input bias plus the z r recurrent biases
  // The current layer's recurrent weights packed for the per-step products (cell.h):
  // fwd Whh (gru: [Uz Ur], Uh), bwd Whhᵀ (gru: [Uz Ur]ᵀ, Uhᵀ). ~4·H·GH bytes each way.
  PackedB fwd[2], bwd[2];
};

class Net {
 public:
  explicit Net(const NetConfig& cfg) : cfg_(cfg) {}
  const NetConfig& config() const { return cfg_; }
  // params, grads: (total) flat buffers. grads is written only when io.backward.
  RunStats run(const float* params, float* grads, const RunIO& io);
  // Whether layer 0 reads its input through the precomputed (V, GH) projection
  // (exact algebra, used when V <= R/2); exposed for tests and docs.
  bool fusedInput(int B, int T, bool dropping) const;
  // Bytes held by the workspace (reported to V8 as external memory by binding.cc).
  size_t workspaceBytes() const {
    size_t packed = 0;
    for (const PackedB* p : {&ws_.fwd[0], &ws_.fwd[1], &ws_.bwd[0], &ws_.bwd[1]})
      packed += (size_t)p->N() * p->K() * sizeof(float);
    return (ws_.mem.capacity() + spmem_.capacity()) * sizeof(float) + (ws_.tok.capacity() + ws_.tgt.capacity()) * sizeof(int32_t) +
           ws_.rowLoss.capacity() * sizeof(double) + ws_.rowHit.capacity() + packed;
  }

 private:
  void sizeWorkspace(int B, int T);
  // Which layers run sparse for this call's mask, into ps.spl / spi / sph (null
  // entries: dense); builds their SparseRec / SparseLinear. Input kernels have rows = V
  // for layer 0 when ps.fused, else R; the head Rh.
  void chooseSparse(RunPass& ps);
  // The phases of run, in order; net.cc states what each reads and writes.
  void inputForward(const RunPass& ps);
  void layerForward(const RunPass& ps, int l);
  void stateOut(const RunPass& ps);
  void headForward(const RunPass& ps);
  RunStats lossForward(RunPass& ps);
  void zeroGrads(const RunPass& ps);
  void headBackward(const RunPass& ps);
  void recurrentBackward(const RunPass& ps, int l, float* dh);
  bool inputBackward(const RunPass& ps, int l, float* dx);
  void recurrentBiasBackward(const RunPass& ps, int l);
  const float* inputBias(const RunPass& ps, int l);  // (GH) added to X · Wih
  LayerBuf layerBuf(const RunPass& ps, int l) const;
  const float* layerInput(const RunPass& ps, int l) const;  // (R, in_l) as the forward saw it
  const float* headInput(const RunPass& ps) const;          // (Rh, H)
  NetConfig cfg_;
  Workspace ws_;
  std::vector<SparseRec> sp_;   // per layer
  std::vector<SparseLinear> spi_;   // per layer
  SparseLinear sph_;               // the head
  std::vector<float> spmem_;    // transposed inputs / dGates of the sparse layers
};

}  // namespace srnn
