// A persistent pool of threads()-1 workers plus the calling thread.
//
// One job at a time: the caller publishes {fn, n, chunks} and bumps a generation
// counter; worker w runs chunk w (if w < chunks), the caller runs chunk 0, then
// waits until every worker has acknowledged the job. Idle workers spin (with pause) for kSpin after their last job before
// sleeping on a condition variable, so back-to-back calls (the RNN issues ~100
// products per batch) wake them in well under a microsecond while a quiet
// process costs no CPU.
//
// Rules that keep it simple and safe:
//   - threads() == 1, n <= 1, a call from inside a worker, or a second caller while
//     a job is in flight: fn(0, n) runs inline (no synchronisation at all).
//   - the first exception thrown by any chunk is rethrown in the caller after all
//     chunks have finished.
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

struct Pool {
  std::vector<std::thread> workers;
  int nthreads = 1;

  // The published job (valid while pending > 0).
  const std::function<void(int, int)>* fn = nullptr;
  int n = 0, chunks = 0;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::exception_ptr error;
  std::mutex error_mu;

  std::atomic<bool> busy{false};   // a caller owns the pool
  std::atomic<bool> stop{false};
  std::atomic<int> sleepers{0};
  std::mutex mu;
  std::condition_variable cv;

  ~Pool() { resize(1); }

  void run_chunk(int c) {
    // Chunk c of `chunks` equal contiguous parts of [0, n).
    long b = (long)n * c / chunks, e = (long)n * (c + 1) / chunks;
    try {
      if (e > b) (*fn)((int)b, (int)e);
    } catch (...) {
      std::lock_guard<std::mutex> lk(error_mu);
      if (!error) error = std::current_exception();
    }
  }

  // `seen` is the generation at creation, passed in: read inside the new thread
  // it could already include a job published right after resize() returned.
  void worker(int id, uint64_t seen) {
    tl_in_worker = true;
    for (;;) {
      // Spin, then sleep, until a new generation (or stop) appears.
      auto t0 = std::chrono::steady_clock::now();
      int spins = 0;
      uint64_t g;
      while ((g = generation.load(std::memory_order_acquire)) == seen && !stop.load(std::memory_order_relaxed)) {
        cpu_relax();
        if (++spins % 256 == 0 && std::chrono::steady_clock::now() - t0 > kSpin) {
          std::unique_lock<std::mutex> lk(mu);
          sleepers.fetch_add(1, std::memory_order_seq_cst);
          cv.wait(lk, [&] { return generation.load(std::memory_order_acquire) != seen || stop.load(); });
          sleepers.fetch_sub(1, std::memory_order_relaxed);
        }
      }
      if (stop.load()) return;
      seen = g;
      // Every worker acknowledges every job (even with no chunk in it), so the
      // caller never rewrites the job while a worker may still be reading it.
      if (id < chunks) run_chunk(id);
      pending.fetch_sub(1, std::memory_order_acq_rel);
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
    uint64_t g = generation.load();
    for (int i = 1; i < t; i++) workers.emplace_back([this, i, g] { worker(i, g); });
  }

  void parallel_for(int n_, const std::function<void(int, int)>& f) {
    int c = nthreads < n_ ? nthreads : n_;
    fn = &f;
    n = n_;
    chunks = c;
    error = nullptr;
    pending.store(nthreads - 1, std::memory_order_relaxed);
    {
      // Bump under the mutex so a worker between its predicate check and wait()
      // cannot miss the notification.
      std::lock_guard<std::mutex> lk(mu);
      generation.fetch_add(1, std::memory_order_release);
    }
    if (sleepers.load(std::memory_order_seq_cst) > 0) cv.notify_all();
    run_chunk(0);
    int spins = 0;
    while (pending.load(std::memory_order_acquire) > 0) {
      if (++spins < (1 << 14)) cpu_relax();
      else std::this_thread::yield();
    }
    fn = nullptr;
    if (error) {
      std::exception_ptr e = error;
      error = nullptr;
      std::rethrow_exception(e);
    }
  }

  static thread_local bool tl_in_worker;
};

thread_local bool Pool::tl_in_worker = false;

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
  if (p.nthreads == 1 || n == 1 || Pool::tl_in_worker) {
    fn(0, n);
    return;
  }
  bool expected = false;
  if (!p.busy.compare_exchange_strong(expected, true)) {  // someone else's job in flight
    fn(0, n);
    return;
  }
  struct Release {
    Pool& p;
    ~Release() { p.busy.store(false, std::memory_order_release); }
  } release{p};
  p.parallel_for(n, fn);
}

}  // namespace srnn
