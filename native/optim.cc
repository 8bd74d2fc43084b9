// Flat optimizer loops over the whole parameter buffer (see optim.h for the
// formulas). One body per operation (kernels/optim.inc) compiled for AVX-512,
// AVX2 and scalar; the SIMD instance does the multiple of its width and the
// scalar instance the tail. Large buffers are split over the thread pool in
// fixed blocks, so results never depend on the thread count (sum_squares adds
// its per-block partial sums in block order).
#include "optim.h"

#include <cmath>
#include <vector>

#include "simd.h"
#include "threadpool.h"

#define SRNN_ISA SRNN_ISA_AVX512
#include "kernels/isa.h"
namespace srnn { namespace avx512 {
#include "kernels/optim.inc"
} }  // namespace srnn::avx512
#include "kernels/isa_end.h"

#define SRNN_ISA SRNN_ISA_AVX2
#include "kernels/isa.h"
namespace srnn { namespace avx2 {
#include "kernels/optim.inc"
} }  // namespace srnn::avx2
#include "kernels/isa_end.h"

#define SRNN_ISA SRNN_ISA_SCALAR
#include "kernels/isa.h"
namespace srnn { namespace scalar {
#include "kernels/optim.inc"
} }  // namespace srnn::scalar
#include "kernels/isa_end.h"

namespace srnn {
namespace {

constexpr size_t kBlock = 1 << 16;         // elements per parallel block (multiple of every VW)
constexpr size_t kParallelMin = 1 << 18;   // below this one thread is faster than waking others

// Runs fn(begin, end) over [0, n) in kBlock pieces, on the pool when n is large.
template <class F>
void blocks(size_t n, const F& fn) {
  size_t nb = (n + kBlock - 1) / kBlock;
  if (n < kParallelMin || threads() == 1 || nb < 2) {
    fn(size_t(0), n);
    return;
  }
  parallel_for((int)nb, [&](int b0, int b1) {
    size_t e = (size_t)b1 * kBlock;
    fn((size_t)b0 * kBlock, e < n ? e : n);
  });
}

}  // namespace

void sgd_step(float* p, float* g, float* v, const uint8_t* mask, size_t n,
              float lr, float momentum, float weight_decay, bool nesterov) {
  const SimdLevel lvl = simd_level();
  blocks(n, [&](size_t b, size_t e) {
    const uint8_t* mk = mask ? mask + b : nullptr;
    size_t len = e - b, done = 0;
    if (lvl == SimdLevel::AVX512) done = avx512::sgd(p + b, g + b, v + b, mk, len, lr, momentum, weight_decay, nesterov);
    else if (lvl == SimdLevel::AVX2) done = avx2::sgd(p + b, g + b, v + b, mk, len, lr, momentum, weight_decay, nesterov);
    b += done;
    scalar::sgd(p + b, g + b, v + b, mask ? mask + b : nullptr, e - b, lr, momentum, weight_decay, nesterov);
  });
}

void adam_step(float* p, float* g, float* m, float* v, const uint8_t* mask, size_t n,
               float lr, float beta1, float beta2, float eps, float weight_decay, int t) {
  const float c1 = 1.f - std::pow(beta1, (float)t), c2 = 1.f - std::pow(beta2, (float)t);
  const SimdLevel lvl = simd_level();
  blocks(n, [&](size_t b, size_t e) {
    const uint8_t* mk = mask ? mask + b : nullptr;
    size_t len = e - b, done = 0;
    if (lvl == SimdLevel::AVX512) done = avx512::adam(p + b, g + b, m + b, v + b, mk, len, lr, beta1, beta2, eps, weight_decay, c1, c2);
    else if (lvl == SimdLevel::AVX2) done = avx2::adam(p + b, g + b, m + b, v + b, mk, len, lr, beta1, beta2, eps, weight_decay, c1, c2);
    b += done;
    scalar::adam(p + b, g + b, m + b, v + b, mask ? mask + b : nullptr, e - b, lr, beta1, beta2, eps, weight_decay, c1, c2);
  });
}

double sum_squares(const float* x, size_t n) {
  const SimdLevel lvl = simd_level();
  auto part = [lvl](const float* xs, size_t len) {
    size_t done = 0;
    double s = 0;
    if (lvl == SimdLevel::AVX512) s = avx512::sum_squares(xs, len, &done);
    else if (lvl == SimdLevel::AVX2) s = avx2::sum_squares(xs, len, &done);
    for (size_t i = done; i < len; i++) s += (double)xs[i] * xs[i];
    return s;
  };
  size_t nb = (n + kBlock - 1) / kBlock;
  if (nb <= 1) return part(x, n);
  std::vector<double> partial(nb);
  blocks(n, [&](size_t b, size_t e) {
    for (; b < e; b += kBlock) partial[b / kBlock] = part(x + b, (e - b) < kBlock ? e - b : kBlock);
  });
  double s = 0;
  for (double d : partial) s += d;
  return s;
}

void scale(float* x, size_t n, float s) {
  const SimdLevel lvl = simd_level();
  blocks(n, [&](size_t b, size_t e) {
    if (lvl == SimdLevel::AVX512) b += avx512::scale(x + b, e - b, s);
    else if (lvl == SimdLevel::AVX2) b += avx2::scale(x + b, e - b, s);
    scalar::scale(x + b, e - b, s);
  });
}

void apply_mask(float* p, const uint8_t* mask, size_t n) {
  const SimdLevel lvl = simd_level();
  blocks(n, [&](size_t b, size_t e) {
    if (lvl == SimdLevel::AVX512) b += avx512::apply_mask(p + b, mask + b, e - b);
    else if (lvl == SimdLevel::AVX2) b += avx2::apply_mask(p + b, mask + b, e - b);
    scalar::apply_mask(p + b, mask + b, e - b);
  });
}

}  // namespace srnn
