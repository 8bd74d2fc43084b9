// The SIMD levels as function-level target attributes, named once for both addons
// (the training core and the inference addon, native/infer). The binaries are built
// for baseline x86-64 (no -march); a function marked with one of these runs only
// after simd.cc's detection found the CPU supports every feature listed here, so the
// detection (simd.cc detect()) and these lists must name the same features.
#pragma once

#define SRNN_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define SRNN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
