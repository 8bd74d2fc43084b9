// Throughput of the elementwise kernels (ns per element, best of several runs) at
// every SIMD level: vec_sigmoid, vec_tanh, adam_step, sgd_step, sum_squares, on
// 64 Ki floats (L2-resident, like one step's gate pre-activations).
//
//   g++ -O3 -std=c++17 -pthread native/simd.cc native/optim.cc native/threadpool.cc
//       native/tests/bench_vec.cc -o /tmp/bench_vec && /tmp/bench_vec
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../optim.h"
#include "../simd.h"

using namespace srnn;

template <class F>
static double best_ns(F&& f, size_t n) {
  double best = 1e30;
  for (int t = 0; t < 20; t++) {
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < 20; r++) f();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 20;
    best = std::min(best, s);
  }
  return best * 1e9 / n;
}

int main() {
  const size_t n = 1 << 16;
  std::vector<float> x(n), y(n), p(n), g(n), m(n), v(n);
  std::vector<uint8_t> mask(n);
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)((i * 2654435761u) % 4000) / 100.f - 20.f;
    p[i] = x[i] * 0.01f;
    g[i] = x[i] * 0.001f;
    mask[i] = i % 5 != 0;
  }
  std::printf("ns/element, n = %zu%-10s %8s %8s %8s %8s %8s\n", n, "", "sigmoid", "tanh", "adam", "sgd", "sumsq");
  for (int l = (int)simd_detected(); l >= 0; l--) {
    set_simd_level((SimdLevel)l);
    int t = 1;
    double s1 = best_ns([&] { vec_sigmoid(y.data(), x.data(), n); }, n);
    double s2 = best_ns([&] { vec_tanh(y.data(), x.data(), n); }, n);
    double s3 = best_ns([&] { adam_step(p.data(), g.data(), m.data(), v.data(), mask.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.f, t++); }, n);
    double s4 = best_ns([&] { sgd_step(p.data(), g.data(), v.data(), mask.data(), n, 1e-3f, 0.9f, 0.f, false); }, n);
    volatile double sink = 0;
    double s5 = best_ns([&] { sink = sink + sum_squares(x.data(), n); }, n);
    std::printf("%-30s %8.3f %8.3f %8.3f %8.3f %8.3f\n", simd_name((SimdLevel)l), s1, s2, s3, s4, s5);
  }
  return 0;
}
