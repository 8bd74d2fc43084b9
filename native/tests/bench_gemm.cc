// GFLOP/s of sgemm on the RNN engine's hot products: fast path at 1 and 2
// threads, and the naive reference (timed on the first rows only; its rate does
// not depend on M). Timings: best of `trials` runs of >= `min_ms` each, because
// the machine is shared. At one thread the rate is also given in thread CPU time
// ("cpu"), which a busy machine disturbs far less than wall time (it still pays
// for the caches other processes evict).
//
//   g++ -O3 -std=c++17 -pthread native/gemm.cc native/simd.cc native/threadpool.cc
//       native/tests/bench_gemm.cc -o /tmp/bench_gemm
//   /tmp/bench_gemm [--simd avx512|avx2|scalar] [--threads 1,2] [--no-naive] [--trials 5] [--ms 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../gemm.h"
#include "../simd.h"
#include "../threadpool.h"
#include <time.h>

using namespace srnn;

struct Case {
  const char* what;
  bool tA, tB;
  int M, N, K;
  float beta;
  bool packed = false;  // sgemm_packed with B packed once outside the timing
};

// The products one training step of the study's models issues, as native/net.cc
// and native/cells/*.cc call them (B 32, T 100, H 256, G·H 1024 for the LSTM;
// word model V 10000, B 20, T 35). The per-step backward uses a transposed copy
// of W_hh, so it is a plain product; "(transB)" is the same product on W_hh itself.
static const Case kCases[] = {
    {"recurrent step fwd  h·Whh", false, false, 32, 1024, 256, 1.f},
    {"recurrent step bwd  dz·WhhT", false, false, 32, 256, 1024, 1.f},
    {"  same on Whh       (transB)", false, true, 32, 256, 1024, 1.f},
    {"  fwd, PackedB      (packed)", false, false, 32, 1024, 256, 1.f, true},
    {"  bwd, PackedB      (packed)", false, false, 32, 256, 1024, 1.f, true},
    {"input, all steps    X·Wih", false, false, 3200, 1024, 256, 1.f},
    {"weight grad         X^T·dZ", true, false, 256, 1024, 3200, 0.f},
    {"head char           H·Wo", false, false, 3200, 100, 256, 1.f},
    {"head word           H·Wo", false, false, 3200, 10000, 256, 1.f},
    {"head word (B20 T35) H·Wo", false, false, 700, 10000, 256, 1.f},
    {"head word bwd       dL·Wo^T", false, true, 700, 256, 10000, 0.f},
    {"head word wgrad     H^T·dL", true, false, 256, 10000, 700, 0.f},
};

static double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static double cpu_s() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

struct Timing {
  double wall, cpu;  // best seconds per call
};

// Best seconds per call over `trials` trials of at least min_s (wall) each.
template <class F>
static Timing best_time(F&& f, int trials, double min_s) {
  f();  // warm caches, pack buffers, wake threads
  Timing best{1e30, 1e30};
  for (int t = 0; t < trials; t++) {
    int reps = 0;
    double t0 = now_s(), c0 = cpu_s(), el;
    do {
      f();
      reps++;
      el = now_s() - t0;
    } while (el < min_s);
    best.wall = std::min(best.wall, el / reps);
    best.cpu = std::min(best.cpu, (cpu_s() - c0) / reps);
  }
  return best;
}

int main(int argc, char** argv) {
  std::vector<int> thread_counts = {1, 2};
  bool naive = true;
  int trials = 5;
  double min_s = 0.2;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--simd" && i + 1 < argc) {
      std::string l = argv[++i];
      SimdLevel lv = l == "avx512" ? SimdLevel::AVX512 : l == "avx2" ? SimdLevel::AVX2 : SimdLevel::Scalar;
      if (!set_simd_level(lv)) {
        std::fprintf(stderr, "bench_gemm: --simd %s is not supported by this CPU\n", l.c_str());
        return 2;
      }
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      for (char* s = argv[++i]; *s;) {
        thread_counts.push_back(std::strtol(s, &s, 10));
        if (*s == ',') s++;
      }
    } else if (a == "--no-naive") {
      naive = false;
    } else if (a == "--trials" && i + 1 < argc) {
      trials = std::atoi(argv[++i]);
    } else if (a == "--ms" && i + 1 < argc) {
      min_s = std::atof(argv[++i]) / 1000;
    } else {
      std::fprintf(stderr, "usage: bench_gemm [--simd avx512|avx2|scalar] [--threads 1,2] [--no-naive] [--trials N] [--ms N]\n");
      return 2;
    }
  }
  std::printf("simd %s, best of %d trials x >= %.0f ms; GFLOP/s\n", simd_name(simd_level()), trials, min_s * 1000);
  std::printf("%-30s %2s %2s %5s %6s %5s %4s", "product", "tA", "tB", "M", "N", "K", "beta");
  for (int t : thread_counts) std::printf(t == 1 ? "  fast/1t  cpu/1t" : "  fast/%dt", t);
  if (naive) std::printf("   naive");
  std::printf("\n");

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (const Case& c : kCases) {
    const int lda = c.tA ? c.M : c.K, ldb = c.tB ? c.K : c.N, ldc = c.N;
    std::vector<float> A((size_t)c.M * c.K), B((size_t)c.K * c.N), C((size_t)c.M * c.N);
    for (auto& x : A) x = d(rng);
    for (auto& x : B) x = d(rng);
    for (auto& x : C) x = d(rng) * 1e-3f;
    const double flops = 2.0 * c.M * c.N * c.K;
    std::printf("%-30s %2d %2d %5d %6d %5d %4g", c.what, c.tA, c.tB, c.M, c.N, c.K, c.beta);
    std::fflush(stdout);
    PackedB pb;
    if (c.packed) pb.pack(c.tB, c.N, c.K, B.data(), ldb);
    for (int t : thread_counts) {
      set_threads(t);
      Timing s = best_time(
          [&] {
            if (c.packed) sgemm_packed(c.tA, c.M, A.data(), lda, pb, c.beta, C.data(), ldc);
            else sgemm(c.tA, c.tB, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc);
          },
          trials, min_s);
      std::printf("  %7.1f", flops / s.wall / 1e9);
      if (t == 1) std::printf("  %6.1f", flops / s.cpu / 1e9);
      std::fflush(stdout);
    }
    if (naive) {
      // First m rows of C only (op(A) rows are columns of A when transposed).
      const int m = std::min(c.M, 8);
      set_threads(1);
      Timing s = best_time([&] { sgemm_naive(c.tA, c.tB, m, c.N, c.K, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc); },
                           2, min_s);
      std::printf("  %6.2f", 2.0 * m * c.N * c.K / s.wall / 1e9);
    }
    std::printf("\n");
  }
  set_threads(1);
  return 0;
}
