// Softmax cross-entropy (see loss.h). The exponentials are the only costly part
// (R·O of them: 7M per batch for a 10k-word vocabulary), so each row runs through
// a SIMD kernel (loss.inc, per ISA, chosen by simd_level()), rows are split across
// the thread pool, and forward writes the scaled probabilities so that backward
// only subtracts the one-hot: no second exp pass, no second sweep over the logits.
#include "loss.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "simd.h"
#include "threadpool.h"

#define SRNN_ISA SRNN_ISA_AVX512
#include "kernels/isa.h"
namespace srnn { namespace xent_avx512 {
#include "loss.inc"
} }  // namespace srnn::xent_avx512
#include "kernels/isa_end.h"

#define SRNN_ISA SRNN_ISA_AVX2
#include "kernels/isa.h"
namespace srnn { namespace xent_avx2 {
#include "loss.inc"
} }  // namespace srnn::xent_avx2
#include "kernels/isa_end.h"

namespace srnn {

namespace xent_scalar {
static float row_max(const float* z, int n) {
  float m = z[0];
  for (int j = 1; j < n; j++) m = z[j] > m ? z[j] : m;
  return m;
}
static float row_exp(float* e, const float* z, float m, int n) {
  float s = 0;
  for (int j = 0; j < n; j++) s += (e[j] = std::exp(z[j] - m));
  return s;
}
static void row_scale(float* e, float s, int n) {
  for (int j = 0; j < n; j++) e[j] *= s;
}
}  // namespace xent_scalar

namespace {

struct RowKernels {
  float (*max)(const float*, int);
  float (*exp)(float*, const float*, float, int);
  void (*scale)(float*, float, int);
};

RowKernels row_kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return {xent_avx512::row_max, xent_avx512::row_exp, xent_avx512::row_scale};
    case SimdLevel::AVX2: return {xent_avx2::row_max, xent_avx2::row_exp, xent_avx2::row_scale};
    default: return {xent_scalar::row_max, xent_scalar::row_exp, xent_scalar::row_scale};
  }
}

template <class F>
void for_row_chunks(int R, int O, F&& fn) {
  if (R > 1 && threads() > 1 && (size_t)R * O >= 32768) parallel_for(R, fn);
  else fn(0, R);
}

}  // namespace

void xent_forward(double* loss, uint8_t* hit, float* probs, float pscale, const float* logits,
                  const int32_t* y, int R, int O) {
  const RowKernels k = row_kernels();
  for_row_chunks(R, O, [&](int r0, int r1) {
    std::vector<float> tmp(probs ? 0 : O);
    for (int r = r0; r < r1; r++) {
      const float* z = logits + (size_t)r * O;
      float* e = probs ? probs + (size_t)r * O : tmp.data();
      const int yr = y[r];
      if (yr < 0) {
        loss[r] = 0;
        hit[r] = 0;
        if (probs) std::memset(e, 0, (size_t)O * sizeof(float));
        continue;
      }
      const float m = k.max(z, O);
      int arg = 0;  // the first index holding the max (ties: lowest index)
      while (arg < O - 1 && !(z[arg] == m)) arg++;
      const float zy = z[yr];
      const float s = k.exp(e, z, m, O);
      loss[r] = (double)m + std::log((double)s) - (double)zy;
      hit[r] = arg == yr;
      if (probs) k.scale(e, pscale / s, O);
    }
  });
}

void xent_backward(float* dlogits, const int32_t* y, int R, int O, float scale) {
  for (int r = 0; r < R; r++)
    if (y[r] >= 0) dlogits[(size_t)r * O + y[r]] -= scale;
}

}  // namespace srnn
