/**
 * Tiny tasks a small RNN learns in seconds, for tests and smoke runs. Deterministic from
 * `seed` (default 1); each split comes from its own stream, mixSeed(seed, task, split),
 * so `limit` only truncates and never changes the values.
 *
 *   synthetic-lm:       char-level stream over 16 symbols 'a'–'p' from a first-order
 *                       Markov chain: after symbol s comes next[s] with p = 0.9 (next is
 *                       a seeded cycle through all 16), else a uniform symbol. Entropy ≈ 0.57
 *                       nats/step, against ln 16 ≈ 2.77 for a unigram model.
 *   synthetic-copy:     char-level episodes "wxyz|wxyz\n": 4 uniform symbols from 'a'–'h',
 *                       '|', the same 4 again, newline. Only the first 4 of every 10
 *                       tokens are random: a model that remembers reaches
 *                       4·ln 8 / 10 ≈ 0.83 nats/step.
 *   synthetic-classify: x [N, 10, 4] standard normal; class 1 when channel 0 summed
 *                       over the 10 steps is > 0, else 0.
 *
 * Sizes: lm sets 20,000 / 2,000 / 2,000 tokens; classify 2,000 / 500 / 500 examples.
 * Vocabularies are sorted by code point with `<unk>` last (never in the data).
 */
import { type ClassifyDataset, type ClassifySplit, type LmDataset, type LoadOptions, type SplitName, SPLITS, makeClassify, makeLm } from './dataset.js';
import { Rng, mixSeed } from './rng.js';
import { decodeIds, encodeText } from './text.js';
import { Vocab } from './vocab.js';

export const SYNTHETIC_LM_TOKENS: Record<SplitName, number> = { train: 20_000, valid: 2_000, test: 2_000 };
export const SYNTHETIC_CLASSIFY_EXAMPLES: Record<SplitName, number> = { train: 2_000, valid: 500, test: 500 };
const SPLIT_RULE = 'generated: each split from its own seeded stream';

const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));
const size = (sizes: Record<SplitName, number>, split: SplitName, limit?: number) =>
  limit !== undefined ? Math.min(limit, sizes[split]) : sizes[split];

function lmDataset(name: string, vocab: Vocab, gen: (split: SplitName, n: number) => Int32Array, seed: number, opts: LoadOptions): LmDataset {
  const s = Object.fromEntries(SPLITS.map((sp) => [sp, gen(sp, size(SYNTHETIC_LM_TOKENS, sp, opts.limit))])) as Record<SplitName, Int32Array>;
  return makeLm({
    name,
    level: 'char',
    vocab,
    ...s,
    splitRule: SPLIT_RULE,
    source: `synthetic, seed ${seed}`,
    encode: (t) => encodeText('char', vocab, t),
    decode: (x) => decodeIds('char', vocab, x),
  }, opts.limit);
}

const TASK_LM = 1;
const TASK_COPY = 2;
const TASK_CLASSIFY = 3;
const splitIndex = (s: SplitName) => SPLITS.indexOf(s);

export function loadSyntheticLm(opts: LoadOptions = {}): LmDataset {
  const seed = opts.seed ?? 1;
  const symbols = letters(16);
  const vocab = Vocab.sorted(symbols, { withUnk: true }); // 'a' … 'p' are ids 0 … 15
  // next: one seeded 16-cycle (Sattolo's shuffle), so the likely path visits every symbol.
  const next = Int32Array.from({ length: 16 }, (_, i) => i);
  const r = new Rng(mixSeed(seed, TASK_LM, 99));
  for (let i = 15; i > 0; i--) {
    const j = r.int(i);
    [next[i], next[j]] = [next[j], next[i]];
  }
  return lmDataset('synthetic-lm', vocab, (split, n) => {
    const rng = new Rng(mixSeed(seed, TASK_LM, splitIndex(split)));
    const out = new Int32Array(n);
    let s = rng.int(16);
    for (let i = 0; i < n; i++) {
      out[i] = s;
      s = rng.float() < 0.9 ? next[s] : rng.int(16);
    }
    return out;
  }, seed, opts);
}

export function loadSyntheticCopy(opts: LoadOptions = {}): LmDataset {
  const seed = opts.seed ?? 1;
  const vocab = Vocab.sorted([...letters(8), '|', '\n'], { withUnk: true });
  const sym = letters(8).map((c) => vocab.id(c));
  const bar = vocab.id('|');
  const nl = vocab.id('\n');
  return lmDataset('synthetic-copy', vocab, (split, n) => {
    const rng = new Rng(mixSeed(seed, TASK_COPY, splitIndex(split)));
    const out = new Int32Array(n);
    const seg = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const p = i % 10; // position in the episode
      if (p < 4) out[i] = seg[p] = sym[rng.int(8)];
      else if (p === 4) out[i] = bar;
      else if (p < 9) out[i] = seg[p - 5];
      else out[i] = nl;
    }
    return out;
  }, seed, opts);
}

export const SYNTHETIC_CLASSIFY_SHAPE = { steps: 10, inputDim: 4, classes: 2 };

export function loadSyntheticClassify(opts: LoadOptions = {}): ClassifyDataset {
  const seed = opts.seed ?? 1;
  const { steps: T, inputDim: D, classes } = SYNTHETIC_CLASSIFY_SHAPE;
  const gen = (split: SplitName): ClassifySplit => {
    const n = size(SYNTHETIC_CLASSIFY_EXAMPLES, split, opts.limit);
    const rng = new Rng(mixSeed(seed, TASK_CLASSIFY, splitIndex(split)));
    const x = new Float32Array(n * T * D); // [N, T, D]
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < D; d++) x[(i * T + t) * D + d] = rng.normal();
        sum += x[(i * T + t) * D]; // channel 0, as stored (float32)
      }
      y[i] = sum > 0 ? 1 : 0;
    }
    return { x, y, count: n };
  };
  return makeClassify({
    name: 'synthetic-classify',
    steps: T,
    inputDim: D,
    classes,
    train: gen('train'),
    valid: gen('valid'),
    test: gen('test'),
    splitRule: SPLIT_RULE,
    source: `synthetic, seed ${seed}: class = (sum over steps of channel 0 > 0)`,
  }, opts.limit);
}
