/**
 * Our engine on one batch: logits, mean loss and d(mean loss)/dθ in the flat layout.
 * Goes through the raw addon (src/engine/native.ts) so that nothing between the test
 * and the C++ core can hide a mismatch.
 */
import { native } from '../../../src/engine/native.js';
import { nativeConfig } from '../../../src/model/layout.js';
import type { Case } from './cases.js';

export interface EngineResult {
  logits: Float32Array;
  /** Mean cross-entropy over counted targets. */
  loss: number;
  count: number;
  correct: number;
  /** [layout.total]. */
  grads: Float32Array;
}

/** Why the engine cannot run here (no build, no Net export), or null when it can. */
export function engineMissing(): string | null {
  try {
    const addon = native();
    return typeof addon.Net === 'function' ? null : 'build/Release/sparse_rnn.node does not export Net yet';
  } catch (e) {
    return (e as Error).message;
  }
}

export function runEngine(c: Case, params: Float32Array = c.params): EngineResult {
  const { spec, layout, batch: d } = c;
  // NaN in every segment: the engine must overwrite (not accumulate into) each entry.
  // Padding starts at 0 and must stay 0.
  const grads = new Float32Array(layout.total);
  for (const s of layout.segments) grads.fill(NaN, s.offset, s.offset + s.size);
  const net = new (native().Net)(nativeConfig(spec, layout), params, grads);
  const rows = spec.task === 'lm' ? d.batch * d.steps : d.batch;
  const logits = new Float32Array(rows * spec.outputSize);
  const r = net.run({ x: d.x, y: d.y, batch: d.batch, steps: d.steps, state: null, backward: true, dropoutSeed: 0, logits });
  return { logits, loss: r.count ? r.loss / r.count : 0, count: r.count, correct: r.correct, grads };
}

/** Forward only (no gradient), for export/import checks. */
export function engineLogits(c: Pick<Case, 'spec' | 'layout' | 'batch'>, params: Float32Array): Float32Array {
  const { spec, layout, batch: d } = c;
  const grads = new Float32Array(layout.total);
  const net = new (native().Net)(nativeConfig(spec, layout), params, grads);
  const rows = spec.task === 'lm' ? d.batch * d.steps : d.batch;
  const logits = new Float32Array(rows * spec.outputSize);
  const y = new Int32Array(rows).fill(-1);
  net.run({ x: d.x, y, batch: d.batch, steps: d.steps, state: null, backward: false, dropoutSeed: 0, logits });
  return logits;
}
