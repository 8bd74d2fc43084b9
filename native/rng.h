// Counter-based random numbers for dropout: the mask bit of element i is a pure
// function of (seed, stream, i), so forward and backward regenerate the same mask
// instead of storing it, and any order of evaluation (threads) gives the same mask.
//
// Everything is 32-bit integer arithmetic so a test can replicate it exactly in
// JavaScript with Math.imul (see test/unit/gradcheck.test.ts):
//   key  = mix32(mix32(seed_lo ^ mix32(stream + 0x9e3779b9)) ^ seed_hi)
//   u_i  = (mix32(i * 0x9e3779b9 + key) >> 8) * 2^-24        // uniform in [0, 1)
//   keep = u_i >= p ;  dropout(x)_i = keep ? x_i / (1 - p) : 0
// seed is the call's dropoutSeed truncated to a 64-bit integer (lo, hi words);
// stream 0 is the input of layer 0, stream l+1 the output of layer l; i is the
// time-major element index (t*B + b)*width + j.
#pragma once
#include <cstddef>
#include <cmath>
#include <cstdint>

namespace srnn {

// "lowbias32" (C. Wellons): a bijective 32-bit mixer with low bias.
static inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

static inline uint32_t dropout_key(uint64_t seed, uint32_t stream) {
  uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
  return mix32(mix32(lo ^ mix32(stream + 0x9e3779b9u)) ^ hi);
}

// y[i] = x[i] * mask_i / (1 - p) for i in [0, n), element indices starting at i0.
// In place allowed. Forward and backward of inverted dropout are this same call.
// Branch-free (the mask is a multiplier) so it vectorizes; net.cc compiles it per ISA,
// and every ISA gives the same bits (integer hash, one float multiply).
static inline void dropout_apply(float* y, const float* x, size_t n, size_t i0,
                                 float p, uint32_t key) {
  const float s = 1.f / (1.f - p);
  // keep iff (h >> 8) * 2^-24 >= p  <=>  (h >> 8) >= ceil(p * 2^24); both below 2^24
  const int32_t thr = (int32_t)std::ceil((double)p * 16777216.0);
  const uint32_t c = (uint32_t)i0 * 0x9e3779b9u + key;
  for (size_t i = 0; i < n; i++) {
    const uint32_t h = mix32(c + (uint32_t)i * 0x9e3779b9u);
    const float m = (int32_t)(h >> 8) >= thr ? s : 0.f;
    y[i] = x[i] * m;
  }
}

}  // namespace srnn
