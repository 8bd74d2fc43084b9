import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBatcher, lmBatcher } from '../../src/data/batch.js';
import { loadSyntheticClassify } from '../../src/data/synthetic.js';
import { SparseRnnError } from '../../src/errors.js';

const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

test('lm: rows, shapes and the one-step shift (PyTorch batchify/get_batch)', () => {
  // 26 tokens, B = 3 → rows of R = 8 (tail of 2 dropped): [0..7], [8..15], [16..23].
  const b = lmBatcher({ tokens: iota(26), batch: 3, steps: 3 });
  assert.equal(b.rowLength, 8);
  assert.equal(b.batchesPerEpoch, 3); // windows of 3, 3, 1 over the 7 usable columns
  const first = b.at(0);
  assert.equal(first.steps, 3);
  assert.deepEqual(Array.from(first.x), [0, 1, 2, 8, 9, 10, 16, 17, 18]); // [B, T] batch-major
  assert.deepEqual(Array.from(first.y), [1, 2, 3, 9, 10, 11, 17, 18, 19]);
  const last = b.at(2);
  assert.equal(last.steps, 1);
  assert.deepEqual(Array.from(last.x), [6, 14, 22]);
  assert.deepEqual(Array.from(last.y), [7, 15, 23]);
  assert.equal(lmBatcher({ tokens: iota(26), batch: 3, steps: 3, dropLast: true }).batchesPerEpoch, 2);
});

test('lm: row b of batch i+1 continues row b of batch i; every usable token seen once as input', () => {
  const tokens = iota(1003);
  const b = lmBatcher({ tokens, batch: 4, steps: 7 });
  const R = b.rowLength;
  const seen: number[][] = [[], [], [], []];
  for (const batch of b.from()) {
    for (let r = 0; r < 4; r++) seen[r].push(...batch.x.subarray(r * batch.steps, (r + 1) * batch.steps));
  }
  for (let r = 0; r < 4; r++) assert.deepEqual(seen[r], Array.from({ length: R - 1 }, (_, j) => r * R + j));
});

test('lm: resume from batch k equals the tail of a straight pass', () => {
  const tokens = Int32Array.from({ length: 500 }, (_, i) => (i * 7919) % 97);
  const b = lmBatcher({ tokens, batch: 5, steps: 6 });
  const straight = [...b.from()];
  const resumed = [...lmBatcher({ tokens, batch: 5, steps: 6 }).from(9)];
  assert.deepEqual(resumed, straight.slice(9));
  assert.equal(resumed[0].index, 9);
});

test('lm: too little data is a BAD_DATA error with a hint', () => {
  assert.throws(() => lmBatcher({ tokens: iota(5), batch: 4, steps: 2 }), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_DATA' && !!e.hint);
  assert.throws(() => lmBatcher({ tokens: iota(50), batch: 0, steps: 2 }), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FLAG');
});

test('classify: each example exactly once per epoch, shapes, last partial batch kept or dropped', () => {
  const ds = loadSyntheticClassify({ limit: 23 });
  const T = ds.steps, D = ds.inputDim;
  const b = classifyBatcher({ split: ds.train, steps: T, inputDim: D, batch: 5, seed: 3 });
  assert.equal(b.batchesPerEpoch, 5);
  const seen: number[] = [];
  for (const batch of b.epoch(0)) {
    assert.equal(batch.x.length, batch.batch * T * D); // [b, T, D]
    assert.equal(batch.y.length, batch.batch);
    batch.examples.forEach((e, j) => {
      seen.push(e);
      assert.equal(batch.y[j], ds.train.y[e]);
      assert.deepEqual(batch.x.subarray(j * T * D, (j + 1) * T * D), ds.train.x.subarray(e * T * D, (e + 1) * T * D));
    });
  }
  assert.deepEqual(seen.sort((x, y) => x - y), Array.from({ length: 23 }, (_, i) => i));
  assert.equal(b.at(0, 4).batch, 3);
  assert.equal(classifyBatcher({ split: ds.train, steps: T, inputDim: D, batch: 5, dropLast: true }).batchesPerEpoch, 4);
});

test('classify: order is a function of (seed, epoch) only; shuffle off gives identity', () => {
  const ds = loadSyntheticClassify({ limit: 50 });
  const mk = (seed: number, shuffle = true) => classifyBatcher({ split: ds.train, steps: ds.steps, inputDim: ds.inputDim, batch: 8, seed, shuffle });
  const a = mk(1), b = mk(1), c = mk(2);
  assert.deepEqual(a.order(0), b.order(0));
  assert.deepEqual(a.order(3), b.order(3)); // no need to walk epochs 1, 2 first (resume)
  assert.notDeepEqual(a.order(0), a.order(1));
  assert.notDeepEqual(a.order(0), c.order(0));
  assert.deepEqual([...a.epoch(2, 3)], [...b.epoch(2)].slice(3));
  assert.deepEqual(Array.from(mk(1, false).order(5)), Array.from({ length: 50 }, (_, i) => i));
});
