/**
 * What the value type of a sparse export costs in accuracy: the checkpoint's
 * weights, and the same model written as fp32 / fp16 / int8 sparse files and read
 * back (toDenseParams), each evaluated on the valid and test splits with the
 * training engine — side by side with the file sizes.
 */
import type { Checkpoint } from '../model/checkpoint.js';
import type { Dataset } from '../data/dataset.js';
import { createSession, evaluate } from '../train/trainer.js';
import { mainMetric, metricsFromSums, type MetricName } from '../train/metrics.js';
import { writeSparseModel, readSparseModel, toDenseParams, VALUE_TYPES, type ValueType } from './format.js';

export interface QualityRow {
  /** 'checkpoint' = the trained fp32 weights themselves; else the sparse file's value type. */
  values: 'checkpoint' | ValueType;
  /** File bytes (the sparse file; for the checkpoint, the dense fp32 weights). */
  bytes: number;
  metric: MetricName;
  valid: number;
  test: number;
}

export interface QualityOptions { batch: number; bptt: number }

export function exportQuality(ck: Checkpoint, ds: Dataset, o: QualityOptions): QualityRow[] {
  const metric = mainMetric(ds.kind, ds.kind === 'lm' ? ds.level : undefined);
  const score = (params: Float32Array) => {
    const s = createSession(ck.spec, params);
    const m = (split: 'valid' | 'test') => metricsFromSums(evaluate(s, ds, split, o.batch, o.bptt), metric)[metric] as number;
    return { valid: m('valid'), test: m('test') };
  };
  const weights = ck.layout.segments.reduce((a, g) => a + g.size, 0);
  const rows: QualityRow[] = [{ values: 'checkpoint', bytes: 4 * weights, metric, ...score(ck.params) }];
  for (const values of VALUE_TYPES) {
    const bytes = writeSparseModel(ck.spec, ck.layout, ck.params, ck.mask, { values });
    rows.push({ values, bytes: bytes.length, metric, ...score(toDenseParams(readSparseModel(bytes)).params) });
  }
  return rows;
}
