// One Net::run: forward over the whole batch, then (when asked) backward, with the
// data flow of net.h and docs/engine.md. Internally everything is time-major,
// row r = t·B + b, so a layer's input projection for all steps is one big gemm and
// every weight gradient is one big gemm after the time loop.
#include "net.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>

#include "cells/cell.h"
#include "embedding.h"
#include "gemm.h"
#include "loss.h"
#include "rng.h"
#include "simd.h"
#include "threadpool.h"

namespace srnn {

namespace {

// Splits [0, n) over the pool when work (floats touched) pays for the hand-off.
template <class F>
void par(int n, size_t work, F&& fn) {
  if (n > 1 && threads() > 1 && work >= ((size_t)1 << 16)) parallel_for(n, fn);
  else fn(0, n);
}

// out[r] = v for r in [0, R)                                   out (R, W)
void fill_rows(float* out, const float* v, int R, int W) {
  par(R, (size_t)R * W, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) std::memcpy(out + (size_t)r * W, v, (size_t)W * sizeof(float));
  });
}

// dv += Σ_r x[r], rows summed in order (deterministic), columns split across threads.
//                                                              x (R, W) row stride ld
void add_colsum(float* dv, const float* x, int R, int W, int ld) {
  constexpr int kCols = 64;
  par((W + kCols - 1) / kCols, (size_t)R * W, [&](int c0, int c1) {
    const int j0 = c0 * kCols, j1 = std::min(W, c1 * kCols);
    for (int r = 0; r < R; r++) {
      const float* xr = x + (size_t)r * ld;
      for (int j = j0; j < j1; j++) dv[j] += xr[j];
    }
  });
}

// Inverted dropout (rng.h) compiled for the ISA in use, split across the pool.
__attribute__((target("avx512f,avx512vl,avx2,fma")))
void dropout_avx512(float* y, const float* x, size_t n, size_t i0, float p, uint32_t key) {
  dropout_apply(y, x, n, i0, p, key);
}
__attribute__((target("avx2,fma")))
void dropout_avx2(float* y, const float* x, size_t n, size_t i0, float p, uint32_t key) {
  dropout_apply(y, x, n, i0, p, key);
}
void dropout(float* y, const float* x, size_t n, float p, uint32_t key) {
  const SimdLevel l = simd_level();
  auto fn = l == SimdLevel::AVX512 ? dropout_avx512 : l == SimdLevel::AVX2 ? dropout_avx2 : dropout_apply;
  constexpr size_t kChunk = 4096;
  const int chunks = (int)((n + kChunk - 1) / kChunk);
  par(chunks, n, [&](int c0, int c1) {
    const size_t i0 = (size_t)c0 * kChunk, i1 = std::min(n, (size_t)c1 * kChunk);
    fn(y + i0, x + i0, i1 - i0, i0, p, key);
  });
}

std::string segment_error(const char* name, int64_t off, size_t size, size_t total) {
  if (off < 0) return std::string("cfg.") + name + " is missing (offset -1) but the model needs it";
  return std::string("cfg.") + name + " = " + std::to_string(off) + " plus its " + std::to_string(size) +
         " floats runs past cfg.total = " + std::to_string(total);
}

bool segment_ok(int64_t off, size_t size, size_t total) {
  return off >= 0 && (uint64_t)off <= total && size <= total - (uint64_t)off;
}

}  // namespace

std::string NetConfig::check() const {
  if (inputSize < 1) return "cfg.inputSize must be an integer >= 1";
  if (tokens && embedDim < 1) return "cfg.embedDim must be an integer >= 1 for token input";
  if (hidden < 1 || hidden > 16384) return "cfg.hidden must be an integer from 1 to 16384";
  if (layers < 1 || layers > 16) return "cfg.layers must be an integer from 1 to 16";
  if (outputSize < 1) return "cfg.outputSize must be an integer >= 1";
  if (!(dropout >= 0.f && dropout < 1.f)) return "cfg.dropout must be in [0, 1)";
  if ((int)ih.size() != layers) return "cfg.ih must have cfg.layers entries";
  if ((int)hh.size() != layers) return "cfg.hh must have cfg.layers entries";
  if ((int)bias.size() != layers) return "cfg.bias must have cfg.layers entries";
  if (tied) {
    if (!tokens) return "cfg.tied needs token input";
    if (embedDim != hidden) return "cfg.tied needs embedDim == hidden";
    if (outputSize != inputSize) return "cfg.tied needs outputSize == inputSize";
  }
  const size_t V = inputSize, E = embedDim, H = hidden, GH = (size_t)gates() * H, O = outputSize;
  if (tokens && !segment_ok(embedding, V * E, total)) return segment_error("embedding", embedding, V * E, total);
  for (int l = 0; l < layers; l++) {
    const std::string i = "[" + std::to_string(l) + "]";
    if (!segment_ok(ih[l], (size_t)layerIn(l) * GH, total)) return segment_error(("ih" + i).c_str(), ih[l], layerIn(l) * GH, total);
    if (!segment_ok(hh[l], H * GH, total)) return segment_error(("hh" + i).c_str(), hh[l], H * GH, total);
    if (!segment_ok(bias[l], GH, total)) return segment_error(("bias" + i).c_str(), bias[l], GH, total);
  }
  if (!tied && !segment_ok(head, H * O, total)) return segment_error("head", head, H * O, total);
  if (!segment_ok(headBias, O, total)) return segment_error("headBias", headBias, O, total);
  // No two segments may share memory (a gradient written by one would clobber another).
  std::vector<std::tuple<int64_t, int64_t, std::string>> segs;  // begin, end, name
  if (tokens) segs.emplace_back(embedding, embedding + (int64_t)(V * E), "embedding");
  for (int l = 0; l < layers; l++) {
    const std::string i = "[" + std::to_string(l) + "]";
    segs.emplace_back(ih[l], ih[l] + (int64_t)((size_t)layerIn(l) * GH), "ih" + i);
    segs.emplace_back(hh[l], hh[l] + (int64_t)(H * GH), "hh" + i);
    segs.emplace_back(bias[l], bias[l] + (int64_t)GH, "bias" + i);
  }
  if (!tied) segs.emplace_back(head, head + (int64_t)(H * O), "head");
  segs.emplace_back(headBias, headBias + (int64_t)O, "headBias");
  std::sort(segs.begin(), segs.end());
  for (size_t k = 1; k < segs.size(); k++)
    if (std::get<0>(segs[k]) < std::get<1>(segs[k - 1]))
      return "cfg." + std::get<2>(segs[k]) + " overlaps cfg." + std::get<2>(segs[k - 1]) +
             " (segments must not share memory)";
  return "";
}

bool Net::fusedInput(int B, int T, bool dropping) const {
  // x_t · Wih with x_t = emb[id] equals row id of emb · Wih: computing that (V, GH)
  // table costs V/R of the (R, GH) product, and its backward likewise. Input
  // dropout breaks the identity (each row has its own mask). At V = R the flops are
  // even and the (V, GH) tables cost extra memory traffic, so ask for V <= R/2.
  return cfg_.tokens && !dropping && 2 * (int64_t)cfg_.inputSize <= (int64_t)B * T;
}

void Net::plan(int B, int T) {
  Workspace& w = ws_;
  if (w.B == B && w.T == T && !w.mem.empty()) return;
  const NetConfig& c = cfg_;
  const size_t R = (size_t)B * T, H = c.hidden, GH = (size_t)c.gates() * H, L = c.layers;
  const size_t in0 = c.in0(), O = c.outputSize, Rh = c.classify ? B : R;
  const bool lstm = c.cell == CellType::LSTM, gru = c.cell == CellType::GRU;
  const bool proj = c.tokens && 2 * (size_t)c.inputSize <= R;  // as fusedInput
  // Size table: (pointer, floats). Offsets are rounded up to 16 floats (64 bytes).
  std::vector<std::pair<float**, size_t>> table;
  w.gates.assign(L, nullptr); w.hs.assign(L, nullptr); w.cs.assign(L, nullptr);
  w.tcs.assign(L, nullptr); w.rh.assign(L, nullptr); w.xd.assign(L, nullptr);
  for (size_t l = 0; l < L; l++) {
    table.push_back({&w.gates[l], R * GH});
    table.push_back({&w.hs[l], (T + 1) * (size_t)B * H});
    if (lstm) table.push_back({&w.cs[l], (T + 1) * (size_t)B * H});
    if (lstm) table.push_back({&w.tcs[l], R * H});
    if (gru) table.push_back({&w.rh[l], R * H});
    if (c.dropout > 0) table.push_back({&w.xd[l], R * H});
  }
  table.push_back({&w.x0, R * in0});
  table.push_back({&w.logits, Rh * O});
  table.push_back({&w.dA, R * std::max(H, in0)});
  table.push_back({&w.dB, R * std::max(H, in0)});
  table.push_back({&w.scratch, 4 * (size_t)B * H});
  w.proj = w.dproj = nullptr;
  if (proj) {
    table.push_back({&w.proj, (size_t)c.inputSize * GH});
    table.push_back({&w.dproj, (size_t)c.inputSize * GH});
  }
  size_t total = 0;
  for (auto& e : table) total += (e.second + 15) / 16 * 16;
  w.mem.clear();
  w.mem.shrink_to_fit();
  w.mem.resize(total + 16);
  float* base = w.mem.data();
  base += (16 - ((uintptr_t)base / sizeof(float)) % 16) % 16;
  for (auto& e : table) {
    *e.first = base;
    base += (e.second + 15) / 16 * 16;
  }
  w.tok.resize(R);
  w.tgt.resize(Rh);
  w.rowLoss.resize(Rh);
  w.rowHit.resize(Rh);
  w.B = B;
  w.T = T;
}

void Net::planSparse(const float* P, const RunIO& io, bool fused, std::vector<const SparseRec*>* out,
                     std::vector<const SparseLinear*>* ih, const SparseLinear** head) {
  const NetConfig& c = cfg_;
  const int L = c.layers, H = c.hidden, GH = c.gates() * H, B = io.B, T = io.T, O = c.outputSize;
  const size_t R = (size_t)B * T, Rh = c.classify ? (size_t)B : R;
  out->assign(L, nullptr);
  ih->assign(L, nullptr);
  *head = nullptr;
  if (!io.mask) return;
  const int nm = c.cell == CellType::GRU ? 2 : 1;
  // Every buffer starts on a 64-byte boundary (a cache line), like the workspace's:
  // with B a multiple of 16 every B-wide row of SparseRec is then whole cache lines,
  // and SparseLinear pads its rows to 16 floats (split loads cost the sparse kernels
  // ~1/3 of their speed).
  auto r16 = [](size_t n) { return (n + 15) / 16 * 16; };
  std::vector<bool> on(L), inOn(L);
  std::vector<int> rows(L);  // rows of each layer's input map: V (fused table) or R
  size_t need = 0, linScratch = 0;
  auto linear = [&](size_t in, size_t outw, size_t nrows) {  // a SparseLinear's XT and the scratch it needs
    const size_t ldr = r16(nrows);
    need += in * ldr;
    linScratch = std::max(linScratch, std::max(outw, in) * ldr + (io.backward ? outw * ldr : 0));
  };
  bool anyRec = false;
  for (int l = 0; l < L; l++) {
    on[l] = mask_density(io.mask + c.hh[l], GH, H, GH) <= kSparseDensity;
    if (on[l]) need += (size_t)nm * r16((size_t)H * R), anyRec = true;
    const int in = c.layerIn(l);
    inOn[l] = mask_density(io.mask + c.ih[l], GH, in, GH) <= kSparseDensity;
    rows[l] = l == 0 && fused ? c.inputSize : (int)R;
    if (inOn[l]) linear(in, GH, rows[l]);
  }
  const bool headOn = !c.tied && c.head >= 0 && mask_density(io.mask + c.head, O, H, O) <= kSparseDensity;
  if (headOn) linear(H, O, Rh);
  if (!need) return;
  if (anyRec) need += (io.backward ? r16((size_t)GH * R) : 0) + r16((size_t)std::max(GH, H) * B);
  need += linScratch;
  if (spmem_.size() < need + 16) spmem_.resize(need + 16);
  sp_.resize(L);
  spi_.resize(L);
  float* base = spmem_.data();
  base += (16 - ((uintptr_t)base / sizeof(float)) % 16) % 16;
  auto take = [&](size_t n) {
    float* p = base;
    base += r16(n);
    return p;
  };
  float* linY = take(linScratch);
  float* gT = anyRec && io.backward ? take((size_t)GH * R) : nullptr;
  float* yT = anyRec ? take((size_t)std::max(GH, H) * B) : nullptr;
  auto setLinear = [&](SparseLinear& s, const float* W, const uint8_t* m, int rows, int in, int outw) {
    s.rows = rows; s.ld = (int)r16(rows); s.in = in; s.out = outw;
    s.m.build(W, m, outw, in, outw, 0);
    s.XT = take((size_t)in * s.ld);
    s.yT = linY;
    s.dT = io.backward ? linY + (size_t)std::max(outw, in) * s.ld : nullptr;
  };
  if (headOn) {
    setLinear(sph_, P + c.head, io.mask + c.head, (int)Rh, H, O);
    *head = &sph_;
  }
  for (int l = 0; l < L; l++) {
    if (inOn[l]) {
      setLinear(spi_[l], P + c.ih[l], io.mask + c.ih[l], rows[l], c.layerIn(l), GH);
      (*ih)[l] = &spi_[l];
    }
    if (!on[l]) continue;
    SparseRec& s = sp_[l];
    s.B = B; s.T = T; s.R = R; s.GH = GH; s.nm = nm; s.gT = gT; s.yT = yT;
    const float* W = P + c.hh[l];
    const uint8_t* m = io.mask + c.hh[l];
    if (nm == 2) {
      s.m[0].build(W, m, GH, H, 2 * H, 0);
      s.m[1].build(W, m, GH, H, H, 2 * H);
    } else {
      s.m[0].build(W, m, GH, H, GH, 0);
    }
    for (int i = 0; i < nm; i++) s.xT[i] = take((size_t)H * R);
    (*out)[l] = &s;
  }
}

RunStats Net::run(const float* P, float* Gr, const RunIO& io) {
  const NetConfig& c = cfg_;
  const int B = io.B, T = io.T, R = B * T, H = c.hidden, G = c.gates(), GH = G * H;
  const int L = c.layers, O = c.outputSize, in0 = c.in0(), V = c.inputSize, E = c.embedDim;
  const int S = c.states(), Rh = c.classify ? B : R;
  const size_t BH = (size_t)B * H;
  plan(B, T);
  Workspace& w = ws_;
  const bool dropping = io.backward && c.dropout > 0.f;
  const bool fused = fusedInput(B, T, dropping);
  const float p = c.dropout;
  const float* emb = c.tokens ? P + c.embedding : nullptr;  // (V, E)
  std::vector<const SparseRec*> spl;  // per layer: sparse recurrent products, or null
  std::vector<const SparseLinear*> spi;  // per layer: sparse input products, or null
  const SparseLinear* sph = nullptr;     // the sparse head, or null
  planSparse(P, io, fused, &spl, &spi, &sph);

  auto layer = [&](int l) {
    LayerBuf lb;
    lb.gates = w.gates[l]; lb.hs = w.hs[l]; lb.cs = w.cs[l]; lb.tcs = w.tcs[l]; lb.rh = w.rh[l];
    lb.h0zero = io.state == nullptr;
    return lb;
  };
  // The input of layer l as the forward pass saw it (T, B, in_l).
  auto layer_input = [&](int l) -> const float* {
    if (l == 0) return w.x0;
    return dropping ? w.xd[l - 1] : w.hs[l - 1] + BH;
  };

  // ---- input: X0 (T, B, in0), or gates of layer 0 straight from the projection
  if (c.tokens)
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) w.tok[(size_t)t * B + b] = io.tokens[(size_t)b * T + t];
  if (fused) {
    // proj = emb · Wih0 + b0                                    (V, GH)
    fill_rows(w.proj, P + c.bias[0], V, GH);
    if (spi[0]) spi[0]->fwd(emb, E, w.proj, GH);
    else sgemm(false, false, V, GH, E, emb, E, P + c.ih[0], GH, 1.f, w.proj, GH);
    embedding_forward(w.gates[0], w.proj, w.tok.data(), R, GH);
  } else {
    if (c.tokens) {
      embedding_forward(w.x0, emb, w.tok.data(), R, E);
    } else {
      for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
          std::memcpy(w.x0 + ((size_t)t * B + b) * in0, io.vectors + ((size_t)b * T + t) * in0,
                      (size_t)in0 * sizeof(float));
    }
    if (dropping) dropout(w.x0, w.x0, (size_t)R * in0, p, dropout_key(io.seed, 0));
  }

  // ---- recurrent layers
  for (int l = 0; l < L; l++) {
    const int in = c.layerIn(l);
    LayerBuf lb = layer(l);
    if (!(l == 0 && fused)) {
      // gates = X · Wih + b                                      (R, GH)
      fill_rows(lb.gates, P + c.bias[l], R, GH);
      if (spi[l]) spi[l]->fwd(layer_input(l), in, lb.gates, GH);
      else sgemm(false, false, R, GH, in, layer_input(l), in, P + c.ih[l], GH, 1.f, lb.gates, GH);
    }
    for (int s = 0; s < S; s++) {
      float* dst = s == 0 ? lb.hs : lb.cs;  // slot 0: initial state (B, H)
      if (io.state) std::memcpy(dst, io.state + ((size_t)l * S + s) * BH, BH * sizeof(float));
      else std::memset(dst, 0, BH * sizeof(float));
    }
    // Whh packed once for the T per-step products                (H, GH)
    const float* Whh = P + c.hh[l];
    switch (c.cell) {
      case CellType::RNN:
        if (!spl[l]) w.fwd[0].pack(false, GH, H, Whh, GH);
        rnn_forward(lb, w.fwd[0], T, B, H, c.relu, spl[l]);
        break;
      case CellType::LSTM:
        if (!spl[l]) w.fwd[0].pack(false, GH, H, Whh, GH);
        lstm_forward(lb, w.fwd[0], T, B, H, spl[l]);
        break;
      case CellType::GRU:
        if (!spl[l]) {
          w.fwd[0].pack(false, 2 * H, H, Whh, GH);      // [Uz Ur]
          w.fwd[1].pack(false, H, H, Whh + 2 * H, GH);  // Uh
        }
        gru_forward(lb, w.fwd[0], w.fwd[1], T, B, H, spl[l]);
        break;
    }
    if (dropping) dropout(w.xd[l], lb.hs + BH, (size_t)R * H, p, dropout_key(io.seed, l + 1));
  }
  if (io.state)
    for (int l = 0; l < L; l++) {
      std::memcpy(io.state + ((size_t)l * S) * BH, w.hs[l] + (size_t)T * BH, BH * sizeof(float));
      if (S == 2) std::memcpy(io.state + ((size_t)l * S + 1) * BH, w.cs[l] + (size_t)T * BH, BH * sizeof(float));
    }

  // ---- head: logits = top · head + bias (tied: top · emb^T + bias)   (Rh, O)
  const float* top = dropping ? w.xd[L - 1] : w.hs[L - 1] + BH;      // (T, B, H)
  const float* hin = c.classify ? top + (size_t)(T - 1) * BH : top;  // (Rh, H)
  fill_rows(w.logits, P + c.headBias, Rh, O);
  if (c.tied) sgemm(false, true, Rh, O, H, hin, H, emb, E, 1.f, w.logits, O);
  else if (sph) sph->fwd(hin, H, w.logits, O);
  else sgemm(false, false, Rh, O, H, hin, H, P + c.head, O, 1.f, w.logits, O);
  if (io.logits) {
    if (c.classify) {
      std::memcpy(io.logits, w.logits, (size_t)B * O * sizeof(float));
    } else {
      for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
          std::memcpy(io.logits + ((size_t)b * T + t) * O, w.logits + ((size_t)t * B + b) * O,
                      (size_t)O * sizeof(float));
    }
  }

  // ---- loss
  if (c.classify) {
    for (int b = 0; b < B; b++) w.tgt[b] = io.y[b];
  } else {
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) w.tgt[(size_t)t * B + b] = io.y[(size_t)b * T + t];
  }
  RunStats st;
  for (int r = 0; r < Rh; r++) st.count += w.tgt[r] >= 0;
  // backward: the logits buffer becomes probs / count, then dlogits in place
  const float inv = st.count ? (float)(1.0 / (double)st.count) : 0.f;
  xent_forward(w.rowLoss.data(), w.rowHit.data(), io.backward ? w.logits : nullptr, inv, w.logits,
               w.tgt.data(), Rh, O);
  for (int r = 0; r < Rh; r++) {
    st.loss += w.rowLoss[r];
    st.correct += w.rowHit[r];
  }
  if (!io.backward) return st;

  // ======== backward: grads = d(loss / count)/dθ, every entry written exactly once:
  // the weight matrices by gemms with beta = 0, the rest (biases, a scatter-added
  // embedding, padding) zeroed here first.
  if (st.count == 0) {
    std::memset(Gr, 0, c.total * sizeof(float));
    return st;
  }
  const bool embOverwritten = c.tokens && (c.tied || fused);
  {
    std::vector<std::pair<int64_t, int64_t>> written;  // [begin, end) offsets
    for (int l = 0; l < L; l++) {
      written.push_back({c.ih[l], c.ih[l] + (int64_t)c.layerIn(l) * GH});
      written.push_back({c.hh[l], c.hh[l] + (int64_t)H * GH});
    }
    if (!c.tied) written.push_back({c.head, c.head + (int64_t)H * O});
    if (embOverwritten) written.push_back({c.embedding, c.embedding + (int64_t)V * E});
    std::sort(written.begin(), written.end());
    int64_t at = 0;
    for (auto& iv : written) {
      if (iv.first > at) std::memset(Gr + at, 0, (size_t)(iv.first - at) * sizeof(float));
      at = std::max(at, iv.second);
    }
    if ((int64_t)c.total > at) std::memset(Gr + at, 0, (size_t)((int64_t)c.total - at) * sizeof(float));
  }
  float* dEmb = c.tokens ? Gr + c.embedding : nullptr;  // (V, E)
  float* dlog = w.logits;                               // (Rh, O)
  xent_backward(dlog, w.tgt.data(), Rh, O, inv);
  add_colsum(Gr + c.headBias, dlog, Rh, O, O);
  // dtop (T, B, H) in dA; classify: only the last step is non-zero.
  float* dtop = w.dA;
  float* dhin = c.classify ? dtop + (size_t)(T - 1) * BH : dtop;  // (Rh, H)
  if (c.classify) std::memset(dtop, 0, (size_t)R * H * sizeof(float));
  if (c.tied) {
    sgemm(true, false, V, E, Rh, dlog, O, hin, H, 0.f, dEmb, E);        // dEmb = dlog^T · hin
    sgemm(false, false, Rh, H, V, dlog, O, emb, E, 0.f, dhin, H);       // dhin = dlog · emb
  } else if (sph) {
    std::memset(Gr + c.head, 0, (size_t)H * O * sizeof(float));  // sparse: kept entries only
    sph->bwd(dlog, O, Gr + c.head, dhin, H, 0.f);                  // dHead = hin^T · dlog; dhin = dlog · head^T
  } else {
    sgemm(true, false, H, O, Rh, hin, H, dlog, O, 0.f, Gr + c.head, O);  // dHead = hin^T · dlog
    sgemm(false, true, Rh, H, O, dlog, O, P + c.head, O, 0.f, dhin, H);  // dhin = dlog · head^T
  }
  if (dropping) dropout(dtop, dtop, (size_t)R * H, p, dropout_key(io.seed, L));

  float* dcur = w.dA;  // (T, B, H) dL/dh of the current layer's outputs
  float* dnext = w.dB; // (T, B, in_l) dL/dX of its input
  for (int l = L - 1; l >= 0; l--) {
    const int in = c.layerIn(l);
    LayerBuf lb = layer(l);
    // Whhᵀ packed once for the T per-step dh_{t-1} += dG_t · Whhᵀ   (GH, H)
    const float* Whh = P + c.hh[l];
    float* dWhh = Gr + c.hh[l];
    const SparseRec* sp = spl[l];
    if (sp) std::memset(dWhh, 0, (size_t)H * GH * sizeof(float));  // sparse: kept entries only
    switch (c.cell) {
      case CellType::RNN:
        if (!sp) w.bwd[0].pack(true, H, GH, Whh, GH);
        rnn_backward(dWhh, dcur, lb, w.bwd[0], T, B, H, c.relu, w.scratch, sp);
        break;
      case CellType::LSTM:
        if (!sp) w.bwd[0].pack(true, H, GH, Whh, GH);
        lstm_backward(dWhh, dcur, lb, w.bwd[0], T, B, H, w.scratch, sp);
        break;
      case CellType::GRU:
        if (!sp) {
          w.bwd[0].pack(true, H, 2 * H, Whh, GH);      // [Uz Ur]ᵀ
          w.bwd[1].pack(true, H, H, Whh + 2 * H, GH);  // Uhᵀ
        }
        gru_backward(dWhh, dcur, lb, w.bwd[0], w.bwd[1], T, B, H, w.scratch, sp);
        break;
    }
    // A sparse input kernel (SparseLinear) writes its gradient at kept entries only.
    const SparseLinear* si = spi[l];
    const float* dG = lb.gates;  // (R, GH)
    const float* Wih = P + c.ih[l];
    float* dWih = Gr + c.ih[l];
    if (si) std::memset(dWih, 0, (size_t)in * GH * sizeof(float));
    if (l == 0 && fused) {
      // dproj[id] += dG[r]; dWih = emb^T · dproj; db = Σ dproj; dEmb (+)= dproj · Wih^T
      std::memset(w.dproj, 0, (size_t)V * GH * sizeof(float));
      embedding_backward(w.dproj, dG, w.tok.data(), R, GH);
      add_colsum(Gr + c.bias[0], w.dproj, V, GH, GH);
      if (si) {
        si->bwd(w.dproj, GH, dWih, dEmb, E, c.tied ? 1.f : 0.f);
      } else {
        sgemm(true, false, E, GH, V, emb, E, w.dproj, GH, 0.f, dWih, GH);
        sgemm(false, true, V, E, GH, w.dproj, GH, Wih, GH, c.tied ? 1.f : 0.f, dEmb, E);
      }
      break;
    }
    add_colsum(Gr + c.bias[l], dG, R, GH, GH);
    const bool needDX = !(l == 0 && !c.tokens);  // no gradient for raw input vectors
    if (si) {
      si->bwd(dG, GH, dWih, needDX ? dnext : nullptr, in, 0.f);  // dWih = X^T · dG; dX = dG · Wih^T
    } else {
      sgemm(true, false, in, GH, R, layer_input(l), in, dG, GH, 0.f, dWih, GH);  // dWih = X^T · dG
      if (needDX) sgemm(false, true, R, in, GH, dG, GH, Wih, GH, 0.f, dnext, in);  // dX = dG · Wih^T
    }
    if (!needDX) break;
    if (dropping) dropout(dnext, dnext, (size_t)R * in, p, dropout_key(io.seed, l));
    if (l == 0) embedding_backward(dEmb, dnext, w.tok.data(), R, E);
    std::swap(dcur, dnext);
  }
  return st;
}

}  // namespace srnn

// ======== Sparse-aware training (sparse.h) ========

#define SRNN_ISA SRNN_ISA_AVX512
#include "kernels/isa.h"
namespace srnn { namespace sp_avx512 {
#include "kernels/sparse.inc"
} }
#include "kernels/isa_end.h"
#define SRNN_ISA SRNN_ISA_AVX2
#include "kernels/isa.h"
namespace srnn { namespace sp_avx2 {
#include "kernels/sparse.inc"
} }
#include "kernels/isa_end.h"
#define SRNN_ISA SRNN_ISA_SCALAR
#include "kernels/isa.h"
namespace srnn { namespace sp_scalar {
#include "kernels/sparse.inc"
} }
#include "kernels/isa_end.h"

namespace srnn {

namespace {

using SpmmFn = void (*)(const int32_t*, const int32_t*, const float*, int, int, const float*, size_t, float*, size_t, int);
using SddmmFn = void (*)(const int32_t*, const int32_t*, const int32_t*, int, int, int, const float*, size_t, size_t,
                         const float*, size_t, size_t, int, int, float*);

SpmmFn spmm_scatter_fn() {
  const SimdLevel l = simd_level();
  return l == SimdLevel::AVX512 ? sp_avx512::spmm_scatter : l == SimdLevel::AVX2 ? sp_avx2::spmm_scatter : sp_scalar::spmm_scatter;
}
SpmmFn spmm_fn() {
  const SimdLevel l = simd_level();
  return l == SimdLevel::AVX512 ? sp_avx512::spmm_rows : l == SimdLevel::AVX2 ? sp_avx2::spmm_rows : sp_scalar::spmm_rows;
}
SddmmFn sddmm_fn() {
  const SimdLevel l = simd_level();
  return l == SimdLevel::AVX512 ? sp_avx512::sddmm_steps : l == SimdLevel::AVX2 ? sp_avx2::sddmm_steps : sp_scalar::sddmm_steps;
}

// 8×8 block: out[c·ldo + r] = (acc ? out[..] : 0) + in[r·ldi + c], r, c < 8.
__attribute__((target("avx2,fma")))
inline void tr8x8_avx2(const float* in, size_t ldi, float* out, size_t ldo, bool acc) {
  __m256 r0 = _mm256_loadu_ps(in), r1 = _mm256_loadu_ps(in + ldi), r2 = _mm256_loadu_ps(in + 2 * ldi),
         r3 = _mm256_loadu_ps(in + 3 * ldi), r4 = _mm256_loadu_ps(in + 4 * ldi), r5 = _mm256_loadu_ps(in + 5 * ldi),
         r6 = _mm256_loadu_ps(in + 6 * ldi), r7 = _mm256_loadu_ps(in + 7 * ldi);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 o[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                 _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                 _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                 _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
  for (int i = 0; i < 8; i++) {
    float* d = out + i * ldo;
    _mm256_storeu_ps(d, acc ? _mm256_add_ps(_mm256_loadu_ps(d), o[i]) : o[i]);
  }
}

// out[c·ldo + r] = (acc ? out[c·ldo + r] : 0) + in[r·ldi + c]     in (rows, cols) → out (cols, rows)
__attribute__((target("avx2,fma")))
void transpose_avx2(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc) {
  const int r8 = rows & ~7, c8 = cols & ~7;
  // Walk along the rows of whichever side has the long stride (8 of its rows at a
  // time), so that its few rows stay cached (a 4 KiB stride maps them to one set).
  if (ldi >= ldo) {
    for (int r = 0; r < r8; r += 8)
      for (int c = 0; c < c8; c += 8) tr8x8_avx2(in + (size_t)r * ldi + c, ldi, out + (size_t)c * ldo + r, ldo, acc);
  } else {
    for (int c = 0; c < c8; c += 8)
      for (int r = 0; r < r8; r += 8) tr8x8_avx2(in + (size_t)r * ldi + c, ldi, out + (size_t)c * ldo + r, ldo, acc);
  }
  for (int r = 0; r < rows; r++)
    for (int c = r < r8 ? c8 : 0; c < cols; c++) {
      float& d = out[(size_t)c * ldo + r];
      d = (acc ? d : 0.f) + in[(size_t)r * ldi + c];
    }
}

void transpose_scalar(const float* in, size_t ldi, int rows, int cols, float* out, size_t ldo, bool acc) {
  constexpr int kB = 16;
  for (int c0 = 0; c0 < cols; c0 += kB) {
    const int c1 = std::min(cols, c0 + kB);
    for (int r0 = 0; r0 < rows; r0 += kB) {
      const int r1 = std::min(rows, r0 + kB);
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) {
          float& d = out[(size_t)c * ldo + r];
          d = (acc ? d : 0.f) + in[(size_t)r * ldi + c];
        }
    }
  }
}

// dst[c·ldd + r] = src[r·lds + c]                  src (rows, cols) → dst (cols, rows)
void transpose(const float* src, size_t lds, int rows, int cols, float* dst, size_t ldd) {
  if (simd_level() == SimdLevel::Scalar) transpose_scalar(src, lds, rows, cols, dst, ldd, false);
  else transpose_avx2(src, lds, rows, cols, dst, ldd, false);
}

// C[r·ldc + c] = beta·C[r·ldc + c] + yT[c·ldy + r]      C (rows, cols), yT (cols, rows); beta ∈ {0, 1}
void add_transposed(const float* yT, size_t ldy, int rows, int cols, float beta, float* C, size_t ldc) {
  if (simd_level() == SimdLevel::Scalar) transpose_scalar(yT, ldy, cols, rows, C, ldc, beta != 0.f);
  else transpose_avx2(yT, ldy, cols, rows, C, ldc, beta != 0.f);
}

// Rows [0, n) of a sparse product split over the pool when the work pays.
template <class F>
void sp_par(int n, size_t work, F&& fn) {
  if (n > 1 && threads() > 1 && work >= ((size_t)1 << 15)) parallel_for(n, fn);
  else fn(0, n);
}

}  // namespace

double mask_density(const uint8_t* mask, int ld, int K, int N) {
  size_t kept = 0;
  for (int k = 0; k < K; k++) {
    const uint8_t* m = mask + (size_t)k * ld;
    for (int j = 0; j < N; j++) kept += m[j] != 0;
  }
  return K && N ? (double)kept / ((double)K * N) : 1.0;
}

void SparseMat::build(const float* W, const uint8_t* mask, int ldw, int K_, int N_, int c0_) {
  // Same shape and mask as the last call (the usual case: the mask changes only at
  // prune events, the weights at every step): refresh the values only.
  bool same = K == K_ && N == N_ && c0 == c0_ && keep.size() == (size_t)K_ * N_;
  for (int k = 0; same && k < K_; k++) same = !std::memcmp(keep.data() + (size_t)k * N_, mask + (size_t)k * ldw + c0_, N_);
  if (same) {
    for (int k = 0; k < K; k++) {
      const float* w = W + (size_t)k * ldw + c0;
      for (int p = rptr[k]; p < rptr[k + 1]; p++) rval[p] = w[ridx[p]];
    }
    for (size_t q = 0; q < cval.size(); q++) cval[q] = rval[cperm[q]];
    return;
  }
  K = K_; N = N_; c0 = c0_;
  keep.resize((size_t)K * N);
  for (int k = 0; k < K; k++) std::memcpy(keep.data() + (size_t)k * N, mask + (size_t)k * ldw + c0, N);
  rptr.assign(K + 1, 0);
  cptr.assign(N + 1, 0);
  ridx.clear(); rval.clear();
  for (int k = 0; k < K; k++) {
    const uint8_t* m = mask + (size_t)k * ldw + c0;
    const float* w = W + (size_t)k * ldw + c0;
    for (int j = 0; j < N; j++)
      if (m[j]) {
        ridx.push_back(j);
        rval.push_back(w[j]);
        cptr[j + 1]++;
      }
    rptr[k + 1] = (int32_t)ridx.size();
  }
  for (int j = 0; j < N; j++) cptr[j + 1] += cptr[j];
  cidx.resize(ridx.size());
  cval.resize(ridx.size());
  cperm.resize(ridx.size());
  std::vector<int32_t> at(cptr.begin(), cptr.end() - 1);
  for (int k = 0; k < K; k++)
    for (int p = rptr[k]; p < rptr[k + 1]; p++) {
      const int q = at[ridx[p]]++;
      cidx[q] = k;
      cval[q] = rval[p];
      cperm[q] = p;
    }
}

// Layouts (sparse.h): xT[m] (T, K, B) and gT (T, GH, B), one contiguous (rows, B) block per step.
void SparseRec::fwd(int mi, int t, const float* A, int lda, float* C, int ldc) const {
  const SparseMat& s = m[mi];
  float* x = xT[mi] + (size_t)t * s.K * B;
  transpose(A, lda, B, s.K, x, B);
  SpmmFn f = spmm_fn();
  sp_par(s.N, s.cidx.size() * B, [&](int j0, int j1) {
    f(s.cptr.data(), s.cidx.data(), s.cval.data(), j0, j1, x, B, yT, B, B);
    add_transposed(yT + (size_t)j0 * B, B, B, j1 - j0, 1.f, C + j0, ldc);
  });
}

void SparseRec::keepG(int t, const float* dG, int ldg, int c0, int n) const {
  transpose(dG, ldg, B, n, gT + ((size_t)t * GH + c0) * B, B);
}

void SparseRec::bwd(int mi, int t, float beta, float* C, int ldc) const {
  const SparseMat& s = m[mi];
  const float* g = gT + ((size_t)t * GH + s.c0) * B;
  SpmmFn f = spmm_fn();
  sp_par(s.K, s.ridx.size() * B, [&](int k0, int k1) {
    f(s.rptr.data(), s.ridx.data(), s.rval.data(), k0, k1, g, B, yT, B, B);
    add_transposed(yT + (size_t)k0 * B, B, B, k1 - k0, beta, C + k0, ldc);
  });
}

void SparseRec::wgrad(int mi, int t0, float* dW, int ldw) const {
  const SparseMat& s = m[mi];
  if (t0 >= T) return;
  SddmmFn f = sddmm_fn();
  const size_t xs = (size_t)s.K * B, gs = (size_t)GH * B;
  // Chunks of kSpChunk steps outer, columns inner (inside the kernel): per chunk the
  // dGates blocks are read in order once and the chunk's inputs (S·K·B) stay cached;
  // one horizontal sum per kept entry and chunk. Threads take column ranges (in whole
  // tiles of kTile).
  constexpr int kTile = 64;
  const int tiles = (s.N + kTile - 1) / kTile;
  sp_par(tiles, s.cidx.size() * (size_t)(T - t0) * B, [&](int i0, int i1) {
    const int j0 = i0 * kTile, j1 = std::min(s.N, i1 * kTile);
    const int p0 = s.cptr[j0], p1 = s.cptr[j1];
    if (p1 == p0) return;
    std::vector<float> acc(p1 - p0, 0.f);
    for (int t = t0; t < T; t += kSpChunk)
      f(s.cptr.data(), s.cptr.data() + 1, s.cidx.data(), j0, j1, p0, gT + (size_t)t * gs + (size_t)s.c0 * B, B, gs,
        xT[mi] + (size_t)t * xs, B, xs, std::min(kSpChunk, T - t), B, acc.data());
    for (int j = j0; j < j1; j++)
      for (int p = s.cptr[j]; p < s.cptr[j + 1]; p++) dW[(size_t)s.cidx[p] * ldw + s.c0 + j] = acc[p - p0];
  });
}

// Row chunk (in floats) for a product that gathers rows of a (nrows, ld) matrix: the
// gathered rows' chunk, nrows·chunk floats, stays within ~256 KiB (L2), so that the
// R-row products (R = T·B in the thousands) do not stream the whole matrix through
// the cache once per column.
static int row_chunk(int nrows) { return std::max(64, (65536 / std::max(1, nrows)) / 16 * 16); }

void SparseLinear::fwd(const float* X, int ldx, float* C, int ldc) const {
  transpose(X, ldx, rows, in, XT, ld);
  SpmmFn f = spmm_fn();
  const int ch = row_chunk(in);
  sp_par(out, m.cidx.size() * (size_t)rows, [&](int j0, int j1) {
    for (int c = 0; c < rows; c += ch)
      f(m.cptr.data(), m.cidx.data(), m.cval.data(), j0, j1, XT + c, ld, yT + c, ld, std::min(ch, rows - c));
    add_transposed(yT + (size_t)j0 * ld, ld, rows, j1 - j0, 1.f, C + j0, ldc);
  });
}

void SparseLinear::bwd(const float* dG, int ldg, float* dW, float* dX, int lddx, float beta) const {
  transpose(dG, ldg, rows, out, dT, ld);
  SddmmFn g = sddmm_fn();
  constexpr int kTile = 64;
  const int tiles = (out + kTile - 1) / kTile;
  const int chw = row_chunk(in);
  sp_par(tiles, m.cidx.size() * (size_t)rows, [&](int i0, int i1) {
    const int j0 = i0 * kTile, j1 = std::min(out, i1 * kTile);
    const int p0 = m.cptr[j0], p1 = m.cptr[j1];
    if (p1 == p0) return;
    std::vector<float> acc(p1 - p0, 0.f);
    for (int c = 0; c < rows; c += chw)
      g(m.cptr.data(), m.cptr.data() + 1, m.cidx.data(), j0, j1, p0, dT + c, ld, 0, XT + c, ld, 0, 1,
        std::min(chw, rows - c), acc.data());
    for (int j = j0; j < j1; j++)
      for (int p = m.cptr[j]; p < m.cptr[j + 1]; p++) dW[(size_t)m.cidx[p] * out + j] = acc[p - p0];
  });
  if (!dX) return;
  if (out > 1024) {
    // A wide map (the head of a word model: out = V): gathering dGT rows by the CSR
    // would stream out·chunk floats through the cache for every row k; scatter by
    // columns instead (each dGT row read once), into a zeroed yT (one thread: the
    // columns of different threads would add to the same rows).
    SpmmFn f = spmm_scatter_fn();
    const int ch = std::max(16, (16384 / std::max(1, in)) / 16 * 16);
    std::memset(yT, 0, (size_t)in * ld * sizeof(float));
    for (int c = 0; c < rows; c += ch)
      f(m.cptr.data(), m.cidx.data(), m.cval.data(), 0, out, dT + c, ld, yT + c, ld, std::min(ch, rows - c));
    add_transposed(yT, ld, rows, in, beta, dX, lddx);
    return;
  }
  SpmmFn f = spmm_fn();
  const int chx = row_chunk(out);
  sp_par(in, m.ridx.size() * (size_t)rows, [&](int k0, int k1) {
    for (int c = 0; c < rows; c += chx)
      f(m.rptr.data(), m.ridx.data(), m.rval.data(), k0, k1, dT + c, ld, yT + c, ld, std::min(chx, rows - c));
    add_transposed(yT + (size_t)k0 * ld, ld, rows, k1 - k0, beta, dX + k0, lddx);
  });
}

}  // namespace srnn
