// PLACEHOLDER: runs inline until the pool lands.
#include "threadpool.h"
namespace srnn {
static int g_threads = 1;
void set_threads(int n) { g_threads = n < 1 ? 1 : n; }
int threads() { return g_threads; }
void parallel_for(int n, const std::function<void(int, int)>& fn) { if (n > 0) fn(0, n); }
}  // namespace srnn
