// Embedding: a gather forward, a scatter-add backward (see embedding.h).
// The scatter is serial on purpose: rows with equal ids collide, and a fixed order
// keeps the sums (and so training runs) bit-for-bit reproducible.
#include "embedding.h"

#include <cstring>

namespace srnn {

void embedding_forward(float* out, const float* table, const int32_t* ids, int R, int W) {
  for (int r = 0; r < R; r++)
    std::memcpy(out + (size_t)r * W, table + (size_t)ids[r] * W, (size_t)W * sizeof(float));
}

void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int R, int W) {
  for (int r = 0; r < R; r++) {
    float* d = dtable + (size_t)ids[r] * W;
    const float* s = dout + (size_t)r * W;
    for (int j = 0; j < W; j++) d[j] += s[j];
  }
}

}  // namespace srnn
