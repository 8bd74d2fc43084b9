/**
 * Batches as the engine takes them (batch-major, see RunArgs in engine/native.ts).
 *
 * LM (PyTorch word_language_model style): the split's stream is cut into B
 * contiguous rows of ⌊n/B⌋ tokens; batch i is columns [i·T, i·T + T) of every row
 * and its targets the next tokens, so row b of batch i+1 continues row b of batch
 * i and the hidden state is carried across batches. The last, shorter window is
 * used when evaluating and dropped when training (equal-length steps).
 *
 * Classification: examples in `order` (a per-epoch permutation for training,
 * identity for evaluation); a final partial batch is dropped when training.
 */
import type { Dataset, SplitName } from '../data/dataset.js';

export interface Batch { x: Int32Array | Float32Array; y: Int32Array; batch: number; steps: number }
/** Reused arrays, so a training loop allocates nothing per step. */
export type BatchBuffers = { x?: Int32Array | Float32Array; y?: Int32Array };

export function batchesPerEpoch(ds: Dataset, split: SplitName, B: number, T: number, training: boolean): number {
  if (ds.kind === 'lm') {
    const rowLen = Math.floor(ds[split].length / B);
    if (rowLen < 2) return 0;
    return training ? Math.floor((rowLen - 1) / T) : Math.ceil((rowLen - 1) / T);
  }
  const n = ds[split].count;
  return training ? Math.floor(n / B) : Math.ceil(n / B);
}

function sized<T extends Int32Array | Float32Array>(a: T | undefined, n: number, make: (n: number) => T): T {
  return a && a.length === n ? a : make(n);
}

export function makeBatch(ds: Dataset, split: SplitName, B: number, T: number, i: number, order: Int32Array | null, buf: BatchBuffers = {}): Batch {
  if (ds.kind === 'lm') {
    const stream = ds[split];
    const rowLen = Math.floor(stream.length / B);
    const t0 = i * T;
    const steps = Math.min(T, rowLen - 1 - t0);
    const x = sized(buf.x as Int32Array | undefined, B * steps, (n) => new Int32Array(n));
    const y = sized(buf.y, B * steps, (n) => new Int32Array(n));
    for (let b = 0; b < B; b++) {
      const src = b * rowLen + t0;
      x.set(stream.subarray(src, src + steps), b * steps);
      y.set(stream.subarray(src + 1, src + 1 + steps), b * steps);
    }
    buf.x = x;
    buf.y = y;
    return { x, y, batch: B, steps };
  }
  const sp = ds[split];
  const per = ds.steps * ds.inputDim;
  const lo = i * B;
  const n = Math.min(B, sp.count - lo);
  const x = sized(buf.x as Float32Array | undefined, n * per, (k) => new Float32Array(k));
  const y = sized(buf.y, n, (k) => new Int32Array(k));
  for (let j = 0; j < n; j++) {
    const e = order ? order[lo + j] : lo + j;
    x.set(sp.x.subarray(e * per, (e + 1) * per), j * per);
    y[j] = sp.y[e];
  }
  buf.x = x;
  buf.y = y;
  return { x, y, batch: n, steps: ds.steps };
}
