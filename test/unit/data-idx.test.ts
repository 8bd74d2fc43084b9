import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseIdx, readIdxHeader, readIdxItems } from '../../src/data/idx.js';
import { SparseRnnError } from '../../src/errors.js';

/** A uint8 IDX file: magic 0 0 8 k, big-endian dims, then the bytes. */
function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

test('parses a tiny uint8 IDX file: dims and row-major data', () => {
  const data = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 10);
  const p = parseIdx(idx([3, 2, 2], data), 'tiny');
  assert.equal(p.type, 'uint8');
  assert.deepEqual(p.dims, [3, 2, 2]);
  assert.equal(p.dataOffset, 16);
  assert.deepEqual(Array.from(p.data), data);
});

test('rejects bad magic, unknown type, wrong size, non-uint8 with BAD_DATA', () => {
  const good = idx([2, 2], [1, 2, 3, 4]);
  const bad = (buf: Uint8Array, re: RegExp) =>
    assert.throws(() => parseIdx(buf, 'f'), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_DATA' && re.test(e.message));
  const magic = good.slice(); magic[0] = 1;
  bad(magic, /not an IDX file/);
  const type = good.slice(); type[2] = 0x07;
  bad(type, /unknown IDX element type/);
  bad(good.subarray(0, good.length - 1), /needs 16/);
  bad(new Uint8Array([...good, 0]), /is 17 bytes/);
  const int32 = idx([1], [0, 0, 0, 5]); int32[2] = 0x0c; int32[7] = 1; // dims [1] of int32 = 4 bytes
  bad(int32, /only uint8/);
});

test('reads a slice of items from disk without the rest', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-idx-'));
  try {
    const file = path.join(dir, 'x-idx3-ubyte');
    fs.writeFileSync(file, idx([4, 1, 3], Array.from({ length: 12 }, (_, i) => i)));
    assert.deepEqual(readIdxHeader(file).dims, [4, 1, 3]);
    const s = readIdxItems(file, 1, 2);
    assert.deepEqual(s.dims, [2, 1, 3]);
    assert.deepEqual(Array.from(s.data), [3, 4, 5, 6, 7, 8]);
    assert.throws(() => readIdxItems(file, 3, 2), /has 4 items/);
    assert.throws(() => readIdxHeader(path.join(dir, 'missing')), /missing or unreadable/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
