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
#include "kernels/targets.h"
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
SRNN_TARGET_AVX512
void dropout_avx512(float* y, const float* x, size_t n, size_t i0, float p, uint32_t key) {
  dropout_apply(y, x, n, i0, p, key);
}
SRNN_TARGET_AVX2
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
  if (resetAfter && cell != CellType::GRU) return "cfg.resetAfter needs cfg.cell = 2 (gru)";
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
    if (!segment_ok(bias[l], biasSize(), total)) return segment_error(("bias" + i).c_str(), bias[l], biasSize(), total);
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
    segs.emplace_back(bias[l], bias[l] + (int64_t)biasSize(), "bias" + i);
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

void Net::sizeWorkspace(int B, int T) {
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

namespace {

// The sparse recurrent products of one layer over Whh (H, GH) under its mask: one
// matrix for rnn / lstm, two for gru ([Uz Ur] and Uh, as the dense packings).
void setRecurrent(SparseRec& s, const float* W, const uint8_t* m, int B, int T, int H, int GH, int nm) {
  s.B = B; s.T = T; s.R = (size_t)B * T; s.GH = GH; s.nm = nm;
  if (nm == 2) {
    s.m[0].build(W, m, GH, H, 2 * H, 0);
    s.m[1].build(W, m, GH, H, H, 2 * H);
  } else {
    s.m[0].build(W, m, GH, H, GH, 0);
  }
}

}  // namespace

void Net::chooseSparse(RunPass& ps) {
  const NetConfig& c = cfg_;
  const RunIO& io = *ps.io;
  const int L = ps.L, H = ps.H, GH = ps.GH, O = ps.O;
  const size_t R = ps.R, Rh = ps.Rh;
  ps.spl.assign(L, nullptr);
  ps.spi.assign(L, nullptr);
  ps.sph = nullptr;
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
    rows[l] = l == 0 && ps.fused ? c.inputSize : (int)R;
    if (inOn[l]) linear(in, GH, rows[l]);
  }
  const bool headOn = !c.tied && c.head >= 0 && mask_density(io.mask + c.head, O, H, O) <= kSparseDensity;
  if (headOn) linear(H, O, Rh);
  if (!need) return;
  if (anyRec) need += (io.backward ? r16((size_t)GH * R) : 0) + r16((size_t)std::max(GH, H) * ps.B);
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
  float* yT = anyRec ? take((size_t)std::max(GH, H) * ps.B) : nullptr;
  auto setLinear = [&](SparseLinear& s, int64_t off, int rows, int in, int outw) {
    s.rows = rows; s.ld = (int)r16(rows); s.in = in; s.out = outw;
    s.m.build(ps.P + off, io.mask + off, outw, in, outw, 0);
    s.XT = take((size_t)in * s.ld);
    s.yT = linY;
    s.dT = io.backward ? linY + (size_t)std::max(outw, in) * s.ld : nullptr;
    return &s;
  };
  if (headOn) ps.sph = setLinear(sph_, c.head, (int)Rh, H, O);
  for (int l = 0; l < L; l++) {
    if (inOn[l]) ps.spi[l] = setLinear(spi_[l], c.ih[l], rows[l], c.layerIn(l), GH);
    if (!on[l]) continue;
    SparseRec& s = sp_[l];
    setRecurrent(s, ps.P + c.hh[l], io.mask + c.hh[l], ps.B, ps.T, H, GH, nm);
    s.gT = gT;
    s.yT = yT;
    for (int i = 0; i < nm; i++) s.xT[i] = take((size_t)H * R);
    ps.spl[l] = &s;
  }
}

// ======== Net::run, phase by phase. Each phase names what it reads and writes;
// buffers are the Workspace's (net.h), time-major (row r = t·B + b).

LayerBuf Net::layerBuf(const RunPass& ps, int l) const {
  LayerBuf lb;
  lb.gates = ws_.gates[l]; lb.hs = ws_.hs[l]; lb.cs = ws_.cs[l]; lb.tcs = ws_.tcs[l]; lb.rh = ws_.rh[l];
  lb.h0zero = ps.io->state == nullptr;
  return lb;
}

const float* Net::layerInput(const RunPass& ps, int l) const {
  if (l == 0) return ws_.x0;
  return ps.dropping ? ws_.xd[l - 1] : ws_.hs[l - 1] + ps.BH;
}

// The bias added to layer l's input projection (GH): the bias segment; for the
// reset-after GRU its input bias plus the z and r recurrent biases (ws.biasIn).
const float* Net::inputBias(const RunPass& ps, int l) {
  const float* b = ps.P + cfg_.bias[l];
  if (!cfg_.resetAfter) return b;
  const int GH = ps.GH, H = ps.H;
  ws_.biasIn.assign(b, b + GH);
  for (int j = 0; j < 2 * H; j++) ws_.biasIn[j] += b[GH + j];
  return ws_.biasIn.data();
}

// Input. Reads io.tokens (B, T) or io.vectors (B, T, D), the embedding (V, E).
// Writes tok (R) time-major ids and either
//   fused:  proj (V, GH) = emb · Wih0 + b0, and gates[0] (R, GH) = its rows by token
//           (layer 0's input projection done: layerForward skips it);
//   else:   x0 (R, in0) = the gathered / transposed input, dropped when training.
void Net::inputForward(const RunPass& ps) {
  const NetConfig& c = cfg_;
  const RunIO& io = *ps.io;
  Workspace& w = ws_;
  const int B = ps.B, T = ps.T, R = ps.R, in0 = ps.in0;
  if (c.tokens)
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) w.tok[(size_t)t * B + b] = io.tokens[(size_t)b * T + t];
  if (ps.fused) {
    const int V = ps.V, E = ps.E, GH = ps.GH;
    fill_rows(w.proj, inputBias(ps, 0), V, GH);                                   // (V, GH)
    if (ps.spi[0]) ps.spi[0]->fwd(ps.emb, E, w.proj, GH);
    else sgemm(false, false, V, GH, E, ps.emb, E, ps.P + c.ih[0], GH, 1.f, w.proj, GH);
    embedding_forward(w.gates[0], w.proj, w.tok.data(), R, GH);                     // (R, GH)
    return;
  }
  if (c.tokens) {
    embedding_forward(w.x0, ps.emb, w.tok.data(), R, ps.E);
  } else {
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++)
        std::memcpy(w.x0 + ((size_t)t * B + b) * in0, io.vectors + ((size_t)b * T + t) * in0,
                    (size_t)in0 * sizeof(float));
  }
  if (ps.dropping) dropout(w.x0, w.x0, (size_t)R * in0, ps.p, dropout_key(io.seed, 0));
}

// Layer l forward. Reads its input (layerInput: (R, in_l)), Wih (in_l, GH), bias (GH),
// Whh (H, GH), io.state (L, S, B, H) or zeros. Writes
//   gates[l] (R, GH)     X · Wih + b (pre-activations), then the cell's activations
//   hs[l] (T+1, B, H)    hs[0] the initial h, hs[t+1] = h_t; lstm cs / tcs, gru rh
//   xd[l] (R, H)         the dropped output (training with dropout only)
// and packs Whh into ws.fwd (dense layers).
void Net::layerForward(const RunPass& ps, int l) {
  const NetConfig& c = cfg_;
  Workspace& w = ws_;
  const int R = ps.R, H = ps.H, GH = ps.GH, T = ps.T, B = ps.B, in = c.layerIn(l);
  const size_t BH = ps.BH;
  const SparseRec* sp = ps.spl[l];
  LayerBuf lb = layerBuf(ps, l);
  if (!(l == 0 && ps.fused)) {
    fill_rows(lb.gates, inputBias(ps, l), R, GH);                                   // (R, GH)
    if (ps.spi[l]) ps.spi[l]->fwd(layerInput(ps, l), in, lb.gates, GH);
    else sgemm(false, false, R, GH, in, layerInput(ps, l), in, ps.P + c.ih[l], GH, 1.f, lb.gates, GH);
  }
  for (int s = 0; s < ps.S; s++) {
    float* dst = s == 0 ? lb.hs : lb.cs;  // slot 0: initial state (B, H)
    if (ps.io->state) std::memcpy(dst, ps.io->state + ((size_t)l * ps.S + s) * BH, BH * sizeof(float));
    else std::memset(dst, 0, BH * sizeof(float));
  }
  const float* Whh = ps.P + c.hh[l];  // packed once for the T per-step products (H, GH)
  switch (c.cell) {
    case CellType::RNN:
      if (!sp) w.fwd[0].pack(false, GH, H, Whh, GH);
      rnn_forward(lb, w.fwd[0], T, B, H, c.relu, sp);
      break;
    case CellType::LSTM:
      if (!sp) w.fwd[0].pack(false, GH, H, Whh, GH);
      lstm_forward(lb, w.fwd[0], T, B, H, sp);
      break;
    case CellType::GRU:
      if (!sp) {
        w.fwd[0].pack(false, 2 * H, H, Whh, GH);      // [Uz Ur]
        w.fwd[1].pack(false, H, H, Whh + 2 * H, GH);  // Uh
      }
      if (c.resetAfter) gru_ra_forward(lb, w.fwd[0], w.fwd[1], ps.P + c.bias[l] + GH + 2 * H, T, B, H, sp);
      else gru_forward(lb, w.fwd[0], w.fwd[1], T, B, H, sp);
      break;
  }
  if (ps.dropping) dropout(w.xd[l], lb.hs + BH, (size_t)R * H, ps.p, dropout_key(ps.io->seed, l + 1));
}

// Final state. Reads hs[l][T], cs[l][T]. Writes io.state (L, S, B, H) when given.
void Net::stateOut(const RunPass& ps) {
  if (!ps.io->state) return;
  const size_t BH = ps.BH;
  for (int l = 0; l < ps.L; l++) {
    std::memcpy(ps.io->state + ((size_t)l * ps.S) * BH, ws_.hs[l] + (size_t)ps.T * BH, BH * sizeof(float));
    if (ps.S == 2) std::memcpy(ps.io->state + ((size_t)l * ps.S + 1) * BH, ws_.cs[l] + (size_t)ps.T * BH, BH * sizeof(float));
  }
}

const float* Net::headInput(const RunPass& ps) const {
  const float* top = ps.dropping ? ws_.xd[ps.L - 1] : ws_.hs[ps.L - 1] + ps.BH;  // (T, B, H)
  return cfg_.classify ? top + (size_t)(ps.T - 1) * ps.BH : top;               // (Rh, H)
}

// Head. Reads the top layer's output (headInput: (Rh, H)), head (H, O) or the tied
// embedding (V, E = H), headBias (O). Writes logits (Rh, O) = hin · head + bias, and a
// copy in io.logits (lm (B, T, O), classify (B, O)) when asked.
void Net::headForward(const RunPass& ps) {
  const NetConfig& c = cfg_;
  Workspace& w = ws_;
  const int Rh = ps.Rh, O = ps.O, H = ps.H, B = ps.B, T = ps.T;
  const float* hin = headInput(ps);
  fill_rows(w.logits, ps.P + c.headBias, Rh, O);
  if (c.tied) sgemm(false, true, Rh, O, H, hin, H, ps.emb, ps.E, 1.f, w.logits, O);
  else if (ps.sph) ps.sph->fwd(hin, H, w.logits, O);
  else sgemm(false, false, Rh, O, H, hin, H, ps.P + c.head, O, 1.f, w.logits, O);
  float* out = ps.io->logits;
  if (!out) return;
  if (c.classify) {
    std::memcpy(out, w.logits, (size_t)B * O * sizeof(float));
    return;
  }
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++)
      std::memcpy(out + ((size_t)b * T + t) * O, w.logits + ((size_t)t * B + b) * O, (size_t)O * sizeof(float));
}

// Loss. Reads logits (Rh, O), io.y. Writes tgt (Rh) time-major, rowLoss / rowHit (Rh),
// ps.inv = 1 / count; when training the logits become probabilities / count in place
// (headBackward turns them into dlogits).
RunStats Net::lossForward(RunPass& ps) {
  Workspace& w = ws_;
  const RunIO& io = *ps.io;
  const int B = ps.B, T = ps.T, Rh = ps.Rh;
  if (cfg_.classify) {
    for (int b = 0; b < B; b++) w.tgt[b] = io.y[b];
  } else {
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) w.tgt[(size_t)t * B + b] = io.y[(size_t)b * T + t];
  }
  RunStats st;
  for (int r = 0; r < Rh; r++) st.count += w.tgt[r] >= 0;
  ps.inv = st.count ? (float)(1.0 / (double)st.count) : 0.f;
  xent_forward(w.rowLoss.data(), w.rowHit.data(), io.backward ? w.logits : nullptr, ps.inv, w.logits,
               w.tgt.data(), Rh, ps.O);
  for (int r = 0; r < Rh; r++) {
    st.loss += w.rowLoss[r];
    st.correct += w.rowHit[r];
  }
  return st;
}

// Gradient zeroing. grads = d(loss / count)/dθ, every entry written exactly once: the
// weight matrices by gemms with beta = 0 (or zeroed by their sparse phase), the rest
// (biases, a scatter-added embedding, padding between segments) zeroed here.
void Net::zeroGrads(const RunPass& ps) {
  const NetConfig& c = cfg_;
  const int64_t GH = ps.GH, H = ps.H;
  std::vector<std::pair<int64_t, int64_t>> written;  // [begin, end) offsets
  for (int l = 0; l < ps.L; l++) {
    written.push_back({c.ih[l], c.ih[l] + (int64_t)c.layerIn(l) * GH});
    written.push_back({c.hh[l], c.hh[l] + H * GH});
  }
  if (!c.tied) written.push_back({c.head, c.head + H * ps.O});
  if (c.tokens && (c.tied || ps.fused)) written.push_back({c.embedding, c.embedding + (int64_t)ps.V * ps.E});
  std::sort(written.begin(), written.end());
  int64_t at = 0;
  for (auto& iv : written) {
    if (iv.first > at) std::memset(ps.Gr + at, 0, (size_t)(iv.first - at) * sizeof(float));
    at = std::max(at, iv.second);
  }
  if ((int64_t)c.total > at) std::memset(ps.Gr + at, 0, (size_t)((int64_t)c.total - at) * sizeof(float));
}

// Head backward. Reads logits (Rh, O) as probabilities / count, tgt, hin (Rh, H), head
// or the tied embedding. Writes logits → dlogits in place; grads of headBias (+=), head
// (or embedding, tied: overwritten); dA (R, H) = dL/d(top layer output), dropped back
// through the top dropout; classify: only step T-1 non-zero.
void Net::headBackward(const RunPass& ps) {
  const NetConfig& c = cfg_;
  Workspace& w = ws_;
  const int Rh = ps.Rh, O = ps.O, H = ps.H, V = ps.V, E = ps.E, R = ps.R;
  const float* hin = headInput(ps);
  float* dEmb = c.tokens ? ps.Gr + c.embedding : nullptr;  // (V, E)
  float* dlog = w.logits;                                  // (Rh, O)
  xent_backward(dlog, w.tgt.data(), Rh, O, ps.inv);
  add_colsum(ps.Gr + c.headBias, dlog, Rh, O, O);
  float* dtop = w.dA;                                                    // (T, B, H)
  float* dhin = c.classify ? dtop + (size_t)(ps.T - 1) * ps.BH : dtop;  // (Rh, H)
  if (c.classify) std::memset(dtop, 0, (size_t)R * H * sizeof(float));
  if (c.tied) {
    sgemm(true, false, V, E, Rh, dlog, O, hin, H, 0.f, dEmb, E);   // dEmb = dlogᵀ · hin
    sgemm(false, false, Rh, H, V, dlog, O, ps.emb, E, 0.f, dhin, H);  // dhin = dlog · emb
  } else if (ps.sph) {
    std::memset(ps.Gr + c.head, 0, (size_t)H * O * sizeof(float));  // sparse: kept entries only
    ps.sph->bwd(dlog, O, ps.Gr + c.head, dhin, H, 0.f);             // dHead = hinᵀ · dlog; dhin = dlog · headᵀ
  } else {
    sgemm(true, false, H, O, Rh, hin, H, dlog, O, 0.f, ps.Gr + c.head, O);   // dHead = hinᵀ · dlog
    sgemm(false, true, Rh, H, O, dlog, O, ps.P + c.head, O, 0.f, dhin, H);  // dhin = dlog · headᵀ
  }
  if (ps.dropping) dropout(dtop, dtop, (size_t)R * H, ps.p, dropout_key(ps.io->seed, ps.L));
}

// Layer l recurrent backward. Reads dh (R, H) = dL/d(layer output) (clobbered: the
// cell accumulates the recurrent gradient in it), gates[l] (activations), hs / cs /
// tcs / rh, Whh. Writes gates[l] → dGates (R, GH) (pre-activation gradients), grads of
// Whh (H, GH) (overwritten; sparse: zeroed, kept entries written); packs Whhᵀ into ws.bwd.
void Net::recurrentBackward(const RunPass& ps, int l, float* dh) {
  const NetConfig& c = cfg_;
  Workspace& w = ws_;
  const int H = ps.H, GH = ps.GH, T = ps.T, B = ps.B;
  LayerBuf lb = layerBuf(ps, l);
  const float* Whh = ps.P + c.hh[l];  // Whhᵀ packed once for the T per-step dh_{t-1} += dG_t · Whhᵀ (GH, H)
  float* dWhh = ps.Gr + c.hh[l];
  const SparseRec* sp = ps.spl[l];
  if (sp) std::memset(dWhh, 0, (size_t)H * GH * sizeof(float));  // sparse: kept entries only
  switch (c.cell) {
    case CellType::RNN:
      if (!sp) w.bwd[0].pack(true, H, GH, Whh, GH);
      rnn_backward(dWhh, dh, lb, w.bwd[0], T, B, H, c.relu, w.scratch, sp);
      break;
    case CellType::LSTM:
      if (!sp) w.bwd[0].pack(true, H, GH, Whh, GH);
      lstm_backward(dWhh, dh, lb, w.bwd[0], T, B, H, w.scratch, sp);
      break;
    case CellType::GRU:
      if (!sp) {
        w.bwd[0].pack(true, H, 2 * H, Whh, GH);      // [Uz Ur]ᵀ
        w.bwd[1].pack(true, H, H, Whh + 2 * H, GH);  // Uhᵀ
      }
      if (c.resetAfter) gru_ra_backward(dWhh, dh, lb, w.bwd[0], w.bwd[1], T, B, H, sp);
      else gru_backward(dWhh, dh, lb, w.bwd[0], w.bwd[1], T, B, H, w.scratch, sp);
      break;
  }
}

// Layer l input backward. Reads dGates (gates[l], (R, GH)), the layer input
// (layerInput), Wih. Writes grads of Wih (overwritten; sparse: kept entries) and bias
// (+=); and dX (R, in_l) into dx, dropped back through the input dropout (layer 0:
// scattered into the embedding's grads instead). Fused layer 0: through proj, dproj
// (V, GH) holds dGates summed per token. Returns false when no gradient flows further
// down (layer 0).
bool Net::inputBackward(const RunPass& ps, int l, float* dx) {
  const NetConfig& c = cfg_;
  Workspace& w = ws_;
  const int R = ps.R, GH = ps.GH, V = ps.V, E = ps.E, in = c.layerIn(l);
  const SparseLinear* si = ps.spi[l];  // a sparse input kernel writes its gradient at kept entries only
  const float* dG = w.gates[l];        // (R, GH)
  const float* Wih = ps.P + c.ih[l];
  float* dWih = ps.Gr + c.ih[l];
  float* dEmb = c.tokens ? ps.Gr + c.embedding : nullptr;  // (V, E)
  if (si) std::memset(dWih, 0, (size_t)in * GH * sizeof(float));
  if (l == 0 && ps.fused) {
    // dproj[id] += dG[r]; dWih = embᵀ · dproj; db = Σ dproj; dEmb (+)= dproj · Wihᵀ
    std::memset(w.dproj, 0, (size_t)V * GH * sizeof(float));
    embedding_backward(w.dproj, dG, w.tok.data(), R, GH);
    add_colsum(ps.Gr + c.bias[0], w.dproj, V, GH, GH);
    if (si) {
      si->bwd(w.dproj, GH, dWih, dEmb, E, c.tied ? 1.f : 0.f);
    } else {
      sgemm(true, false, E, GH, V, ps.emb, E, w.dproj, GH, 0.f, dWih, GH);
      sgemm(false, true, V, E, GH, w.dproj, GH, Wih, GH, c.tied ? 1.f : 0.f, dEmb, E);
    }
    return false;
  }
  add_colsum(ps.Gr + c.bias[l], dG, R, GH, GH);
  const bool needDX = !(l == 0 && !c.tokens);  // no gradient for raw input vectors
  if (si) {
    si->bwd(dG, GH, dWih, needDX ? dx : nullptr, in, 0.f);  // dWih = Xᵀ · dG; dX = dG · Wihᵀ
  } else {
    sgemm(true, false, in, GH, R, layerInput(ps, l), in, dG, GH, 0.f, dWih, GH);  // dWih = Xᵀ · dG
    if (needDX) sgemm(false, true, R, in, GH, dG, GH, Wih, GH, 0.f, dx, in);       // dX = dG · Wihᵀ
  }
  if (!needDX) return false;
  if (ps.dropping) dropout(dx, dx, (size_t)R * in, ps.p, dropout_key(ps.io->seed, l));
  if (l == 0) embedding_backward(dEmb, dx, w.tok.data(), R, E);
  return l > 0;
}

// Reset-after GRU, layer l's recurrent bias (after inputBackward). Reads the input
// bias's grads (the z r recurrent biases enter the same sums) and rh[l] = dL/dun (R, H).
// Writes the recurrent bias's grads: z r copied, b_hn = Σ_r dun.
void Net::recurrentBiasBackward(const RunPass& ps, int l) {
  float* db = ps.Gr + cfg_.bias[l];  // (2, GH)
  const int GH = ps.GH, H = ps.H;
  std::memcpy(db + GH, db, (size_t)2 * H * sizeof(float));
  add_colsum(db + GH + 2 * H, ws_.rh[l], ps.R, H, H);
}

RunStats Net::run(const float* P, float* Gr, const RunIO& io) {
  const NetConfig& c = cfg_;
  RunPass ps;
  ps.P = P; ps.Gr = Gr; ps.io = &io;
  ps.B = io.B; ps.T = io.T; ps.R = io.B * io.T; ps.H = c.hidden; ps.GH = c.gates() * c.hidden;
  ps.L = c.layers; ps.O = c.outputSize; ps.in0 = c.in0(); ps.V = c.inputSize; ps.E = c.embedDim;
  ps.S = c.states(); ps.Rh = c.classify ? io.B : ps.R; ps.BH = (size_t)io.B * c.hidden;
  ps.dropping = io.backward && c.dropout > 0.f;
  ps.fused = fusedInput(io.B, io.T, ps.dropping);
  ps.p = c.dropout;
  ps.emb = c.tokens ? P + c.embedding : nullptr;
  sizeWorkspace(io.B, io.T);
  chooseSparse(ps);
  // ---- forward
  inputForward(ps);
  for (int l = 0; l < ps.L; l++) layerForward(ps, l);
  stateOut(ps);
  headForward(ps);
  const RunStats st = lossForward(ps);
  if (!io.backward) return st;
  // ---- backward
  if (st.count == 0) {
    std::memset(Gr, 0, c.total * sizeof(float));
    return st;
  }
  zeroGrads(ps);
  headBackward(ps);
  float* dcur = ws_.dA;   // (R, H) dL/dh of the current layer's outputs
  float* dnext = ws_.dB;  // (R, in_l) dL/dX of its input
  for (int l = ps.L - 1; l >= 0; l--) {
    recurrentBackward(ps, l, dcur);
    const bool more = inputBackward(ps, l, dnext);
    if (c.resetAfter) recurrentBiasBackward(ps, l);
    if (!more) break;
    std::swap(dcur, dnext);
  }
  return st;
}

}  // namespace srnn
