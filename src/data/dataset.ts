/**
 * What a data set is once loaded: two kinds, each with train / valid / test splits.
 *
 *   lm:       one Int32Array token stream per split, ids in [0, V).
 *   classify: x Float32Array [N, T, D] (example-major, then step, then feature) and
 *             y Int32Array [N] of class ids in [0, C) per split.
 *
 * Every size a user sees (tokens, examples, vocabulary) comes from describe(), which
 * reads the arrays themselves.
 */
import type { Vocab } from './vocab.js';

export type SplitName = 'train' | 'valid' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'valid', 'test'];

export type Level = 'word' | 'char';

/** One split of a classification set. */
export interface ClassifySplit {
  /** [N, T, D] */
  x: Float32Array;
  /** [N] */
  y: Int32Array;
  /** N */
  count: number;
}

/** Sizes and rules for listing (`sparse-rnn data`) and reports. Plain data, JSON-safe. */
export interface DatasetInfo {
  name: string;
  kind: 'lm' | 'classify';
  level?: Level;
  /** 'tokens' (lm) or 'examples' (classify): the unit of `sizes`. */
  unit: 'tokens' | 'examples';
  sizes: Record<SplitName, number>;
  /** lm */
  vocabSize?: number;
  /** classify: T, D, C */
  steps?: number;
  inputDim?: number;
  classes?: number;
  /** How train / valid / test are chosen, one line. */
  split: string;
  /** Where the data comes from, one line. */
  source: string;
  /** The `limit` option in force, if any (sizes are after it). */
  limit?: number;
}

interface Common {
  name: string;
  /** One line: how the splits are chosen. */
  splitRule: string;
  /** One line: where the data comes from. */
  source: string;
  describe(): DatasetInfo;
}

export interface LmDataset extends Common {
  kind: 'lm';
  level: Level;
  vocab: Vocab;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** Text → ids with this set's tokenizer (words split on whitespace, or characters); unknown → `<unk>`. */
  encode(text: string): Int32Array;
  /** ids → text (words joined by spaces, `<eos>` as a newline; characters joined). */
  decode(ids: ArrayLike<number>): string;
}

export interface ClassifyDataset extends Common {
  kind: 'classify';
  /** T */
  steps: number;
  /** D */
  inputDim: number;
  /** C */
  classes: number;
  train: ClassifySplit;
  valid: ClassifySplit;
  test: ClassifySplit;
}

export type Dataset = LmDataset | ClassifyDataset;

/** Options every loader takes. */
export interface LoadOptions {
  /** Cap on tokens (lm) or examples (classify) per split, for quick runs and tests. */
  limit?: number;
  /** User folders: 'word' (default) or 'char'. Ignored by built-ins. */
  level?: Level;
  /** Synthetic sets: the generator seed (default 1). */
  seed?: number;
  /** Use the on-disk cache where a loader keeps one (Brown); default true. */
  cache?: boolean;
}

/** Applies `limit` to a token stream (a copy, so the full stream can be freed). */
export function capTokens(a: Int32Array, limit: number | undefined): Int32Array {
  return limit !== undefined && a.length > limit ? a.slice(0, limit) : a;
}

/** Builds an LmDataset whose describe() reads the arrays themselves. */
export function makeLm(d: Omit<LmDataset, 'kind' | 'describe'>, limit?: number): LmDataset {
  const ds: LmDataset = {
    kind: 'lm',
    ...d,
    describe: () => ({
      name: ds.name,
      kind: 'lm',
      level: ds.level,
      unit: 'tokens',
      sizes: { train: ds.train.length, valid: ds.valid.length, test: ds.test.length },
      vocabSize: ds.vocab.size,
      split: ds.splitRule,
      source: ds.source,
      ...(limit !== undefined ? { limit } : {}),
    }),
  };
  return ds;
}

/** Builds a ClassifyDataset whose describe() reads the arrays themselves. */
export function makeClassify(d: Omit<ClassifyDataset, 'kind' | 'describe'>, limit?: number): ClassifyDataset {
  const ds: ClassifyDataset = {
    kind: 'classify',
    ...d,
    describe: () => ({
      name: ds.name,
      kind: 'classify',
      unit: 'examples',
      sizes: { train: ds.train.count, valid: ds.valid.count, test: ds.test.count },
      steps: ds.steps,
      inputDim: ds.inputDim,
      classes: ds.classes,
      split: ds.splitRule,
      source: ds.source,
      ...(limit !== undefined ? { limit } : {}),
    }),
  };
  return ds;
}
