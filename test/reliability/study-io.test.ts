// The study runner's own files on a bad disk (src/study/runner.ts, execute.ts): errors.log
// and the stop file are written through src/util/fs.ts, so a full disk or a path that is
// a folder gives an error[IO] line in the outcome, never a crash, a stack trace or half a
// line; a run's lock is whole or absent.
//
// The full disk is injected (injectWriteFault) in this process, the runner's; the
// workers write normally. A run that diverges at once (lr 1e300) makes the failure
// that errors.log records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStudySpec } from '../../src/study/spec.js';
import { expandStudy } from '../../src/study/plan.js';
import { DatasetCache, lockRun } from '../../src/study/execute.js';
import { ERRORS_LOG, runStudy, StudyRunner } from '../../src/study/runner.js';
import { STOP_FILE } from '../../src/study/protocol.js';
import { SparseRnnError } from '../../src/errors.js';
import { injectWriteFault } from '../../src/util/fs.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-study-io-'));
const datasets = new DatasetCache();

const task = (optimizer: Record<string, unknown>, epochs = 1) => ({
  name: 'syn', data: { name: 'synthetic-lm', limit: 4000 }, model: { hidden: 12, embedDim: 8 }, epochs, batch: 4, bptt: 16, checkpointEvery: 5, optimizer,
});
/** One dense run that diverges at its first step. */
const diverging = parseStudySpec({ name: 'io-diverge', tasks: [task({ kind: 'sgd', lr: 1e300, clip: 0 })], cells: ['rnn'], methods: ['dense'], targets: ['hh'], sparsities: [0.5], seeds: [1] });
/** One dense run long enough to be stopped mid-way. */
const slow = parseStudySpec({ name: 'io-slow', tasks: [task({ kind: 'adam', lr: 0.005, clip: 1 }, 50)], cells: ['lstm'], methods: ['dense'], targets: ['hh'], sparsities: [0.5], seeds: [1] });
const plansOf = (s: typeof diverging) => expandStudy(s, (t) => datasets.get(t.data));
const quiet = { workers: 1, progress: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('errors.log is a folder: the failed run is reported and one error[IO] line says errors.log could not be written', { timeout: 120_000 }, async () => {
  const out = tmp();
  try {
    fs.mkdirSync(path.join(out, ERRORS_LOG));
    const r = await runStudy(diverging, plansOf(diverging), { out, ...quiet });
    assert.equal(r.failed.length, 1, JSON.stringify(r.failed));
    assert.match(r.failed[0].message, /^error\[DIVERGED\]/);
    assert.equal(r.ioErrors.length, 1, JSON.stringify(r.ioErrors));
    assert.match(r.ioErrors[0], /^error\[IO\]: cannot append to .*errors\.log: the path is a folder \(EISDIR\) \(hint: .+\)$/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('a full disk while appending to errors.log: the log keeps whole lines only, and an error[IO] line says so', { timeout: 120_000 }, async () => {
  const out = tmp();
  try {
    const log = path.join(out, ERRORS_LOG);
    fs.writeFileSync(log, 'an earlier failure\n');
    injectWriteFault(10);
    let r;
    try {
      r = await runStudy(diverging, plansOf(diverging), { out, ...quiet });
    } finally {
      injectWriteFault(null);
    }
    assert.equal(r.failed.length, 1);
    assert.equal(fs.readFileSync(log, 'utf8'), 'an earlier failure\n', 'the line that did not fit is cut back');
    assert.equal(r.ioErrors.length, 1, JSON.stringify(r.ioErrors));
    assert.match(r.ioErrors[0], /^error\[IO\]: cannot append to .*errors\.log: the disk is full \(ENOSPC\) \(hint: .+\)$/);
    // Without the fault the same study appends the whole line.
    const again = await runStudy(diverging, plansOf(diverging), { out, ...quiet });
    assert.deepEqual(again.ioErrors, []);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1], /^\S+ [0-9a-f]+ rnn dense seed 1: error\[DIVERGED\]/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('stopping on a full disk: the stop file cannot be written, an error[IO] line says so, and the worker still checkpoints and exits', { timeout: 180_000 }, async () => {
  const out = tmp();
  try {
    const plans = plansOf(slow);
    const runner = new StudyRunner(slow, plans, { out, ...quiet });
    const done = runner.run();
    // Stop once the worker holds the run (its lock exists) and has written a checkpoint.
    const ckpt = path.join(out, 'runs', plans[0].id, 'ckpt', 'last.srnn');
    for (let i = 0; !fs.existsSync(ckpt); i++) {
      assert.ok(i < 6000, 'the worker never wrote a checkpoint');
      await sleep(20);
    }
    injectWriteFault(0);
    try {
      runner.stop();
    } finally {
      injectWriteFault(null);
    }
    const r = await done;
    assert.equal(r.interrupted, true);
    assert.equal(r.finished, 0);
    assert.deepEqual(r.failed, [], 'the worker was not killed: it checkpointed and exited');
    assert.equal(r.ioErrors.length, 1, JSON.stringify(r.ioErrors));
    assert.match(r.ioErrors[0], /^error\[IO\]: cannot write .*\.stop: the disk is full \(ENOSPC\) \(hint: .+\)$/);
    assert.ok(!fs.existsSync(path.join(out, STOP_FILE)), 'the stop file is removed at the end');
    assert.deepEqual(fs.readdirSync(out).filter((f) => f.includes('.tmp-')), [], 'no temporary file is left');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test("a run's lock on a full disk: one IO error and no empty lock left behind", () => {
  const out = tmp();
  try {
    injectWriteFault(0);
    try {
      assert.throws(() => lockRun(out, 'abc'), (e: unknown) => e instanceof SparseRnnError && e.code === 'IO'
        && /cannot write .*abc\.lock: the disk is full/.test(e.message));
    } finally {
      injectWriteFault(null);
    }
    assert.deepEqual(fs.readdirSync(path.join(out, 'runs')), []);
    const release = lockRun(out, 'abc');
    assert.equal(fs.readFileSync(path.join(out, 'runs', 'abc.lock'), 'utf8'), String(process.pid));
    release();
    // A lock that is a folder is named in one BAD_FILE line.
    fs.mkdirSync(path.join(out, 'runs', 'dir.lock'));
    assert.throws(() => lockRun(out, 'dir'), (e: unknown) => e instanceof SparseRnnError && /run lock .*dir\.lock is not a regular file/.test(e.message));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
