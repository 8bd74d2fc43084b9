/**
 * Random models pruned by magnitude, for benchmarks, tests and the browser demo (no
 * training needed to measure speed or size). Weights uniform(±1/√H) like PyTorch's
 * cells; the mask follows docs/methods.md §3: keep k = max(round(n·(1 − s)), 1) of a
 * group's n weights by |w|, ties broken by the lower index.
 */
import { Rng } from '../data/rng.js';
import { buildLayout, type Layout } from '../model/layout.js';
import type { ModelSpec } from '../model/spec.js';

export interface RandomModel {
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
  mask: Uint8Array;
}

/** Segment names pruned by default: the recurrent kernels (ih, hh) and the head. */
export const DEFAULT_PRUNED = (name: string) => /^rnn\.\d+\.(ih|hh)$/.test(name) || name === 'head';

export function randomPrunedModel(spec: ModelSpec, sparsity: number, seed = 1,
  pruned: (name: string) => boolean = DEFAULT_PRUNED): RandomModel {
  const layout = buildLayout(spec);
  const rng = new Rng(seed);
  const params = new Float32Array(layout.total);
  const mask = new Uint8Array(layout.total);
  const a = 1 / Math.sqrt(spec.hidden);
  for (const seg of layout.segments) {
    const scale = seg.kind === 'embedding' ? 0.5 : a;
    for (let i = 0; i < seg.size; i++) params[seg.offset + i] = (2 * rng.float() - 1) * scale;
    mask.fill(1, seg.offset, seg.offset + seg.size);
    if (sparsity > 0 && seg.shape.length === 2 && pruned(seg.name)) {
      magnitudeMask(params.subarray(seg.offset, seg.offset + seg.size), mask.subarray(seg.offset, seg.offset + seg.size), sparsity);
    }
  }
  for (let i = 0; i < layout.total; i++) if (!mask[i]) params[i] = 0;
  return { spec, layout, params, mask };
}

/** Writes the magnitude mask of w at sparsity s into m (1 kept). */
export function magnitudeMask(w: Float32Array, m: Uint8Array, s: number): void {
  const n = w.length;
  const k = Math.max(Math.round(n * (1 - s)), 1);
  const abs = new Float32Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(w[i]);
  const sorted = abs.slice().sort(); // ascending
  const thr = sorted[n - k]; // the k-th largest |w|
  let above = 0;
  for (let i = 0; i < n; i++) if (abs[i] > thr) above++;
  let ties = k - above; // how many weights equal to thr to keep, lowest index first
  for (let i = 0; i < n; i++) {
    if (abs[i] > thr) m[i] = 1;
    else if (abs[i] === thr && ties > 0) {
      m[i] = 1;
      ties--;
    } else m[i] = 0;
  }
}
