import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheFile, readCache, writeCache } from '../../src/data/cache.js';

function withCacheDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-cache-'));
  const before = process.env.SPARSE_RNN_CACHE_DIR;
  process.env.SPARSE_RNN_CACHE_DIR = dir;
  try {
    fn(dir);
  } finally {
    if (before === undefined) delete process.env.SPARSE_RNN_CACHE_DIR;
    else process.env.SPARSE_RNN_CACHE_DIR = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('cache: round trip, other key misses, no temp files left', () => withCacheDir((dir) => {
  const arrays = [Int32Array.of(1, -2, 3), new Int32Array(0), Int32Array.of(7)];
  assert.equal(writeCache('t', 'key A', { vocab: ['x', 'é'] }, arrays), true);
  const back = readCache<{ vocab: string[] }>('t', 'key A');
  assert.deepEqual(back, { meta: { vocab: ['x', 'é'] }, arrays });
  assert.equal(readCache('t', 'key B'), null);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
}));

test('cache: a truncated or foreign file is ignored, not trusted', () => withCacheDir(() => {
  writeCache('t', 'k', {}, [Int32Array.of(1, 2, 3)]);
  const file = cacheFile('t', 'k');
  const whole = fs.readFileSync(file);
  fs.writeFileSync(file, whole.subarray(0, whole.length - 2));
  assert.equal(readCache('t', 'k'), null);
  fs.writeFileSync(file, 'not a cache file at all');
  assert.equal(readCache('t', 'k'), null);
}));
