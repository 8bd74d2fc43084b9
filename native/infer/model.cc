// One step of the stack (model.h). The sparse path walks the hidden units in blocks:
// the block's rows of every gate are gathered, then its nonlinearities and state
// update run at once while the pre-activations are still in L1 (fused step).
#include "model.h"
#include "kernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>

namespace sinfer {

static constexpr int kBlock = 64;  // hidden units per fused block

void Csr::build_ell() {
  if (rows % 16 != 0 || rows == 0 || srnn::simd_detected() != SimdLevel::AVX512) return;
  const int S = rows / 16;
  W = (cols + 31) / 32;
  depth.assign((size_t)S * W, 0);
  start.assign((size_t)S + 1, 0);
  // Pass 1: depth of every (slice, window) = the most entries one of its rows has there.
  std::vector<uint32_t> pos(16);
  for (int s = 0; s < S; s++) {
    for (int l = 0; l < 16; l++) {
      const int r = 16 * s + l;
      int w = -1, count = 0;
      for (uint32_t k = rowPtr[r]; k <= rowPtr[r + 1]; k++) {
        const int c = k < rowPtr[r + 1] ? (int)(idx32.empty() ? idx16[k] : idx32[k]) : -1;
        const int cw = c < 0 ? -1 : c / 32;
        if (cw != w) {
          if (w >= 0 && count > 255) { W = 0; return; }  // depth must fit a byte
          if (w >= 0) depth[(size_t)s * W + w] = std::max<int>(depth[(size_t)s * W + w], count);
          w = cw;
          count = 0;
        }
        count++;
      }
    }
    uint32_t levels = 0;
    for (int w = 0; w < W; w++) levels += depth[(size_t)s * W + w];
    start[s + 1] = start[s] + levels;
  }
  const size_t L = start[S];
  eidx.assign(L * 16, 0);
  const bool half = !valh.empty(), quant = !valq.empty();
  if (half) evalh.assign(L * 16, 0);
  else if (quant) evalq.assign(L * 16, 0);
  else eval.assign(L * 16, 0.f);
  // Pass 2: level t of (s, w) holds, in lane l, the t-th entry of row 16s+l in window w.
  for (int s = 0; s < S; s++) {
    for (int l = 0; l < 16; l++) {
      const int r = 16 * s + l;
      size_t lv = start[s];
      uint32_t k = rowPtr[r];
      for (int w = 0; w < W; w++) {
        const int d = depth[(size_t)s * W + w];
        int t = 0;
        while (k < rowPtr[r + 1]) {
          const uint32_t c = idx32.empty() ? idx16[k] : idx32[k];
          if ((int)(c / 32) != w) break;
          eidx[(lv + t) * 16 + l] = (uint8_t)(c % 32);
          if (half) evalh[(lv + t) * 16 + l] = valh[k];
          else if (quant) evalq[(lv + t) * 16 + l] = valq[k];
          else eval[(lv + t) * 16 + l] = val[k];
          k++;
          t++;
        }
        lv += d;
      }
    }
  }
}

void Csr::scale_input(float* out, const float* z) const {
  for (int i = 0; i < cols; i++) out[i] = z[i] * colScale[i];
}

void Csr::run(float* y, const float* z, const float* bias, int r0, int r1) const {
  if (W > 0 && r0 % 16 == 0 && r1 % 16 == 0) {
    const bool done = !evalh.empty()
      ? ell_run(y, depth.data(), start.data(), eidx.data(), evalh.data(), W, z, bias, r0 / 16, r1 / 16)
      : !evalq.empty() ? ell_run(y, depth.data(), start.data(), eidx.data(), evalq.data(), W, z, bias, r0 / 16, r1 / 16)
      : ell_run(y, depth.data(), start.data(), eidx.data(), eval.data(), W, z, bias, r0 / 16, r1 / 16);
    if (done) return;
  }
  const bool wide = !idx32.empty(), half = !valh.empty(), quant = !valq.empty();
  if (wide && half) gather(y, rowPtr.data(), idx32.data(), valh.data(), z, bias, r0, r1);
  else if (wide && quant) gather(y, rowPtr.data(), idx32.data(), valq.data(), z, bias, r0, r1);
  else if (wide) gather(y, rowPtr.data(), idx32.data(), val.data(), z, bias, r0, r1);
  else if (half) gather(y, rowPtr.data(), idx16.data(), valh.data(), z, bias, r0, r1);
  else if (quant) gather(y, rowPtr.data(), idx16.data(), valq.data(), z, bias, r0, r1);
  else gather(y, rowPtr.data(), idx16.data(), val.data(), z, bias, r0, r1);
}

std::string Csr::check() const {
  const size_t nnz = val.size() + valh.size() + valq.size();
  if ((!val.empty()) + (!valh.empty()) + (!valq.empty()) > 1) return "more than one value array";
  if (!valq.empty() && colScale.size() != (size_t)cols) return "int8 values need colScale of cols";
  if (valq.empty() && !colScale.empty()) return "colScale without int8 values";
  for (float sc : colScale) if (!std::isfinite(sc)) return "colScale is not finite";
  if (rows < 0 || cols < 0) return "negative shape";
  if (rowPtr.size() != (size_t)rows + 1) return "rowPtr length is not rows + 1";
  if (idx16.size() + idx32.size() != nnz) return "colIdx length is not nnz";
  if (rowPtr[0] != 0 || rowPtr[rows] != nnz) return "rowPtr must start at 0 and end at nnz";
  for (int r = 0; r < rows; r++) if (rowPtr[r + 1] < rowPtr[r]) return "rowPtr is not monotone";
  for (size_t k = 0; k < nnz; k++) {
    const uint32_t c = idx32.empty() ? idx16[k] : idx32[k];
    if (c >= (uint32_t)cols) return "column index out of range";
  }
  return "";
}

size_t Csr::bytes() const {
  if (W > 0 && srnn::simd_level() == SimdLevel::AVX512) {
    return depth.size() + start.size() * 4 + eidx.size() + eval.size() * 4 + evalh.size() * 2 + evalq.size() + colScale.size() * 4;
  }
  return rowPtr.size() * 4 + idx16.size() * 2 + idx32.size() * 4 + val.size() * 4 + valh.size() * 2 + valq.size() + colScale.size() * 4;
}

size_t Model::layer_bytes() const {
  size_t b = 0;
  for (auto& l : layers) {
    b += l.bias.size() * 4;
    if (mode == Mode::Sparse) b += l.main.bytes() + (cell == 2 ? l.rec.bytes() : 0);
    else b += (l.ih.size() + l.hh.size()) * 4;
  }
  return b;
}

void Csr::run_batch(float* const* y, const float* const* z, int B, const float* bias, int r0, int r1) const {
  if (B == 1) return run(y[0], z[0], bias, r0, r1);  // two accumulator chains beat one
  if (W > 0 && r0 % 16 == 0 && r1 % 16 == 0) {
    const bool done = !evalh.empty()
      ? ell_run_batch(y, depth.data(), start.data(), eidx.data(), evalh.data(), W, z, B, bias, r0 / 16, r1 / 16)
      : !evalq.empty() ? ell_run_batch(y, depth.data(), start.data(), eidx.data(), evalq.data(), W, z, B, bias, r0 / 16, r1 / 16)
      : ell_run_batch(y, depth.data(), start.data(), eidx.data(), eval.data(), W, z, B, bias, r0 / 16, r1 / 16);
    if (done) return;
  }
  for (int b = 0; b < B; b++) run(y[b], z[b], bias, r0, r1);
}

void Model::init_scratch() {
  int maxD = 0;
  for (auto& l : layers) maxD = std::max(maxD, l.D);
  lanes.resize(kMaxBatch);
  for (auto& ln : lanes) {
    // +32: the window-ELL kernel loads whole 32-float windows past the last column.
    ln.z.assign((size_t)maxD + H + 32, 0.f);
    ln.pre.assign((size_t)G * H, 0.f);
    ln.rh.assign((size_t)H + 32, 0.f);
    ln.tmp.assign(H, 0.f);
    ln.zq.assign((size_t)maxD + H + 32, 0.f);
    ln.rhq.assign((size_t)H + 32, 0.f);
  }
}

void Model::advance(const float* x, float* state) { advance_batch(x, state, 1); }

void Model::advance_batch(const float* xs, float* states, int B) {
  const size_t SL = (size_t)L * S * H;
  const float* in[kMaxBatch];
  float* h[kMaxBatch];
  float* c[kMaxBatch];
  for (int b = 0; b < B; b++) in[b] = xs + (size_t)b * layers[0].D;
  for (int l = 0; l < L; l++) {
    for (int b = 0; b < B; b++) {
      h[b] = states + b * SL + (size_t)l * S * H;
      c[b] = S == 2 ? h[b] + H : nullptr;
    }
    if (mode == Mode::Sparse) layer_sparse(layers[l], in, h, c, B);
    else for (int b = 0; b < B; b++) layer_dense(layers[l], in[b], h[b], c[b]);
    for (int b = 0; b < B; b++) in[b] = h[b];
  }
}

void Model::update(Lane& ln, int j0, int j1, const float* hp, float* h, float* c) {
  const bool naive = mode == Mode::Naive;
  const int n = j1 - j0;
  float* p = ln.pre.data();
  float* tmp = ln.tmp.data();
  if (cell == 1) {  // LSTM i f c o
    vsigmoid(p + j0, p + j0, n, naive);
    vsigmoid(p + H + j0, p + H + j0, n, naive);
    vtanh(p + 2 * H + j0, p + 2 * H + j0, n, naive);
    vsigmoid(p + 3 * H + j0, p + 3 * H + j0, n, naive);
    for (int j = j0; j < j1; j++) c[j] = p[H + j] * c[j] + p[j] * p[2 * H + j];
    vtanh(tmp + j0, c + j0, n, naive);
    for (int j = j0; j < j1; j++) h[j] = p[3 * H + j] * tmp[j];
  } else if (cell == 2) {  // GRU: z in p[0:H], candidate pre-activation (complete) in p[2H:3H]
    vtanh(p + 2 * H + j0, p + 2 * H + j0, n, naive);
    for (int j = j0; j < j1; j++) h[j] = p[j] * hp[j] + (1.f - p[j]) * p[2 * H + j];
  } else if (relu) {
    for (int j = j0; j < j1; j++) h[j] = std::max(0.f, p[j]);
  } else {
    vtanh(h + j0, p + j0, n, naive);
  }
}

void Model::layer_sparse(const Layer& ly, const float* const* x, float* const* h, float* const* c, int B) {
  // z = [x; h_{t-1}] per lane: the product reads the old h while the update writes the new one.
  float* zs[kMaxBatch];
  float* ps[kMaxBatch];
  const float* zc[kMaxBatch];
  const float* hp[kMaxBatch];
  for (int b = 0; b < B; b++) {
    Lane& ln = lanes[b];
    std::memcpy(ln.z.data(), x[b], sizeof(float) * ly.D);
    std::memcpy(ln.z.data() + ly.D, h[b], sizeof(float) * H);
    zs[b] = ln.z.data();
    hp[b] = zs[b] + ly.D;
    ps[b] = ln.pre.data();
    if (ly.main.quantized()) ly.main.scale_input(ln.zq.data(), zs[b]);
    zc[b] = ly.main.quantized() ? ln.zq.data() : zs[b];
  }
  if (cell == 2 && resetAfter) return gru_ra_sparse(ly, ps, zc, hp, h, B);
  if (cell == 2) return gru_sparse(ly, ps, zc, hp, h, B);
  const float* bias = ly.bias.data();
  for (int j0 = 0; j0 < H; j0 += kBlock) {
    const int j1 = std::min(H, j0 + kBlock);
    for (int g = 0; g < G; g++) ly.main.run_batch(ps, zc, B, bias, g * H + j0, g * H + j1);
    for (int b = 0; b < B; b++) update(lanes[b], j0, j1, hp[b], h[b], c[b]);
  }
}

// GRU (reset before): pass 1 gathers z, r (x and h parts) and the candidate's x part
// and forms r ⊙ h per block; pass 2 the candidate's recurrent part over r ⊙ h, then
// the update.
void Model::gru_sparse(const Layer& ly, float* const* ps, const float* const* zc, const float* const* hp,
                       float* const* h, int B) {
  const float* bias = ly.bias.data();
  float* ts[kMaxBatch];
  const float* rc[kMaxBatch];
  for (int b = 0; b < B; b++) {
    ts[b] = lanes[b].tmp.data();
    rc[b] = ly.rec.quantized() ? lanes[b].rhq.data() : lanes[b].rh.data();
  }
  for (int j0 = 0; j0 < H; j0 += kBlock) {
    const int j1 = std::min(H, j0 + kBlock);
    for (int g = 0; g < 3; g++) ly.main.run_batch(ps, zc, B, bias, g * H + j0, g * H + j1);
    for (int b = 0; b < B; b++) {
      float* p = ps[b];
      vsigmoid(p + j0, p + j0, j1 - j0, false);
      vsigmoid(p + H + j0, p + H + j0, j1 - j0, false);
      for (int j = j0; j < j1; j++) lanes[b].rh[j] = p[H + j] * hp[b][j];
    }
  }
  if (ly.rec.quantized()) for (int b = 0; b < B; b++) ly.rec.scale_input(lanes[b].rhq.data(), lanes[b].rh.data());
  for (int j0 = 0; j0 < H; j0 += kBlock) {
    const int j1 = std::min(H, j0 + kBlock);
    ly.rec.run_batch(ts, rc, B, nullptr, j0, j1);
    for (int b = 0; b < B; b++) {
      for (int j = j0; j < j1; j++) ps[b][2 * H + j] += ts[b][j];
      update(lanes[b], j0, j1, hp[b], h[b], nullptr);
    }
  }
}

// Reset-after GRU: the candidate's recurrent part reads h_{t-1} itself, so one pass
// per block: gates' rows, un = h_{t-1}·Uh + b_hn, then pre_n += r ⊙ un and the update.
void Model::gru_ra_sparse(const Layer& ly, float* const* ps, const float* const* zc, const float* const* hp,
                          float* const* h, int B) {
  const float* bias = ly.bias.data();
  float* ts[kMaxBatch];
  const float* hc[kMaxBatch];  // h_{t-1} as the recurrent product reads it (padded copy; int8: scaled)
  for (int b = 0; b < B; b++) {
    Lane& ln = lanes[b];
    ts[b] = ln.tmp.data();
    std::memcpy(ln.rh.data(), hp[b], sizeof(float) * H);
    if (ly.rec.quantized()) ly.rec.scale_input(ln.rhq.data(), ln.rh.data());
    hc[b] = ly.rec.quantized() ? ln.rhq.data() : ln.rh.data();
  }
  for (int j0 = 0; j0 < H; j0 += kBlock) {
    const int j1 = std::min(H, j0 + kBlock);
    for (int g = 0; g < 3; g++) ly.main.run_batch(ps, zc, B, bias, g * H + j0, g * H + j1);
    ly.rec.run_batch(ts, hc, B, ly.recBias.data(), j0, j1);
    for (int b = 0; b < B; b++) {
      float* p = ps[b];
      vsigmoid(p + j0, p + j0, j1 - j0, false);
      vsigmoid(p + H + j0, p + H + j0, j1 - j0, false);
      for (int j = j0; j < j1; j++) p[2 * H + j] += p[H + j] * ts[b][j];
      update(lanes[b], j0, j1, hp[b], h[b], nullptr);
    }
  }
}

void Model::layer_dense(const Layer& ly, const float* x, float* h, float* c) {
  auto xw = mode == Mode::Naive ? dense_xw_naive : dense_xw;
  const int GH = G * H;
  Lane& ln = lanes[0];
  float* p = ln.pre.data();
  float* hp = ln.z.data();  // h_{t-1}
  std::memcpy(hp, h, sizeof(float) * H);
  std::memcpy(p, ly.bias.data(), sizeof(float) * GH);
  xw(p, x, ly.ih.data(), ly.D, GH, GH);
  xw(p, hp, ly.hh.data(), H, cell == 2 ? 2 * H : GH, GH);
  if (cell == 2 && resetAfter) {  // pre_n += r ⊙ (h_{t-1}·Uh + b_hn)
    vsigmoid(p, p, 2 * (size_t)H, mode == Mode::Naive);
    std::memcpy(ln.tmp.data(), ly.recBias.data(), sizeof(float) * H);
    xw(ln.tmp.data(), hp, ly.hh.data() + 2 * H, H, H, GH);
    for (int j = 0; j < H; j++) p[2 * H + j] += p[H + j] * ln.tmp[j];
  } else if (cell == 2) {
    vsigmoid(p, p, 2 * (size_t)H, mode == Mode::Naive);
    for (int j = 0; j < H; j++) ln.rh[j] = p[H + j] * hp[j];
    xw(p + 2 * H, ln.rh.data(), ly.hh.data() + 2 * H, H, H, GH);
  }
  update(ln, 0, H, hp, h, c);
}

void Model::logits(const float* state, float* out) {
  const float* h = state + (size_t)(L - 1) * S * H;
  if (mode == Mode::Sparse) {
    std::vector<float>& z = lanes[0].z;
    std::memcpy(z.data(), h, sizeof(float) * H);  // padded copy: kernels may load past H
    std::fill(z.begin() + H, z.end(), 0.f);
    if (head.quantized()) {
      std::vector<float>& zq = lanes[0].zq;
      head.scale_input(zq.data(), z.data());
      head.run(out, zq.data(), headBias.data(), 0, O);
    } else {
      head.run(out, z.data(), headBias.data(), 0, O);
    }
    return;
  }
  std::memcpy(out, headBias.data(), sizeof(float) * O);
  (mode == Mode::Naive ? dense_xw_naive : dense_xw)(out, h, headW.data(), H, O, O);
}

}  // namespace sinfer
