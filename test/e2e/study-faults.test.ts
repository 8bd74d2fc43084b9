// Faults of a distributed study, each on its own PostgreSQL and Redis started for
// this file by scripts/cluster-local.sh (so they can be restarted; skipped with the
// reason where the services are not installed, as the other distributed tests):
//
//   Redis restarted mid-study        the study completes, nothing lost
//   PostgreSQL restarted mid-study   workers retry; nothing lost or duplicated
//   a worker frozen (SIGSTOP) past its lock, then resumed (SIGCONT)
//                                    another worker finishes its run; the late
//                                    worker's completion changes nothing
//   a run that always fails          ends as failed after its attempts, with its
//                                    error, shown by status; the study exits 1
//
// Moments are chosen by polling the store (a run finished, a checkpoint recorded),
// never by sleeping for a guessed time.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from '../helpers/cli.js';
import { needPgRedis } from '../helpers/services.js';
import { startCli, tmp, waitFor, type Proc } from '../helpers/dist.js';

const SCRIPT = path.join(ROOT, 'scripts/cluster-local.sh');
// Below Linux's ephemeral range (32768-60999), so no outgoing connection holds them.
const PORTS = { PGPORT: String(25000 + (process.pid % 1000)), REDIS_PORT: String(26000 + (process.pid % 1000)) };
const FAST = { SPARSE_RNN_LOCK_MS: '3000', SPARSE_RNN_STALLED_MS: '1500', SPARSE_RNN_MAX_STALLED: '5' };

const spec = (name: string, extra = '') => `
name: ${name}
tasks:
  - name: syn
    data: { name: synthetic-lm, limit: 12000 }
    model: { hidden: 24, embedDim: 8 }
    epochs: 2
    batch: 8
    bptt: 16
    checkpointEvery: 10
    optimizer: { kind: adam, lr: 0.005, clip: 1 }
${extra}cells: [lstm]
methods: [dense, agp]
targets: [both]
sparsities: [0.5, 0.9]
seeds: [1, 2]
`;

function sh(...args: string[]): string {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, ...PORTS } });
  if (r.status !== 0) throw new Error(`cluster-local.sh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('distributed study faults', { skip: needPgRedis, timeout: 900_000 }, () => {
  let svc: string;
  let pgUrl = '';
  let redisUrl = '';
  let n = 0;
  before(() => {
    svc = tmp('srnn-faults-svc-');
    const out = sh('services', svc);
    pgUrl = /SPARSE_RNN_PG_URL=(\S+)/.exec(out)![1];
    redisUrl = /SPARSE_RNN_REDIS_URL=(\S+)/.exec(out)![1];
  });
  after(() => {
    sh('stop', svc);
    fs.rmSync(svc, { recursive: true, force: true });
  });

  /** A fresh database and queue, a study following them and `workers` workers in their own folders. */
  async function start(name: string, workers: number, extra = '', env: NodeJS.ProcessEnv = {}) {
    const dir = tmp(`srnn-fault-${name}-`);
    fs.writeFileSync(path.join(dir, 'spec.yaml'), spec(name, extra));
    const dbName = `faults_${process.pid}_${++n}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(pgUrl);
    u.pathname = `/${dbName}`;
    const db = u.toString();
    const args = ['--store', db, '--queue', `${redisUrl}?name=faults-${process.pid}-${n}`, '--artifacts', path.join(dir, 'artifacts')];
    const study = startCli(['study', path.join(dir, 'spec.yaml'), ...args, '--out', path.join(dir, 'study'), '--no-report'], dir, { ...FAST, ...env });
    const q = async <T>(sql: string): Promise<T[] | undefined> => {
      const c = new pg.Client({ connectionString: db });
      try {
        await c.connect();
        return (await c.query(sql)).rows as T[];
      } catch {
        return undefined; // not created yet, or the server is restarting
      } finally {
        await c.end().catch(() => {});
      }
    };
    await waitFor('the plan', async () => ((await q<{ n: string }>('SELECT COUNT(*) AS n FROM plan'))?.[0]?.n ?? '0') !== '0' ? true : undefined);
    const ws: Proc[] = [];
    // Each worker in a session of its own, out of reach of signals to the test's group:
    // a frozen w1 sharing that group died of SIGHUP once in 16 local runs of this file
    // (sender not caught; the kernel sends SIGHUP then SIGCONT to a process group that
    // becomes orphaned while a member is stopped).
    for (let i = 1; i <= workers; i++) ws.push(startCli(['worker', ...args, '--name', `w${i}`], path.join(dir, `m${i}`), FAST, { detached: true }));
    const stopAll = async () => {
      for (const w of ws) if (w.child.exitCode === null && w.child.signalCode === null) { w.child.kill('SIGCONT'); w.child.kill('SIGTERM'); }
      if (study.child.exitCode === null) study.child.kill('SIGTERM');
      await Promise.all([...ws.map((w) => w.exited), study.exited]);
      fs.rmSync(dir, { recursive: true, force: true });
    };
    /** A timeout's error with what each process printed: the only trace of a hang. */
    const explain = (what: string) => (e: Error): never => {
      const tail = (p: Proc, label: string) => `--- ${label} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'none yet'}):\n${p.out().slice(-3000)}`;
      throw new Error([`${e.message} (${what})`, ...ws.map((w, i) => tail(w, `w${i + 1}`)), tail(study, 'study')].join('\n'));
    };
    return { dir, db, study, ws, q, stopAll, explain };
  }

  async function assertAllOnce(q: <T>(sql: string) => Promise<T[] | undefined>, total: number) {
    const runs = (await q<{ id: string }>('SELECT id FROM runs'))!;
    assert.equal(runs.length, total);
    const ep = (await q<{ n: string }>('SELECT COUNT(*) AS n FROM epochs'))!;
    assert.equal(Number(ep[0].n), total * 2, 'every run stored with its epochs, once');
  }

  test('Redis restarted mid-study: the study completes, nothing lost', async () => {
    const s = await start('redis-restart', 2);
    try {
      await waitFor('a finished run', async () => ((await s.q<{ n: string }>('SELECT COUNT(*) AS n FROM runs'))?.[0]?.n ?? '0') !== '0' ? true : undefined, 300_000);
      sh('stop-redis', svc);
      sh('services', svc);
      assert.equal(await s.study.exited, 0, s.study.out());
      await assertAllOnce(s.q, 6);
    } finally {
      await s.stopAll();
    }
  });

  test('PostgreSQL restarted mid-study: workers retry, nothing lost or duplicated', async () => {
    const s = await start('pg-restart', 2);
    try {
      await waitFor('a finished run and a checkpoint', async () => {
        const r = await s.q<{ n: string }>('SELECT (SELECT COUNT(*) FROM runs) * (SELECT COUNT(*) FROM checkpoints) AS n');
        return r && r[0].n !== '0' ? true : undefined;
      }, 300_000);
      sh('stop-pg', svc);
      await new Promise((r) => setTimeout(r, 1500)); // down long enough that queries fail and are retried
      sh('services', svc);
      assert.equal(await s.study.exited, 0, s.study.out());
      await assertAllOnce(s.q, 6);
    } finally {
      await s.stopAll();
    }
  });

  test('a worker frozen past its lock and resumed: its late completion changes nothing', async () => {
    const s = await start('sigstop', 2);
    try {
      // Freeze w1 while it holds a run with a checkpoint; a run that ended meanwhile does not count (thaw, pick again).
      let victim: { id: string } | undefined;
      while (!victim) {
        const v = await waitFor('a run of w1 with a checkpoint', async () => (await s.q<{ id: string }>(
          `SELECT p.id FROM progress p JOIN checkpoints c ON c.id = p.id WHERE p.worker = 'w1' AND c.step <= p.total_steps / 2
           AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.id)`))?.[0], 300_000, 20);
        s.ws[0].child.kill('SIGSTOP');
        const still = await s.q<{ worker: string }>(`SELECT worker FROM progress WHERE id = '${v.id}' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = '${v.id}')`);
        if (still?.[0]?.worker === 'w1') victim = v;
        else s.ws[0].child.kill('SIGCONT');
      }
      const row = await waitFor('the frozen run finished by w2', async () => {
        const r = (await s.q<{ finished_at: string; wall_seconds: number }>(`SELECT finished_at, wall_seconds FROM runs WHERE id = '${victim!.id}'`))?.[0];
        if (r) return r;
        if (s.ws[1].child.exitCode !== null) throw new Error('w2 exited');
        const f = (await s.q<{ error: string }>(`SELECT error FROM failures WHERE id = '${victim!.id}'`))?.[0];
        if (f) throw new Error(`the run failed: ${f.error}`);
      }, 300_000)
        .catch(s.explain(`run ${victim.id}`));
      s.ws[0].child.kill('SIGCONT');
      // The late worker notices (lock lost, or an insert that stores nothing) and says so.
      await waitFor('the late worker to give up the run', async () => new RegExp(`${victim.id}: (lost its lock|already stored)`).test(s.ws[0].out()) ? true : undefined, 120_000)
        .catch(s.explain(`run ${victim.id}`));
      const after = (await s.q<{ finished_at: string; wall_seconds: number }>(`SELECT finished_at, wall_seconds FROM runs WHERE id = '${victim.id}'`))!;
      assert.deepEqual(after, [row]);
      assert.equal(await s.study.exited, 0, s.study.out());
      await assertAllOnce(s.q, 6);
    } finally {
      await s.stopAll();
    }
  });

  test('a run that always fails ends as failed after its attempts, shown by status', async () => {
    // A second task whose learning rate makes the loss infinite at once: its runs diverge on every attempt.
    const bad = `  - name: bad
    data: { name: synthetic-lm, limit: 6000 }
    model: { hidden: 16, embedDim: 8 }
    epochs: 1
    batch: 4
    bptt: 10
    optimizer: { kind: sgd, lr: 1.0e+38, clip: 0 }
`;
    const s = await start('always-fails', 1, bad, { SPARSE_RNN_ATTEMPTS: '2' });
    try {
      assert.equal(await s.study.exited, 1, s.study.out());
      const failed = (await s.q<{ id: string; attempts: number; error: string }>('SELECT id, attempts, error FROM failures ORDER BY id'))!;
      assert.equal(failed.length, 6, 'every run of the bad task failed');
      for (const f of failed) {
        assert.equal(f.attempts, 2);
        assert.match(f.error, /^error\[DIVERGED\]/);
      }
      assert.equal((await s.q('SELECT id FROM runs'))!.length, 6, 'the good task finished');
      const st = startCli(['status', '--store', s.db], s.dir);
      assert.equal(await st.exited, 0);
      assert.match(st.out(), /6\/12 finished, 0 running, 0 queued, 6 failed/);
      assert.match(st.out(), /failed .* after 2 attempt\(s\): error\[DIVERGED\]/);
      const rep = startCli(['report', s.db, '--study', 'always-fails', '--out', path.join(s.dir, 'report'), '--no-png'], s.dir);
      assert.equal(await rep.exited, 0, rep.out());
      assert.match(fs.readFileSync(path.join(s.dir, 'report', 'report.md'), 'utf8'), /6 run\(s\) failed after their attempts: .*error\[DIVERGED\]/);
    } finally {
      await s.stopAll();
    }
  });
});
