// Standalone tests of the sparse kernels (sparse.h: spmm_rows, spmm_scatter, sddmm,
// transpose) against their naive references, at every SIMD level the CPU has. The
// shapes cover each kernel's register-blocked widths (VW, 2·VW, 4·VW for AVX2 and
// AVX-512), their remainders, empty rows, and entry counts around the unroll factors
// (1, 2, 4, 8); buffers are compared whole, so a write outside the output fails too.
//
//   g++ -O2 -std=c++17 -pthread -Inative native/sparse.cc native/simd.cc native/threadpool.cc
//       native/tests/test_sparse.cc -o /tmp/test_sparse && /tmp/test_sparse
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../simd.h"
#include "../sparse.h"
#include "../threadpool.h"
#include "check.h"

using namespace srnn;

// A random (rows, cols) pattern in CSR: row r holds counts[r % counts.size()] entries
// (capped at cols) at distinct random columns, in increasing order.
struct Csr {
  int rows = 0, cols = 0;
  std::vector<int32_t> ptr, idx;
  std::vector<float> val;
};

static Csr random_csr(int rows, int cols, const std::vector<int>& counts) {
  Csr m;
  m.rows = rows;
  m.cols = cols;
  m.ptr.push_back(0);
  std::vector<int> perm(cols);
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) perm[c] = c;
    std::shuffle(perm.begin(), perm.end(), rng);
    const int n = std::min(cols, counts[r % counts.size()]);
    std::sort(perm.begin(), perm.begin() + n);
    for (int i = 0; i < n; i++) m.idx.push_back(perm[i]);
    m.ptr.push_back((int32_t)m.idx.size());
  }
  m.val.resize(m.idx.size());
  fill(m.val);
  return m;
}


static const std::vector<int> kCounts = {0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 16, 17};
static const int kWidths[] = {1, 3, 8, 13, 16, 24, 32, 40, 64, 67, 128};

static void test_spmm(const char* tag) {
  for (int n : kWidths) {
    const int K = 37, N = 29, pad = 5, ld = n + pad;
    const Csr m = random_csr(N, K, kCounts);  // N rows gathering rows of X (K, n)
    std::vector<float> X((size_t)K * ld), Y((size_t)N * ld);
    fill(X);
    fill(Y);
    std::vector<float> R = Y;
    const int r0 = 2, r1 = N - 1;  // a sub-range: rows outside it stay as they are
    spmm_rows(m.ptr.data(), m.idx.data(), m.val.data(), r0, r1, X.data(), ld, Y.data(), ld, n);
    spmm_rows_naive(m.ptr.data(), m.idx.data(), m.val.data(), r0, r1, X.data(), ld, R.data(), ld, n);
    double e = rel_err(Y, R);
    CHECK(e <= 1e-5, "%s spmm_rows n=%d: rel err %.3g", tag, n, e);
    // scatter: columns j of X (N, n) add into rows idx of Y (K, n)
    std::vector<float> Xs((size_t)N * ld), Ys((size_t)K * ld);
    fill(Xs);
    fill(Ys);
    std::vector<float> Rs = Ys;
    spmm_scatter(m.ptr.data(), m.idx.data(), m.val.data(), r0, r1, Xs.data(), ld, Ys.data(), ld, n);
    spmm_scatter_naive(m.ptr.data(), m.idx.data(), m.val.data(), r0, r1, Xs.data(), ld, Rs.data(), ld, n);
    e = rel_err(Ys, Rs);
    CHECK(e <= 1e-5, "%s spmm_scatter n=%d: rel err %.3g", tag, n, e);
  }
}

static void test_sddmm(const char* tag) {
  for (int n : kWidths)
    for (int ns : {1, 2, 3}) {
      const int K = 23, N = 31, pad = 3;
      const Csr m = random_csr(N, K, kCounts);  // column j of dW: entries at rows idx
      SddmmArgs a;
      a.pbeg = m.ptr.data();
      a.pend = m.ptr.data() + 1;
      a.idx = m.idx.data();
      a.j0 = 1;
      a.j1 = N - 2;
      a.pb = m.ptr[a.j0];
      a.lda = n + pad;
      a.as = (size_t)N * a.lda + 7;
      a.ldx = n + pad + 1;
      a.xs = (size_t)K * a.ldx + 2;
      a.ns = ns;
      a.n = n;
      std::vector<float> A(ns * a.as), X(ns * a.xs), acc(m.ptr[a.j1] - a.pb + 4);
      fill(A);
      fill(X);
      fill(acc);  // the kernel adds to acc; the 4 past the range must stay
      std::vector<float> ref = acc;
      a.A = A.data();
      a.X = X.data();
      a.acc = acc.data();
      sddmm(a);
      a.acc = ref.data();
      sddmm_naive(a);
      const double e = rel_err(acc, ref);
      CHECK(e <= 2e-5, "%s sddmm n=%d ns=%d: rel err %.3g", tag, n, ns, e);
    }
}

static void test_transpose(const char* tag) {
  for (int rows : {1, 7, 8, 9, 16, 33})
    for (int cols : {1, 5, 8, 17, 24})
      for (bool acc : {false, true}) {
        const size_t ldi = cols + 3, ldo = rows + 5;
        std::vector<float> in(rows * ldi), out(cols * ldo);
        fill(in);
        fill(out);
        std::vector<float> ref = out;
        transpose(in.data(), ldi, rows, cols, out.data(), ldo, acc);
        transpose_naive(in.data(), ldi, rows, cols, ref.data(), ldo, acc);
        CHECK(out == ref, "%s transpose rows=%d cols=%d acc=%d differs from the naive one", tag, rows, cols, acc);
      }
  // add_transposed is transpose with acc = (beta != 0)
  std::vector<float> yT(9 * 12), C(12 * 10), R;
  fill(yT);
  fill(C);
  R = C;
  add_transposed(yT.data(), 12, 12, 9, 1.f, C.data(), 10);
  transpose_naive(yT.data(), 12, 9, 12, R.data(), 10, true);
  CHECK(C == R, "%s add_transposed beta=1", tag);
}

int main() {
  std::printf("detected SIMD: %s\n", simd_name(simd_detected()));
  for (int lvl = (int)simd_detected(); lvl >= 0; lvl--) {
    CHECK(set_simd_level((SimdLevel)lvl), "set_simd_level(%d)", lvl);
    char tag[32];
    std::snprintf(tag, sizeof tag, "[%s]", simd_name((SimdLevel)lvl));
    const int before = g_failures;
    test_spmm(tag);
    test_sddmm(tag);
    test_transpose(tag);
    std::printf("%s %s\n", tag, g_failures == before ? "ok" : "FAILED");
  }
  set_simd_level(simd_detected());
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
