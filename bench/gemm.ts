/**
 * sgemm GFLOP/s through the addon on the RNN engine's hot products (the same
 * cases as native/tests/bench_gemm.cc): the fast path at each thread count and
 * the naive reference (timed on the first 8 rows of C only; its rate does not
 * depend on M). Best of --trials runs of >= --ms each, since the machine is shared.
 *
 *   npx tsx bench/gemm.ts [--threads 1,2] [--simd avx512|avx2|scalar] [--trials 10] [--ms 30] [--no-naive] [--json]
 */
import { parseArgs } from 'node:util';
import { native, type SimdName } from '../src/engine/native.js';
import { table } from '../src/cli/args.js';

interface Case { what: string; tA: boolean; tB: boolean; M: number; N: number; K: number; beta: 0 | 1 }
// B 32, T 100, H 256, G·H 1024 (LSTM); word model V 10000, B 20, T 35.
const CASES: Case[] = [
  { what: 'recurrent step fwd  h·Whh', tA: false, tB: false, M: 32, N: 1024, K: 256, beta: 1 },
  { what: 'recurrent step bwd  dz·WhhT', tA: false, tB: false, M: 32, N: 256, K: 1024, beta: 1 },
  { what: '  same on Whh       (transB)', tA: false, tB: true, M: 32, N: 256, K: 1024, beta: 1 },
  { what: 'input, all steps    X·Wih', tA: false, tB: false, M: 3200, N: 1024, K: 256, beta: 1 },
  { what: 'weight grad         X^T·dZ', tA: true, tB: false, M: 256, N: 1024, K: 3200, beta: 0 },
  { what: 'head char           H·Wo', tA: false, tB: false, M: 3200, N: 100, K: 256, beta: 1 },
  { what: 'head word           H·Wo', tA: false, tB: false, M: 3200, N: 10000, K: 256, beta: 1 },
  { what: 'head word (B20 T35) H·Wo', tA: false, tB: false, M: 700, N: 10000, K: 256, beta: 1 },
  { what: 'head word bwd       dL·Wo^T', tA: false, tB: true, M: 700, N: 256, K: 10000, beta: 0 },
  { what: 'head word wgrad     H^T·dL', tA: true, tB: false, M: 256, N: 10000, K: 700, beta: 0 },
];

const { values } = parseArgs({
  options: {
    threads: { type: 'string' }, simd: { type: 'string' }, trials: { type: 'string' }, ms: { type: 'string' },
    'no-naive': { type: 'boolean' }, json: { type: 'boolean' },
  },
});
const threadList = (values.threads ?? '1,2').split(',').map(Number);
const trials = Number(values.trials ?? 10);
const minMs = Number(values.ms ?? 30);
const addon = native();
addon.setSimd((values.simd ?? 'auto') as SimdName | 'auto');

/** Best milliseconds per call. */
function bestMs(fn: () => void): number {
  fn();
  let best = Infinity;
  for (let t = 0; t < trials; t++) {
    let reps = 0;
    const t0 = performance.now();
    let el = 0;
    do {
      fn();
      reps++;
      el = performance.now() - t0;
    } while (el < minMs);
    best = Math.min(best, el / reps);
  }
  return best;
}

function randomArray(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const rows: (string | number)[][] = [];
for (const c of CASES) {
  const lda = c.tA ? c.M : c.K, ldb = c.tB ? c.K : c.N, ldc = c.N;
  const A = randomArray(c.M * c.K), B = randomArray(c.K * c.N), C = randomArray(c.M * c.N);
  const gflop = (2 * c.M * c.N * c.K) / 1e9;
  const fast = threadList.map((t) => {
    addon.setThreads(t);
    return gflop / (bestMs(() => addon.gemm(c.tA, c.tB, c.M, c.N, c.K, A, lda, B, ldb, c.beta, C, ldc, false)) / 1e3);
  });
  let naive = NaN;
  if (!values['no-naive']) {
    addon.setThreads(1);
    const m = Math.min(c.M, 8);
    naive = ((2 * m * c.N * c.K) / 1e9) / (bestMs(() => addon.gemm(c.tA, c.tB, m, c.N, c.K, A, lda, B, ldb, c.beta, C, ldc, true)) / 1e3);
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...c, simd: addon.simdLevel(), gflops: Object.fromEntries(threadList.map((t, i) => [`fast_${t}t`, +fast[i].toFixed(1)])), naive_gflops: Number.isFinite(naive) ? +naive.toFixed(2) : null }) + '\n');
  }
  rows.push([c.what, c.tA ? 'T' : 'N', c.tB ? 'T' : 'N', c.M, c.N, c.K, c.beta, ...fast.map((g) => g.toFixed(1)), Number.isFinite(naive) ? naive.toFixed(2) : 'n/a']);
}
addon.setThreads(1);
process.stdout.write(`simd ${addon.simdLevel()}, best of ${trials} x >= ${minMs} ms; GFLOP/s\n`);
process.stdout.write(table(['product', 'A', 'B', 'M', 'N', 'K', 'beta', ...threadList.map((t) => `fast/${t}t`), 'naive'], rows) + '\n');
