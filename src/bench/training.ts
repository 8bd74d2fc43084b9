/**
 * Training throughput, measured the way bench/torch_anchor.py measures
 * PyTorch: embedding → recurrent layers → linear head, random tokens, plain SGD
 * (lr 0.1) with global-norm clipping 0.25, 2 warm-up steps, then the mean of
 * `repeats` steps. Field names match the anchor script so rows compare directly.
 *
 * With `sparsity` > 0, ih and hh of every layer are pruned by magnitude to it (each
 * group separately) and the mask is set on the Net and given to the optimizer, as
 * the trainer does: groups at density <= addon.sparseDensity train on the sparse
 * kernels (docs/engine.md, "Sparse-aware training").
 */
import { defaultSpec, type CellType } from '../model/spec.js';
import { initParams } from '../model/init.js';
import { native } from '../engine/native.js';
import { Rng } from '../data/rng.js';
import { Optimizer, DEFAULT_OPTIM } from '../train/optim.js';
import { createSession } from '../train/trainer.js';
import { segmentGroup } from '../prune/groups.js';
import { pruneWeightsToSparsity } from '../prune/mask.js';
import type { Layout } from '../model/layout.js';

export interface TrainBenchOptions {
  cell: CellType;
  hidden: number;
  vocab: number;
  layers: number;
  batch: number;
  /** Time steps per sequence (BPTT length). */
  steps: number;
  threads: number;
  repeats: number;
  /** ih + hh of every layer pruned by magnitude to this fraction (default 0: dense). */
  sparsity?: number;
  /** Prune the (untied) head to `sparsity` too. */
  pruneHead?: boolean;
}

export interface TrainBenchRow {
  engine: string;
  mode: 'train';
  cell: CellType;
  hidden: number;
  threads: number;
  vocab: number;
  layers: number;
  batch: number;
  steps: number;
  tokens_per_s: number;
  simd: string;
  /** ih + hh sparsity the step ran at. */
  sparsity: number;
  /** Whether the head was pruned to it as well. */
  head_pruned: boolean;
}

export const ENGINE_NAME = 'sparse-rnn-0.1.0';

/** The configurations the training benchmarks measure, ours and PyTorch's (docs/benchmarks.md). */
export const BENCH_CONFIGS: readonly (Omit<TrainBenchOptions, 'threads' | 'repeats'> & { name: string })[] = [
  { name: 'char rnn', cell: 'rnn', hidden: 256, vocab: 100, layers: 1, batch: 32, steps: 100 },
  { name: 'char lstm', cell: 'lstm', hidden: 256, vocab: 100, layers: 1, batch: 32, steps: 100 },
  { name: 'char gru', cell: 'gru', hidden: 256, vocab: 100, layers: 1, batch: 32, steps: 100 },
  { name: 'word lstm×2', cell: 'lstm', hidden: 256, vocab: 10000, layers: 2, batch: 20, steps: 35 },
];

/**
 * A mask (1 kept) pruning every ih and hh group of the layout (and the head when
 * `head`) to `sparsity` by magnitude, each group separately; the pruned params are
 * set to 0.
 */
export function magnitudePruneRecurrent(layout: Layout, params: Float32Array, sparsity: number, head = false): Uint8Array {
  const mask = new Uint8Array(layout.total).fill(1);
  for (const seg of layout.segments)
    if (seg.kind === 'ih' || seg.kind === 'hh' || (head && seg.name === 'head'))
      pruneWeightsToSparsity([segmentGroup(seg)], params, mask, sparsity);
  return mask;
}

/**
 * One training step of the benchmark's model (see the top of this file), ready to
 * call repeatedly: Net.run forward + backward, then clipped SGD under the mask.
 * bench/sparse-train.ts interleaves several of these.
 */
export function benchStep(o: Omit<TrainBenchOptions, 'threads' | 'repeats'>): () => void {
  const spec = defaultSpec({ cell: o.cell, hidden: o.hidden, layers: o.layers, inputSize: o.vocab, outputSize: o.vocab, embedDim: o.hidden, recurrentInit: 'same' });
  const s = createSession(spec);
  const rng = new Rng(0);
  initParams(spec, s.layout, s.params, () => rng.float());
  const sparsity = o.sparsity ?? 0;
  const mask = sparsity > 0 ? magnitudePruneRecurrent(s.layout, s.params, sparsity, !!o.pruneHead) : null;
  s.net.setMask(mask);
  const n = o.batch * o.steps;
  const x = new Int32Array(n).map(() => rng.int(o.vocab));
  const y = new Int32Array(n).map(() => rng.int(o.vocab));
  const opt = new Optimizer({ ...DEFAULT_OPTIM, kind: 'sgd', lr: 0.1, momentum: 0, clip: 0.25 }, s.layout.total);
  return () => {
    s.net.run({ x, y, batch: o.batch, steps: o.steps, state: null, backward: true, dropoutSeed: 0 });
    opt.step(s.params, s.grads, mask, 0.1);
  };
}

export function benchTrain(o: TrainBenchOptions): TrainBenchRow {
  const a = native();
  a.setThreads(o.threads);
  const sparsity = o.sparsity ?? 0;
  const pruneHead = sparsity > 0 && !!o.pruneHead;
  const step = benchStep({ ...o, sparsity, pruneHead });
  const n = o.batch * o.steps;
  for (let i = 0; i < 2; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < o.repeats; i++) step();
  const dt = (performance.now() - t0) / 1000 / o.repeats;
  return {
    engine: ENGINE_NAME, mode: 'train', cell: o.cell, hidden: o.hidden, threads: o.threads, vocab: o.vocab,
    layers: o.layers, batch: o.batch, steps: o.steps, tokens_per_s: Math.round(n / dt), simd: a.simdLevel(), sparsity, head_pruned: pruneHead,
  };
}
