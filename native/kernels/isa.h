// The thin SIMD layer (ggml habit): one ISA's types and operations behind the same
// few macros, so each elementwise kernel is written once (kernels/*.inc) and
// compiled once per ISA. Not include-guarded on purpose: a .cc includes it once
// per ISA, each time after defining SRNN_ISA, and includes isa_end.h after.
//
//   #define SRNN_ISA SRNN_ISA_AVX512   // or SRNN_ISA_AVX2, SRNN_ISA_SCALAR
//   #include "kernels/isa.h"
//   namespace avx512 { #include "kernels/optim.inc" }   // or act.inc
//   #include "kernels/isa_end.h"
//
// Every function compiled under an ISA carries SRNN_TARGET, a function-level
// __attribute__((target(...))): the binary is built for baseline x86-64 (no
// -march) and a path runs only after simd.cc found the CPU supports it.
//
//   VF        vector of VW floats            VD       vector of VDW doubles
//   VKEEP     per-lane "mask byte != 0"      (kmask / vector mask / bool)
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/targets.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
// GCC 12's AVX-512 intrinsics start from `_mm512_undefined_ps()` (`__Y = __Y`),
// which -Wall reports as (maybe-)uninitialized at inlined uses: silence both.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#ifndef SRNN_ISA_SCALAR
#define SRNN_ISA_SCALAR 0
#define SRNN_ISA_AVX2 1
#define SRNN_ISA_AVX512 2
#endif

#if SRNN_ISA == SRNN_ISA_AVX512
#define SRNN_TARGET SRNN_TARGET_AVX512
#define VW 16
#define VF __m512
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(x) _mm512_set1_ps(x)
#define VZERO() _mm512_setzero_ps()
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUB(a, b) _mm512_sub_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
#define VDIV(a, b) _mm512_div_ps(a, b)
#define VSQRT(a) _mm512_sqrt_ps(a)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)    /* a*b + c */
#define VFNMA(a, b, c) _mm512_fnmadd_ps(a, b, c)  /* c - a*b */
// min/max return the second operand when either is NaN: VMIN(c, x) keeps a NaN x.
#define VMIN(a, b) _mm512_min_ps(a, b)
#define VMAX(a, b) _mm512_max_ps(a, b)
#define VROUND(a) _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2I(n) /* 2^n for integer-valued float n in [-126, 127] */ \
  _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#define VABS(a) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)))
#define VSIGNBIT(a) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u)))
#define VOR(a, b) _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define VSEL_LT(a, b, x, y) /* a < b ? x : y */ _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x)
#define VNAN_PASS(r, x) /* isnan(x) ? x : r */ _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, x)
#define VKEEP __mmask16
#define VKEEP_ALL() ((__mmask16)0xffff)
#define VKEEP_LOAD(m) /* VW mask bytes */ \
  _mm512_test_epi32_mask(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(m))), _mm512_set1_epi32(0xff))
#define VKEEP_APPLY(k, v) _mm512_maskz_mov_ps(k, v)
#define VD __m512d
#define VDW 8
#define VD_ZERO() _mm512_setzero_pd()
#define VD_LOAD_F32(p) /* VW/2 floats widened */ _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define VD_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define VD_ADD(a, b) _mm512_add_pd(a, b)
#define VD_HSUM(a) _mm512_reduce_add_pd(a)

#elif SRNN_ISA == SRNN_ISA_AVX2
#define SRNN_TARGET SRNN_TARGET_AVX2
#define VW 8
#define VF __m256
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(x) _mm256_set1_ps(x)
#define VZERO() _mm256_setzero_ps()
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VDIV(a, b) _mm256_div_ps(a, b)
#define VSQRT(a) _mm256_sqrt_ps(a)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VFNMA(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define VMIN(a, b) _mm256_min_ps(a, b)
#define VMAX(a, b) _mm256_max_ps(a, b)
#define VROUND(a) _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2I(n) \
  _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#define VABS(a) _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)))
#define VSIGNBIT(a) _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)))
#define VOR(a, b) _mm256_or_ps(a, b)
#define VSEL_LT(a, b, x, y) _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ))
#define VNAN_PASS(r, x) _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q))
#define VKEEP __m256 /* all-ones lanes where the mask byte is non-zero */
#define VKEEP_ALL() _mm256_castsi256_ps(_mm256_set1_epi32(-1))
#define VKEEP_LOAD(m)                                                                                   \
  _mm256_castsi256_ps(_mm256_xor_si256(                                                                 \
      _mm256_cmpeq_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(m))), _mm256_setzero_si256()), \
      _mm256_set1_epi32(-1)))
#define VKEEP_APPLY(k, v) _mm256_and_ps(k, v)
#define VD __m256d
#define VDW 4
#define VD_ZERO() _mm256_setzero_pd()
#define VD_LOAD_F32(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define VD_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define VD_ADD(a, b) _mm256_add_pd(a, b)
#define VD_HSUM(a) srnn_hsum256d(a)
SRNN_TARGET static inline double srnn_hsum256d(__m256d a) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

#elif SRNN_ISA == SRNN_ISA_SCALAR
// One lane: the same kernel bodies become plain C++ (ggml's scalar path). Used
// for optim.inc; act.inc's bit-level exp (VROUND, VPOW2I, ...) is not defined
// here, simd.cc writes its scalar activations with libm's exp instead.
#define SRNN_TARGET
#define VW 1
#define VF float
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSET1(x) ((float)(x))
#define VZERO() 0.f
#define VADD(a, b) ((a) + (b))
#define VSUB(a, b) ((a) - (b))
#define VMUL(a, b) ((a) * (b))
#define VDIV(a, b) ((a) / (b))
#define VSQRT(a) std::sqrt(a)
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VFNMA(a, b, c) ((c) - (a) * (b))
#define VMIN(a, b) ((a) < (b) ? (a) : (b))
#define VMAX(a, b) ((a) > (b) ? (a) : (b))
#define VKEEP bool
#define VKEEP_ALL() true
#define VKEEP_LOAD(m) (*(m) != 0)
#define VKEEP_APPLY(k, v) ((k) ? (v) : 0.f)
#define VD double
#define VDW 1
#define VD_ZERO() 0.0
#define VD_LOAD_F32(p) ((double)*(p))
#define VD_FMA(a, b, c) ((a) * (b) + (c))
#define VD_ADD(a, b) ((a) + (b))
#define VD_HSUM(a) (a)
#else
#error "define SRNN_ISA before including kernels/isa.h"
#endif
