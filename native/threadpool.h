// A small persistent thread pool: `--threads` workers (default 1) sharing work
// with the calling thread. parallel_for splits [0, n) into at most threads()
// contiguous chunks; with one thread it runs inline with no synchronisation.
#pragma once
#include <functional>

namespace srnn {

void set_threads(int n);   // 1..64
int threads();
void parallel_for(int n, const std::function<void(int begin, int end)>& fn);

}  // namespace srnn
