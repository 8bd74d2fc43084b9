import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/registry.js';
import type { LmDataset } from '../../src/data/dataset.js';
import { SparseRnnError } from '../../src/errors.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/data/tiny-ptb');

function tempFolder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-data-'));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

const lm = (name: string, opts = {}) => {
  const ds = loadDataset(name, opts);
  assert.equal(ds.kind, 'lm');
  return ds as LmDataset;
};
const words = (ds: LmDataset, ids: Int32Array) => Array.from(ids, (i) => ds.vocab.token(i));

test('word level: whitespace split, <eos> per line, vocabulary by count then code point, existing <unk> kept', () => {
  const ds = lm(FIXTURE);
  // Counts in train.txt: the 7, <eos> 4, cat/dog/on 3, a/mat/sat 2, <unk>/and/log/saw 1 ('<' < 'a').
  assert.deepEqual(ds.vocab.tokens, ['the', '<eos>', 'cat', 'dog', 'on', 'a', 'mat', 'sat', '<unk>', 'and', 'log', 'saw']);
  assert.equal(ds.vocab.unk, 8);
  assert.deepEqual(ds.describe().sizes, { train: 30, valid: 14, test: 13 });
  assert.deepEqual(words(ds, ds.valid), 'the dog sat on the mat <eos> a <unk> sat on the log <eos>'.split(' ')); // bird → <unk>
  assert.equal(ds.decode(ds.test), 'the cat sat on a log\nthe <unk> saw the cat\n');
  assert.deepEqual(Array.from(ds.encode('the zebra\n')), [0, 8, 1]);
});

test('word level: a folder without <unk> gets one appended; blank lines give <eos>; CRLF ok', () => {
  const dir = tempFolder({ 'train.txt': 'b a b\r\n\r\nc\r\n', 'valid.txt': 'a z', 'test.txt': '' });
  try {
    const ds = lm(dir);
    assert.deepEqual(ds.vocab.tokens, ['<eos>', 'b', 'a', 'c', '<unk>']);
    assert.deepEqual(words(ds, ds.train), ['b', 'a', 'b', '<eos>', '<eos>', 'c', '<eos>']);
    assert.deepEqual(words(ds, ds.valid), ['a', '<unk>', '<eos>']); // no final newline: still one line
    assert.equal(ds.test.length, 0);
    assert.equal(lm(dir, { limit: 2 }).train.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('char level: characters by code point, newline a character, unseen → <unk>', () => {
  const dir = tempFolder({ 'train.txt': 'ba\nab\n', 'valid.txt': 'abc\n', 'test.txt': 'é' });
  try {
    const ds = lm(dir, { level: 'char' });
    assert.equal(ds.level, 'char');
    assert.deepEqual(ds.vocab.tokens, ['\n', 'a', 'b', '<unk>']);
    assert.deepEqual(Array.from(ds.train), [2, 1, 0, 1, 2, 0]);
    assert.deepEqual(Array.from(ds.valid), [1, 2, 3, 0]);
    assert.deepEqual(Array.from(ds.test), [3]);
    assert.equal(ds.decode(ds.train), 'ba\nab\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('missing folder or file: BAD_DATA naming the path, with a hint', () => {
  const dir = tempFolder({ 'train.txt': 'a\n', 'valid.txt': 'a\n' });
  try {
    const isBadData = (re: RegExp) => (e: unknown) =>
      e instanceof SparseRnnError && e.code === 'BAD_DATA' && re.test(e.message) && !!e.hint && !e.message.includes('\n');
    assert.throws(() => loadDataset(dir), isBadData(new RegExp(`${path.join(dir, 'test.txt').replace(/[.\\]/g, '\\$&')} is missing`)));
    assert.throws(() => loadDataset(path.join(dir, 'nope')), isBadData(/data folder .*nope does not exist/));
    assert.throws(() => loadDataset('no-such-set'), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_DATA' && /brown, moby-dick, mnist/.test(e.hint ?? ''));
    assert.throws(() => loadDataset(dir, { limit: 0 }), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FLAG');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
