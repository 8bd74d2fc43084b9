// One test suite, two results stores: the embedded SQLite one and PostgreSQL (real
// server, from SPARSE_RNN_PG_URL; skipped with the reason when unset). Each rule of
// src/study/results.ts is checked on both: a run reads back bit for bit, a second
// completion changes nothing (also when two connections race), a different spec
// under the same name is refused, checkpoints only move forward, failures and
// progress, and a store written by a newer version is refused.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { SparseRnnError } from '../../src/errors.js';
import { SqliteResults, type ResultsStore } from '../../src/study/results.js';
import { PgResults } from '../../src/study/pg-store.js';
import type { RunRecord } from '../../src/study/store.js';
import type { RunPlan } from '../../src/study/plan.js';
import { freshDatabase, needPg } from '../helpers/services.js';

function plan(id: string, seed: number): RunPlan {
  return {
    id, task: 'syn', cell: 'lstm', method: 'dense', target: null, sparsity: 0, seed, hidden: 8, recurrentNonZeros: 512, totalSteps: 40,
    train: { data: { name: 'synthetic-lm', limit: 1000 }, model: { hidden: 8 }, batch: 4, bptt: 5, epochs: 1, maxSteps: 0, seed } as RunPlan['train'],
  };
}

// Values that a float32 column or a decimal text round trip would change.
function record(id: string): RunRecord {
  const t = { params: 1234, nonZeros: 617, flopsPerToken: 2468.000000001, flopsPerTokenDense: 4936, bytes: 9876, bytesDense: 19752 };
  return {
    id, task: 'syn', cell: 'lstm', method: 'agp', target: 'both', sparsity: 0.9, seed: 1, hidden: 8, config: { lr: 0.1 + 0.2, nested: { a: [1, 2] } },
    recipe: 'name: x\n', metric: 'bpc', valid: 1 / 3, test: Math.PI / 7, validLoss: 2.0000000000000004, testLoss: 5e-324,
    recurrentSparsity: 0.8999999999999999, recurrent: t, total: { ...t, params: 2000 }, steps: 40, wallSeconds: 1.2345678901234567, tokensPerSec: 123456.789,
    resumedFrom: 20, finishedAt: '2026-12-06T21:00:00.000Z',
    epochs: [
      { epoch: 1, step: 20, lr: 0.008, trainLoss: 3.1, trainMetric: 4.47, validLoss: 3.0, validMetric: null, seconds: 0.5, tokensPerSec: 1e5, sparsity: null, cpuSeconds: null },
      { epoch: 2, step: 40, lr: 0.004, trainLoss: 2.9, trainMetric: 4.18, validLoss: 2.8, validMetric: 4.04, seconds: 0.25, tokensPerSec: 2e5, sparsity: 0.45, cpuSeconds: 0.23456789012345678 },
    ],
    groups: [{ name: 'rnn.0.ih', kind: 'ih', params: 256, nonZeros: 26, sparsity: 0.8984375 }, { name: 'embed', kind: 'embed', params: 80, nonZeros: 80, sparsity: 0 }],
    gates: [{ group: 'rnn.0.ih', gate: 'i', params: 64, nonZeros: 7, sparsity: 0.890625 }, { group: 'rnn.0.ih', gate: 'f', params: 64, nonZeros: 6, sparsity: 0.90625 }],
    pruneSteps: [{ step: 4, group: 'rnn.0.ih', sparsity: 0.3, threshold: 0.01, target: 0.3 }, { step: 8, group: 'rnn.0.ih', sparsity: 0.9, threshold: null, target: null }],
  };
}

interface Backend {
  name: string; skip: string | false; open: () => Promise<ResultsStore>; cleanup: () => Promise<void>; setVersion: (v: number) => Promise<void>;
  /** Runs one SQL statement on the store behind the API (to make it look like an older store). */
  exec: (sql: string) => Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-results-'));
  return {
    name: 'SQLite', skip: false,
    open: async () => SqliteResults.open(dir),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    setVersion: async (v) => {
      const db = new Database(path.join(dir, 'study.db'));
      db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(v), 'version');
      db.close();
    },
    exec: async (sql) => {
      const db = new Database(path.join(dir, 'study.db'));
      db.exec(sql);
      db.close();
    },
  };
}

function pgBackend(): Backend {
  let db: { url: string; drop: () => Promise<void> } | null = null;
  return {
    name: 'PostgreSQL', skip: needPg,
    open: async () => {
      db ??= await freshDatabase('results');
      return PgResults.open(db.url, { retrySeconds: 5 });
    },
    cleanup: async () => { await db?.drop(); },
    setVersion: async (v) => {
      const c = new pg.Client({ connectionString: db!.url });
      await c.connect();
      await c.query('UPDATE srnn_meta SET value = $1 WHERE key = $2', [String(v), 'version']);
      await c.end();
    },
    exec: async (sql) => {
      const c = new pg.Client({ connectionString: db!.url });
      await c.connect();
      try { await c.query(sql); } finally { await c.end(); }
    },
  };
}

for (const b of [sqliteBackend(), pgBackend()]) {
  describe(`results store: ${b.name}`, { skip: b.skip }, () => {
    let s: ResultsStore;
    before(async () => { s = await b.open(); });
    after(async () => { await s?.close(); await b.cleanup(); });

    test('a study records its spec and plan; the plan reads back whole', async () => {
      const plans = [plan('aaaaaaaaaaa1', 1), plan('aaaaaaaaaaa2', 2), plan('aaaaaaaaaaa3', 3)];
      await s.openStudy('t1', '{"name":"t1"}', plans, true);
      assert.deepEqual(await s.plans('t1'), plans);
      assert.equal(await s.studySpec('t1'), '{"name":"t1"}');
      const st = (await s.studies()).find((x) => x.name === 't1');
      assert.deepEqual({ planned: st?.planned, finished: st?.finished, failed: st?.failed }, { planned: 3, finished: 0, failed: 0 });
      // The same spec again: fine (a restarted study), plan replaced.
      await s.openStudy('t1', '{"name":"t1"}', plans.slice(0, 2), true);
      assert.equal((await s.plans('t1')).length, 2);
    });

    test('a different spec under the same study name is refused (strict), replaced otherwise', async () => {
      await assert.rejects(s.openStudy('t1', '{"name":"t1","seeds":[9]}', [plan('aaaaaaaaaaa1', 1)], true),
        (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_CONFIG' && /another spec/.test(e.message) && !!e.hint);
      assert.equal(await s.studySpec('t1'), '{"name":"t1"}', 'nothing half-written');
      assert.equal((await s.plans('t1')).length, 2);
    });

    test('a finished run reads back bit for bit; a second completion changes nothing', async () => {
      const r = record('aaaaaaaaaaa1');
      assert.equal(await s.insertRun(r), true);
      assert.equal(await s.insertRun({ ...r, valid: 99, finishedAt: 'later', epochs: [] }), false);
      const back = await s.getRun(r.id);
      assert.ok(back);
      assert.deepEqual({ ...back, testLoss: back.testLoss }, r);
      assert.ok(Object.is(back.testLoss, 5e-324));
      assert.equal(await s.has(r.id), true);
      assert.deepEqual([...await s.finishedIds(['aaaaaaaaaaa1', 'aaaaaaaaaaa2'])], ['aaaaaaaaaaa1']);
      assert.equal((await s.wallSeconds()).size, 0, 'a resumed run is no time estimate');
    });

    test('NaN metrics are stored as NULL and come back as NaN', async () => {
      const r = { ...record('aaaaaaaaaaa9'), valid: NaN, test: NaN, resumedFrom: 0 };
      assert.equal(await s.insertRun(r), true);
      const back = (await s.getRun(r.id))!;
      assert.ok(Number.isNaN(back.valid) && Number.isNaN(back.test));
      assert.equal((await s.wallSeconds()).get(r.id), r.wallSeconds);
    });

    test('two connections completing the same run at once store it once', async () => {
      const other = await b.open();
      try {
        const r = record('aaaaaaaaaaa2');
        const results = await Promise.all([s.insertRun(r), other.insertRun(r), s.insertRun(r), other.insertRun(r)]);
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await other.getRun(r.id))!.epochs.length, 2);
      } finally {
        await other.close();
      }
    });

    test('checkpoints only move forward', async () => {
      assert.equal(await s.setCheckpoint({ id: 'aaaaaaaaaaa3', step: 10, key: 'k10' }), true);
      assert.equal(await s.setCheckpoint({ id: 'aaaaaaaaaaa3', step: 20, key: 'k20' }), true);
      assert.equal(await s.setCheckpoint({ id: 'aaaaaaaaaaa3', step: 10, key: 'stale' }), false);
      assert.equal(await s.setCheckpoint({ id: 'aaaaaaaaaaa3', step: 20, key: 'again' }), false);
      assert.deepEqual(await s.checkpoint('aaaaaaaaaaa3'), { id: 'aaaaaaaaaaa3', step: 20, key: 'k20' });
      assert.equal(await s.checkpoint('nope'), undefined);
    });

    test('progress and failures list only runs that are not finished', async () => {
      const p = { id: 'aaaaaaaaaaa3', host: 'h', worker: 'w1', pid: 1, epoch: 1, epochs: 2, step: 5, totalSteps: 40, resumedFrom: 0, startedAt: 'a', updatedAt: 'b' };
      await s.setProgress(p);
      await s.setProgress({ ...p, step: 7 });
      await s.setProgress({ ...p, id: 'aaaaaaaaaaa1' }); // finished already: not listed
      assert.deepEqual((await s.progress()).map((x) => [x.id, x.step]), [['aaaaaaaaaaa3', 7]]);
      await s.clearProgress('aaaaaaaaaaa3', 'someone-else');
      assert.equal((await s.progress(['aaaaaaaaaaa3'])).length, 1, 'only its own worker clears a run');
      await s.clearProgress('aaaaaaaaaaa3', 'w1');
      assert.equal((await s.progress(['aaaaaaaaaaa3'])).length, 0);
      await s.recordFailure({ id: 'aaaaaaaaaaa3', attempts: 3, error: 'error[DIVERGED]: x', failedAt: 'now' });
      await s.recordFailure({ id: 'aaaaaaaaaaa1', attempts: 1, error: 'stale', failedAt: 'now' });
      assert.deepEqual((await s.failures()).map((f) => [f.id, f.attempts]), [['aaaaaaaaaaa3', 3]]);
      await s.openStudy('t1', '{"name":"t1"}', [plan('aaaaaaaaaaa1', 1), plan('aaaaaaaaaaa3', 3)], true);
      const st = (await s.studies()).find((x) => x.name === 't1')!;
      assert.deepEqual([st.planned, st.finished, st.failed], [2, 1, 1]);
    });

    test('a store made before epochs kept their CPU time gains the column on opening; its rows read back null', async () => {
      await s.close();
      await b.exec('ALTER TABLE epochs DROP COLUMN cpu_seconds');
      s = await b.open();
      const old = (await s.getRun('aaaaaaaaaaa1'))!;
      assert.deepEqual(old.epochs.map((e) => e.cpuSeconds), [null, null]);
      const r = record('aaaaaaaaaaa8');
      assert.equal(await s.insertRun(r), true);
      assert.deepEqual((await s.getRun(r.id))!.epochs.map((e) => e.cpuSeconds), [null, 0.23456789012345678]);
    });

    test('a store written by a newer version is refused with one line', async () => {
      await s.close();
      await b.setVersion(99);
      await assert.rejects(b.open(), (e: unknown) => e instanceof SparseRnnError && /version 99/.test(e.message) && !e.message.includes('\n'));
      await b.setVersion(1);
      s = await b.open();
    });
  });
}

describe('results store: PostgreSQL, a worker frozen inside its commit', { skip: needPg }, () => {
  // A worker frozen (VM paused, SIGSTOP) between its last insert and COMMIT holds the
  // run's row lock; the worker that took the run over must not wait on it forever.
  test('the server ends the frozen session; the other commit lands, the frozen one retried stores nothing', async () => {
    const db = await freshDatabase('frozen');
    const frozen = await PgResults.open(db.url, { retrySeconds: 10, idleInTransactionMs: 500 });
    const other = await PgResults.open(db.url, { retrySeconds: 10 });
    try {
      // Freeze `frozen` once, just before its COMMIT, until released.
      const pool = (frozen as unknown as { pool: pg.Pool }).pool;
      const connect = pool.connect.bind(pool) as (cb?: unknown) => Promise<pg.PoolClient>;
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let atCommit!: () => void;
      const reached = new Promise<void>((r) => { atCommit = r; });
      let once = true;
      (pool as unknown as { connect: (cb?: unknown) => unknown }).connect = (cb?: unknown) => {
        if (cb) return connect(cb); // pool.query's own path
        return connect().then((c) => {
          const query = c.query.bind(c) as (...a: unknown[]) => Promise<unknown>;
          (c as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = async (...a: unknown[]) => {
            if (once && a[0] === 'COMMIT') { once = false; atCommit(); await held; }
            return query(...a);
          };
          return c;
        });
      };
      const mine = { ...record('aaaaaaaaaab1'), finishedAt: 'frozen worker' };
      const theirs = { ...record('aaaaaaaaaab1'), finishedAt: 'other worker' };
      const late = frozen.insertRun(mine);
      await reached;
      let timer: NodeJS.Timeout | undefined;
      const landed = await Promise.race([other.insertRun(theirs),
        new Promise<string>((r) => { timer = setTimeout(() => r('still waiting on the frozen transaction after 20 s'), 20_000); })]);
      clearTimeout(timer);
      release();
      assert.equal(landed, true);
      assert.equal(await late, false, 'the frozen worker\'s retried commit stores nothing');
      assert.equal((await other.getRun('aaaaaaaaaab1'))!.finishedAt, 'other worker');
    } finally {
      await frozen.close();
      await other.close();
      await db.drop();
    }
  });
});
