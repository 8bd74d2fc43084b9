/**
 * sgemm through the addon: the fast path against the naive reference (same
 * binding, naive = true) and against a plain TypeScript triple loop, at every SIMD
 * level this CPU has and at 1 and 2 threads, on odd shapes, all four transpose
 * combinations, beta 0 / 1 and leading dimensions wider than the rows.
 * The C++ test native/tests/test_kernels.cc covers many more shapes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { native, type SimdName } from '../../src/engine/native.js';
import { mulberry32 } from '../helpers/random.js';

const addon = native();
after(() => {
  addon.setSimd('auto');
  addon.setThreads(1);
});

const rnd = mulberry32(7);
function randomArray(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rnd() * 2 - 1;
  return a;
}

/** Levels to test: the detected one and every level below it. */
function levels(): SimdName[] {
  const order: SimdName[] = ['scalar', 'avx2', 'avx512'];
  return order.slice(0, order.indexOf(addon.simdDetected()) + 1);
}

/** C = beta·C + op(A)·op(B) in double (the contract of native/gemm.h). */
function gemmTs(tA: boolean, tB: boolean, M: number, N: number, K: number, A: Float32Array, lda: number,
  B: Float32Array, ldb: number, beta: number, C: Float64Array, ldc: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (tA ? A[k * lda + i] : A[i * lda + k]) * (tB ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * ldc + j] = (beta === 0 ? 0 : beta * C[i * ldc + j]) + acc;
    }
  }
}

interface Case { tA: boolean; tB: boolean; M: number; N: number; K: number; beta: 0 | 1; pad: number }

/** Runs one case three ways; returns max |fast - ref| / max |ref| for both refs. */
function run(c: Case): { vsNaive: number; vsTs: number; paddingKept: boolean } {
  const { tA, tB, M, N, K, beta, pad } = c;
  const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  const A = randomArray((tA ? K : M) * lda), B = randomArray((tB ? N : K) * ldb);
  const C0 = randomArray(M * ldc);
  const fast = C0.slice(), naive = C0.slice(), ts = Float64Array.from(C0);
  // beta = 0: C must not be read, so garbage (NaN) in it must not leak through.
  if (beta === 0) {
    fast.fill(NaN);
    naive.fill(NaN);
  }
  addon.gemm(tA, tB, M, N, K, A, lda, B, ldb, beta, fast, ldc, false);
  addon.gemm(tA, tB, M, N, K, A, lda, B, ldb, beta, naive, ldc, true);
  gemmTs(tA, tB, M, N, K, A, lda, B, ldb, beta, ts, ldc);
  let eN = 0, eT = 0, ref = 0, paddingKept = true;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      const x = i * ldc + j;
      if (j >= N) {
        if (!Object.is(fast[x], beta === 0 ? NaN : C0[x])) paddingKept = false;
        continue;
      }
      eN = Math.max(eN, Number.isNaN(fast[x]) ? Infinity : Math.abs(fast[x] - naive[x]));
      eT = Math.max(eT, Math.abs(fast[x] - ts[x]));
      ref = Math.max(ref, Math.abs(ts[x]));
    }
  }
  return { vsNaive: eN / (ref || 1), vsTs: eT / (ref || 1), paddingKept };
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [1, 1, 9], [5, 1, 1], [1, 7, 3], [3, 5, 1], [14, 32, 8], [15, 33, 17], [29, 65, 31],
  [6, 16, 40], [7, 17, 300], [32, 100, 64], [45, 20, 19], [2, 130, 5],
];

for (const level of levels()) {
  for (const threads of [1, 2]) {
    test(`gemm ${level}, ${threads} thread(s): fast = naive = TypeScript on odd shapes, all transposes, beta 0/1, wide ld`, () => {
      addon.setSimd(level);
      addon.setThreads(threads);
      assert.equal(addon.simdLevel(), level);
      for (const [M, N, K] of shapes) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            for (const beta of [0, 1] as const) {
              const c: Case = { tA, tB, M, N, K, beta, pad: (M + N + K) % 3 };
              const r = run(c);
              const tag = JSON.stringify(c);
              assert.ok(r.vsNaive <= 1e-5, `${tag}: rel. error vs naive ${r.vsNaive}`);
              assert.ok(r.vsTs <= 1e-5, `${tag}: rel. error vs TypeScript ${r.vsTs}`);
              assert.ok(r.paddingKept, `${tag}: wrote into the padding columns of C`);
            }
          }
        }
      }
      // Large enough to be split over the threads and to take several K blocks.
      for (const c of [
        { tA: false, tB: false, M: 40, N: 300, K: 600, beta: 1, pad: 3 },
        { tA: true, tB: false, M: 64, N: 96, K: 700, beta: 1, pad: 0 },
        { tA: false, tB: true, M: 100, N: 70, K: 300, beta: 0, pad: 1 },
      ] as Case[]) {
        const r = run(c);
        assert.ok(r.vsNaive <= 1e-5 && r.vsTs <= 1e-5 && r.paddingKept, `${JSON.stringify(c)}: ${JSON.stringify(r)}`);
      }
    });
  }
}

test('gemm: every level gives the same answer to within float rounding', () => {
  addon.setThreads(1);
  const M = 33, N = 70, K = 129;
  const A = randomArray(M * K), B = randomArray(K * N);
  const out = levels().map((l) => {
    addon.setSimd(l);
    const C = new Float32Array(M * N);
    addon.gemm(false, false, M, N, K, A, K, B, N, 0, C, N, false);
    return C;
  });
  for (const C of out) for (let i = 0; i < C.length; i++) assert.ok(Math.abs(C[i] - out[0][i]) <= 1e-4, `element ${i}`);
  addon.setSimd('auto');
});
