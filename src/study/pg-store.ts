/**
 * The results store on PostgreSQL (npm `pg`): the truth of a distributed study.
 * Redis only dispatches runs; everything a study has done is here.
 *
 * Tables (schema version STORE_VERSION in srnn_meta; the same column names as the
 * SQLite store, so rows read back alike — see results.ts):
 *   srnn_meta    key → value (version)
 *   studies      name, canonical spec JSON, created
 *   plan         (study, id): the planned runs of each study, with the whole RunPlan
 *   runs, epochs, groups, gates, prune_steps
 *                one row (and its children) per finished run, keyed by run id. A run
 *                id is a hash of what the run is, so two studies that plan the same
 *                run share its result.
 *   failures     runs that ended as failed after their attempts, with the error
 *   progress     runs being trained: host, worker, epoch, step (heartbeat)
 *   checkpoints  each run's latest checkpoint in the artifact store (only moves forward)
 *
 * Every statement is parameterised. A lost connection (the server restarting, the
 * network dropping) is retried with backoff for up to `retrySeconds`; insertRun is
 * one transaction that checks the id first, so a retried commit whose first try did
 * land stores nothing twice. A session idle inside a transaction (its process frozen
 * mid-commit) is ended by the server after `idleInTransactionMs`, so it cannot hold a
 * run's row lock, and the worker that took the run over, forever. Passwords never
 * appear in messages (maskUrl).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { fail, SparseRnnError } from '../errors.js';
import type { RunPlan } from './plan.js';
import { STORE_FILE, STORE_VERSION, type RunRecord } from './store.js';
import {
  newerStore, planFromJson, progressRow, rowToRecord, specMismatch,
  type CheckpointRef, type ResultsStore, type RunFailure, type RunProgress, type StudySummary,
} from './results.js';
import { maskUrl, serviceError } from './urls.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS srnn_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (name TEXT PRIMARY KEY, spec TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plan (
  study TEXT NOT NULL REFERENCES studies(name), id TEXT NOT NULL, ord INTEGER NOT NULL, task TEXT NOT NULL, cell TEXT NOT NULL,
  method TEXT NOT NULL, target TEXT, sparsity DOUBLE PRECISION NOT NULL, seed INTEGER NOT NULL, hidden INTEGER NOT NULL,
  recurrent_nonzeros BIGINT NOT NULL, total_steps BIGINT NOT NULL, matches TEXT, config TEXT NOT NULL, plan_json TEXT NOT NULL,
  PRIMARY KEY (study, id)
);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, cell TEXT NOT NULL, method TEXT NOT NULL, target TEXT,
  sparsity DOUBLE PRECISION NOT NULL, seed INTEGER NOT NULL, hidden INTEGER NOT NULL,
  config TEXT NOT NULL, recipe TEXT,
  metric TEXT NOT NULL, valid DOUBLE PRECISION, test DOUBLE PRECISION, valid_loss DOUBLE PRECISION, test_loss DOUBLE PRECISION,
  recurrent_sparsity DOUBLE PRECISION NOT NULL,
  rec_params BIGINT NOT NULL, rec_nonzeros BIGINT NOT NULL, rec_flops DOUBLE PRECISION NOT NULL, rec_flops_dense DOUBLE PRECISION NOT NULL,
  rec_bytes BIGINT NOT NULL, rec_bytes_dense BIGINT NOT NULL,
  params BIGINT NOT NULL, nonzeros BIGINT NOT NULL, flops DOUBLE PRECISION NOT NULL, flops_dense DOUBLE PRECISION NOT NULL,
  bytes BIGINT NOT NULL, bytes_dense BIGINT NOT NULL,
  steps BIGINT NOT NULL, wall_seconds DOUBLE PRECISION NOT NULL, tokens_per_sec DOUBLE PRECISION NOT NULL,
  resumed_from BIGINT NOT NULL, finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS epochs (
  run_id TEXT NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, step BIGINT NOT NULL, lr DOUBLE PRECISION NOT NULL,
  train_loss DOUBLE PRECISION, train_metric DOUBLE PRECISION, valid_loss DOUBLE PRECISION, valid_metric DOUBLE PRECISION,
  seconds DOUBLE PRECISION NOT NULL, tokens_per_sec DOUBLE PRECISION NOT NULL, sparsity DOUBLE PRECISION, cpu_seconds DOUBLE PRECISION,
  PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS groups (
  run_id TEXT NOT NULL REFERENCES runs(id), ord INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  params BIGINT NOT NULL, nonzeros BIGINT NOT NULL, sparsity DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS gates (
  run_id TEXT NOT NULL REFERENCES runs(id), ord INTEGER NOT NULL, grp TEXT NOT NULL, gate TEXT NOT NULL,
  params BIGINT NOT NULL, nonzeros BIGINT NOT NULL, sparsity DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (run_id, grp, gate)
);
CREATE TABLE IF NOT EXISTS prune_steps (
  run_id TEXT NOT NULL REFERENCES runs(id), ord INTEGER NOT NULL, step BIGINT NOT NULL, grp TEXT NOT NULL,
  sparsity DOUBLE PRECISION NOT NULL, threshold DOUBLE PRECISION, target DOUBLE PRECISION,
  PRIMARY KEY (run_id, step, grp)
);
CREATE TABLE IF NOT EXISTS failures (id TEXT PRIMARY KEY, attempts INTEGER NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, worker TEXT NOT NULL, pid INTEGER NOT NULL, epoch INTEGER NOT NULL, epochs INTEGER NOT NULL,
  step BIGINT NOT NULL, total_steps BIGINT NOT NULL, resumed_from BIGINT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (id TEXT PRIMARY KEY, step BIGINT NOT NULL, key TEXT NOT NULL);
`;

// Double precision comes back as a JS number (exact: float8 ↔ double). BIGINT (int8)
// comes back as a string by default; the counts kept here fit in 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

const nullable = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? null : v);

/** Errors worth retrying: the connection went away or the server is (re)starting. */
function transient(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03', '53300', '40001', '40P01', '25P03'].includes(code)) return true;
  if (code.startsWith('08')) return true;
  const m = err?.message ?? '';
  return /Connection terminated|connection.*closed|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(m);
}

export interface PgOptions {
  /** Keep retrying a lost connection this long before giving up (default 120 s). */
  retrySeconds?: number;
  /** Connect timeout of each try, ms (default 5000). */
  connectTimeoutMs?: number;
  /**
   * The server ends a session of ours left inside a transaction this long, ms (default
   * 60000): a worker frozen (VM paused, SIGSTOP) in the middle of insertRun would
   * otherwise hold its row lock forever, and the worker that took its run over would
   * wait on it forever. The frozen worker's commit then fails, is retried and stores
   * nothing (the run id is stored already).
   */
  idleInTransactionMs?: number;
  /** A study folder (SQLite) must exist already (status, report). */
  existing?: boolean;
}

export class PgResults implements ResultsStore {
  readonly kind = 'postgres' as const;
  readonly where: string;
  private readonly pool: pg.Pool;
  private readonly retryMs: number;
  private closed = false;

  private constructor(url: string, o: PgOptions) {
    this.where = maskUrl(url);
    this.retryMs = (o.retrySeconds ?? 120) * 1000;
    this.pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: o.connectTimeoutMs ?? 5000, idleTimeoutMillis: 10_000,
      idle_in_transaction_session_timeout: o.idleInTransactionMs ?? 60_000, application_name: `sparse-rnn@${os.hostname()}` });
    // An idle client whose server went away: the next query reconnects (and retries).
    this.pool.on('error', () => {});
  }

  /**
   * Connects, creates the tables when missing (under an advisory lock, so machines
   * starting together do not race), and checks the schema version. A wrong URL or
   * password fails at once with one line; only a lost connection is retried later.
   */
  static async open(url: string, o: PgOptions = {}): Promise<PgResults> {
    const s = new PgResults(url, o);
    try {
      await s.tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock(727172)');
        await c.query(SCHEMA);
        // Stores made before epochs recorded CPU time: their rows keep NULL (unknown).
        await c.query('ALTER TABLE epochs ADD COLUMN IF NOT EXISTS cpu_seconds DOUBLE PRECISION');
        const r = await c.query('SELECT value FROM srnn_meta WHERE key = $1', ['version']);
        if (!r.rows.length) await c.query('INSERT INTO srnn_meta (key, value) VALUES ($1, $2)', ['version', String(STORE_VERSION)]);
        else if (Number(r.rows[0].value) > STORE_VERSION) newerStore(s.where, Number(r.rows[0].value));
      }, false);
    } catch (e) {
      await s.close();
      if (e instanceof SparseRnnError) throw e;
      throw serviceError('PostgreSQL', s.where, e);
    }
    return s;
  }

  /** Runs fn, retrying on a lost connection (retry = false: fail at once, for the first connect). */
  private async withRetry<T>(fn: () => Promise<T>, retry = true): Promise<T> {
    const t0 = Date.now();
    let wait = 200;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!retry || this.closed || !transient(e) || Date.now() - t0 > this.retryMs) {
          if (e instanceof SparseRnnError) throw e;
          throw serviceError('PostgreSQL', this.where, e);
        }
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 3000);
      }
    }
  }

  private q<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.withRetry(() => this.pool.query<R>(sql, params));
  }

  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>, retry = true): Promise<T> {
    return this.withRetry(async () => {
      const c = await this.pool.connect();
      let broken = false;
      // The server ending this session between two statements (idle in transaction too
      // long, a restart) is an 'error' event with no query to take it: without a
      // listener it would end the process. The next statement fails and is retried.
      const onError = () => { broken = true; };
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const r = await fn(c);
        await c.query('COMMIT');
        return r;
      } catch (e) {
        broken ||= transient(e);
        if (!broken) await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.off('error', onError);
        c.release(broken);
      }
    }, retry);
  }

  async openStudy(name: string, specJson: string, plans: readonly RunPlan[], strict: boolean): Promise<void> {
    await this.tx(async (c) => {
      const r = await c.query('SELECT spec FROM studies WHERE name = $1 FOR UPDATE', [name]);
      if (r.rows.length && r.rows[0].spec !== specJson) {
        if (strict) specMismatch(name, this.where);
        await c.query('UPDATE studies SET spec = $2 WHERE name = $1', [name, specJson]);
      } else if (!r.rows.length) {
        await c.query('INSERT INTO studies (name, spec, created) VALUES ($1, $2, $3)', [name, specJson, new Date().toISOString()]);
      }
      await c.query('DELETE FROM plan WHERE study = $1', [name]);
      // Batched multi-row inserts (parameterised): a 549-run plan is a few statements.
      const cols = 15;
      for (let i = 0; i < plans.length; i += 200) {
        const chunk = plans.slice(i, i + 200);
        const values: unknown[] = [];
        const rows = chunk.map((p, j) => {
          values.push(name, p.id, i + j, p.task, p.cell, p.method, p.target, p.sparsity, p.seed, p.hidden, p.recurrentNonZeros, p.totalSteps,
            p.matches ? JSON.stringify(p.matches) : null, JSON.stringify(p.train), JSON.stringify(p));
          return `(${Array.from({ length: cols }, (_, k) => `$${j * cols + k + 1}`).join(', ')})`;
        });
        await c.query(`INSERT INTO plan (study, id, ord, task, cell, method, target, sparsity, seed, hidden, recurrent_nonzeros, total_steps, matches, config, plan_json)
          VALUES ${rows.join(', ')}`, values);
      }
    });
  }

  async studies(): Promise<StudySummary[]> {
    const r = await this.q(`SELECT s.name, s.created,
        (SELECT COUNT(*) FROM plan p WHERE p.study = s.name) AS planned,
        (SELECT COUNT(*) FROM plan p JOIN runs r ON r.id = p.id WHERE p.study = s.name) AS finished,
        (SELECT COUNT(*) FROM plan p JOIN failures f ON f.id = p.id WHERE p.study = s.name AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.id)) AS failed
      FROM studies s ORDER BY s.created`);
    return r.rows.map((x) => ({ name: String(x.name), created: String(x.created), planned: Number(x.planned), finished: Number(x.finished), failed: Number(x.failed) }));
  }

  async studySpec(study: string): Promise<string | undefined> {
    const r = await this.q('SELECT spec FROM studies WHERE name = $1', [study]);
    return r.rows.length ? String(r.rows[0].spec) : undefined;
  }

  async plans(study: string): Promise<RunPlan[]> {
    const r = await this.q('SELECT plan_json FROM plan WHERE study = $1 ORDER BY ord', [study]);
    return r.rows.map((x) => planFromJson(String(x.plan_json)));
  }

  async finishedIds(ids?: readonly string[]): Promise<Set<string>> {
    const r = ids ? await this.q('SELECT id FROM runs WHERE id = ANY($1)', [ids]) : await this.q('SELECT id FROM runs');
    return new Set(r.rows.map((x) => String(x.id)));
  }

  async has(id: string): Promise<boolean> {
    return (await this.q('SELECT 1 FROM runs WHERE id = $1', [id])).rows.length > 0;
  }

  async insertRun(r: RunRecord): Promise<boolean> {
    return this.tx(async (c) => {
      // The run id is the primary key: a concurrent second insert waits on it and then does nothing.
      const ins = await c.query(`INSERT INTO runs (id, task, cell, method, target, sparsity, seed, hidden, config, recipe, metric, valid, test, valid_loss, test_loss,
          recurrent_sparsity, rec_params, rec_nonzeros, rec_flops, rec_flops_dense, rec_bytes, rec_bytes_dense,
          params, nonzeros, flops, flops_dense, bytes, bytes_dense, steps, wall_seconds, tokens_per_sec, resumed_from, finished_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)
        ON CONFLICT (id) DO NOTHING`, [
        r.id, r.task, r.cell, r.method, r.target, r.sparsity, r.seed, r.hidden, JSON.stringify(r.config), r.recipe, r.metric,
        nullable(r.valid), nullable(r.test), nullable(r.validLoss), nullable(r.testLoss), r.recurrentSparsity,
        r.recurrent.params, r.recurrent.nonZeros, r.recurrent.flopsPerToken, r.recurrent.flopsPerTokenDense, r.recurrent.bytes, r.recurrent.bytesDense,
        r.total.params, r.total.nonZeros, r.total.flopsPerToken, r.total.flopsPerTokenDense, r.total.bytes, r.total.bytesDense,
        r.steps, r.wallSeconds, r.tokensPerSec, r.resumedFrom, r.finishedAt]);
      if (ins.rowCount === 0) return false;
      const many = async (table: string, cols: string[], rows: unknown[][]) => {
        for (let i = 0; i < rows.length; i += 500) {
          const chunk = rows.slice(i, i + 500);
          const values = chunk.flat();
          const ph = chunk.map((_, j) => `(${cols.map((__, k) => `$${j * cols.length + k + 1}`).join(', ')})`);
          await c.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${ph.join(', ')}`, values);
        }
      };
      await many('epochs', ['run_id', 'epoch', 'step', 'lr', 'train_loss', 'train_metric', 'valid_loss', 'valid_metric', 'seconds', 'tokens_per_sec', 'sparsity', 'cpu_seconds'],
        r.epochs.map((e) => [r.id, e.epoch, e.step, e.lr, nullable(e.trainLoss), nullable(e.trainMetric), nullable(e.validLoss), nullable(e.validMetric), e.seconds, e.tokensPerSec, nullable(e.sparsity), nullable(e.cpuSeconds)]));
      await many('groups', ['run_id', 'ord', 'name', 'kind', 'params', 'nonzeros', 'sparsity'], r.groups.map((g, i) => [r.id, i, g.name, g.kind, g.params, g.nonZeros, g.sparsity]));
      await many('gates', ['run_id', 'ord', 'grp', 'gate', 'params', 'nonzeros', 'sparsity'], r.gates.map((g, i) => [r.id, i, g.group, g.gate, g.params, g.nonZeros, g.sparsity]));
      await many('prune_steps', ['run_id', 'ord', 'step', 'grp', 'sparsity', 'threshold', 'target'],
        r.pruneSteps.map((p, i) => [r.id, i, p.step, p.group, p.sparsity, nullable(p.threshold), nullable(p.target)]));
      await c.query('DELETE FROM progress WHERE id = $1', [r.id]);
      await c.query('DELETE FROM failures WHERE id = $1', [r.id]);
      return true;
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = await this.q('SELECT * FROM runs WHERE id = $1', [id]);
    if (!r.rows.length) return undefined;
    const sub = async (sql: string) => (await this.q(sql, [id])).rows;
    return rowToRecord(r.rows[0], await sub('SELECT * FROM epochs WHERE run_id = $1 ORDER BY epoch'), await sub('SELECT * FROM groups WHERE run_id = $1 ORDER BY ord'),
      await sub('SELECT * FROM gates WHERE run_id = $1 ORDER BY ord'), await sub('SELECT * FROM prune_steps WHERE run_id = $1 ORDER BY ord'));
  }

  async wallSeconds(): Promise<Map<string, number>> {
    const r = await this.q('SELECT id, wall_seconds FROM runs WHERE resumed_from = 0');
    return new Map(r.rows.map((x) => [String(x.id), Number(x.wall_seconds)]));
  }

  async recordFailure(f: RunFailure): Promise<void> {
    await this.q(`INSERT INTO failures (id, attempts, error, failed_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts, error = EXCLUDED.error, failed_at = EXCLUDED.failed_at`, [f.id, f.attempts, f.error, f.failedAt]);
  }

  async failures(ids?: readonly string[]): Promise<RunFailure[]> {
    const base = 'SELECT id, attempts, error, failed_at FROM failures f WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = f.id)';
    const r = ids ? await this.q(`${base} AND f.id = ANY($1) ORDER BY id`, [ids]) : await this.q(`${base} ORDER BY id`);
    return r.rows.map((x) => ({ id: String(x.id), attempts: Number(x.attempts), error: String(x.error), failedAt: String(x.failed_at) }));
  }

  async setProgress(p: RunProgress): Promise<void> {
    await this.q(`INSERT INTO progress (id, host, worker, pid, epoch, epochs, step, total_steps, resumed_from, started_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, worker = EXCLUDED.worker, pid = EXCLUDED.pid,
      epoch = EXCLUDED.epoch, epochs = EXCLUDED.epochs, step = EXCLUDED.step, total_steps = EXCLUDED.total_steps, resumed_from = EXCLUDED.resumed_from,
      started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at`,
    [p.id, p.host, p.worker, p.pid, p.epoch, p.epochs, p.step, p.totalSteps, p.resumedFrom, p.startedAt, p.updatedAt]);
  }

  async clearProgress(id: string, worker: string): Promise<void> {
    await this.q('DELETE FROM progress WHERE id = $1 AND worker = $2', [id, worker]);
  }

  async progress(ids?: readonly string[]): Promise<RunProgress[]> {
    const base = 'SELECT * FROM progress p WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.id)';
    const r = ids ? await this.q(`${base} AND p.id = ANY($1) ORDER BY id`, [ids]) : await this.q(`${base} ORDER BY id`);
    return r.rows.map(progressRow);
  }

  async setCheckpoint(ref: CheckpointRef): Promise<boolean> {
    const r = await this.q(`INSERT INTO checkpoints (id, step, key) VALUES ($1, $2, $3)
      ON CONFLICT (id) DO UPDATE SET step = EXCLUDED.step, key = EXCLUDED.key WHERE checkpoints.step < EXCLUDED.step`, [ref.id, ref.step, ref.key]);
    return (r.rowCount ?? 0) > 0;
  }

  async checkpoint(id: string): Promise<CheckpointRef | undefined> {
    const r = await this.q('SELECT id, step, key FROM checkpoints WHERE id = $1', [id]);
    return r.rows.length ? { id: String(r.rows[0].id), step: Number(r.rows[0].step), key: String(r.rows[0].key) } : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => {});
  }
}

/** Opens the results store a --store value names: a postgres:// URL, or a study folder (SQLite). */
export async function openResults(store: string, o: PgOptions = {}): Promise<ResultsStore> {
  if (/^postgres(ql)?:\/\//i.test(store)) return PgResults.open(store, o);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(store)) {
    fail('BAD_FLAG', `--store ${maskUrl(store)}: unknown kind of store`, 'give postgres://USER:PASSWORD@HOST:PORT/DB');
  }
  if (o.existing && !fs.existsSync(path.join(store, STORE_FILE))) {
    fail('BAD_FILE', `no results store at ${path.join(store, STORE_FILE)}`, 'give a postgres:// URL, or a folder a `sparse-rnn study` wrote');
  }
  const { SqliteResults } = await import('./results.js');
  return SqliteResults.open(store);
}
