// PLACEHOLDER: scalar only until the SIMD layer lands.
#include "simd.h"
#include <cmath>

namespace srnn {
SimdLevel simd_level() { return SimdLevel::Scalar; }
SimdLevel simd_detected() { return SimdLevel::Scalar; }
bool set_simd_level(SimdLevel l) { return l == SimdLevel::Scalar; }
const char* simd_name(SimdLevel l) { return l == SimdLevel::AVX512 ? "avx512" : l == SimdLevel::AVX2 ? "avx2" : "scalar"; }
void vec_sigmoid(float* y, const float* x, size_t n) { for (size_t i = 0; i < n; i++) y[i] = 1.f / (1.f + std::exp(-x[i])); }
void vec_tanh(float* y, const float* x, size_t n) { for (size_t i = 0; i < n; i++) y[i] = std::tanh(x[i]); }
}  // namespace srnn
