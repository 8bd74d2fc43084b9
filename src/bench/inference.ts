/**
 * Batch-1 inference latency: one recurrent step (cell only, no head — the
 * configuration of bench/torch_anchor.py --mode infer: input width = hidden,
 * random weights, ih and hh pruned by magnitude to the sparsity) for our engines, and
 * PyTorch's figure from the anchor script in the same run when torch is importable.
 *
 * Rows use the anchor's field names (engine, mode, cell, hidden, threads, sparsity,
 * step_us) plus, for our rows, the ratios to PyTorch and to our dense engine.
 *
 * step_us is the median over 9 timed batches of the mean step time in a batch (each
 * batch ~30 ms after 20 warm-up steps): medians resist the other processes on a shared
 * 2-core machine. The anchor reports a plain mean over 1000 steps, so vs_pytorch divides
 * by our plain mean (step_us_mean) — the same statistic on both sides.
 */
import { runAnchor } from './pytorch.js';
import { defaultSpec, type CellType } from '../model/spec.js';
import { randomPrunedModel } from '../deploy/random.js';
import { readSparseModel, writeSparseModel, type ValueType } from '../deploy/format.js';
import { createRuntime, type InferenceRuntime } from '../deploy/runtime.js';
import { createNativeRuntime, hasInferAddon } from '../deploy/native-runtime.js';
import { buildGatherModel, type GatherCsr } from '../deploy/gather.js';

export type BenchEngine = 'native-dense' | 'native-sparse' | 'native-sparse-f16' | 'native-sparse-i8' | 'ts-sparse' | 'pytorch';
export const BENCH_ENGINES: readonly BenchEngine[] = ['native-dense', 'native-sparse', 'native-sparse-f16', 'native-sparse-i8', 'ts-sparse', 'pytorch'];

export interface BenchInferOptions {
  cell: CellType;
  hidden: number;
  sparsity: number;
  /** Passed to PyTorch; our runtimes are single-threaded (rows say threads: 1). */
  threads?: number;
  engines?: readonly BenchEngine[];
  seed?: number;
  /** Target milliseconds per timed batch (default 30). */
  batchMs?: number;
  /** Sequences stepped together by our engines (default 1; PyTorch stays batch 1). */
  batch?: number;
}

export interface BenchInferRow {
  engine: string;
  mode: 'infer';
  cell: CellType;
  hidden: number;
  threads: number;
  sparsity: number;
  /** Sequences per step (ours; 1 unless --batch). */
  batch?: number;
  /** Step latency in microseconds (ours: median of batch means); null when unavailable. */
  step_us: number | null;
  /** Ours: plain mean over all timed steps — the anchor's statistic, used for vs_pytorch. */
  step_us_mean?: number;
  /** Bytes of recurrent weights one step reads on the path that ran (padding included). */
  weight_bytes?: number;
  /** PyTorch step_us ÷ our step_us_mean (both plain means, same run). */
  vs_pytorch?: number;
  /** Our dense native step_us ÷ ours (same run). */
  vs_our_dense?: number;
  note?: string;
}

/** Times fn (one step): the median batch mean and the plain mean over all batches, in µs. */
export function timeStepUs(fn: () => void, batchMs = 30, batches = 9): { median: number; mean: number } {
  for (let i = 0; i < 20; i++) fn();
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= batchMs / 4 || n >= 1 << 20) {
      n = Math.max(1, Math.round((n * batchMs) / Math.max(dt, 1e-3)));
      break;
    }
    n *= 4;
  }
  const means: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    means.push(((performance.now() - t0) * 1000) / n);
  }
  const mean = means.reduce((a, b) => a + b, 0) / batches;
  means.sort((a, b) => a - b);
  return { median: means[Math.floor(batches / 2)], mean };
}

function runPytorch(o: Required<Pick<BenchInferOptions, 'cell' | 'hidden' | 'sparsity' | 'threads'>>): BenchInferRow {
  const base = { mode: 'infer' as const, cell: o.cell, hidden: o.hidden, threads: o.threads, sparsity: o.sparsity };
  const r = runAnchor({ mode: 'infer', cell: o.cell, hidden: o.hidden, sparsity: o.sparsity, threads: o.threads }, o.threads);
  if (!r.row) return { engine: 'pytorch', ...base, step_us: null, note: r.why };
  return { ...(r.row as unknown as BenchInferRow), mode: 'infer' };
}

/** TS engine: bytes of the gather model's layer CSRs (u16 / u32 indices, fp32 values, row pointers, bias). */
function gatherBytes(model: ReturnType<typeof readSparseModel>): number {
  const g = buildGatherModel(model);
  const csr = (m: GatherCsr | null) => (m ? m.rowPtr.byteLength + m.colIdx.byteLength + m.values.byteLength : 0);
  return g.layers.reduce((a, l) => a + csr(l.main) + csr(l.rec) + l.bias.byteLength, 0);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs the engines for one configuration; one row each. */
export async function benchInfer(opts: BenchInferOptions): Promise<BenchInferRow[]> {
  const threads = opts.threads ?? 1;
  const engines = opts.engines ?? BENCH_ENGINES;
  const { cell, hidden: H, sparsity } = opts;
  const spec = defaultSpec({ cell, inputKind: 'vectors', inputSize: H, outputSize: 2, hidden: H });
  const rm = randomPrunedModel(spec, sparsity, opts.seed ?? 1, (n) => /^rnn\.\d+\.(ih|hh)$/.test(n));
  const files: Partial<Record<ValueType, ReturnType<typeof readSparseModel>>> = {};
  const load = (v: ValueType) => (files[v] ??= readSparseModel(writeSparseModel(spec, rm.layout, rm.params, rm.mask, { values: v, storage: 'csr' })));
  const B = opts.batch ?? 1;
  const x = new Float32Array(H * B);
  for (let i = 0; i < H * B; i++) x[i] = Math.sin(0.37 * i);
  const rows: BenchInferRow[] = [];
  const base = { mode: 'infer' as const, cell, hidden: H, sparsity };
  for (const engine of engines) {
    if (engine === 'pytorch') {
      rows.push(runPytorch({ cell, hidden: H, sparsity, threads }));
      continue;
    }
    if (engine.startsWith('native') && !hasInferAddon()) {
      rows.push({ engine: `sparse-rnn-${engine}`, ...base, threads: 1, step_us: null, note: 'native addon not built (npx node-gyp rebuild)' });
      continue;
    }
    const model = load(engine === 'native-sparse-f16' ? 'fp16' : engine === 'native-sparse-i8' ? 'int8' : 'fp32');
    const nrt = engine === 'ts-sparse' ? null : createNativeRuntime(model, {
      mode: engine === 'native-dense' ? 'dense' : 'sparse',
      halfValues: engine === 'native-sparse-f16', int8Values: engine === 'native-sparse-i8',
    });
    const rt: InferenceRuntime = nrt ?? createRuntime(model);
    const state = new Float32Array(rt.initialState().length * B);
    const us = timeStepUs(B === 1 ? () => rt.advance(x, state) : () => rt.advanceBatch(x, state, B), opts.batchMs ?? 30);
    if (!Number.isFinite(state[0])) throw new Error(`bench: ${rt.engine} produced a non-finite state`);
    rows.push({
      engine: `sparse-rnn-${rt.engine}`, ...base, threads: 1, ...(B > 1 ? { batch: B } : {}),
      step_us: round1(us.median), step_us_mean: round1(us.mean),
      weight_bytes: nrt ? nrt.weightBytes() : gatherBytes(model),
    });
  }
  const torch = rows.find((r) => r.engine.startsWith('pytorch') && r.step_us !== null)?.step_us;
  const dense = rows.find((r) => r.engine.includes('native-dense'))?.step_us;
  for (const r of rows) {
    if (r.engine.startsWith('pytorch') || r.step_us === null) continue;
    if (torch) r.vs_pytorch = Math.round((torch / (r.step_us_mean ?? r.step_us)) * 100) / 100;
    if (dense) r.vs_our_dense = Math.round((dense / r.step_us) * 100) / 100;
  }
  return rows;
}
