// One run of a study in-process (src/study/execute.ts): the row it commits, a run
// stopped by its signal and continued from the checkpoint, and a run that finished
// but was killed before its row was committed (stored again without training).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStudySpec } from '../../src/study/spec.js';
import { expandStudy } from '../../src/study/plan.js';
import { DatasetCache, executeRun, lockRun, runDirOf, RunBusyError } from '../../src/study/execute.js';
import { Store } from '../../src/study/store.js';
import { pruneSteps } from '../../src/study/record.js';
import { SparseRnnError } from '../../src/errors.js';

const spec = parseStudySpec({
  name: 'exec',
  tasks: [{ name: 'syn', data: { name: 'synthetic-lm', limit: 3000 }, model: { hidden: 12, embedDim: 8 }, epochs: 2, batch: 4, bptt: 16, checkpointEvery: 5 }],
  cells: ['gru'], methods: ['dense', 'agp', 'narang'], targets: ['both'], sparsities: [0.75], seeds: [3],
});
const datasets = new DatasetCache();
const plans = expandStudy(spec, (t) => datasets.get(t.data));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-exec-'));

test('a finished run: its row, groups, gates and pruning steps', async () => {
  const dir = tmp();
  const store = Store.open(dir);
  try {
    const plan = plans.find((p) => p.method === 'agp')!;
    const { record, inserted } = await executeRun(plan, dir, store, datasets);
    assert.equal(inserted, true);
    assert.equal(record.steps, plan.totalSteps);
    assert.equal(record.epochs.length, 2);
    assert.ok(Math.abs(record.recurrentSparsity - 0.75) < 0.01, `recurrent sparsity ${record.recurrentSparsity}`);
    assert.equal(record.recurrent.nonZeros, plan.recurrentNonZeros, 'AGP keeps exactly keepCount per group');
    assert.ok(record.total.flopsPerToken < record.total.flopsPerTokenDense);
    assert.deepEqual(record.gates.filter((g) => g.group === 'rnn.0.hh').map((g) => g.gate), ['z', 'r', 'h']);
    const last = record.pruneSteps.filter((p) => p.step === Math.max(...record.pruneSteps.map((q) => q.step)));
    assert.deepEqual(last.map((p) => p.group), ['rnn.0.ih', 'rnn.0.hh']);
    for (const p of last) assert.ok(Math.abs(p.sparsity - 0.75) < 1e-3);
    assert.ok(store.has(plan.id));
    assert.ok(!fs.existsSync(path.join(dir, 'runs', `${plan.id}.lock`)), 'the lock is released');
  } finally {
    store.close();
  }
});

test('stopped by its signal, then continued from the checkpoint to the same result', async () => {
  const plan = plans.find((p) => p.method === 'narang')!;
  const ref = tmp();
  const refStore = Store.open(ref);
  const want = (await executeRun(plan, ref, refStore, datasets)).record;
  refStore.close();

  const dir = tmp();
  const store = Store.open(dir);
  try {
    let steps = 0;
    // An AbortSignal look-alike, as the worker passes: aborted a few steps in.
    const signal = { get aborted() { return ++steps > 7; } } as unknown as AbortSignal;
    await assert.rejects(executeRun(plan, dir, store, datasets, signal), (e: unknown) => e instanceof SparseRnnError && e.code === 'INTERRUPTED');
    assert.equal(store.has(plan.id), false, 'nothing is stored for an unfinished run');
    assert.ok(fs.existsSync(path.join(runDirOf(dir, plan.id), 'ckpt', 'last.srnn')));
    let started: { resumedFrom: number } | undefined;
    const got = (await executeRun(plan, dir, store, datasets, undefined, { onStart: (s) => { started = s; } })).record;
    assert.ok(started && started.resumedFrom > 0 && started.resumedFrom < plan.totalSteps, `resumed from step ${started?.resumedFrom}`);
    assert.equal(got.resumedFrom, started.resumedFrom);
    assert.equal(got.test, want.test, 'exact resume');
    assert.deepEqual(got.pruneSteps, want.pruneSteps, 'prune.jsonl read back without replayed duplicates');
    assert.deepEqual(got.epochs.map((e) => e.validMetric), want.epochs.map((e) => e.validMetric));
  } finally {
    store.close();
  }
});

test('finished but not stored (killed between summary and commit): stored without training again', async () => {
  const dir = tmp();
  const store = Store.open(dir);
  try {
    const plan = plans.find((p) => p.method === 'dense')!;
    const first = (await executeRun(plan, dir, store, datasets)).record;
    // Forget the row, as if the process died before the commit.
    store.db.exec(`DELETE FROM epochs; DELETE FROM groups; DELETE FROM gates; DELETE FROM prune_steps; DELETE FROM runs;`);
    const metrics = path.join(runDirOf(dir, plan.id), 'metrics.jsonl');
    const mtime = fs.statSync(metrics).mtimeMs;
    let recovered = false;
    const { record, inserted } = await executeRun(plan, dir, store, datasets, undefined, { onStart: (s) => { recovered = s.recovered; } });
    assert.equal(recovered, true);
    assert.equal(inserted, true);
    assert.equal(record.test, first.test);
    assert.equal(fs.statSync(metrics).mtimeMs, mtime, 'no training happened');
    // Already stored: executing it again stores nothing more.
    assert.equal((await executeRun(plan, dir, store, datasets)).inserted, false);
    assert.equal(store.count(), 1);
  } finally {
    store.close();
  }
});

test('run locks: a live holder makes the run busy; a dead one is taken over', () => {
  const dir = tmp();
  const lockFile = path.join(dir, 'runs', 'abc.lock');
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  fs.writeFileSync(lockFile, String(process.ppid)); // a live process that is not us
  assert.throws(() => lockRun(dir, 'abc'), (e: unknown) => e instanceof RunBusyError && e.pid === process.ppid);
  fs.writeFileSync(lockFile, '999999999'); // no such process
  const release = lockRun(dir, 'abc');
  assert.equal(fs.readFileSync(lockFile, 'utf8'), String(process.pid));
  release();
  assert.ok(!fs.existsSync(lockFile));
});

test('prune.jsonl: partial last line skipped, a replayed step counted once', () => {
  const dir = tmp();
  const ev = (step: number, s: number) => JSON.stringify({ step, groups: [{ name: 'rnn.0.hh', sparsity: s, target: s }] });
  fs.writeFileSync(path.join(dir, 'prune.jsonl'), [ev(5, 0.1), ev(10, 0.2), ev(10, 0.2), ev(15, 0.3), '{"step": 20, "gro'].join('\n'));
  assert.deepEqual(pruneSteps(dir).map((p) => [p.step, p.sparsity]), [[5, 0.1], [10, 0.2], [15, 0.3]]);
});
