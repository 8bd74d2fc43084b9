// Flat optimizer loops over the whole parameter buffer (one layout for params,
// grads, moments and mask). mask may be null; where mask[i] == 0 the weight is
// pruned: param, grad and every moment are set to exactly 0 and stay there.
#pragma once
#include <cstddef>
#include <cstdint>

namespace srnn {

// v = momentum*v + g + wd*p ; p -= lr * (nesterov ? g + wd*p + momentum*v : v)
void sgd_step(float* p, float* g, float* v, const uint8_t* mask, size_t n,
              float lr, float momentum, float weight_decay, bool nesterov);
// Adam with bias correction (step t >= 1); L2 weight decay added to the gradient.
void adam_step(float* p, float* g, float* m, float* v, const uint8_t* mask, size_t n,
               float lr, float beta1, float beta2, float eps, float weight_decay, int t);
double sum_squares(const float* x, size_t n);
void scale(float* x, size_t n, float s);
void apply_mask(float* p, const uint8_t* mask, size_t n);

}  // namespace srnn
