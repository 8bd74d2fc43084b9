// Row gathers and scatter-adds: the embedding forward/backward pair, also used for
// the fused layer-0 input path (rows of the (V, GH) projection emb · Wih + b).
// Shape legend: R rows (time-major), V table rows, W row width.
#pragma once
#include <cstdint>

namespace srnn {

// out[r] = table[ids[r]]
void embedding_forward(float* out /*(R, W)*/, const float* table /*(V, W)*/,
                       const int32_t* ids /*(R)*/, int R, int W);
// dtable[ids[r]] += dout[r]
void embedding_backward(float* dtable /*(V, W)*/, const float* dout /*(R, W)*/,
                        const int32_t* ids /*(R)*/, int R, int W);

}  // namespace srnn
