// A persistent pool of threads()-1 workers plus the calling thread.
//
// parallel_for splits [0, n) into c = min(threads(), n) fixed contiguous chunks,
// publishes the job, and then every thread, the caller included, claims chunks
// from one atomic word until none are left; the caller returns once all c are
// done. Claiming (rather than "worker w runs chunk w") matters on a shared
// machine: a worker that is asleep or not scheduled simply claims nothing, and
// the caller runs its chunk instead of waiting for it, so a busy machine costs
// at most the single-thread time.
//
// The job word packs {generation, chunks, next chunk to claim}; a successful
// compare-and-swap on it both claims a chunk and proves the job is still the
// current one, so the job's fields (fn, n) are stable until that chunk is done
// (the caller waits for it).
//
// Idle workers spin (with pause) for kSpin after their last chunk before sleeping
// on a condition variable: back-to-back calls (the RNN issues ~100 products per
// batch) find them awake, while a quiet process costs no CPU.
//
// Inline (no synchronisation at all): threads() == 1, n <= 1, a call from inside a
// chunk (nested), or a second caller while a job is in flight. The first
// exception thrown by a chunk is rethrown in the caller after all chunks finish.
#include "threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace srnn {
namespace {

constexpr auto kSpin = std::chrono::microseconds(200);  // idle spin before sleeping

// Job word: generation (bits 16..63) | chunks (bits 8..15) | next (bits 0..7).
// chunks <= 64 and next <= chunks both fit in 8 bits.
constexpr uint64_t word(uint64_t gen, int chunks, int next) { return gen << 16 | (uint64_t)chunks << 8 | (uint64_t)next; }
constexpr int word_chunks(uint64_t w) { return (int)(w >> 8 & 0xff); }
constexpr int word_next(uint64_t w) { return (int)(w & 0xff); }
constexpr bool claimable(uint64_t w) { return word_next(w) < word_chunks(w); }

thread_local bool tl_inside = false;  // running a chunk (or a worker thread)

struct Pool {
  std::vector<std::thread> workers;
  int nthreads = 1;

  // The current job; fn and n are written before the job word is published.
  const std::function<void(int, int)>* fn = nullptr;
  int n = 0;
  std::atomic<uint64_t> job{0};
  std::atomic<int> done{0};  // chunks finished
  std::exception_ptr error;
  std::mutex error_mu;

  std::atomic<bool> busy{false};  // a caller owns the pool
  std::atomic<bool> stop{false};
  std::atomic<int> sleepers{0};
  std::mutex mu;
  std::condition_variable cv;

  ~Pool() { resize(1); }

  // Claims and runs chunks of the current job until none are left.
  void drain() {
    uint64_t w = job.load(std::memory_order_acquire);
    while (claimable(w)) {
      if (!job.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const int c = word_next(w), chunks = word_chunks(w);
      const long b = (long)n * c / chunks, e = (long)n * (c + 1) / chunks;
      try {
        if (e > b) (*fn)((int)b, (int)e);
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mu);
        if (!error) error = std::current_exception();
      }
      done.fetch_add(1, std::memory_order_acq_rel);
      w = job.load(std::memory_order_acquire);
    }
  }

  void worker() {
    tl_inside = true;
    for (;;) {
      // Spin, then sleep, until there is a chunk to claim (or stop).
      auto t0 = std::chrono::steady_clock::now();
      for (int spins = 1; !claimable(job.load(std::memory_order_acquire)) && !stop.load(std::memory_order_relaxed); spins++) {
        cpu_relax();
        if (spins % 256 == 0 && std::chrono::steady_clock::now() - t0 > kSpin) {
          std::unique_lock<std::mutex> lk(mu);
          sleepers.fetch_add(1, std::memory_order_seq_cst);
          cv.wait(lk, [&] { return claimable(job.load(std::memory_order_acquire)) || stop.load(); });
          sleepers.fetch_sub(1, std::memory_order_relaxed);
          t0 = std::chrono::steady_clock::now();
        }
      }
      if (stop.load()) return;
      drain();
    }
  }

  void resize(int t) {
    if (t == nthreads && (int)workers.size() == t - 1) return;
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
    stop = false;
    nthreads = t;
    for (int i = 1; i < t; i++) workers.emplace_back([this] { worker(); });
  }

  void run(int n_, const std::function<void(int, int)>& f) {
    const int chunks = nthreads < n_ ? nthreads : n_;
    fn = &f;
    n = n_;
    error = nullptr;
    done.store(0, std::memory_order_relaxed);
    const uint64_t gen = (job.load(std::memory_order_relaxed) >> 16) + 1;
    {
      // Publish under the mutex so a worker between its predicate check and
      // wait() cannot miss the notification.
      std::lock_guard<std::mutex> lk(mu);
      job.store(word(gen, chunks, 0), std::memory_order_release);
    }
    if (sleepers.load(std::memory_order_seq_cst) > 0) cv.notify_all();
    tl_inside = true;
    drain();
    tl_inside = false;
    for (int spins = 0; done.load(std::memory_order_acquire) < chunks; spins++) {
      if (spins < (1 << 14)) cpu_relax();
      else std::this_thread::yield();  // a worker holding a chunk was descheduled
    }
    fn = nullptr;
    if (error) {
      std::exception_ptr e = error;
      error = nullptr;
      std::rethrow_exception(e);
    }
  }
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void set_threads(int n) {
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  Pool& p = pool();
  // Wait for an in-flight job (another caller) before tearing workers down.
  bool expected = false;
  while (!p.busy.compare_exchange_weak(expected, true)) {
    expected = false;
    std::this_thread::yield();
  }
  p.resize(n);
  p.busy = false;
}

int threads() { return pool().nthreads; }

void parallel_for(int n, const std::function<void(int, int)>& fn) {
  if (n <= 0) return;
  Pool& p = pool();
  bool expected = false;
  if (p.nthreads == 1 || n == 1 || tl_inside || !p.busy.compare_exchange_strong(expected, true)) {
    fn(0, n);
    return;
  }
  struct Release {
    Pool& p;
    ~Release() { p.busy.store(false, std::memory_order_release); }
  } release{p};
  p.run(n, fn);
}

}  // namespace srnn
