// Softmax cross-entropy over rows of logits, a forward/backward pair.
// Shape legend: R rows, O classes. y[r] in [0, O), or -1 = ignored row.
#pragma once
#include <cstdint>

namespace srnn {

// loss[r] = logsumexp(z_r) - z_r[y_r] (0 when ignored), hit[r] = argmax(z_r) == y_r
// (ties: the lowest index).
// probs (R, O), optional, may alias logits: pscale · softmax(z_r) on counted rows and
// 0 on ignored rows, which is what xent_backward turns into the gradient.
void xent_forward(double* loss /*(R)*/, uint8_t* hit /*(R)*/, float* probs /*(R, O) or null*/, float pscale,
                  const float* logits /*(R, O)*/, const int32_t* y /*(R)*/, int R, int O);

// dlogits = scale · (softmax - onehot(y)) per counted row, 0 on ignored rows.
// dlogits (R, O) in: the probs of xent_forward written with pscale = scale; out: the
// gradient (only the target entries change).
void xent_backward(float* dlogits /*(R, O)*/, const int32_t* y /*(R)*/, int R, int O, float scale);

}  // namespace srnn
