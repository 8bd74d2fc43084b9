// The results store: a finished run is one committed row set; a second insert of the
// same id is refused; a failed insert leaves nothing; finished ids are what a rerun skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, STORE_FILE, snapshotStore, type RunRecord } from '../../src/study/store.js';
import { spawnSync } from 'node:child_process';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-store-'));

function rec(id: string, over: Partial<RunRecord> = {}): RunRecord {
  const t = { params: 100, nonZeros: 40, flopsPerToken: 80, flopsPerTokenDense: 200, bytes: 320, bytesDense: 400 };
  return {
    id, task: 't', cell: 'lstm', method: 'agp', target: 'both', sparsity: 0.6, seed: 1, hidden: 8, config: { a: 1 }, recipe: 'pruning: []',
    metric: 'bpc', valid: 2.5, test: 2.4, validLoss: 1.7, testLoss: 1.66, recurrentSparsity: 0.6, recurrent: t, total: { ...t, params: 300 },
    steps: 10, wallSeconds: 1.5, tokensPerSec: 1000, resumedFrom: 0, finishedAt: '2026-01-01T00:00:00Z',
    epochs: [{ epoch: 1, step: 10, lr: 0.01, trainLoss: 1.8, trainMetric: 2.6, validLoss: 1.7, validMetric: 2.5, seconds: 1, tokensPerSec: 1000, sparsity: 0.6, cpuSeconds: 0.9 }],
    groups: [{ name: 'rnn.0.ih', kind: 'ih', params: 50, nonZeros: 20, sparsity: 0.6 }],
    gates: [{ group: 'rnn.0.ih', gate: 'i', params: 12, nonZeros: 5, sparsity: 7 / 12 }],
    pruneSteps: [{ step: 5, group: 'rnn.0.ih', sparsity: 0.3, threshold: null, target: 0.3 }, { step: 10, group: 'rnn.0.ih', sparsity: 0.6, threshold: null, target: 0.6 }],
    ...over,
  };
}

const count = (s: Store, table: string) => (s.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

test('insert, read back, refuse a duplicate id', () => {
  const dir = tmp();
  const s = Store.open(dir);
  try {
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.insertRun(rec('a')), true);
    assert.equal(s.insertRun(rec('b', { seed: 2 })), true);
    assert.equal(s.insertRun(rec('a', { test: 9 })), false, 'the same id again is refused');
    assert.deepEqual([...s.finishedIds()].sort(), ['a', 'b']);
    assert.equal(count(s, 'runs'), 2);
    assert.equal(count(s, 'epochs'), 2);
    assert.equal(count(s, 'prune_steps'), 4);
    const row = s.db.prepare('SELECT * FROM runs WHERE id = ?').get('a') as Record<string, unknown>;
    assert.equal(row.test, 2.4, 'the first row is kept untouched');
    assert.equal(row.rec_nonzeros, 40);
    assert.equal(row.params, 300);
    assert.deepEqual(JSON.parse(row.config as string), { a: 1 });
  } finally {
    s.close();
  }
  // Reopening (a rerun of the study) sees the same finished runs.
  const again = Store.open(dir);
  try {
    assert.deepEqual([...again.finishedIds()].sort(), ['a', 'b']);
    assert.equal(again.has('a'), true);
    assert.equal(again.has('c'), false);
  } finally {
    again.close();
  }
  assert.ok(fs.existsSync(path.join(dir, STORE_FILE)));
});

test('a run whose child rows fail to insert leaves no row at all', () => {
  const dir = tmp();
  const s = Store.open(dir);
  try {
    // Two epochs with the same number violate the epochs primary key mid-transaction.
    const bad = rec('x', { epochs: [rec('x').epochs[0], rec('x').epochs[0]] });
    assert.throws(() => s.insertRun(bad), /UNIQUE|constraint/i);
    assert.equal(s.has('x'), false);
    assert.equal(count(s, 'epochs'), 0);
    assert.equal(count(s, 'groups'), 0);
    assert.equal(s.insertRun(rec('x')), true, 'the run can be stored once it is whole');
  } finally {
    s.close();
  }
});

test('two connections (two workers) insert concurrently without duplicates', () => {
  const dir = tmp();
  const a = Store.open(dir);
  const b = Store.open(dir);
  try {
    const results = ['r1', 'r2', 'r3'].flatMap((id) => [a.insertRun(rec(id)), b.insertRun(rec(id))]);
    assert.equal(results.filter(Boolean).length, 3);
    assert.equal(count(a, 'runs'), 3);
  } finally {
    a.close();
    b.close();
  }
});

test('the plan table is replaced, meta is kept; read-only opening needs the file', () => {
  const dir = tmp();
  const s = Store.open(dir);
  try {
    s.setMeta('name', 'x');
    s.setMeta('name', 'y');
    assert.equal(s.meta('name'), 'y');
    const plan = (id: string) => ({ id, task: 't', cell: 'rnn' as const, method: 'dense' as const, target: null, sparsity: 0, seed: 1, hidden: 4, recurrentNonZeros: 10, totalSteps: 5, train: {} as never });
    s.setPlan([plan('p1'), plan('p2')]);
    s.setPlan([plan('p3')]);
    assert.deepEqual(s.plannedIds(), ['p3']);
  } finally {
    s.close();
  }
  assert.throws(() => Store.openReadOnly(tmp()), /no results store/);
  const ro = Store.openReadOnly(dir);
  try {
    assert.equal(ro.meta('name'), 'y');
  } finally {
    ro.close();
  }
});

test('snapshot of a store in use: every committed run (also those only in the -wal file), one whole file', async () => {
  const dir = tmp();
  const s = Store.open(dir);
  try {
    s.db.pragma('wal_autocheckpoint = 0'); // keep the rows in the -wal file, as a running study does
    for (const id of ['a', 'b', 'c']) s.insertRun(rec(id, { seed: id.charCodeAt(0) }));
    assert.ok(fs.statSync(path.join(dir, `${STORE_FILE}-wal`)).size > 0, 'the rows are in the -wal file');
    const dest = path.join(tmp(), 'study.db');
    fs.writeFileSync(dest, 'old');
    const r = await snapshotStore(dir, dest);
    assert.equal(r.runs, 3);
    assert.equal(r.bytes, fs.statSync(dest).size);
    assert.ok(!fs.existsSync(`${dest}-wal`), 'one file, no side files');
    const copy = Store.openReadOnly(dest);
    try {
      assert.deepEqual([...copy.finishedIds()].sort(), ['a', 'b', 'c']);
    } finally {
      copy.close();
    }
    // A plain file copy of the main file alone would have lost them.
    const naive = path.join(tmp(), 'study.db');
    fs.copyFileSync(path.join(dir, STORE_FILE), naive);
    const n = Store.openReadOnly(naive);
    try {
      // Even the tables are still only in the -wal file.
      const lost = (() => { try { return n.finishedIds().size === 0; } catch (e) { return /no such table/.test(String(e)); } })();
      assert.ok(lost, 'a copy of study.db alone misses what the -wal file holds');
    } finally {
      n.close();
    }
  } finally {
    s.close();
  }
});

test('snapshot: a missing store and an unwritable destination are one error line each, the old copy kept', () => {
  const dir = tmp();
  const s = Store.open(dir);
  s.insertRun(rec('a'));
  s.close();
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/snapshot-store.ts', ...args], { encoding: 'utf8' });
  const missing = run(path.join(tmp(), 'nothing'), path.join(tmp(), 'x.db'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr.trim(), /^error\[BAD_FILE\]: no results store at .*\(hint: .*\)$/);
  const destDir = tmp();
  const blocker = path.join(destDir, 'file');
  fs.writeFileSync(blocker, 'x');
  const bad = run(dir, path.join(blocker, 'study.db'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.trim(), /^error\[IO\]: .*\(hint: .*\)$/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  const ok = run(dir, path.join(destDir, 'study.db'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /1 of 0 planned runs/);
});
