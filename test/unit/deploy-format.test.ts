// The sparse model file: round trips per value type, codec units, and a loader that
// refuses every kind of hostile input with one BAD_FILE line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSpec, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout } from '../../src/model/layout.js';
import { SparseRnnError } from '../../src/errors.js';
import { crc32, fromHalf, toHalf } from '../../src/deploy/codec.js';
import { readSparseModel, toDenseParams, writeSparseModel, SPARSE_FORMAT_VERSION } from '../../src/deploy/format.js';
import { readSparseModelFile, writeSparseModelFile } from '../../src/deploy/file.js';
import { randomPrunedModel } from '../../src/deploy/random.js';

const SPECS: ModelSpec[] = [
  defaultSpec({ cell: 'lstm', inputSize: 30, outputSize: 30, hidden: 24, embedDim: 12, layers: 2 }),
  defaultSpec({ cell: 'gru', inputSize: 30, outputSize: 30, hidden: 16, embedDim: 16, tied: true }),
  defaultSpec({ cell: 'rnn', inputKind: 'vectors', inputSize: 7, outputSize: 10, hidden: 20, task: 'classify', activation: 'relu' }),
];

/** Section table of a file, walked with the byte layout of docs/deploy.md. */
function sections(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { name: string; at: number; body: number; end: number; kind: number; vt: number; it: number; rows: number; cols: number; n: number }[] = [];
  let p = 24 + dv.getUint32(16, true);
  const count = dv.getUint32(20, true);
  const pad = (n: number) => Math.ceil(n / 4) * 4;
  for (let s = 0; s < count; s++) {
    const [kind, vt, it, nl] = [bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]];
    const rows = dv.getUint32(p + 4, true), cols = dv.getUint32(p + 8, true), n = dv.getUint32(p + 12, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 16, p + 16 + nl));
    const body = p + 16 + pad(nl);
    const vw = [4, 2, 1][vt], iw = [1, 2, 4, 0][it];
    const scales = vt === 2 ? rows * 4 : 0;
    const idxBytes = it === 3 ? 4 + pad(dv.getUint32(body + (rows + 1) * 4, true)) : pad(n * iw);
    const len = kind === 1 ? (rows + 1) * 4 + idxBytes + scales + pad(n * vw) : scales + pad(n * vw);
    out.push({ name, at: p, body, end: body + len, kind, vt, it, rows, cols, n });
    p = body + len;
  }
  return out;
}

/** Rewrites the checksum so a test reaches the structural checks behind it. */
function reseal(b: Uint8Array): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(12, b.length, true);
  dv.setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}

function badFile(bytes: Uint8Array, pattern: RegExp) {
  assert.throws(() => readSparseModel(bytes, 'm.srnz'), (e: unknown) => {
    assert.ok(e instanceof SparseRnnError, `expected SparseRnnError, got ${e}`);
    assert.equal(e.code, 'BAD_FILE');
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.match(e.message, pattern);
    return true;
  });
}

const model0 = () => {
  const spec = SPECS[0];
  const m = randomPrunedModel(spec, 0.8, 7);
  return { ...m, bytes: writeSparseModel(spec, m.layout, m.params, m.mask, { values: 'fp32', extra: { vocab: ['a'] } }) };
};

test('crc32 equals zlib.crc32', () => {
  const b = new Uint8Array(1000).map((_, i) => (i * 37) ^ (i >> 3));
  assert.equal(crc32(b), zlib.crc32(b) >>> 0);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('toHalf rounds to nearest even, keeps zeros, infinities and subnormals', () => {
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(65504), 0x7bff);
  assert.equal(toHalf(65520), 0x7c00); // rounds up past the largest half
  assert.equal(toHalf(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(toHalf(2 ** -26), 0); // below half of it
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.equal(toHalf(-0), 0x8000);
  for (let h = 0; h < 0x7c00; h += 7) assert.equal(toHalf(fromHalf(h)), h, `half ${h} round trips`);
});

test('fp32 round trip is exact: params, mask, spec, extras', () => {
  for (const spec of SPECS) {
    const m = randomPrunedModel(spec, 0.7, 3);
    const model = readSparseModel(writeSparseModel(spec, m.layout, m.params, m.mask, { extra: { labels: ['x'] } }));
    assert.deepEqual(model.spec, spec);
    assert.deepEqual(model.extra, { labels: ['x'] });
    const { params, mask } = toDenseParams(model);
    for (const seg of m.layout.segments) {
      for (let i = seg.offset; i < seg.offset + seg.size; i++) {
        assert.equal(params[i], m.params[i], `${seg.name}[${i - seg.offset}]`);
        assert.equal(mask[i], m.mask[i], `${seg.name} mask`);
      }
    }
  }
});

test('fp16 round trip: relative error <= 2^-11 (abs <= 2^-25 near zero), structure kept', () => {
  for (const spec of SPECS) {
    const m = randomPrunedModel(spec, 0.6, 4);
    const { params, mask } = toDenseParams(readSparseModel(writeSparseModel(spec, m.layout, m.params, m.mask, { values: 'fp16' })));
    for (const seg of m.layout.segments) {
      const vector = seg.shape.length === 1; // biases stay fp32
      for (let i = seg.offset; i < seg.offset + seg.size; i++) {
        const err = Math.abs(params[i] - m.params[i]);
        assert.ok(vector ? err === 0 : err <= Math.abs(m.params[i]) * 2 ** -11 + 2 ** -25, `${seg.name}: ${m.params[i]} → ${params[i]}`);
        assert.equal(mask[i], m.mask[i]);
      }
    }
  }
});

test('int8 round trip: error per weight <= max|w| of its row / 254', () => {
  for (const spec of SPECS) {
    const m = randomPrunedModel(spec, 0.5, 5);
    const { params, mask } = toDenseParams(readSparseModel(writeSparseModel(spec, m.layout, m.params, m.mask, { values: 'int8' })));
    for (const seg of m.layout.segments) {
      if (seg.shape.length === 1) continue;
      const [rows, cols] = seg.shape;
      for (let r = 0; r < rows; r++) {
        let max = 0;
        for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(m.params[seg.offset + r * cols + c]));
        for (let c = 0; c < cols; c++) {
          const i = seg.offset + r * cols + c;
          assert.ok(Math.abs(params[i] - m.params[i]) <= max / 254 * (1 + 1e-6), `${seg.name}[${r},${c}]`);
          if (!m.mask[i]) assert.equal(mask[i], 0, 'a pruned weight stays pruned');
        }
      }
    }
  }
});

test('index encoding: narrowest fixed width, or LEB128 gaps when smaller; no mask = non-zeros', () => {
  // Tiny dense-ish rows: u8 beats gaps (1 byte each + a 4-byte count).
  const small = defaultSpec({ cell: 'rnn', inputKind: 'vectors', inputSize: 3, hidden: 8, outputSize: 70000, task: 'classify' });
  const m = randomPrunedModel(small, 0.99, 1);
  const bytes = writeSparseModel(small, m.layout, m.params, null, { storage: 'csr' });
  const types = Object.fromEntries(sections(bytes).filter((s) => s.kind === 1).map((s) => [s.name, s.it]));
  assert.deepEqual(types, { 'rnn.0.ih': 0, 'rnn.0.hh': 0, head: 3 }); // cols 8 → u8; 70000 cols at 1% → gaps
  const { mask } = toDenseParams(readSparseModel(bytes));
  for (let i = 0; i < m.layout.total; i++) assert.equal(mask[i], m.params[i] !== 0 && m.layout.segments.some((g) => g.shape.length === 2 && i >= g.offset && i < g.offset + g.size) ? 1 : mask[i]);
  // Two far-apart columns per row: gaps need 2 bytes each, u16 wins the tie.
  const wide = defaultSpec({ cell: 'rnn', inputKind: 'vectors', inputSize: 3, hidden: 400, outputSize: 2, task: 'classify' });
  const w = randomPrunedModel(wide, 0, 1);
  const hh = w.layout.byName.get('rnn.0.hh')!;
  w.params.fill(0, hh.offset, hh.offset + hh.size);
  for (let r = 0; r < 400; r++) {
    w.params[hh.offset + r * 400 + 200] = 1;
    w.params[hh.offset + r * 400 + 399] = -1;
  }
  const wb = writeSparseModel(wide, w.layout, w.params, null, { storage: 'csr' });
  assert.equal(sections(wb).find((s) => s.name === 'rnn.0.hh')!.it, 1);
  // Gap streams round trip exactly (LSTM H256 at 90%: gaps are ~1 byte, u16 would be 2).
  const spec = defaultSpec({ cell: 'lstm', inputKind: 'vectors', inputSize: 256, hidden: 256, outputSize: 3, task: 'classify' });
  const g = randomPrunedModel(spec, 0.9, 2);
  const gb = writeSparseModel(spec, g.layout, g.params, g.mask, { values: 'fp16' });
  assert.equal(sections(gb).find((s) => s.name === 'rnn.0.hh')!.it, 3);
  const back = toDenseParams(readSparseModel(gb));
  assert.deepEqual(back.mask, Uint8Array.from(g.mask, (v, i) => (g.layout.segments.some((x) => i >= x.offset && i < x.offset + x.size) ? v : 0)));
});

test('hostile (checksum valid): gap streams that overrun, overflow, leave bytes or leave the matrix', () => {
  const spec = defaultSpec({ cell: 'lstm', inputKind: 'vectors', inputSize: 256, hidden: 256, outputSize: 3, task: 'classify' });
  const g = randomPrunedModel(spec, 0.9, 2);
  const bytes = writeSparseModel(spec, g.layout, g.params, g.mask);
  const sec = sections(bytes).find((s) => s.name === 'rnn.0.hh')!;
  const at = sec.body + (sec.rows + 1) * 4; // u32 stream length, then the stream
  const len = new DataView(bytes.buffer).getUint32(at, true);
  let b = bytes.slice();
  new DataView(b.buffer).setUint32(at, len - 1, true);
  badFile(reseal(b), /cannot hold \d+ indices|gap stream runs past|unused bytes/);
  b = bytes.slice();
  b[at + 4 + len - 1] |= 0x80; // the last gap claims a continuation byte
  badFile(reseal(b), /gap stream runs past its \d+ bytes/);
  b = bytes.slice();
  new DataView(b.buffer).setUint32(at, 0xfffffff0, true);
  badFile(reseal(b), /gap stream needs \d+ bytes, only \d+ remain/);
  b = bytes.slice();
  b.fill(0xff, at + 4, at + 10); // one varint of 6+ bytes
  badFile(reseal(b), /longer than 5 bytes/);
  b = bytes.slice();
  b[at + 4] = 0x7f; b[at + 5] = 0x7f; b[at + 6] = 0x7f; b[at + 7] = 0x7f; b[at + 8] = 0x7f; // gaps of 127: past column 1024
  badFile(reseal(b), /column index \d+ at row 0 is out of range|unused bytes/);
});

test('atomic file write and read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnz-'));
  try {
    const { spec, layout, params, mask } = randomPrunedModel(SPECS[2], 0.9, 2);
    const file = path.join(dir, 'sub', 'm.srnz');
    writeSparseModelFile(file, spec, layout, params, mask, { values: 'fp16' });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['m.srnz']); // no temp file left
    assert.equal(readSparseModelFile(file).values, 'fp16');
    assert.throws(() => readSparseModelFile(path.join(dir, 'missing.srnz')), /sparse model .*missing\.srnz is missing/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile: wrong magic, wrong version, too short, trailing bytes', () => {
  const { bytes } = model0();
  const b = bytes.slice();
  b[0] = 0x58;
  badFile(b, /bad magic/);
  const v = bytes.slice();
  new DataView(v.buffer).setUint32(8, SPARSE_FORMAT_VERSION + 1, true);
  badFile(v, new RegExp(`format version ${SPARSE_FORMAT_VERSION + 1} is not supported`));
  badFile(bytes.slice(0, 20), /too short/);
  badFile(new Uint8Array(0), /too short/);
  const longer = new Uint8Array(bytes.length + 8);
  longer.set(bytes);
  badFile(longer, /unexpected bytes after the declared end/);
});

test('hostile: truncated at every section boundary and inside sections', () => {
  const { bytes } = model0();
  const cuts = new Set<number>([24, 30]);
  for (const s of sections(bytes)) for (const c of [s.at, s.at + 3, s.at + 16, s.body, s.body + 5, s.end - 1]) cuts.add(c);
  cuts.add(bytes.length - 4);
  cuts.add(bytes.length - 1);
  for (const cut of cuts) {
    badFile(bytes.slice(0, cut), /truncated|too short/);
    // Same cut with the header and checksum rewritten to match: the section walk must catch it.
    const sealed = new Uint8Array(cut + 4);
    sealed.set(bytes.subarray(0, cut));
    if (cut >= 24 && cut < bytes.length - 4) badFile(reseal(sealed), /runs past|remain|needs|sections|unaccounted|metadata/);
  }
});

test('hostile: any flipped byte is a checksum error', () => {
  const { bytes } = model0();
  for (const at of [24, 100, Math.floor(bytes.length / 2), bytes.length - 5]) {
    const b = bytes.slice();
    b[at] ^= 0x10;
    badFile(b, /checksum mismatch/);
  }
});

test('hostile (checksum valid): huge declared sizes are refused before any allocation', () => {
  const { bytes } = model0();
  const secs = sections(bytes);
  const set32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer).setUint32(at, v, true);
  let b = bytes.slice();
  set32(b, 16, 0xfffffff0); // metadata length
  badFile(reseal(b), /metadata length/);
  b = bytes.slice();
  set32(b, 20, 0xffffffff); // section count
  badFile(reseal(b), /declares 4294967295 sections/);
  const csr = secs.find((s) => s.kind === 1)!;
  b = bytes.slice();
  set32(b, csr.at + 12, 0xffffffff); // nnz
  badFile(reseal(b), /nnz 4294967295 exceeds/);
  b = bytes.slice();
  set32(b, csr.at + 4, 0x7fffffff); // rows
  badFile(reseal(b), /does not match the spec/);
  // A consistent but too-large nnz (≤ rows·cols, row pointers fine) must fail on the
  // bytes that remain: an empty 2048x8192 kernel is 8 KiB of row pointers, nnz 10^6 asks for 2 MB.
  const bigSpec = defaultSpec({ cell: 'lstm', inputKind: 'vectors', inputSize: 2, hidden: 2048, outputSize: 2, task: 'classify' });
  const bigLayout = buildLayout(bigSpec);
  const empty = writeSparseModel(bigSpec, bigLayout, new Float32Array(bigLayout.total), null, { storage: 'csr' });
  const hh = sections(empty).find((s) => s.name === 'rnn.0.hh')!;
  b = empty.slice();
  set32(b, hh.at + 12, 1_000_000);
  set32(b, hh.body + hh.rows * 4, 1_000_000);
  badFile(reseal(b), /column indices needs 2000000 bytes, only \d+ remain/);
  // A spec whose dense size is above the cap (16384 hidden, 4 layers) in a tiny file.
  const hugeSpec = { ...defaultSpec({ cell: 'lstm', inputKind: 'vectors', inputSize: 16384, hidden: 16384, outputSize: 2, task: 'classify' }), layers: 4 };
  const meta = new TextEncoder().encode(JSON.stringify({ spec: hugeSpec, values: 'fp32', extra: {} }).padEnd(1024, ' '));
  const tiny = new Uint8Array(24 + meta.length + 4);
  tiny.set(bytes.subarray(0, 24));
  set32(tiny, 16, meta.length);
  tiny.set(meta, 24);
  badFile(reseal(tiny), /above the \d+ cap/);
  // Metadata that does not parse or holds an invalid spec.
  b = bytes.slice();
  b[24] = 0x7b + 1;
  badFile(reseal(b), /metadata is not valid/);
});

test('hostile (checksum valid): column index out of range, row pointers not monotone or past nnz', () => {
  const { bytes } = model0();
  const csr = sections(bytes).find((s) => s.kind === 1 && s.n > 2)!;
  const dv = (b: Uint8Array) => new DataView(b.buffer);
  const idxAt = csr.body + (csr.rows + 1) * 4;
  let b = bytes.slice();
  if (csr.it === 0) b[idxAt] = 0xff; else dv(b).setUint16(idxAt, csr.cols, true);
  badFile(reseal(b), csr.it === 0 ? /out of range|not strictly increasing/ : /column index \d+ at row \d+ is out of range/);
  b = bytes.slice();
  // Find a row with two entries and swap its first two columns.
  const rp = (r: number) => dv(bytes).getUint32(csr.body + 4 * r, true);
  let r = 0;
  while (rp(r + 1) - rp(r) < 2) r++;
  const w = [1, 2, 4][csr.it];
  const at = idxAt + rp(r) * w;
  const a = bytes.slice(at, at + w), c = bytes.slice(at + w, at + 2 * w);
  b.set(c, at);
  b.set(a, at + w);
  badFile(reseal(b), /not strictly increasing/);
  b = bytes.slice();
  dv(b).setUint32(csr.body + 4, rp(2) + 1, true); // rowPtr[1] > rowPtr[2]
  badFile(reseal(b), /not monotone|above nnz/);
  b = bytes.slice();
  dv(b).setUint32(csr.body, 1, true);
  badFile(reseal(b), /row pointer 0 is 1/);
});

test('hostile (checksum valid): unknown kind, value type, index type, group name, NaN value', () => {
  const { bytes } = model0();
  const secs = sections(bytes);
  const csr = secs.find((s) => s.kind === 1)!;
  const vecSec = secs.find((s) => s.rows === 1)!;
  const cases: [number, number, RegExp][] = [
    [csr.at, 9, /unknown kind 9/],
    [csr.at + 1, 3, /unknown value type 3/],
    [csr.at + 2, 4, /unknown index type 4/],
    [csr.at + 16, 0x5a, /is not a weight group/],
  ];
  for (const [at, v, re] of cases) {
    const b = bytes.slice();
    b[at] = v;
    badFile(reseal(b), re);
  }
  const b = bytes.slice();
  new DataView(b.buffer).setFloat32(vecSec.body, NaN, true);
  badFile(reseal(b), /must be finite/);
  // A duplicated section (second overwrites the name of the third).
  const b2 = bytes.slice();
  b2.set(bytes.subarray(secs[0].at, secs[0].body), secs[1].at);
  badFile(reseal(b2), /appears twice|does not match|needs|remain|unaccounted|vector/);
});
