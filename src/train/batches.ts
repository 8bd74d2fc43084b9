/**
 * The trainer's one view of batching over the data layer's batchers
 * (src/data/batch.ts holds the rules): a batch count and batch i of an epoch.
 * Training drops a short last window/batch; evaluation keeps it. The per-epoch
 * shuffle of classification is a pure function of (seed, epoch), so resume is exact.
 */
import { lmBatcher, classifyBatcher } from '../data/batch.js';
import type { Dataset, SplitName } from '../data/dataset.js';

export interface Batch { x: Int32Array | Float32Array; y: Int32Array; batch: number; steps: number }
export interface EpochBatches { count: number; at(epoch: number, i: number): Batch }

export function batches(ds: Dataset, split: SplitName, B: number, T: number, training: boolean, seed: number): EpochBatches {
  if (ds.kind === 'lm') {
    const b = lmBatcher({ tokens: ds[split], batch: B, steps: T, dropLast: training });
    return { count: b.batchesPerEpoch, at: (_e, i) => b.at(i) };
  }
  const b = classifyBatcher({ split: ds[split], steps: ds.steps, inputDim: ds.inputDim, batch: B, shuffle: training, dropLast: training, seed });
  return { count: b.batchesPerEpoch, at: (e, i) => b.at(e, i) };
}

/** Batches in one epoch of a split (0 when the split is too small for one). */
export function batchesPerEpoch(ds: Dataset, split: SplitName, B: number, T: number, training: boolean): number {
  try {
    return batches(ds, split, B, T, training, 0).count;
  } catch {
    return 0;
  }
}
