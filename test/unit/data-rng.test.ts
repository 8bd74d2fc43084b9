import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, mixSeed, type RngState } from '../../src/data/rng.js';
import { SparseRnnError } from '../../src/errors.js';

test('xoshiro128** matches the reference C code from state [1, 2, 3, 4]', () => {
  // Expected: prudence.di.unimi.it/xoshiro128starstar.c compiled with gcc, s = {1,2,3,4}, six next() calls.
  const r = Rng.fromState({ kind: 'xoshiro128**', s: [1, 2, 3, 4] });
  assert.deepEqual(Array.from({ length: 6 }, () => r.u32()), [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('same seed, same stream; different seeds, different streams', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 8 }, () => a.u32());
  assert.deepEqual(xa, Array.from({ length: 8 }, () => b.u32()));
  assert.notDeepEqual(xa, Array.from({ length: 8 }, () => c.u32()));
  assert.notEqual(mixSeed(1, 0), mixSeed(1, 1));
  assert.notEqual(mixSeed(1, 0), mixSeed(0, 1));
  assert.notEqual(mixSeed(2 ** 40), mixSeed(0)); // high bits count
});

test('state saved as a plain object and restored resumes the stream exactly', () => {
  const r = new Rng(7);
  for (let i = 0; i < 100; i++) r.float();
  const saved: RngState = JSON.parse(JSON.stringify(r.getState()));
  const rest = [r.u32(), r.int(10), r.float(), r.normal()];
  const r2 = Rng.fromState(saved);
  assert.deepEqual([r2.u32(), r2.int(10), r2.float(), r2.normal()], rest);
  const r3 = new Rng(0);
  r3.setState(saved);
  assert.equal(r3.u32(), rest[0]);
  assert.throws(() => r3.setState({ kind: 'xoshiro128**', s: [0, 0, 0, 0] }), SparseRnnError);
});

test('float in [0, 1), int in range, permutation is a permutation', () => {
  const r = new Rng(3);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 5000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    counts[r.int(5)]++;
  }
  for (const c of counts) assert.ok(c > 800 && c < 1200, `int(5) counts ${counts}`);
  const p = r.permutation(100);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.throws(() => new Rng(1.5), SparseRnnError);
});
