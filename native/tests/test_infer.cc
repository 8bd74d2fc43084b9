// Standalone tests of the inference addon's kernels (native/infer/kernels.h) against
// their naive references at every SIMD level the CPU has: the CSR gather (SpMV) for
// every index / value type, a Csr's products (window ELL on AVX-512, the gather
// elsewhere; one input and a batch), the dense x·W panels, and the activations.
//
//   g++ -O2 -std=c++17 -pthread -Inative -Inative/infer native/infer/kernels.cc native/infer/model.cc
//       native/simd.cc native/tests/test_infer.cc -o /tmp/test_infer && /tmp/test_infer
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../infer/kernels.h"
#include "../infer/model.h"
#include "../simd.h"
#include "check.h"

using namespace sinfer;

// A random CSR pattern: row r holds a count from `counts` (cycled) of distinct columns.
static Csr random_pattern(int rows, int cols, const std::vector<int>& counts) {
  Csr m;
  m.rows = rows;
  m.cols = cols;
  m.rowPtr.push_back(0);
  std::uniform_int_distribution<int> col(0, cols - 1);
  std::vector<uint32_t> idx;
  for (int r = 0; r < rows; r++) {
    std::vector<int> picked;
    const int n = std::min(cols, counts[r % counts.size()]);
    while ((int)picked.size() < n) {
      const int c = col(rng);
      if (std::find(picked.begin(), picked.end(), c) == picked.end()) picked.push_back(c);
    }
    std::sort(picked.begin(), picked.end());
    for (int c : picked) idx.push_back((uint32_t)c);
    m.rowPtr.push_back((uint32_t)idx.size());
  }
  if (cols <= 65536) m.idx16.assign(idx.begin(), idx.end());
  else m.idx32 = idx;
  return m;
}

// Values of one of the three kinds: fp32, half bits (|v| in [2^-5, 4)), int8 codes.
static void set_values(Csr& m, int kind) {
  const size_t nnz = m.rowPtr.back();
  std::uniform_int_distribution<int> bits(0, 1023), ex(10, 16), sign(0, 1), code(-127, 127);
  if (kind == 0) {
    m.val.resize(nnz);
    fill(m.val);
  } else if (kind == 1) {
    for (size_t k = 0; k < nnz; k++) m.valh.push_back((uint16_t)(sign(rng) << 15 | ex(rng) << 10 | bits(rng)));
  } else {
    for (size_t k = 0; k < nnz; k++) m.valq.push_back((int8_t)code(rng));
    m.colScale.resize(m.cols);
    fill(m.colScale, 0.001f, 0.01f);
  }
}

template <typename V>
static void naive_rows(const Csr& m, const V* val, float* y, const float* z, const float* bias) {
  if (m.idx32.empty()) gather_naive(y, m.rowPtr.data(), m.idx16.data(), val, z, bias, 0, m.rows);
  else gather_naive(y, m.rowPtr.data(), m.idx32.data(), val, z, bias, 0, m.rows);
}


static const std::vector<int> kCounts = {0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 40, 70};

// Csr::run / run_batch (ELL where built and AVX-512 is active, the gather otherwise)
// against gather_naive, for every value kind, 16- and 32-bit indices.
static void test_csr(const char* tag) {
  for (int cols : {200, 70000})
    for (int kind = 0; kind < 3; kind++) {
      Csr m = random_pattern(48, cols, kCounts);
      set_values(m, kind);
      m.build_ell();
      CHECK(m.check().empty(), "%s test pattern: %s", tag, m.check().c_str());
      const int B = 3;
      std::vector<std::vector<float>> z(B, std::vector<float>(cols + 32)), y(B, std::vector<float>(m.rows));
      std::vector<float> bias(m.rows);
      fill(bias);
      for (auto& v : z) fill(v);
      for (int b = 0; b < B; b++) {
        std::vector<float> ref(m.rows);
        const float* zb = z[b].data();
        if (kind == 0) naive_rows(m, m.val.data(), ref.data(), zb, bias.data());
        else if (kind == 1) naive_rows(m, m.valh.data(), ref.data(), zb, bias.data());
        else naive_rows(m, m.valq.data(), ref.data(), zb, bias.data());
        m.run(y[b].data(), zb, bias.data(), 0, m.rows);
        double e = rel_err(y[b], ref);
        CHECK(e <= 1e-5, "%s Csr::run cols=%d kind=%d: rel err %.3g", tag, cols, kind, e);
        std::vector<float*> ys;
        std::vector<const float*> zs;
        for (int i = 0; i < B; i++) ys.push_back(y[i].data()), zs.push_back(z[i].data());
        std::fill(y[b].begin(), y[b].end(), NAN);
        m.run_batch(ys.data(), zs.data(), B, bias.data(), 0, m.rows);
        e = rel_err(y[b], ref);
        CHECK(e <= 1e-5, "%s Csr::run_batch cols=%d kind=%d lane %d: rel err %.3g", tag, cols, kind, b, e);
      }
    }
}

static void test_dense(const char* tag) {
  for (int N : {1, 7, 63, 64, 128, 200})
    for (int K : {1, 37}) {
      const int ldw = N + 3;
      std::vector<float> x(K), W((size_t)K * ldw), y(N), ref;
      fill(x);
      fill(W);
      fill(y);
      ref = y;
      dense_xw(y.data(), x.data(), W.data(), K, N, ldw);
      dense_xw_naive(ref.data(), x.data(), W.data(), K, N, ldw);
      const double e = rel_err(y, ref);
      CHECK(e <= 1e-5, "%s dense_xw K=%d N=%d: rel err %.3g", tag, K, N, e);
    }
}

static void test_gates(const char* tag) {
  std::vector<float> x(1000), y(1000), ref(1000);
  fill(x, -12.f, 12.f);
  x[0] = 0.f, x[1] = 100.f, x[2] = -100.f, x[3] = 1e-4f;
  double es = 0, et = 0;
  vsigmoid(y.data(), x.data(), x.size(), false);
  vsigmoid(ref.data(), x.data(), x.size(), true);
  for (size_t i = 0; i < x.size(); i++) es = std::max(es, (double)std::fabs(y[i] - ref[i]));
  vtanh(y.data(), x.data(), x.size(), false);
  vtanh(ref.data(), x.data(), x.size(), true);
  for (size_t i = 0; i < x.size(); i++) et = std::max(et, (double)std::fabs(y[i] - ref[i]));
  CHECK(es <= 1e-6 && et <= 2e-6, "%s vsigmoid / vtanh: max abs err %.3g / %.3g", tag, es, et);
}

int main() {
  std::printf("detected SIMD: %s\n", srnn::simd_name(srnn::simd_detected()));
  for (int lvl = (int)srnn::simd_detected(); lvl >= 0; lvl--) {
    CHECK(srnn::set_simd_level((SimdLevel)lvl), "set_simd_level(%d)", lvl);
    char tag[32];
    std::snprintf(tag, sizeof tag, "[%s]", srnn::simd_name((SimdLevel)lvl));
    const int before = g_failures;
    test_csr(tag);
    test_dense(tag);
    test_gates(tag);
    std::printf("%s %s\n", tag, g_failures == before ? "ok" : "FAILED");
  }
  srnn::set_simd_level(srnn::simd_detected());
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
