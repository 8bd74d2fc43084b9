// Standalone test of the optimizer loops (native/optim.cc) against references in
// double written from the formulas of optim.h, at every SIMD level and with 1 and
// 2 threads (lengths up to 300 007 cross the 2^18 threshold where the loops are
// split over the pool). Fails loudly (exit 1) on mismatch.
//
//   g++ -O2 -std=c++17 -pthread native/optim.cc native/simd.cc native/threadpool.cc
//       native/tests/test_optim.cc -o /tmp/test_optim && /tmp/test_optim
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../optim.h"
#include "../simd.h"
#include "../threadpool.h"
#include "check.h"

using namespace srnn;

// ---------------------------------------------------------------- optimizers
// References: the formulas of optim.h in double.
static void ref_sgd(std::vector<double>& p, std::vector<double>& g, std::vector<double>& v, const std::vector<uint8_t>* mask,
                    double lr, double mom, double wd, bool nesterov) {
  for (size_t i = 0; i < p.size(); i++) {
    if (mask && !(*mask)[i]) { p[i] = g[i] = v[i] = 0; continue; }
    double d = g[i] + wd * p[i];
    v[i] = mom * v[i] + d;
    p[i] -= lr * (nesterov ? d + mom * v[i] : v[i]);
  }
}
static void ref_adam(std::vector<double>& p, std::vector<double>& g, std::vector<double>& m, std::vector<double>& v,
                     const std::vector<uint8_t>* mask, double lr, double b1, double b2, double eps, double wd, int t) {
  double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
  for (size_t i = 0; i < p.size(); i++) {
    if (mask && !(*mask)[i]) { p[i] = g[i] = m[i] = v[i] = 0; continue; }
    double d = g[i] + wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * d;
    v[i] = b2 * v[i] + (1 - b2) * d * d;
    p[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

static double maxdiff(const std::vector<float>& a, const std::vector<double>& b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); i++) e = std::max(e, std::fabs(a[i] - b[i]));
  return e;
}

static void test_optim(const char* tag, size_t n) {
  std::vector<uint8_t> mask(n);
  for (size_t i = 0; i < n; i++) mask[i] = (i * 7 + 3) % 5 != 0;  // 20% pruned
  for (int withmask = 0; withmask < 2; withmask++)
    for (int nesterov = 0; nesterov < 2; nesterov++) {
      std::vector<float> p(n), g(n), v(n, 0.f);
      fill(p);
      std::vector<double> pd(p.begin(), p.end()), gd(n), vd(n, 0.0);
      bool zero_ok = true;
      for (int step = 0; step < 5; step++) {
        fill(g);
        for (size_t i = 0; i < n; i++) gd[i] = g[i];
        sgd_step(p.data(), g.data(), v.data(), withmask ? mask.data() : nullptr, n, 0.1f, 0.9f, 1e-3f, nesterov);
        ref_sgd(pd, gd, vd, withmask ? &mask : nullptr, 0.1, 0.9, 1e-3, nesterov);
        if (withmask)
          for (size_t i = 0; i < n; i++)
            if (!mask[i] && (p[i] != 0.f || g[i] != 0.f || v[i] != 0.f)) zero_ok = false;
      }
      CHECK(maxdiff(p, pd) < 1e-5 && maxdiff(v, vd) < 1e-5 && zero_ok, "%s sgd n=%zu mask=%d nesterov=%d: p err %.3g v err %.3g zeros %d",
            tag, n, withmask, nesterov, maxdiff(p, pd), maxdiff(v, vd), zero_ok);
    }
  for (int withmask = 0; withmask < 2; withmask++) {
    std::vector<float> p(n), g(n), m(n, 0.f), v(n, 0.f);
    fill(p);
    std::vector<double> pd(p.begin(), p.end()), gd(n), md(n, 0.0), vd(n, 0.0);
    bool zero_ok = true;
    for (int t = 1; t <= 5; t++) {
      fill(g);
      for (size_t i = 0; i < n; i++) gd[i] = g[i];
      adam_step(p.data(), g.data(), m.data(), v.data(), withmask ? mask.data() : nullptr, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, t);
      ref_adam(pd, gd, md, vd, withmask ? &mask : nullptr, 1e-2, 0.9, 0.999, 1e-8, 1e-4, t);
      if (withmask)
        for (size_t i = 0; i < n; i++)
          if (!mask[i] && (p[i] != 0.f || g[i] != 0.f || m[i] != 0.f || v[i] != 0.f)) zero_ok = false;
    }
    CHECK(maxdiff(p, pd) < 1e-5 && maxdiff(m, md) < 1e-5 && zero_ok, "%s adam n=%zu mask=%d: p err %.3g m err %.3g zeros %d",
          tag, n, withmask, maxdiff(p, pd), maxdiff(m, md), zero_ok);
  }
  {
    std::vector<float> x(n);
    fill(x);
    double ref = 0;
    for (float f : x) ref += (double)f * f;
    double s = sum_squares(x.data(), n);
    CHECK(std::fabs(s - ref) <= 1e-12 * (ref + 1), "%s sum_squares n=%zu: %.17g vs %.17g", tag, n, s, ref);
    std::vector<float> y = x;
    scale(y.data(), n, -2.5f);
    bool ok = true;
    for (size_t i = 0; i < n; i++) ok = ok && y[i] == x[i] * -2.5f;
    CHECK(ok, "%s scale n=%zu", tag, n);
    y = x;
    apply_mask(y.data(), mask.data(), n);
    ok = true;
    for (size_t i = 0; i < n; i++) ok = ok && y[i] == (mask[i] ? x[i] : 0.f);
    CHECK(ok, "%s apply_mask n=%zu", tag, n);
  }
}

int main() {
  for (int lvl = (int)simd_detected(); lvl >= 0; lvl--) {
    CHECK(set_simd_level((SimdLevel)lvl), "set_simd_level(%d)", lvl);
    for (int t : {1, 2}) {
      set_threads(t);
      char tag[64];
      std::snprintf(tag, sizeof tag, "[%s, %d thread%s]", simd_name((SimdLevel)lvl), t, t > 1 ? "s" : "");
      int before = g_failures;
      for (size_t n : {0, 1, 15, 17, 33, 1000, 70001, 300007}) test_optim(tag, n);
      std::printf("%s %s\n", tag, g_failures == before ? "ok" : "FAILED");
    }
  }
  set_simd_level(simd_detected());
  set_threads(1);
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
