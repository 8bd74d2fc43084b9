// gates.h: the per-row gate kernels of gates.inc compiled for AVX-512, AVX2 and
// scalar, picked by simd_level() (so setSimd('scalar') also covers the cells).
#include "cells/gates.h"

#include <cmath>

#include "simd.h"

#define SRNN_ISA SRNN_ISA_AVX512
#include "kernels/isa.h"
namespace srnn { namespace gates_avx512 {
#include "kernels/act.inc"
#include "cells/gates.inc"
} }  // namespace srnn::gates_avx512
#include "kernels/isa_end.h"

#define SRNN_ISA SRNN_ISA_AVX2
#include "kernels/isa.h"
namespace srnn { namespace gates_avx2 {
#include "kernels/act.inc"
#include "cells/gates.inc"
} }  // namespace srnn::gates_avx2
#include "kernels/isa_end.h"

#define SRNN_ISA SRNN_ISA_SCALAR
#include "kernels/isa.h"
namespace srnn { namespace gates_scalar {
// The reference formulas (as simd.cc's scalar path).
static inline float v_sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }
static inline float v_tanh(float x) { return std::tanh(x); }
#include "cells/gates.inc"
} }  // namespace srnn::gates_scalar
#include "kernels/isa_end.h"

namespace srnn {

#define SRNN_GATE_TABLE(ns) \
  { ns::lstm_fwd, ns::lstm_bwd, ns::gru_fwd_zr, ns::gru_fwd_n, ns::gru_bwd_zn, ns::gru_bwd_r, ns::gru_ra_fwd, ns::gru_ra_bwd }

const GateKernels& gate_kernels() {
  static const GateKernels k512 = SRNN_GATE_TABLE(gates_avx512);
  static const GateKernels k2 = SRNN_GATE_TABLE(gates_avx2);
  static const GateKernels k1 = SRNN_GATE_TABLE(gates_scalar);
  switch (simd_level()) {
    case SimdLevel::AVX512: return k512;
    case SimdLevel::AVX2: return k2;
    default: return k1;
  }
}

}  // namespace srnn
