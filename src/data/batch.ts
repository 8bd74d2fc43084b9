/**
 * Batchers: pure functions of (data, sizes, seed, epoch, batch index) → arrays in the
 * engine's batch-major layout (RunArgs in engine/native.ts). No hidden cursor, so a
 * resumed run asks for batch k of epoch e and gets what a straight run got.
 *
 * LM (PyTorch word_language_model `batchify` + `get_batch`):
 *   the stream of n tokens is cut into B contiguous rows of R = ⌊n/B⌋ tokens (the
 *   n − B·R tail is dropped); batch i covers columns [i·T, i·T + t) of every row with
 *   t = min(T, R − 1 − i·T), x = those tokens, y = the tokens one column later.
 *   Row b of batch i+1 continues row b of batch i: the trainer carries the hidden
 *   state across batches. The last window may be shorter (t < T): kept by default
 *   (evaluation), dropped with dropLast (training with equal-length steps).
 *
 * Classification: example order per epoch = new Rng(mixSeed(seed, epoch)).permutation(N)
 * (identity when shuffle is false); batch i takes order[i·B, i·B + B). The last
 * partial batch (fewer than B) is kept by default, dropped with dropLast.
 */
import { fail } from '../errors.js';
import type { ClassifySplit } from './dataset.js';
import { Rng, mixSeed } from './rng.js';

const checkSize = (name: string, v: number) => {
  if (!(Number.isSafeInteger(v) && v >= 1)) fail('BAD_FLAG', `${name} must be an integer >= 1 (got ${v})`, 'see --help for the flag');
};

// ---------------------------------------------------------------- language model

export interface LmBatch {
  /** [B, t] token ids */
  x: Int32Array;
  /** [B, t] next-token targets */
  y: Int32Array;
  /** B */
  batch: number;
  /** t (≤ T; shorter only for the last window) */
  steps: number;
  /** Batch index within the epoch. */
  index: number;
}

export interface LmBatcherArgs {
  /** The split's token stream. */
  tokens: Int32Array;
  /** B: rows (independent streams carried side by side). */
  batch: number;
  /** T: time steps per batch (the BPTT length). */
  steps: number;
  /** Drop the last window when it is shorter than T (default false). */
  dropLast?: boolean;
}

export interface LmBatcher {
  readonly batch: number;
  readonly steps: number;
  /** R = ⌊n/B⌋ tokens per row. */
  readonly rowLength: number;
  readonly batchesPerEpoch: number;
  /** Batch i of the epoch (0 ≤ i < batchesPerEpoch). */
  at(i: number): LmBatch;
  /** Batches start, start+1, … to the end of the epoch (resume from `start`). */
  from(start?: number): IterableIterator<LmBatch>;
}

export function lmBatcher(args: LmBatcherArgs): LmBatcher {
  const { tokens, batch: B, steps: T } = args;
  checkSize('batch', B);
  checkSize('steps', T);
  const R = Math.floor(tokens.length / B);
  if (R < 2) {
    fail('BAD_DATA', `a stream of ${tokens.length} tokens is too short for ${B} rows (each needs >= 2 tokens)`, 'lower --batch or raise --limit');
  }
  const full = Math.floor((R - 1) / T);
  const batchesPerEpoch = args.dropLast ? full : Math.ceil((R - 1) / T);
  if (batchesPerEpoch < 1) {
    fail('BAD_DATA', `rows of ${R} tokens are too short for one window of ${T} steps`, 'lower --bptt or --batch, or raise --limit');
  }
  const at = (i: number): LmBatch => {
    if (!(Number.isInteger(i) && i >= 0 && i < batchesPerEpoch)) throw new RangeError(`batch index ${i} outside [0, ${batchesPerEpoch})`);
    const t0 = i * T;
    const t = Math.min(T, R - 1 - t0);
    const x = new Int32Array(B * t); // [B, t]
    const y = new Int32Array(B * t); // [B, t]
    for (let b = 0; b < B; b++) {
      const src = b * R + t0;
      x.set(tokens.subarray(src, src + t), b * t);
      y.set(tokens.subarray(src + 1, src + 1 + t), b * t);
    }
    return { x, y, batch: B, steps: t, index: i };
  };
  return {
    batch: B,
    steps: T,
    rowLength: R,
    batchesPerEpoch,
    at,
    *from(start = 0) {
      for (let i = start; i < batchesPerEpoch; i++) yield at(i);
    },
  };
}

// ---------------------------------------------------------------- classification

export interface ClassifyBatch {
  /** [b, T, D] */
  x: Float32Array;
  /** [b] */
  y: Int32Array;
  /** b: B, or fewer for the last batch */
  batch: number;
  /** T */
  steps: number;
  /** Batch index within the epoch. */
  index: number;
  /** [b] the example indices taken (into the split). */
  examples: Int32Array;
}

export interface ClassifyBatcherArgs {
  split: ClassifySplit;
  /** T and D of each example. */
  steps: number;
  inputDim: number;
  /** B */
  batch: number;
  /** Shuffle the order each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last batch when it has fewer than B examples (default false). */
  dropLast?: boolean;
  /** Seed of the per-epoch shuffles (default 1). */
  seed?: number;
}

export interface ClassifyBatcher {
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** [N] example order of an epoch. */
  order(epoch: number): Int32Array;
  /** Batch i of an epoch. */
  at(epoch: number, i: number): ClassifyBatch;
  /** Batches start, start+1, … of an epoch (resume from `start`). */
  epoch(epoch: number, start?: number): IterableIterator<ClassifyBatch>;
}

export function classifyBatcher(args: ClassifyBatcherArgs): ClassifyBatcher {
  const { split, steps: T, inputDim: D, batch: B } = args;
  checkSize('batch', B);
  checkSize('steps', T);
  checkSize('inputDim', D);
  const N = split.count;
  const per = T * D;
  if (split.x.length !== N * per || split.y.length !== N) {
    fail('BAD_DATA', `split arrays do not match [N=${N}, T=${T}, D=${D}] (x has ${split.x.length}, y has ${split.y.length})`, 'the data set is damaged; rebuild its cache (delete ~/.cache/sparse-rnn)');
  }
  const shuffle = args.shuffle ?? true;
  const seed = args.seed ?? 1;
  const batchesPerEpoch = args.dropLast ? Math.floor(N / B) : Math.ceil(N / B);
  if (batchesPerEpoch < 1) fail('BAD_DATA', `a split of ${N} examples is too small for one batch of ${B}`, 'lower --batch or raise --limit');

  let cachedEpoch = -1;
  let cachedOrder: Int32Array = new Int32Array(0);
  const order = (epoch: number): Int32Array => {
    if (!(Number.isSafeInteger(epoch) && epoch >= 0)) throw new RangeError(`epoch ${epoch} must be an integer >= 0`);
    if (epoch !== cachedEpoch) {
      cachedOrder = shuffle ? new Rng(mixSeed(seed, epoch)).permutation(N) : Int32Array.from({ length: N }, (_, i) => i);
      cachedEpoch = epoch;
    }
    return cachedOrder;
  };
  const at = (epoch: number, i: number): ClassifyBatch => {
    if (!(Number.isInteger(i) && i >= 0 && i < batchesPerEpoch)) throw new RangeError(`batch index ${i} outside [0, ${batchesPerEpoch})`);
    const ord = order(epoch);
    const lo = i * B;
    const b = Math.min(B, N - lo);
    const examples = ord.slice(lo, lo + b);
    const x = new Float32Array(b * per); // [b, T, D]
    const y = new Int32Array(b); // [b]
    for (let j = 0; j < b; j++) {
      const e = examples[j];
      x.set(split.x.subarray(e * per, (e + 1) * per), j * per);
      y[j] = split.y[e];
    }
    return { x, y, batch: b, steps: T, index: i, examples };
  };
  return {
    batch: B,
    batchesPerEpoch,
    order: (epoch) => order(epoch).slice(),
    at,
    *epoch(epoch, start = 0) {
      for (let i = start; i < batchesPerEpoch; i++) yield at(epoch, i);
    },
  };
}
