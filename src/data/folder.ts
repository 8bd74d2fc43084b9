/**
 * A user's folder in the PTB / WikiText layout: train.txt, valid.txt, test.txt (UTF-8).
 *   word level: lines split on whitespace, `<eos>` at each line end; vocabulary = every
 *               train word by descending count (ties by code point) plus `<unk>` last
 *               unless train already has `<unk>` (PTB does: it is then kept as a word);
 *               valid/test words not in train → `<unk>`.
 *   char level: every code point (newline included, CRLF → LF); vocabulary = train
 *               characters sorted by code point, then `<unk>` for unseen characters.
 */
import buffer from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { readFileLimited } from '../util/fs.js';
import { type Level, type LmDataset, type LoadOptions, capTokens, makeLm } from './dataset.js';
import { IntBuilder, Interner, decodeIds, encodeText, forEachToken } from './text.js';
import { Vocab } from './vocab.js';

export const FOLDER_FILES = ['train.txt', 'valid.txt', 'test.txt'] as const;
const LAYOUT_HINT = 'a data folder holds train.txt, valid.txt and test.txt (PTB / WikiText layout), UTF-8 text';

/**
 * Largest text file read: 1 GiB, or less where a JavaScript string cannot hold that
 * many characters (V8: about 512 Mi), so a file over it is refused by its size before a
 * byte is read, never failing half-way through decoding.
 */
export const MAX_DATA_FILE_BYTES = Math.min(1024 * 1024 * 1024, buffer.constants.MAX_STRING_LENGTH);

function readText(file: string): string {
  if (!fs.existsSync(file)) fail('BAD_DATA', `data file ${file} is missing`, LAYOUT_HINT);
  return readFileLimited(file, { maxBytes: MAX_DATA_FILE_BYTES, what: 'data file', code: 'BAD_DATA', hint: LAYOUT_HINT }, 'utf8');
}

export function loadFolder(dir: string, opts: LoadOptions = {}): LmDataset {
  const level: Level = opts.level ?? 'word';
  if (level !== 'word' && level !== 'char') fail('BAD_FLAG', `level must be word or char (got ${JSON.stringify(level)})`, 'try --level word');
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) fail('BAD_DATA', `data folder ${root} does not exist`, LAYOUT_HINT);
  if (!fs.statSync(root).isDirectory()) fail('BAD_DATA', `data path ${root} is not a folder`, LAYOUT_HINT);
  const [trainText, validText, testText] = FOLDER_FILES.map((f) => readText(path.join(root, f)));

  // Train: provisional ids + counts in one pass, then the vocabulary, then remap.
  const interner = new Interner();
  const b = new IntBuilder(trainText.length >> (level === 'word' ? 2 : 0));
  forEachToken(level, trainText, (t) => b.push(interner.add(t)));
  if (b.length === 0 || trainText.trim() === '') fail('BAD_DATA', `data file ${path.join(root, 'train.txt')} has no ${level === 'word' ? 'words' : 'text'} (it is empty or only whitespace)`, LAYOUT_HINT);
  const vocab = level === 'word'
    ? Vocab.byFrequency(interner.countMap(), { withUnk: true })
    : Vocab.sorted(interner.names, { withUnk: true });
  const train = interner.remap(vocab, b.finish());

  return makeLm({
    name: dir,
    level,
    vocab,
    train: capTokens(train, opts.limit),
    valid: capTokens(encodeText(level, vocab, validText), opts.limit),
    test: capTokens(encodeText(level, vocab, testText), opts.limit),
    splitRule: 'the folder\'s train.txt / valid.txt / test.txt',
    source: root,
    encode: (text) => encodeText(level, vocab, text),
    decode: (ids) => decodeIds(level, vocab, ids),
  }, opts.limit);
}
