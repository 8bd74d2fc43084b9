// Standalone tests of sgemm (against sgemm_naive), sgemm_packed, the activations
// and the thread pool, at every SIMD level the CPU has and with 1 and 2 threads.
// Fails loudly (exit 1) on mismatch. The optimizer loops: test_optim.cc.
//
//   g++ -O2 -std=c++17 -pthread native/gemm.cc native/simd.cc native/threadpool.cc
//       native/tests/test_kernels.cc -o /tmp/test_kernels && /tmp/test_kernels
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../gemm.h"
#include "../simd.h"
#include "../threadpool.h"
#include "check.h"

using namespace srnn;

// ---------------------------------------------------------------- gemm
struct Shape {
  int M, N, K;
};

// One product at the current level/threads against sgemm_naive. Leading
// dimensions get `pad` extra columns; C starts as NaN when beta == 0 (it must
// not be read) and random otherwise.
static void check_gemm(bool tA, bool tB, Shape s, float beta, int pad, const char* tag) {
  const int M = s.M, N = s.N, K = s.K;
  const int lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  const int arows = tA ? K : M, brows = tB ? N : K;
  std::vector<float> A((size_t)arows * lda + 1), B((size_t)brows * ldb + 1), C((size_t)M * ldc + 1), R;
  fill(A);
  fill(B);
  if (beta == 0.f) std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
  else fill(C);
  R = C;
  if (beta == 0.f) std::fill(R.begin(), R.end(), 0.f);  // naive never reads C either
  const float canary = C.back();
  sgemm(tA, tB, M, N, K, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  sgemm_naive(tA, tB, M, N, K, A.data(), lda, B.data(), ldb, beta, R.data(), ldc);
  double maxerr = 0, maxref = 0;
  bool pad_ok = true;
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) {
      double c = C[(size_t)i * ldc + j], r = R[(size_t)i * ldc + j];
      double e = std::isnan(c) ? INFINITY : std::fabs(c - r);
      if (e > maxerr) maxerr = e;
      if (std::fabs(r) > maxref) maxref = std::fabs(r);
    }
    for (int j = N; j < ldc && i * ldc + j < (int)C.size() - 1; j++) {
      float c = C[(size_t)i * ldc + j], r = R[(size_t)i * ldc + j];
      // padding columns must be untouched
      if (!(c == r || (std::isnan(c) && beta == 0.f))) pad_ok = false;
    }
  }
  bool canary_ok = (std::isnan(canary) && std::isnan(C.back())) || C.back() == canary;
  double rel = maxref > 0 ? maxerr / maxref : maxerr;
  CHECK(rel <= 1e-5 && pad_ok && canary_ok, "%s sgemm tA=%d tB=%d M=%d N=%d K=%d beta=%g pad=%d: rel err %.3g%s%s",
        tag, tA, tB, M, N, K, beta, pad, rel, pad_ok ? "" : " (wrote padding)", canary_ok ? "" : " (wrote past C)");
}

// sgemm_packed: the same product with op(B) packed once and reused for several A.
static void check_packed(bool tA, bool tB, Shape s, float beta, int pad, const char* tag) {
  const int M = s.M, N = s.N, K = s.K;
  const int lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  std::vector<float> B((size_t)(tB ? N : K) * ldb + 1);
  fill(B);
  PackedB pb;
  pb.pack(tB, N, K, B.data(), ldb);
  CHECK(pb.N() == N && pb.K() == K, "%s PackedB dims", tag);
  for (int rep = 0; rep < 2; rep++) {  // two different A against one packing
    std::vector<float> A((size_t)(tA ? K : M) * lda + 1), C((size_t)M * ldc), R;
    fill(A);
    fill(C);
    R = C;
    if (beta == 0.f) std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
    sgemm_packed(tA, M, A.data(), lda, pb, beta, C.data(), ldc);
    sgemm_naive(tA, tB, M, N, K, A.data(), lda, B.data(), ldb, beta, R.data(), ldc);
    double maxerr = 0, maxref = 0;
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        double c = C[(size_t)i * ldc + j], r = R[(size_t)i * ldc + j];
        maxerr = std::max(maxerr, std::isnan(c) ? INFINITY : std::fabs(c - r));
        maxref = std::max(maxref, std::fabs(r));
      }
    double rel = maxref > 0 ? maxerr / maxref : maxerr;
    CHECK(rel <= 1e-5, "%s sgemm_packed tA=%d tB=%d M=%d N=%d K=%d beta=%g: rel err %.3g", tag, tA, tB, M, N, K, beta, rel);
  }
}

static void test_gemm(const char* tag) {
  for (Shape s : std::vector<Shape>{{1, 1, 1}, {32, 1024, 256}, {32, 256, 1024}, {7, 33, 300}, {45, 70, 600}, {300, 100, 40}})
    for (int tA = 0; tA < 2; tA++)
      for (int tB = 0; tB < 2; tB++) check_packed(tA, tB, s, (s.M + tA + tB) % 2 ? 1.f : 0.f, tB, tag);
  std::vector<Shape> shapes = {
      {1, 1, 1},    {1, 1, 7},     {7, 1, 1},    {1, 9, 1},      {2, 3, 4},     {13, 17, 1},
      {14, 32, 5},  {15, 33, 9},   {28, 64, 64}, {29, 65, 31},   {6, 16, 8},    {5, 15, 300},
      {31, 47, 259}, {33, 100, 257}, {64, 10, 513}, {100, 37, 64}, {3, 200, 17},  {17, 1, 600},
      {1, 300, 40}, {45, 45, 45},  {128, 96, 77}, {32, 1024, 64}, {520, 40, 30}, {9, 4100, 3},
  };
  for (const Shape& s : shapes)
    for (int tA = 0; tA < 2; tA++)
      for (int tB = 0; tB < 2; tB++)
        for (float beta : {0.f, 1.f}) check_gemm(tA, tB, s, beta, (s.M + s.N) % 3 == 0 ? 0 : 3, tag);
  // big enough to be split across threads, and to need several K blocks
  check_gemm(false, false, {96, 256, 300}, 1.f, 5, tag);
  check_gemm(true, false, {256, 200, 700}, 1.f, 0, tag);
  check_gemm(false, true, {200, 130, 257}, 0.f, 1, tag);
  check_gemm(true, true, {70, 530, 129}, 1.f, 2, tag);
  check_gemm(false, false, {600, 70, 100}, 0.f, 0, tag);
  check_gemm(false, false, {33, 4200, 20}, 0.f, 0, tag);
  // a general beta (not in the contract's {0, 1}, but must not be silently wrong)
  check_gemm(false, false, {20, 30, 40}, 0.5f, 1, tag);
  // K == 0: C = beta·C
  {
    std::vector<float> C(12, 3.f);
    sgemm(false, false, 3, 4, 0, nullptr, 1, nullptr, 4, 0.f, C.data(), 4);
    bool z = true;
    for (float c : C) z = z && c == 0.f;
    CHECK(z, "%s sgemm K=0 beta=0 must zero C", tag);
  }
}

// ---------------------------------------------------------------- activations
static void test_activations(const char* tag) {
  std::vector<float> x;
  for (double v = -20.0; v <= 20.0; v += 1.0 / 4096) x.push_back((float)v);
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 1e-8f, 0.625f, -0.625f, 0.62499f, 44.f, 88.f, 89.f, -89.f, 100.f,
                  -100.f, 1e30f, -1e30f, 3.4e38f, -3.4e38f})
    x.push_back(v);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  x.push_back(inf);
  x.push_back(-inf);
  x.push_back(nan);
  std::vector<float> ys(x.size()), yt(x.size());
  vec_sigmoid(ys.data(), x.data(), x.size());
  vec_tanh(yt.data(), x.data(), x.size());
  double es = 0, et = 0;
  bool nan_ok = std::isnan(ys.back()) && std::isnan(yt.back());
  for (size_t i = 0; i + 1 < x.size(); i++) {
    double rs = 1.0 / (1.0 + std::exp(-(double)x[i])), rt = std::tanh((double)x[i]);
    es = std::max(es, std::fabs(ys[i] - rs));
    et = std::max(et, std::fabs(yt[i] - rt));
    if (std::isnan(ys[i]) || std::isnan(yt[i])) nan_ok = false;
  }
  std::printf("%s vec_sigmoid max abs error %.2g, vec_tanh %.2g over [-20, 20] step 2^-12\n", tag, es, et);
  CHECK(es <= 1e-6, "%s vec_sigmoid max abs error %.3g", tag, es);
  CHECK(et <= 1e-6, "%s vec_tanh max abs error %.3g", tag, et);
  CHECK(nan_ok, "%s NaN must pass through (and only NaN gives NaN)", tag);
  size_t n = x.size();
  CHECK(ys[n - 3] == 1.f && ys[n - 2] == 0.f && yt[n - 3] == 1.f && yt[n - 2] == -1.f,
        "%s saturation at ±inf: sigmoid %g %g tanh %g %g", tag, ys[n - 3], ys[n - 2], yt[n - 3], yt[n - 2]);
  // in place works; every tail length works
  for (size_t len = 0; len < 40; len++) {
    std::vector<float> a(x.begin() + 1000, x.begin() + 1000 + len), b = a, c = a;
    vec_tanh(b.data(), b.data(), len);
    vec_sigmoid(c.data(), c.data(), len);
    bool ok = true;
    for (size_t i = 0; i < len; i++)
      ok = ok && std::fabs(b[i] - std::tanh(a[i])) <= 1e-6 && std::fabs(c[i] - 1 / (1 + std::exp(-(double)a[i]))) <= 1e-6;
    CHECK(ok, "%s in-place / tail length %zu", tag, len);
  }
}

// ---------------------------------------------------------------- thread pool
static void test_pool() {
  for (int t : {1, 2, 3, 8, 64, 2}) {
    set_threads(t);
    CHECK(threads() == t, "set_threads(%d) -> %d", t, threads());
    for (int n : {0, 1, 2, 5, 100, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> calls{0};
      parallel_for(n, [&](int b, int e) {
        calls++;
        for (int i = b; i < e; i++) hits[i]++;
      });
      bool ok = calls <= std::max(1, std::min(t, n)) && (n == 0 || calls >= 1);
      for (int i = 0; i < n; i++) ok = ok && hits[i] == 1;
      CHECK(ok, "parallel_for threads=%d n=%d covers [0,n) once in <= threads chunks (calls %d)", t, n, calls.load());
    }
    // nested calls run inline; exceptions reach the caller
    std::atomic<int> inner{0};
    parallel_for(4, [&](int b, int e) {
      parallel_for(10, [&](int b2, int e2) { inner += e2 - b2; });
      (void)b, (void)e;
    });
    CHECK(inner == 10 * std::min(t, 4), "nested parallel_for threads=%d: %d", t, inner.load());
    bool caught = false;
    try {
      parallel_for(8, [&](int b, int) { if (b > 0 || threads() == 1) throw 42; });
    } catch (int) {
      caught = true;
    }
    CHECK(caught, "exception from a chunk reaches the caller (threads=%d)", t);
    // many back-to-back jobs (the RNN pattern)
    std::atomic<long> sum{0};
    for (int r = 0; r < 2000; r++) parallel_for(2, [&](int b, int e) { sum += e - b; });
    CHECK(sum == 4000, "2000 back-to-back jobs: %ld", sum.load());
  }
  set_threads(0);
  CHECK(threads() == 1, "set_threads(0) clamps to 1");
  set_threads(1000);
  CHECK(threads() == 64, "set_threads(1000) clamps to 64");
  set_threads(1);
}

int main() {
  std::printf("detected SIMD: %s\n", simd_name(simd_detected()));
  test_pool();
  for (int lvl = (int)simd_detected(); lvl >= 0; lvl--) {
    CHECK(set_simd_level((SimdLevel)lvl), "set_simd_level(%d)", lvl);
    for (int t : {1, 2}) {
      set_threads(t);
      char tag[64];
      std::snprintf(tag, sizeof tag, "[%s, %d thread%s]", simd_name((SimdLevel)lvl), t, t > 1 ? "s" : "");
      int before = g_failures;
      test_gemm(tag);
      test_activations(tag);
      std::printf("%s %s\n", tag, g_failures == before ? "ok" : "FAILED");
    }
  }
  // A PackedB packed at one level and used at another falls back to B itself.
  if (simd_detected() != SimdLevel::Scalar) {
    set_simd_level(simd_detected());
    std::vector<float> A(20 * 30), B(30 * 40), C(20 * 40), R(20 * 40);
    fill(A);
    fill(B);
    PackedB pb;
    pb.pack(false, 40, 30, B.data(), 40);
    set_simd_level(SimdLevel::Scalar);
    sgemm_packed(false, 20, A.data(), 30, pb, 0.f, C.data(), 40);
    sgemm_naive(false, false, 20, 40, 30, A.data(), 30, B.data(), 40, 0.f, R.data(), 40);
    double e = 0;
    for (size_t i = 0; i < C.size(); i++) e = std::max(e, (double)std::fabs(C[i] - R[i]));
    CHECK(e < 1e-4, "sgemm_packed after a SIMD level change: max error %g", e);
  }
  CHECK(!set_simd_level((SimdLevel)3), "set_simd_level beyond AVX512 must fail");
  set_simd_level(simd_detected());
  set_threads(1);
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
