/**
 * The results store: one SQLite file per study (STUDY_DIR/study.db, WAL mode),
 * written by better-sqlite3 from every worker process.
 *
 * A finished run is one transaction that inserts its `runs` row (primary key: the
 * run id) together with its epochs, groups, gates and pruning steps. Nothing is
 * written for a run before it finishes, so a killed study leaves either the whole
 * run or none of it, and a run id can never appear twice: a second insert of the
 * same id is refused inside the transaction and reported as `false`.
 *
 * Schema (version STORE_VERSION; see docs/study.md):
 *   meta        key → value (schema version, study name, spec JSON, created)
 *   plan        every run the spec expands to: id, its labels and config (refreshed
 *               each time the study starts, so a report knows what is missing)
 *   runs        one row per finished run: labels, config, recipe, final metrics,
 *               recurrent and total params / non-zeros / FLOPs per token / bytes,
 *               wall time, the step it resumed from
 *   epochs      per-epoch rows of a run (train / valid loss and metric, lr, sparsity,
 *               wall and CPU seconds, tokens/s)
 *   groups      per weight group of a run: params, non-zeros, sparsity
 *   gates       per gate of each rnn.* group: params, non-zeros, sparsity
 *   prune_steps the sparsity each group had after each pruning step (prune.jsonl)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fail } from '../errors.js';
import { copyFileAtomic } from '../util/fs.js';
import type { RunPlan } from './plan.js';

export const STORE_VERSION = 1;
export const STORE_FILE = 'study.db';

export interface EpochRecord {
  epoch: number;
  step: number;
  lr: number;
  trainLoss: number;
  trainMetric: number | null;
  validLoss: number;
  validMetric: number | null;
  seconds: number;
  tokensPerSec: number;
  sparsity: number | null;
  /** CPU seconds over the same span as `seconds` (null: not recorded; stores made before it have none). */
  cpuSeconds: number | null;
}

export interface GroupRecord { name: string; kind: string; params: number; nonZeros: number; sparsity: number }
export interface GateRecord { group: string; gate: string; params: number; nonZeros: number; sparsity: number }
export interface PruneStepRecord { step: number; group: string; sparsity: number; threshold: number | null; target: number | null }

export interface Totals { params: number; nonZeros: number; flopsPerToken: number; flopsPerTokenDense: number; bytes: number; bytesDense: number }

/** Everything the store keeps about one finished run. */
export interface RunRecord {
  id: string;
  task: string;
  cell: string;
  method: string;
  target: string | null;
  sparsity: number;
  seed: number;
  hidden: number;
  config: unknown;
  recipe: string | null;
  metric: string;
  valid: number;
  test: number;
  validLoss: number;
  testLoss: number;
  /** Sparsity of the recurrent weights (ih + hh) actually reached. */
  recurrentSparsity: number;
  recurrent: Totals;
  total: Totals;
  steps: number;
  wallSeconds: number;
  tokensPerSec: number;
  /** Optimizer step of the checkpoint this run was last resumed from (0: ran from scratch). */
  resumedFrom: number;
  finishedAt: string;
  epochs: EpochRecord[];
  groups: GroupRecord[];
  gates: GateRecord[];
  pruneSteps: PruneStepRecord[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plan (
  id TEXT PRIMARY KEY, ord INTEGER NOT NULL, task TEXT NOT NULL, cell TEXT NOT NULL, method TEXT NOT NULL,
  target TEXT, sparsity REAL NOT NULL, seed INTEGER NOT NULL, hidden INTEGER NOT NULL,
  recurrent_nonzeros INTEGER NOT NULL, total_steps INTEGER NOT NULL, matches TEXT, config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, cell TEXT NOT NULL, method TEXT NOT NULL, target TEXT,
  sparsity REAL NOT NULL, seed INTEGER NOT NULL, hidden INTEGER NOT NULL,
  config TEXT NOT NULL, recipe TEXT,
  metric TEXT NOT NULL, valid REAL, test REAL, valid_loss REAL, test_loss REAL,
  recurrent_sparsity REAL NOT NULL,
  rec_params INTEGER NOT NULL, rec_nonzeros INTEGER NOT NULL, rec_flops REAL NOT NULL, rec_flops_dense REAL NOT NULL,
  rec_bytes INTEGER NOT NULL, rec_bytes_dense INTEGER NOT NULL,
  params INTEGER NOT NULL, nonzeros INTEGER NOT NULL, flops REAL NOT NULL, flops_dense REAL NOT NULL,
  bytes INTEGER NOT NULL, bytes_dense INTEGER NOT NULL,
  steps INTEGER NOT NULL, wall_seconds REAL NOT NULL, tokens_per_sec REAL NOT NULL,
  resumed_from INTEGER NOT NULL, finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS epochs (
  run_id TEXT NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, step INTEGER NOT NULL, lr REAL NOT NULL,
  train_loss REAL, train_metric REAL, valid_loss REAL, valid_metric REAL,
  seconds REAL NOT NULL, tokens_per_sec REAL NOT NULL, sparsity REAL, cpu_seconds REAL,
  PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS groups (
  run_id TEXT NOT NULL REFERENCES runs(id), name TEXT NOT NULL, kind TEXT NOT NULL,
  params INTEGER NOT NULL, nonzeros INTEGER NOT NULL, sparsity REAL NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS gates (
  run_id TEXT NOT NULL REFERENCES runs(id), grp TEXT NOT NULL, gate TEXT NOT NULL,
  params INTEGER NOT NULL, nonzeros INTEGER NOT NULL, sparsity REAL NOT NULL,
  PRIMARY KEY (run_id, grp, gate)
);
CREATE TABLE IF NOT EXISTS prune_steps (
  run_id TEXT NOT NULL REFERENCES runs(id), step INTEGER NOT NULL, grp TEXT NOT NULL,
  sparsity REAL NOT NULL, threshold REAL, target REAL,
  PRIMARY KEY (run_id, step, grp)
);
CREATE TABLE IF NOT EXISTS failures (id TEXT PRIMARY KEY, attempts INTEGER NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, worker TEXT NOT NULL, pid INTEGER NOT NULL, epoch INTEGER NOT NULL, epochs INTEGER NOT NULL,
  step INTEGER NOT NULL, total_steps INTEGER NOT NULL, resumed_from INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (id TEXT PRIMARY KEY, step INTEGER NOT NULL, key TEXT NOT NULL);
`;

const nullable = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? null : v);

/**
 * A consistent copy of a study's store in one file, for committing between sittings
 * while the study may still be running: SQLite's online backup (it sees every committed
 * run, including those still in the -wal file, and no half-committed one), written
 * to a temporary file in the system temp folder, then put in place atomically
 * (copyFileAtomic: the destination is the old file or the new one, never half of it).
 */
export async function snapshotStore(studyDirOrFile: string, dest: string): Promise<{ runs: number; planned: number; bytes: number }> {
  const src = Store.openReadOnly(studyDirOrFile);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-snapshot-'));
  try {
    const tmp = path.join(tmpDir, STORE_FILE);
    try {
      await src.db.backup(tmp);
    } catch (e) {
      fail('IO', `cannot copy the store ${src.file}: ${(e as Error).message}`, 'check the disk space of the temp folder');
    } finally {
      src.close();
    }
    const copy = new Database(tmp, { readonly: true });
    const runs = (copy.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
    const planned = (copy.prepare('SELECT COUNT(*) AS n FROM plan').get() as { n: number }).n;
    copy.close();
    copyFileAtomic(tmp, dest, 2 ** 31 - 1);
    return { runs, planned, bytes: fs.statSync(dest).size };
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

export class Store {
  readonly db: Database.Database;
  readonly file: string;

  private constructor(file: string, readonly: boolean) {
    this.file = file;
    try {
      this.db = new Database(file, { readonly, fileMustExist: readonly });
    } catch (e) {
      fail('BAD_FILE', `cannot open results store ${file}: ${(e as Error).message}`, readonly ? 'pass a study folder made by `sparse-rnn study`' : 'check that the folder is writable');
    }
    // Several worker processes write; wait for the lock rather than fail.
    this.db.pragma('busy_timeout = 30000');
    if (!readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      // Columns added since version 1, NULL in the rows of older stores: the whole RunPlan
      // (for reports of distributed studies) and each epoch's CPU time (unknown).
      this.addColumn('plan', 'plan_json', 'TEXT');
      this.addColumn('epochs', 'cpu_seconds', 'REAL');
      const v = this.meta('version');
      if (v === undefined) this.setMeta('version', String(STORE_VERSION));
      else if (Number(v) > STORE_VERSION) fail('BAD_FILE', `${file} has store version ${v}; this build reads version ${STORE_VERSION}`, 'start the study in a new folder (--out)');
    }
  }

  /** Adds a nullable column to a table of a store made before it existed. */
  private addColumn(table: string, column: string, type: string): void {
    const cols = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!cols.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }

  /** Opens (creating if needed) the store of a study folder. */
  static open(studyDir: string): Store {
    fs.mkdirSync(studyDir, { recursive: true });
    return new Store(path.join(studyDir, STORE_FILE), false);
  }

  /** Opens an existing store read-only (reports). */
  static openReadOnly(studyDirOrFile: string): Store {
    const file = studyDirOrFile.endsWith('.db') ? studyDirOrFile : path.join(studyDirOrFile, STORE_FILE);
    if (!fs.existsSync(file)) fail('BAD_FILE', `no results store at ${file}`, 'pass the folder a `sparse-rnn study` wrote (it holds study.db)');
    return new Store(file, true);
  }

  close(): void {
    this.db.close();
  }

  meta(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Replaces the planned runs (the grid of the spec now in force). */
  setPlan(plans: readonly RunPlan[]): void {
    const ins = this.db.prepare(`INSERT INTO plan (id, ord, task, cell, method, target, sparsity, seed, hidden, recurrent_nonzeros, total_steps, matches, config, plan_json)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM plan').run();
      plans.forEach((p, i) => ins.run(p.id, i, p.task, p.cell, p.method, p.target, p.sparsity, p.seed, p.hidden, p.recurrentNonZeros, p.totalSteps,
        p.matches ? JSON.stringify(p.matches) : null, JSON.stringify(p.train), JSON.stringify(p)));
    })();
  }

  plannedIds(): string[] {
    return (this.db.prepare('SELECT id FROM plan ORDER BY ord').all() as { id: string }[]).map((r) => r.id);
  }

  finishedIds(): Set<string> {
    return new Set((this.db.prepare('SELECT id FROM runs').all() as { id: string }[]).map((r) => r.id));
  }

  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(id) !== undefined;
  }

  /**
   * Commits a finished run and all its rows in one transaction. Returns false (and
   * writes nothing) when the id is already stored.
   */
  insertRun(r: RunRecord): boolean {
    return this.db.transaction((): boolean => {
      if (this.has(r.id)) return false;
      this.db.prepare(`INSERT INTO runs (id, task, cell, method, target, sparsity, seed, hidden, config, recipe, metric, valid, test, valid_loss, test_loss,
          recurrent_sparsity, rec_params, rec_nonzeros, rec_flops, rec_flops_dense, rec_bytes, rec_bytes_dense,
          params, nonzeros, flops, flops_dense, bytes, bytes_dense, steps, wall_seconds, tokens_per_sec, resumed_from, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        r.id, r.task, r.cell, r.method, r.target, r.sparsity, r.seed, r.hidden, JSON.stringify(r.config), r.recipe, r.metric,
        nullable(r.valid), nullable(r.test), nullable(r.validLoss), nullable(r.testLoss), r.recurrentSparsity,
        r.recurrent.params, r.recurrent.nonZeros, r.recurrent.flopsPerToken, r.recurrent.flopsPerTokenDense, r.recurrent.bytes, r.recurrent.bytesDense,
        r.total.params, r.total.nonZeros, r.total.flopsPerToken, r.total.flopsPerTokenDense, r.total.bytes, r.total.bytesDense,
        r.steps, r.wallSeconds, r.tokensPerSec, r.resumedFrom, r.finishedAt);
      const ep = this.db.prepare(`INSERT INTO epochs (run_id, epoch, step, lr, train_loss, train_metric, valid_loss, valid_metric, seconds, tokens_per_sec, sparsity, cpu_seconds)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const e of r.epochs) {
        ep.run(r.id, e.epoch, e.step, e.lr, nullable(e.trainLoss), nullable(e.trainMetric), nullable(e.validLoss), nullable(e.validMetric), e.seconds, e.tokensPerSec, nullable(e.sparsity), nullable(e.cpuSeconds));
      }
      const gr = this.db.prepare('INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?)');
      for (const g of r.groups) gr.run(r.id, g.name, g.kind, g.params, g.nonZeros, g.sparsity);
      const gt = this.db.prepare('INSERT INTO gates VALUES (?, ?, ?, ?, ?, ?)');
      for (const g of r.gates) gt.run(r.id, g.group, g.gate, g.params, g.nonZeros, g.sparsity);
      const ps = this.db.prepare('INSERT INTO prune_steps VALUES (?, ?, ?, ?, ?, ?)');
      for (const p of r.pruneSteps) ps.run(r.id, p.step, p.group, p.sparsity, nullable(p.threshold), nullable(p.target));
      return true;
    }).immediate();
  }

  /** Wall seconds of every finished run that ran from scratch (for time estimates). */
  wallSeconds(): Map<string, number> {
    const rows = this.db.prepare('SELECT id, wall_seconds AS s FROM runs WHERE resumed_from = 0').all() as { id: string; s: number }[];
    return new Map(rows.map((r) => [r.id, r.s]));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
  }
}
