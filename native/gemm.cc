// Dense single-precision products (see gemm.h for the contract).
//
// sgemm follows the GotoBLAS/BLIS scheme:
//
//   for jc in N step NC                       B panel  [KC, NC]   (L3)
//     for pc in K step KC                     K block, balanced so blocks are equal
//       for ic in M step MC                   A block  [MC, KC] packed (L2)
//         for jr in NC step NR                B sliver [KC, NR] packed (L1), packed
//                                             lazily during the first ic pass
//           for ir in MC step MR              micro-kernel: C[MR, NR] += A·B sliver
//
// Packed layouts (k-major so the micro-kernel streams both operands):
//   A micro-panel: Ap[k*MR + r]   r < MR rows of op(A), zero-padded past M
//   B sliver:      Bp[k*NR + j]   j < NR cols of op(B), zero-padded past N
// Packing absorbs both transposes and the leading dimensions, so one kernel per
// ISA serves all four transpose combinations.
//
// Micro-kernels (register tile MR x NR, accumulators stay in registers over k):
//   AVX-512  12 x 32  (24 zmm accumulators)               kernels/gemm_avx512.h
//   AVX2     6 x 16   (12 ymm accumulators)              kernels/gemm_avx2.h
//   scalar   4 x 8    (plain C++, whatever the baseline compiler makes of it)
// Edge tiles: AVX-512 uses compile-time row counts and a lane mask on the last
// column vector; AVX2/scalar compute a full tile into a buffer and copy.
// Few-row products (M <= 64, non-transposed B): the first micro-kernel on each
// B sliver also packs the next sliver (Kernel::fuses_pack), because a separate
// pass over page-strided rows of B is latency-bound and cost ~35% at M = 32.
//
// Threads: the product is split by blocks of N (each piece packs all of A and
// its own part of B) or of M (the reverse), whichever duplicates less packing,
// into 2 pieces per thread claimed dynamically, and only when it is big enough
// to pay for waking the workers.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/gemm_kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace srnn {

void sgemm_naive(bool transA, bool transB, int M, int N, int K,
                 const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double acc = 0;
      for (int k = 0; k < K; k++) {
        float a = transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
        float b = transB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
        acc += (double)a * b;
      }
      float* c = &C[(size_t)i * ldc + j];
      *c = (beta == 0.f ? 0.f : beta * *c) + (float)acc;  // beta 0: C is never read
    }
}

namespace {

using gemm_kernels::Kernel;

// Cache blocking, in floats. KC·NR·4 bytes (the B sliver) fits L1 beside the A
// stream; MC·KC·4 (the A block) fits L2; KC·NC·4 (the B panel) lives in L3.
constexpr int kKC = 256;
constexpr int kMC = 504;   // rounded down to a multiple of MR at run time
constexpr int kNC = 4096;
// Fused packing (see Kernel::fuses_pack) only where packing B is a large share of
// the work: few rows of A, so each B element feeds few micro-kernels.
constexpr int kFuseMaxM = 64;

// 64-byte aligned scratch, one per thread, grown on demand and kept.
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      cap = 0;
      const size_t c = (n + 1023) & ~size_t(1023);
      p = static_cast<float*>(std::aligned_alloc(64, c * sizeof(float)));
      if (!p) throw std::bad_alloc();
      cap = c;
    }
    return p;
  }
};

// op(A) rows [0, mc), k in [0, kc) -> micro-panels of MR rows.
void pack_a(const Kernel& kr, bool transA, const float* A, int lda, int mc, int kc, float* dst) {
  const int MR = kr.mr;
  for (int ir = 0; ir < mc; ir += MR, dst += (size_t)MR * kc) {
    int mr = std::min(MR, mc - ir);
    if (kr.pack_a && kr.pack_a(transA, A, lda, ir, mr, kc, dst)) continue;
    if (transA) {
      for (int k = 0; k < kc; k++) {
        const float* src = A + (size_t)k * lda + ir;
        float* d = dst + (size_t)k * MR;
        int r = 0;
        for (; r < mr; r++) d[r] = src[r];
        for (; r < MR; r++) d[r] = 0.f;
      }
    } else {
      for (int r = 0; r < MR; r++) {
        if (r < mr) {
          const float* src = A + (size_t)(ir + r) * lda;
          for (int k = 0; k < kc; k++) dst[(size_t)k * MR + r] = src[k];
        } else {
          for (int k = 0; k < kc; k++) dst[(size_t)k * MR + r] = 0.f;
        }
      }
    }
  }
}

// op(B) k in [0, kc), cols [j0, j0+nr) -> one sliver of NR columns.
void pack_b(const Kernel& kr, bool transB, const float* B, int ldb, int j0, int nr, int kc, float* dst) {
  const int NR = kr.nr;
  if (kr.pack_b && kr.pack_b(transB, B, ldb, j0, nr, kc, dst)) return;
  if (!transB) {
    for (int k = 0; k < kc; k++) {
      const float* src = B + (size_t)k * ldb + j0;
      float* d = dst + (size_t)k * NR;
      int j = 0;
      for (; j < nr; j++) d[j] = src[j];
      for (; j < NR; j++) d[j] = 0.f;
    }
  } else {
    for (int j = 0; j < NR; j++) {
      if (j < nr) {
        const float* src = B + (size_t)(j0 + j) * ldb;
        for (int k = 0; k < kc; k++) dst[(size_t)k * NR + j] = src[k];
      } else {
        for (int k = 0; k < kc; k++) dst[(size_t)k * NR + j] = 0.f;
      }
    }
  }
}

// C = beta·C for the K == 0 product.
void scale_c(int M, int N, float beta, float* C, int ldc) {
  for (int i = 0; i < M; i++) {
    float* c = C + (size_t)i * ldc;
    if (beta == 0.f) std::memset(c, 0, sizeof(float) * N);
    else if (beta != 1.f) for (int j = 0; j < N; j++) c[j] *= beta;
  }
}

// K block size: balanced, K = 3200 gives 13 blocks of 248 (not 12 of 256 + 128).
int kc_for(int K) {
  const int kblocks = (K + kKC - 1) / kKC;
  return ((K + kblocks - 1) / kblocks + 7) & ~7;
}

// B already packed for the whole product (PackedB): the sliver of K block pc
// and columns jr.. (jr a multiple of NR, global column index) is at
// data + pc·ld + jr·kc, where ld = N rounded up to NR.
struct Prepacked {
  const float* data;
  size_t ld;
};

// The whole blocked product on one thread. A, B, C already point at this
// thread's rows/columns; with pre != null, B is not used and the slivers come
// from pre (j0: this piece's first column, a multiple of NR).
void gemm_serial(const Kernel& kr, bool transA, bool transB, int M, int N, int K,
                 const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc, const Prepacked* pre = nullptr, int j0 = 0) {
  static thread_local Scratch sa, sb;
  const int MR = kr.mr, NR = kr.nr;
  const int kcmax = kc_for(K);
  const int mcmax = std::min(((M + MR - 1) / MR) * MR, (kMC / MR) * MR);
  const int ncmax = std::min(((N + NR - 1) / NR) * NR, kNC);
  float* Ap = sa.get((size_t)mcmax * kcmax + 16);  // slack: packers store whole vectors
  float* Bp = pre ? nullptr : sb.get((size_t)ncmax * kcmax);

  // beta not in {0, 1}: scale C once, then accumulate.
  bool scaled = beta != 0.f && beta != 1.f;
  if (scaled) scale_c(M, N, beta, C, ldc);

  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = std::min(kNC, N - jc);
    for (int pc = 0; pc < K; pc += kcmax) {
      const int kc = std::min(kcmax, K - pc);
      const bool acc = pc > 0 || beta != 0.f;
      const float* Ablk = transA ? A + (size_t)pc * lda : A + pc;
      const float* Bblk = transB ? B + pc : B + (size_t)pc * ldb;
      for (int ic = 0; ic < M; ic += mcmax) {
        const int mc = std::min(mcmax, M - ic);
        pack_a(kr, transA, transA ? Ablk + ic : Ablk + (size_t)ic * lda, lda, mc, kc, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          float* Cblk = C + (size_t)ic * ldc + jc + jr;
          if (pre) {
            const float* Bs = pre->data + (size_t)pc * pre->ld + (size_t)(j0 + jc + jr) * kc;
            for (int ir = 0; ir < mc; ir += MR)
              kr.tile(kc, Ap + (size_t)ir * kc, Bs, Cblk + (size_t)ir * ldc, ldc, std::min(MR, mc - ir), nr, acc,
                      nullptr, 0, nullptr, 0);
            continue;
          }
          float* Bs = Bp + (size_t)jr * kc;
          // First pass over this B panel: pack the sliver, or (kernels that can)
          // let the previous sliver's first micro-kernel pack it.
          const bool fused = ic == 0 && !transB && kr.fuses_pack && mc <= kFuseMaxM;
          if (ic == 0 && !(fused && jr > 0)) pack_b(kr, transB, Bblk, ldb, jc + jr, nr, kc, Bs);
          const bool pack_next = fused && jr + NR < nc;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            if (ir == 0 && pack_next)
              kr.tile(kc, Ap, Bs, Cblk, ldc, mr, nr, acc, Bblk + jc + jr + NR, ldb, Bs + (size_t)NR * kc,
                      std::min(NR, nc - jr - NR));
            else
              kr.tile(kc, Ap + (size_t)ir * kc, Bs, Cblk + (size_t)ir * ldc, ldc, mr, nr, acc, nullptr, 0, nullptr, 0);
          }
        }
      }
    }
  }
}

const Kernel& kernel_for(SimdLevel l) {
  switch (l) {
    case SimdLevel::AVX512: return gemm_kernels::avx512();
    case SimdLevel::AVX2: return gemm_kernels::avx2();
    default: return gemm_kernels::scalar();
  }
}

// Below this many flops one thread wins (waking a worker and duplicating the
// packing of one operand cost a few microseconds).
constexpr double kParallelFlops = 4e6;
// Pieces per thread when split, each at least kMinPieceFlops (~10 µs).
constexpr int kBlocksPerThread = 2;
constexpr double kMinPieceFlops = 2e6;

}  // namespace

namespace {

// sgemm with an optional prepacked B: one thread below kParallelFlops, else
// pieces of N (M <= N) or of M claimed by the pool's threads.
void gemm_threaded(const Kernel& kr, bool transA, bool transB, int M, int N, int K,
                   const float* A, int lda, const float* B, int ldb,
                   float beta, float* C, int ldc, const Prepacked* pre) {
  const int nt = threads();
  const double flops = 2.0 * M * N * K;
  if (nt == 1 || flops < kParallelFlops) {
    gemm_serial(kr, transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc, pre, 0);
    return;
  }
  // Split N when A is the smaller operand to duplicate (M <= N), else M; never
  // into pieces narrower than one register tile. The pieces (kBlocksPerThread
  // per thread) are claimed dynamically by the nt chunk runners, so a worker
  // that wakes late or is descheduled on a busy machine just does fewer pieces.
  const int nbN = (N + kr.nr - 1) / kr.nr, nbM = (M + kr.mr - 1) / kr.mr;
  const bool splitN = (M <= N && nbN >= 2) || nbM < 2;
  const int units = splitN ? nbN : nbM;
  const int pieces = std::max(1, std::min({units, nt * kBlocksPerThread, (int)(flops / kMinPieceFlops)}));
  std::atomic<int> next{0};
  parallel_for(nt, [&](int, int) {
    for (int p; (p = next.fetch_add(1, std::memory_order_relaxed)) < pieces;) {
      const int u0 = (int)((long)units * p / pieces), u1 = (int)((long)units * (p + 1) / pieces);
      if (splitN) {
        const int j0 = u0 * kr.nr, j1 = std::min(N, u1 * kr.nr);
        const float* Bj = pre ? nullptr : transB ? B + (size_t)j0 * ldb : B + j0;
        gemm_serial(kr, transA, transB, M, j1 - j0, K, A, lda, Bj, ldb, beta, C + j0, ldc, pre, j0);
      } else {
        const int i0 = u0 * kr.mr, i1 = std::min(M, u1 * kr.mr);
        const float* Ai = transA ? A + i0 : A + (size_t)i0 * lda;
        gemm_serial(kr, transA, transB, i1 - i0, N, K, Ai, lda, B, ldb, beta, C + (size_t)i0 * ldc, ldc, pre, 0);
      }
    }
  });
}

}  // namespace

void sgemm(bool transA, bool transB, int M, int N, int K,
           const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  gemm_threaded(kernel_for(simd_level()), transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc, nullptr);
}

PackedB::~PackedB() { std::free(data_); }

void PackedB::pack(bool transB, int N, int K, const float* B, int ldb) {
  const SimdLevel lvl = simd_level();
  const Kernel& kr = kernel_for(lvl);
  N = N < 0 ? 0 : N;
  K = K < 0 ? 0 : K;
  const size_t ld = ((size_t)(N + kr.nr - 1) / kr.nr) * kr.nr, need = ld * K;
  if (need > cap_) {
    std::free(data_);
    N_ = K_ = cap_ = 0;  // stays empty (products of no columns) if the allocation throws
    const size_t c = (need + 1023) & ~size_t(1023);
    data_ = static_cast<float*>(std::aligned_alloc(64, c * sizeof(float)));
    if (!data_) throw std::bad_alloc();
    cap_ = c;
  }
  transB_ = transB;
  N_ = N;
  K_ = K;
  B_ = B;
  ldb_ = ldb;
  level_ = (int)lvl;
  ld_ = ld;
  if (N_ == 0 || K_ == 0) return;
  const int kcmax = kc_for(K_);
  for (int pc = 0; pc < K_; pc += kcmax) {
    const int kc = std::min(kcmax, K_ - pc);
    const float* Bblk = transB ? B + pc : B + (size_t)pc * ldb;
    for (int j = 0; j < N_; j += kr.nr)
      pack_b(kr, transB, Bblk, ldb, j, std::min(kr.nr, N_ - j), kc, data_ + (size_t)pc * ld_ + (size_t)j * kc);
  }
}

void sgemm_packed(bool transA, int M, const float* A, int lda, const PackedB& B, float beta, float* C, int ldc) {
  const int N = B.N_, K = B.K_;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if ((int)simd_level() != B.level_) {  // packed for another kernel: use B itself
    sgemm(transA, B.transB_, M, N, K, A, lda, B.B_, B.ldb_, beta, C, ldc);
    return;
  }
  const Prepacked pre{B.data_, B.ld_};
  gemm_threaded(kernel_for(simd_level()), transA, B.transB_, M, N, K, A, lda, nullptr, 0, beta, C, ldc, &pre);
}

}  // namespace srnn
