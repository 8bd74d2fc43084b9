/**
 * Training throughput, measured the way shared/anchors/torch_bench.py measures
 * PyTorch: embedding → recurrent layers → linear head, random tokens, plain SGD
 * (lr 0.1) with global-norm clipping 0.25, 2 warm-up steps, then the mean of
 * `repeats` steps. Field names match the anchor script so rows compare directly.
 */
import { defaultSpec, type CellType } from '../model/spec.js';
import { initParams } from '../model/init.js';
import { native } from '../engine/native.js';
import { Rng } from '../data/rng.js';
import { Optimizer, DEFAULT_OPTIM } from './optim.js';
import { createSession } from './trainer.js';

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
}

export const ENGINE_NAME = 'sparse-rnn-0.1.0';

/** The configurations of REFERENCE.md §7 that the training benchmarks measure. */
export const REFERENCE_CONFIGS: readonly (Omit<TrainBenchOptions, 'threads' | 'repeats'> & { name: string })[] = [
  { name: 'char rnn', cell: 'rnn', hidden: 256, vocab: 100, layers: 1, batch: 32, steps: 100 },
  { name: 'char lstm', cell: 'lstm', hidden: 256, vocab: 100, layers: 1, batch: 32, steps: 100 },
  { name: 'char gru', cell: 'gru', hidden: 256, vocab: 100, layers: 1, batch: 32, steps: 100 },
  { name: 'word lstm×2', cell: 'lstm', hidden: 256, vocab: 10000, layers: 2, batch: 20, steps: 35 },
];

export function benchTrain(o: TrainBenchOptions): TrainBenchRow {
  const a = native();
  a.setThreads(o.threads);
  const spec = defaultSpec({ cell: o.cell, hidden: o.hidden, layers: o.layers, inputSize: o.vocab, outputSize: o.vocab, embedDim: o.hidden, recurrentInit: 'same' });
  const s = createSession(spec);
  const rng = new Rng(0);
  initParams(spec, s.layout, s.params, () => rng.float());
  const n = o.batch * o.steps;
  const x = new Int32Array(n).map(() => rng.int(o.vocab));
  const y = new Int32Array(n).map(() => rng.int(o.vocab));
  const opt = new Optimizer({ ...DEFAULT_OPTIM, kind: 'sgd', lr: 0.1, momentum: 0, clip: 0.25 }, s.layout.total);
  const step = () => {
    s.net.run({ x, y, batch: o.batch, steps: o.steps, state: null, backward: true, dropoutSeed: 0 });
    opt.step(s.params, s.grads, null, 0.1);
  };
  for (let i = 0; i < 2; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < o.repeats; i++) step();
  const dt = (performance.now() - t0) / 1000 / o.repeats;
  return {
    engine: ENGINE_NAME, mode: 'train', cell: o.cell, hidden: o.hidden, threads: o.threads, vocab: o.vocab,
    layers: o.layers, batch: o.batch, steps: o.steps, tokens_per_s: Math.round(n / dt), simd: a.simdLevel(),
  };
}
