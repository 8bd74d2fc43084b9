// Shared by the standalone native tests: a CHECK that counts and reports
// failures (the test exits 1 if any), and seeded random fills.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

static int g_failures = 0, g_checks = 0;  // one test program per translation unit
#define CHECK(cond, ...)                                        \
  do {                                                          \
    g_checks++;                                                 \
    if (!(cond)) {                                              \
      g_failures++;                                             \
      if (g_failures <= 30) {                                   \
        std::printf("FAIL %s:%d: ", __FILE__, __LINE__);        \
        std::printf(__VA_ARGS__);                               \
        std::printf("\n");                                      \
      }                                                         \
    }                                                           \
  } while (0)

static std::mt19937 rng(1234);
static void fill(std::vector<float>& v, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  for (auto& x : v) x = d(rng);
}


// max |a − b| / (1 + max |b|) over whole buffers (a NaN in a counts as infinite).
static double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double e = 0, m = 0;
  for (size_t i = 0; i < a.size(); i++) {
    e = std::max(e, std::isnan(a[i]) ? INFINITY : (double)std::fabs(a[i] - b[i]));
    m = std::max(m, (double)std::fabs(b[i]));
  }
  return e / (1 + m);
}
