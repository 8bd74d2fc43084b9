/**
 * Accounting on a tiny model whose every number is computed by hand below.
 *
 * LSTM (G = 4), tokens V = 3, E = 2, H = 2, 1 layer, head O = 3:
 *   embedding [3, 2] 6 · rnn.0.ih [2, 8] 16 · rnn.0.hh [2, 8] 16 · rnn.0.bias [8] 8 · head [2, 3] 6 · head.bias [3] 3 → 55
 * 10 pruned → 45 non-zeros, total sparsity 10/55.
 * Mask: rnn.0.ih loses gate i (columns 0, 1 of both rows: 4) and (row 1, col 6) of gate o → nnz 11;
 *       rnn.0.hh loses gate f (columns 2, 3 of both rows: 4) → nnz 12; head loses (0, 0) → nnz 5.
 * FLOPs/token (multiply-add = 2): dense ih 32 + hh 32 + head 12 = 76; sparse 22 + 24 + 10 = 56.
 * Bytes: dense 4·55 = 220.
 *   CSR rnn.0.ih: 4·11 values + 1·11 col (8 cols → u8) + 1·3 row ptrs (nnz 11 → u8) = 58 < 64 → csr
 *   CSR rnn.0.hh: 4·12 + 12 + 3 = 63 < 64 → csr
 *   head: 4·5 + 5 + 3 = 28 > 24 → dense; embedding 4·6 + 6 + 4 = 34 > 24 → dense;
 *   rnn.0.bias 4·8 + 8 + 2 = 42 > 32 → dense; head.bias 4·3 + 3 + 2 = 17 > 12 → dense
 *   total sparse = 24 + 58 + 63 + 32 + 24 + 12 = 213.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSpec } from '../../src/model/spec.js';
import { buildLayout } from '../../src/model/layout.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountModel, csrBytes, formatAccountTable } from '../../src/model/accounting.js';
import { writeCheckpoint } from '../../src/model/checkpoint.js';
import { inspectCommand } from '../../src/cli/inspect.js';
import { SparseRnnError } from '../../src/errors.js';

function tiny(partial = {}) {
  const spec = defaultSpec({ inputSize: 3, embedDim: 2, hidden: 2, outputSize: 3, cell: 'lstm', layers: 1, ...partial });
  const layout = buildLayout(spec);
  const params = new Float32Array(layout.total).fill(0.5);
  const mask = new Uint8Array(layout.total).fill(1);
  const at = (name: string, r: number, c: number) => {
    const s = layout.byName.get(name)!;
    return s.offset + r * s.shape[1] + c;
  };
  return { spec, layout, params, mask, at };
}

function prunedTiny() {
  const t = tiny();
  const off = (name: string, r: number, c: number) => {
    const i = t.at(name, r, c);
    t.mask[i] = 0;
    t.params[i] = 0;
  };
  for (const r of [0, 1]) for (const c of [0, 1]) off('rnn.0.ih', r, c);
  off('rnn.0.ih', 1, 6);
  for (const r of [0, 1]) for (const c of [2, 3]) off('rnn.0.hh', r, c);
  off('head', 0, 0);
  return t;
}

test('per group: params, non-zeros, sparsity, FLOPs, bytes (hand-computed)', () => {
  const { spec, layout, params, mask } = prunedTiny();
  const acc = accountModel(spec, layout, params, mask);
  const row = (n: string) => acc.groups.find((g) => g.name === n)!;
  const pick = (n: string) => {
    const g = row(n);
    return [g.params, g.nonZeros, g.flopsDense, g.flopsSparse, g.bytesDense, g.bytesCsr, g.bytesSparse, g.format];
  };
  assert.deepEqual(pick('embedding'), [6, 6, 0, 0, 24, 34, 24, 'dense']);
  assert.deepEqual(pick('rnn.0.ih'), [16, 11, 32, 22, 64, 58, 58, 'csr']);
  assert.deepEqual(pick('rnn.0.hh'), [16, 12, 32, 24, 64, 63, 63, 'csr']);
  assert.deepEqual(pick('rnn.0.bias'), [8, 8, 0, 0, 32, 42, 32, 'dense']);
  assert.deepEqual(pick('head'), [6, 5, 12, 10, 24, 28, 24, 'dense']);
  assert.deepEqual(pick('head.bias'), [3, 3, 0, 0, 12, 17, 12, 'dense']);
  assert.ok(Math.abs(row("rnn.0.ih").sparsity - 5 / 16) < 1e-15);
  assert.equal(row('embedding').flopsPer, 'none');
  assert.equal(row('head').flopsPer, 'token');
});

test('per gate (TF.js order i f c o)', () => {
  const { spec, layout, params, mask } = prunedTiny();
  const acc = accountModel(spec, layout, params, mask);
  const gates = (n: string) => acc.groups.find((g) => g.name === n)!.gates!.map((g) => [g.gate, g.params, g.nonZeros, g.sparsity]);
  assert.deepEqual(gates('rnn.0.ih'), [['i', 4, 0, 1], ['f', 4, 4, 0], ['c', 4, 4, 0], ['o', 4, 3, 0.25]]);
  assert.deepEqual(gates('rnn.0.hh'), [['i', 4, 4, 0], ['f', 4, 0, 1], ['c', 4, 4, 0], ['o', 4, 4, 0]]);
  assert.deepEqual(gates('rnn.0.bias'), [['i', 2, 2, 0], ['f', 2, 2, 0], ['c', 2, 2, 0], ['o', 2, 2, 0]]);
  assert.equal(acc.groups.find((g) => g.name === 'head')!.gates, undefined);
});

test('totals and the recurrent subtotal', () => {
  const { spec, layout, params, mask } = prunedTiny();
  const { total, recurrent, units } = accountModel(spec, layout, params, mask);
  assert.deepEqual(
    [total.params, total.nonZeros, total.flopsPerTokenDense, total.flopsPerTokenSparse, total.bytesDense, total.bytesSparse],
    [55, 45, 76, 56, 220, 213],
  );
  assert.ok(Math.abs(total.sparsity - 10 / 55) < 1e-15);
  assert.equal(total.compression, 220 / 213);
  assert.equal(total.flopReduction, 76 / 56);
  assert.deepEqual([recurrent.params, recurrent.nonZeros, recurrent.flopsPerTokenDense, recurrent.flopsPerTokenSparse, recurrent.bytesDense, recurrent.bytesSparse],
    [32, 23, 64, 46, 128, 121]);
  assert.deepEqual(units, [{ layer: 0, units: 2, pruned: 0 }]);
});

test('without a mask, non-zeros are entries != 0', () => {
  const { spec, layout, params } = prunedTiny();
  const acc = accountModel(spec, layout, params, null);
  assert.equal(acc.total.nonZeros, 45);
  params[layout.byName.get('embedding')!.offset] = 0;
  assert.equal(accountModel(spec, layout, params).total.nonZeros, 44);
});

test('a wholly pruned hidden unit is counted', () => {
  const t = tiny();
  const G = 4;
  const H = 2;
  for (const name of ['rnn.0.ih', 'rnn.0.hh']) for (const r of [0, 1]) for (let g = 0; g < G; g++) t.mask[t.at(name, r, g * H + 1)] = 0;
  const bias = t.layout.byName.get('rnn.0.bias')!;
  for (let g = 0; g < G; g++) t.mask[bias.offset + g * H + 1] = 0;
  assert.deepEqual(accountModel(t.spec, t.layout, t.params, t.mask).units, [{ layer: 0, units: 2, pruned: 1 }]);
});

test('tied head: the head product is counted on the embedding (2·V·E per token)', () => {
  const t = tiny({ tied: true, outputSize: 3 });
  const acc = accountModel(t.spec, t.layout, t.params, t.mask);
  const emb = acc.groups.find((g) => g.name === 'embedding')!;
  assert.deepEqual([emb.flopsPer, emb.flopsDense], ['token', 12]);
  assert.equal(acc.groups.some((g) => g.name === 'head'), false);
  assert.equal(acc.total.flopsPerTokenDense, 32 + 32 + 12);
});

test('classify: the head runs once per sequence, outside the per-token total', () => {
  const t = tiny({ task: 'classify' });
  const acc = accountModel(t.spec, t.layout, t.params, t.mask);
  assert.equal(acc.total.flopsPerTokenDense, 64);
  assert.equal(acc.total.flopsPerSequenceDense, 12);
});

test('CSR index widths: u8 up to 256 columns, u16 up to 65,536, else u32; row pointers by nnz', () => {
  assert.equal(csrBytes(1, 256, 1), 4 + 1 + 2 * 1);
  assert.equal(csrBytes(1, 257, 1), 4 + 2 + 2 * 1);
  assert.equal(csrBytes(1, 65537, 1), 4 + 4 + 2 * 1);
  assert.equal(csrBytes(2, 8, 256), 4 * 256 + 256 + 3 * 2);
  assert.equal(csrBytes(2, 8, 65536), 4 * 65536 + 65536 + 3 * 4);
});

test('the terminal table lists every group, the gates and the totals', () => {
  const { spec, layout, params, mask } = prunedTiny();
  const text = formatAccountTable(accountModel(spec, layout, params, mask));
  const lines = text.split('\n');
  assert.match(lines[0], /^group +shape +params +non-zeros +sparsity +FLOP\/tok dense +FLOP\/tok sparse +bytes dense +bytes sparse$/);
  assert.match(text, /\nrnn\.0\.ih +2×8 +16 +11 +31\.3% +32 +22 +64 B +58 B csr\n/);
  assert.match(text, /\n {2}:i +4 +0 +100\.0%\n/);
  assert.match(text, /\ntotal +55 +45 +18\.2% +76 +56 +220 B +213 B\n/);
  assert.match(text, /hidden units pruned: rnn\.0 0\/2/);
});

test('sparse-rnn inspect: a run folder resolves to its checkpoint; --json carries the same account', async () => {
  const { spec, layout, params, mask } = prunedTiny();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-'));
  fs.mkdirSync(path.join(dir, 'ckpt'));
  writeCheckpoint(path.join(dir, 'ckpt', 'last.srnn'), { spec, params, mask, step: 42, epoch: 1, batchInEpoch: 0, extra: {} });
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  try {
    assert.equal(await inspectCommand([dir, '--json']), 0);
    const j = JSON.parse(out);
    assert.equal(j.step, 42);
    assert.deepEqual(j.total, JSON.parse(JSON.stringify(accountModel(spec, layout, params, mask).total)));
    out = '';
    assert.equal(await inspectCommand([dir]), 0);
    assert.match(out, /step 42, lstm ×1, hidden 2/);
    assert.match(out, /\ntotal +55 +45 +18\.2%/);
  } finally {
    process.stdout.write = write;
    fs.rmSync(dir, { recursive: true });
  }
  await assert.rejects(inspectCommand([]), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FLAG');
  await assert.rejects(inspectCommand([path.join(dir, 'missing')]), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FILE');
});
