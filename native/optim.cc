// PLACEHOLDER: plain loops until the final version lands.
#include "optim.h"
#include <cmath>
namespace srnn {
void sgd_step(float* p, float* g, float* v, const uint8_t* mask, size_t n, float lr, float momentum, float wd, bool nesterov) {
  for (size_t i = 0; i < n; i++) {
    if (mask && !mask[i]) { p[i] = g[i] = v[i] = 0.f; continue; }
    float d = g[i] + wd * p[i];
    v[i] = momentum * v[i] + d;
    p[i] -= lr * (nesterov ? d + momentum * v[i] : v[i]);
  }
}
void adam_step(float* p, float* g, float* m, float* v, const uint8_t* mask, size_t n, float lr, float b1, float b2, float eps, float wd, int t) {
  const float c1 = 1.f - std::pow(b1, (float)t), c2 = 1.f - std::pow(b2, (float)t);
  for (size_t i = 0; i < n; i++) {
    if (mask && !mask[i]) { p[i] = g[i] = m[i] = v[i] = 0.f; continue; }
    float d = g[i] + wd * p[i];
    m[i] = b1 * m[i] + (1.f - b1) * d;
    v[i] = b2 * v[i] + (1.f - b2) * d * d;
    p[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}
double sum_squares(const float* x, size_t n) { double s = 0; for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i]; return s; }
void scale(float* x, size_t n, float s) { for (size_t i = 0; i < n; i++) x[i] *= s; }
void apply_mask(float* p, const uint8_t* mask, size_t n) { for (size_t i = 0; i < n; i++) if (!mask[i]) p[i] = 0.f; }
}  // namespace srnn
