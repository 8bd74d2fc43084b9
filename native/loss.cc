// Softmax cross-entropy (see loss.h). The exponentials are the only costly part
// (R·O of them: 7M per batch for a 10k-word vocabulary), so exp is a branch-free
// polynomial the compiler vectorizes, rows are split across the thread pool, and
// forward keeps the probabilities so backward needs no second exp pass.
#include "loss.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "threadpool.h"

namespace srnn {

namespace {

// exp(x) for x <= 0 (Cephes expf: range reduction by ln 2, degree-6 polynomial),
// relative error ~2e-7; inputs below -87 give ~1e-38 instead of underflowing.
inline float exp_nonpos(float x) {
  x = x < -87.f ? -87.f : x;
  const float magic = 12582912.f;  // 1.5 * 2^23: adding it rounds to an integer
  float t = x * 1.44269504088896341f + magic;
  float n = t - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  int32_t ti;
  std::memcpy(&ti, &t, 4);
  int32_t mi;
  std::memcpy(&mi, &magic, 4);
  int32_t bits = (ti - mi + 127) << 23;  // 2^n
  float s;
  std::memcpy(&s, &bits, 4);
  return p * s;
}

// e[j] = exp(z[j] - m); returns the sum (8 partial sums, vectorizable).
float exp_shift_sum(float* e, const float* z, float m, int n) {
  for (int j = 0; j < n; j++) e[j] = exp_nonpos(z[j] - m);
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += e[j + k];
  float s = 0;
  for (; j < n; j++) s += e[j];
  for (int k = 0; k < 8; k++) s += acc[k];
  return s;
}

template <class F>
void for_row_chunks(int R, int O, F&& fn) {
  if (R > 1 && threads() > 1 && (size_t)R * O >= 32768) parallel_for(R, fn);
  else fn(0, R);
}

}  // namespace

void xent_forward(double* loss, uint8_t* hit, float* probs, const float* logits,
                  const int32_t* y, int R, int O) {
  for_row_chunks(R, O, [&](int r0, int r1) {
    std::vector<float> tmp(probs ? 0 : O);
    for (int r = r0; r < r1; r++) {
      const float* z = logits + (size_t)r * O;
      const int yr = y[r];
      if (yr < 0) { loss[r] = 0; hit[r] = 0; continue; }
      int arg = 0;
      float m = z[0];
      for (int j = 1; j < O; j++)
        if (z[j] > m) { m = z[j]; arg = j; }
      const float zy = z[yr];
      float* e = probs ? probs + (size_t)r * O : tmp.data();
      const float s = exp_shift_sum(e, z, m, O);
      loss[r] = (double)m + std::log((double)s) - (double)zy;
      hit[r] = arg == yr;
      if (probs) {
        const float inv = 1.f / s;
        for (int j = 0; j < O; j++) e[j] *= inv;
      }
    }
  });
}

void xent_backward(float* dlogits, const int32_t* y, int R, int O, float scale) {
  for_row_chunks(R, O, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      float* d = dlogits + (size_t)r * O;
      const int yr = y[r];
      if (yr < 0) { std::memset(d, 0, (size_t)O * sizeof(float)); continue; }
      for (int j = 0; j < O; j++) d[j] *= scale;
      d[yr] -= scale;
    }
  });
}

}  // namespace srnn
