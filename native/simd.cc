// The SIMD level (chosen once at load, forceable down for tests) and the
// elementwise activations, per ISA (kernels/act.inc) plus a scalar path.
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
// The reference formulas; huge |x| saturates through inf arithmetic, NaN propagates.
void sigmoid(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = 1.f / (1.f + std::exp(-x[i]));
}
void tanh(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = std::tanh(x[i]);
}
}  // namespace scalar

static SimdLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();  // may run before libgcc's own constructor
  // libgcc's checks include OS support (XGETBV) for the ymm/zmm state.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return SimdLevel::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::AVX2;
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
