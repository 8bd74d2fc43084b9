// A study killed mid-way, then run again: no finished run lost, none stored twice,
// the interrupted run continues from its checkpoint, and the results equal those of
// a study that was never interrupted (resume is exact).
//
//   SIGKILL of the whole process group (runner and worker die at once)
//   SIGINT to the runner (clean stop: the worker checkpoints and exits; exit code 130)
//
// Tiny synthetic task, one worker, three runs of ~1-2 s each. The kill happens when
// the store holds at least one finished run and another run has a checkpoint but no
// summary yet (polled, no timing assumptions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import Database from 'better-sqlite3';

const CLI = path.join(ROOT, 'src/cli/run.ts');

const SPEC = `
name: resume-e2e
tasks:
  - name: syn
    data: { name: synthetic-lm, limit: 20000 }
    model: { hidden: 48, embedDim: 16 }
    epochs: 4
    batch: 8
    bptt: 20
    checkpointEvery: 25
    optimizer: { kind: adam, lr: 0.005, clip: 1 }
cells: [lstm]
methods: [dense, agp]
targets: [both]
sparsities: [0.5, 0.9]
seeds: [1]
`;

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-study-'));
const args = (spec: string, out: string) => ['--import', 'tsx', CLI, 'study', spec, '--out', out, '--workers', '1', '--no-report', '--quiet'];

interface Row { id: string; test: number; valid: number; finished_at: string; resumed_from: number; steps: number }
function rows(dir: string): Row[] {
  const f = path.join(dir, 'study.db');
  if (!fs.existsSync(f)) return [];
  const db = new Database(f, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, test, valid, finished_at, resumed_from, steps FROM runs ORDER BY id').all() as Row[];
  } catch {
    return []; // tables not created yet
  } finally {
    db.close();
  }
}

/** Run folders with a checkpoint and no summary: a run in progress. */
function inProgress(dir: string): string[] {
  const runs = path.join(dir, 'runs');
  if (!fs.existsSync(runs)) return [];
  return fs.readdirSync(runs).filter((id) => !id.endsWith('.lock')
    && fs.existsSync(path.join(runs, id, 'ckpt', 'last.srnn')) && !fs.existsSync(path.join(runs, id, 'summary.json')));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the study and calls `kill` once one run is stored and another has a checkpoint. */
async function interrupt(spec: string, out: string, kill: (pid: number) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; partial: string[] }> {
  const child = spawn(process.execPath, args(spec, out), { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => { done = true; });
  let partial: string[] = [];
  while (!done) {
    if (rows(out).length >= 1) {
      partial = inProgress(out);
      if (partial.length) {
        kill(child.pid!);
        break;
      }
    }
    await sleep(10);
  }
  const r = await exited;
  assert.ok(partial.length, `the study ended before it could be interrupted mid-run:\n${stderr}`);
  return { ...r, stderr, partial };
}

function rerun(spec: string, out: string): void {
  const r = spawnSync(process.execPath, args(spec, out), { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `rerun failed:\n${r.stderr}`);
}

let reference: Map<string, Row> | undefined;
/** The same study, never interrupted. */
function uninterrupted(spec: string): Map<string, Row> {
  if (!reference) {
    const out = tmp();
    rerun(spec, out);
    reference = new Map(rows(out).map((r) => [r.id, r]));
    assert.equal(reference.size, 3);
  }
  return reference;
}

function checkAfterRerun(out: string, before: Row[], partial: string[], spec: string): void {
  const after = rows(out);
  assert.equal(after.length, 3, 'every planned run is stored');
  assert.equal(new Set(after.map((r) => r.id)).size, after.length, 'no run is stored twice');
  for (const b of before) {
    const a = after.find((r) => r.id === b.id);
    assert.ok(a, `finished run ${b.id} was lost`);
    assert.equal(a.finished_at, b.finished_at, `finished run ${b.id} was run or stored again`);
  }
  for (const id of partial) {
    const a = after.find((r) => r.id === id)!;
    assert.ok(a.resumed_from > 0, `run ${id} continued from its checkpoint (resumed_from ${a.resumed_from})`);
  }
  const ref = uninterrupted(spec);
  for (const a of after) {
    const r = ref.get(a.id)!;
    assert.equal(a.steps, r.steps);
    assert.equal(a.test, r.test, `run ${a.id}: the resumed study gives the same test metric as an uninterrupted one`);
  }
  assert.equal(fs.readdirSync(path.join(out, 'runs')).filter((f) => f.endsWith('.lock')).length, 0, 'no lock file is left');
}

test('SIGKILL of runner and worker mid-study, then rerun', { timeout: 300_000 }, async () => {
  const dir = tmp();
  const spec = path.join(dir, 'spec.yaml');
  fs.writeFileSync(spec, SPEC);
  const out = path.join(dir, 'study');
  const r = await interrupt(spec, out, (pid) => process.kill(-pid, 'SIGKILL'));
  assert.equal(r.signal, 'SIGKILL');
  const before = rows(out);
  assert.ok(before.length >= 1 && before.length < 3);
  // The killed worker's lock is stale: its process is gone, the rerun takes it over.
  rerun(spec, out);
  checkAfterRerun(out, before, r.partial, spec);
});

test('SIGINT stops cleanly (checkpoint, exit 130), then rerun', { timeout: 300_000 }, async () => {
  const dir = tmp();
  const spec = path.join(dir, 'spec.yaml');
  fs.writeFileSync(spec, SPEC);
  const out = path.join(dir, 'study');
  const r = await interrupt(spec, out, (pid) => process.kill(pid, 'SIGINT'));
  assert.equal(r.code, 130, r.stderr);
  const before = rows(out);
  assert.ok(before.length >= 1 && before.length < 3);
  // The stopped run left its checkpoint and a record of the attempt; the worker released its lock.
  const stopped = inProgress(out);
  assert.ok(stopped.length >= 1, 'the interrupted run kept its checkpoint');
  for (const id of stopped) assert.ok(fs.existsSync(path.join(out, 'runs', id, 'attempts.jsonl')), `${id}: attempts.jsonl written on a clean stop`);
  assert.equal(fs.readdirSync(path.join(out, 'runs')).filter((f) => f.endsWith('.lock')).length, 0, 'the worker exited and released its run');
  assert.ok(!fs.existsSync(path.join(out, '.stop')), 'the stop file is removed');
  rerun(spec, out);
  checkAfterRerun(out, before, stopped, spec);
});
