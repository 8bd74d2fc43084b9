/**
 * Sampling the next token from logits, identical wherever it runs (Node, browser):
 * integer PRNG (xoshiro128**, src/data/rng.ts), double arithmetic, ties broken by the
 * lower token id. temperature 0 → argmax.
 */
import { fail } from '../errors.js';
import type { Rng } from '../data/rng.js';

export interface SampleOptions {
  /** > 0 divides the logits; 0 = greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k largest logits (0 = all). Default 0. */
  topK?: number;
}

export function checkSampleOptions(o: SampleOptions): Required<SampleOptions> {
  const temperature = o.temperature ?? 1;
  const topK = o.topK ?? 0;
  if (!(typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0)) {
    fail('BAD_FLAG', `temperature must be a finite number >= 0 (got ${temperature})`, 'try --temperature 0.8; 0 means greedy');
  }
  if (!(Number.isInteger(topK) && topK >= 0)) fail('BAD_FLAG', `topK must be an integer >= 0 (got ${topK})`, 'try --top-k 10; 0 keeps all');
  return { temperature, topK };
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Softmax in double precision, returned as Float32Array. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const e = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += e[i] = Math.exp(logits[i] - m);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = e[i] / s;
  return out;
}

export function sampleToken(logits: ArrayLike<number>, opts: Required<SampleOptions>, rng: Rng): number {
  const n = logits.length;
  if (opts.temperature === 0) return argmax(logits);
  // Candidates: ids by descending logit, ties by ascending id; the top k of them.
  let ids = Array.from({ length: n }, (_, i) => i);
  if (opts.topK > 0 && opts.topK < n) {
    ids.sort((a, b) => logits[b] - logits[a] || a - b);
    ids = ids.slice(0, opts.topK);
  }
  let m = -Infinity;
  for (const i of ids) m = Math.max(m, logits[i]);
  const w = ids.map((i) => Math.exp((logits[i] - m) / opts.temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.float() * total;
  for (let k = 0; k < ids.length; k++) {
    u -= w[k];
    if (u < 0) return ids[k];
  }
  return ids[ids.length - 1];
}
