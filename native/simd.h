// A thin SIMD layer: the ISA (AVX-512, AVX2, scalar) is chosen once at load
// (simd_level()), and can be forced down for tests (set_simd_level()). Kernels are
// written against these entry points and always keep a scalar path.
#pragma once
#include <cstddef>

namespace srnn {

enum class SimdLevel { Scalar = 0, AVX2 = 1, AVX512 = 2 };

SimdLevel simd_level();              // the level in use
SimdLevel simd_detected();           // the best level this CPU supports
bool set_simd_level(SimdLevel l);    // false if the CPU lacks it
const char* simd_name(SimdLevel l);

// Elementwise kernels on n floats (in place allowed: y may equal x).
void vec_sigmoid(float* y, const float* x, size_t n);
void vec_tanh(float* y, const float* x, size_t n);

}  // namespace srnn
