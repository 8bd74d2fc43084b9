// The SIMD level (chosen once at load, forceable down for tests) and the
// elementwise activations: one body (kernels/act.inc) compiled for AVX-512 and
// AVX2, and the same formulas written for one lane with libm's exp.
#include "simd.h"

#include <atomic>
#include <cmath>

#define SRNN_ISA SRNN_ISA_AVX512
#include "kernels/isa.h"
namespace srnn { namespace avx512 {
#include "kernels/act.inc"
} }  // namespace srnn::avx512
#include "kernels/isa_end.h"

#define SRNN_ISA SRNN_ISA_AVX2
#include "kernels/isa.h"
namespace srnn { namespace avx2 {
#include "kernels/act.inc"
} }  // namespace srnn::avx2
#include "kernels/isa_end.h"

namespace srnn {
namespace scalar {
// The same formulas with libm's exp (faster here, one lane at a time, than
// act.inc's polynomial exp, and ~2x faster than std::tanh).
void sigmoid(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = 1.f / (1.f + std::exp(-x[i]));
}
void tanh(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float a = std::fabs(x[i]);
    float r;
    if (a < 0.625f) {
      const float z = a * a;
      r = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
           3.33332819422e-1f) * z * a + a;
    } else {
      r = 1.f - 2.f / (std::exp(a + a) + 1.f);  // NaN stays NaN, inf gives 1
    }
    y[i] = std::copysign(r, x[i]);
  }
}
}  // namespace scalar
}  // namespace srnn

namespace srnn {



static SimdLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();  // may run before libgcc's own constructor
  // libgcc's checks include OS support (XGETBV) for the ymm/zmm state.
  // Every feature kernels/targets.h lists for a level (F16C: the inference addon's
  // half-precision values; it ships with every AVX2 CPU).
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return SimdLevel::AVX512;
  if (avx2) return SimdLevel::AVX2;
#endif
  return SimdLevel::Scalar;
}

static std::atomic<int>& level_ref() {
  static std::atomic<int> level{(int)simd_detected()};
  return level;
}

SimdLevel simd_detected() {
  static const SimdLevel d = detect();
  return d;
}

SimdLevel simd_level() { return (SimdLevel)level_ref().load(std::memory_order_relaxed); }

bool set_simd_level(SimdLevel l) {
  if ((int)l < 0 || (int)l > (int)simd_detected()) return false;
  level_ref().store((int)l, std::memory_order_relaxed);
  return true;
}

const char* simd_name(SimdLevel l) {
  return l == SimdLevel::AVX512 ? "avx512" : l == SimdLevel::AVX2 ? "avx2" : "scalar";
}

void vec_sigmoid(float* y, const float* x, size_t n) {
  switch (simd_level()) {
    case SimdLevel::AVX512: return avx512::sigmoid(y, x, n);
    case SimdLevel::AVX2: return avx2::sigmoid(y, x, n);
    default: return scalar::sigmoid(y, x, n);
  }
}

void vec_tanh(float* y, const float* x, size_t n) {
  switch (simd_level()) {
    case SimdLevel::AVX512: return avx512::tanh(y, x, n);
    case SimdLevel::AVX2: return avx2::tanh(y, x, n);
    default: return scalar::tanh(y, x, n);
  }
}

}  // namespace srnn
