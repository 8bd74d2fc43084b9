// A distributed study end to end on real PostgreSQL and Redis (SPARSE_RNN_PG_URL,
// SPARSE_RNN_REDIS_URL; skipped with the reason when unset):
//
//   12 small runs, `sparse-rnn study … --store --queue --artifacts` following them,
//   3 `sparse-rnn worker` processes, each in its own working directory (nothing
//   shared but the services and the artifact directory). One worker is SIGKILLed
//   once a run of its own has a checkpoint recorded (polled, no timing assumptions):
//   another worker finishes that run from the checkpoint (stored resumedFrom > 0).
//   Every run is stored exactly once, and every run's final metrics equal bit for
//   bit those of the same study on the embedded (SQLite) backend.
//
// The queue lock is shortened (SPARSE_RNN_LOCK_MS) so the dead worker's run is
// handed over in seconds rather than BullMQ's default 30 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase, freshQueue, needPgRedis, REDIS_URL } from '../helpers/services.js';
import { deterministic, startCli, tmp, waitFor, type Proc } from '../helpers/dist.js';
import { SqliteResults } from '../../src/study/results.js';
import { PgResults } from '../../src/study/pg-store.js';

const SPEC = `
name: dist-e2e
tasks:
  - name: syn
    data: { name: synthetic-lm, limit: 16000 }
    model: { hidden: 24, embedDim: 8 }
    epochs: 3
    batch: 8
    bptt: 16
    checkpointEvery: 15
    optimizer: { kind: adam, lr: 0.005, clip: 1 }
cells: [lstm]
methods: [dense, agp]
targets: [both]
sparsities: [0.5, 0.9]
seeds: [1, 2, 3, 4]
`;

const FAST = { SPARSE_RNN_LOCK_MS: '3000', SPARSE_RNN_STALLED_MS: '1500', SPARSE_RNN_MAX_STALLED: '5' };

test('a study on 3 workers, one SIGKILLed mid-run: every run once, resumed from its checkpoint, equal to the embedded study', { skip: needPgRedis, timeout: 600_000 }, async () => {
  const dir = tmp('srnn-dist-');
  const spec = path.join(dir, 'spec.yaml');
  fs.writeFileSync(spec, SPEC);
  const db = await freshDatabase('e2e');
  const queue = `${REDIS_URL}?name=${freshQueue('e2e')}`;
  const art = path.join(dir, 'artifacts');
  const svc = ['--store', db.url, '--queue', queue, '--artifacts', art];
  const workers: Proc[] = [];
  const pgc = new pg.Client({ connectionString: db.url });
  try {
    // The study first (it creates the tables and enqueues), then the workers.
    const study = startCli(['study', spec, ...svc, '--out', path.join(dir, 'study'), '--no-report'], dir, FAST);
    await waitFor('the plan in the store', async () => {
      try {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try { return Number((await c.query('SELECT COUNT(*) AS n FROM plan')).rows[0].n) === 12 ? true : undefined; } finally { await c.end(); }
      } catch { return undefined; }
    });
    for (let i = 1; i <= 3; i++) workers.push(startCli(['worker', ...svc, '--name', `w${i}`], path.join(dir, `machine${i}`), FAST));
    await pgc.connect();

    // A run with a recorded checkpoint, held by a worker: freeze that worker, make sure
    // the run is still not stored (a fast run may have ended meanwhile: then thaw it and
    // pick again), and kill it.
    let victim: { id: string; worker: string; step: number } | undefined;
    while (!victim) {
      const v = await waitFor('a run with a checkpoint in progress', async () => {
        const r = await pgc.query(`SELECT p.id, p.worker, c.step FROM progress p JOIN checkpoints c ON c.id = p.id
          WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.id) AND c.step <= p.total_steps / 2 LIMIT 1`);
        return r.rows[0] as { id: string; worker: string; step: number } | undefined;
      }, 300_000, 20);
      const w = workers[Number(v.worker.slice(1)) - 1];
      w.child.kill('SIGSTOP');
      const mine = (await pgc.query('SELECT worker FROM progress WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = $1)', [v.id])).rows[0];
      if (mine?.worker === v.worker) {
        w.child.kill('SIGKILL');
        await w.exited;
        victim = v;
      } else {
        w.child.kill('SIGCONT');
      }
    }

    const code = await study.exited;
    assert.equal(code, 0, study.out());

    // Exactly once: 12 rows, each with all its epochs.
    const rows = (await pgc.query('SELECT id, resumed_from FROM runs ORDER BY id')).rows as { id: string; resumed_from: number }[];
    assert.equal(rows.length, 12);
    const epochs = (await pgc.query('SELECT run_id, COUNT(*) AS n FROM epochs GROUP BY run_id')).rows as { run_id: string; n: string }[];
    assert.deepEqual(epochs.map((e) => Number(e.n)), Array(12).fill(3));
    const killed = rows.find((r) => r.id === victim.id)!;
    assert.ok(Number(killed.resumed_from) >= Number(victim.step) && Number(killed.resumed_from) > 0,
      `run ${victim.id} was resumed from step ${killed.resumed_from} (its checkpoint at the kill: ${victim.step})`);
    const left = (await pgc.query('SELECT COUNT(*) AS n FROM progress')).rows[0].n;
    assert.equal(Number(left), 0, 'no run left marked as running');

    // The same study on the embedded backend: bit-equal final metrics for every run.
    const emb = startCli(['study', spec, '--out', path.join(dir, 'embedded'), '--workers', '2', '--no-report', '--quiet'], dir);
    assert.equal(await emb.exited, 0, emb.out());
    const a = await PgResults.open(db.url);
    const b = SqliteResults.open(path.join(dir, 'embedded'));
    try {
      for (const { id } of rows) {
        const x = await a.getRun(id);
        const y = await b.getRun(id);
        assert.ok(x && y, `run ${id} in both stores`);
        assert.deepEqual(deterministic(x), deterministic(y), `run ${id}`);
      }
      assert.equal((await b.finishedIds()).size, 12);
    } finally {
      await a.close();
      await b.close();
    }

    // Status and report read the PostgreSQL study.
    const st = startCli(['status', '--store', db.url, '--json'], dir);
    assert.equal(await st.exited, 0, st.out());
    const status = JSON.parse(st.out());
    assert.equal(status[0].finished, 12);
    assert.ok(!st.out().includes(new URL(db.url).password), 'no password printed');
    const rep = startCli(['report', db.url, '--study', 'dist-e2e', '--out', path.join(dir, 'report'), '--no-png'], dir);
    assert.equal(await rep.exited, 0, rep.out());
    assert.match(fs.readFileSync(path.join(dir, 'report', 'report.md'), 'utf8'), /dist-e2e/);
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await pgc.end().catch(() => {});
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoints in an S3 bucket (s3rver); Ctrl-C on a worker checkpoints and gives the run back', { skip: needPgRedis, timeout: 300_000 }, async () => {
  const { default: S3rver } = await import('s3rver');
  const dir = tmp('srnn-dist-s3-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: 'srnn-ckpt', configs: [] }] });
  const { port } = await server.run();
  const s3env = { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', ...FAST };
  const spec = path.join(dir, 'spec.yaml');
  // Two runs, much longer than those above, so that a Ctrl-C lands while one is training
  // on any machine: the first checkpoint reaches the store only after the worker's first
  // S3 upload (a cold SDK: up to a second), and a fast CPU trained the whole 4-epoch
  // 64-unit run in 0.4 s, before the signal arrived. 30 epochs of 96 units take seconds
  // even there; the Ctrl-C is sent while the run is in its first quarter (polled).
  fs.writeFileSync(spec, SPEC.replace('name: dist-e2e', 'name: dist-s3').replace('seeds: [1, 2, 3, 4]', 'seeds: [1]').replace('sparsities: [0.5, 0.9]', 'sparsities: [0.9]')
    .replace('hidden: 24', 'hidden: 96').replace('epochs: 3', 'epochs: 30').replace('checkpointEvery: 15', 'checkpointEvery: 10'));
  const db = await freshDatabase('s3');
  const svc = ['--store', db.url, '--queue', `${REDIS_URL}?name=${freshQueue('s3')}`, '--artifacts', 's3://srnn-ckpt/studies'];
  const pgc = new pg.Client({ connectionString: db.url });
  const procs: Proc[] = [];
  try {
    const study = startCli(['study', spec, ...svc, '--out', path.join(dir, 'study'), '--no-report'], dir, s3env);
    procs.push(study);
    await waitFor('the plan', async () => {
      try { await pgc.connect(); } catch { /* connected already */ }
      try { return Number((await pgc.query('SELECT COUNT(*) AS n FROM plan')).rows[0].n) === 2 ? true : undefined; } catch { return undefined; }
    });
    const w1 = startCli(['worker', ...svc, '--name', 'w1'], path.join(dir, 'm1'), s3env);
    procs.push(w1);
    const run = await waitFor('a checkpoint in S3', async () => (await pgc.query(`SELECT c.id, c.step FROM checkpoints c JOIN progress p ON p.id = c.id
      WHERE c.step <= p.total_steps / 4 AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = c.id)`)).rows[0] as { id: string; step: number } | undefined, 240_000, 20);
    w1.child.kill('SIGINT');
    assert.equal(await w1.exited, 0, w1.out());
    assert.match(w1.out(), new RegExp(`${run.id}: stopped at step \\d+; checkpoint saved, run given back`));
    assert.doesNotMatch(w1.out(), /NodeVersionSupportWarning/, 'the pinned SDK supports Node 20: no notice about later releases');
    const w2 = startCli(['worker', ...svc, '--name', 'w2'], path.join(dir, 'm2'), s3env);
    procs.push(w2);
    assert.equal(await study.exited, 0, study.out());
    const rows = (await pgc.query('SELECT id, resumed_from FROM runs')).rows as { id: string; resumed_from: number }[];
    assert.equal(rows.length, 2);
    assert.ok(Number(rows.find((r) => r.id === run.id)!.resumed_from) >= Number(run.step));
    assert.match(w2.out(), new RegExp(`${run.id}: .*resuming from step`));
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await pgc.end().catch(() => {});
    await db.drop();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
