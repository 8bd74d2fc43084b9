/**
 * The results store as the study code sees it: one asynchronous interface, two
 * implementations.
 *
 *   SqliteResults  (this file) one study per file, STUDY_DIR/study.db — the embedded
 *                  default, over src/study/store.ts
 *   PgResults      (pg-store.ts) PostgreSQL, shared by every machine of a distributed
 *                  study; many studies in one database
 *
 * Both keep the same tables with the same column names (runs, epochs, groups, gates,
 * prune_steps, plan), so a run reads back the same from either (rowToRecord below),
 * and both pass one test suite (test/unit/results-store.test.ts).
 *
 * Rules every implementation keeps:
 *   - insertRun is one transaction, idempotent on the run id: a second completion of
 *     the same run (a stale worker presumed dead) changes nothing and returns false;
 *   - openStudy records the spec and the plan; with `strict` a different spec under
 *     the same study name is refused (error[BAD_CONFIG]);
 *   - setCheckpoint only moves a run's latest checkpoint forward (a late, stale
 *     worker cannot make an older checkpoint the latest);
 *   - a store written by a newer schema version is refused with one line.
 */
import { fail } from '../errors.js';
import type { RunPlan } from './plan.js';
import { Store, STORE_VERSION, type RunRecord } from './store.js';

/** A run being trained right now, as its worker last reported it. */
export interface RunProgress {
  id: string;
  host: string;
  worker: string;
  pid: number;
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  /** Step the run resumed from in this attempt (0: from scratch). */
  resumedFrom: number;
  startedAt: string;
  updatedAt: string;
}

/** A run that ended as failed after its attempts. */
export interface RunFailure { id: string; attempts: number; error: string; failedAt: string }

/** The latest checkpoint of a run in the artifact store. */
export interface CheckpointRef { id: string; step: number; key: string }

export interface StudySummary { name: string; created: string; planned: number; finished: number; failed: number }

export interface ResultsStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store is, passwords masked. */
  readonly where: string;
  /**
   * Records a study: its name, canonical spec JSON and plan (replacing an older plan
   * of the same study). `strict`: a different spec already stored under this name
   * is an error instead of being replaced.
   */
  openStudy(name: string, specJson: string, plans: readonly RunPlan[], strict: boolean): Promise<void>;
  /** Names of the studies in the store. */
  studies(): Promise<StudySummary[]>;
  studySpec(study: string): Promise<string | undefined>;
  /** The planned runs of a study, in plan order. */
  plans(study: string): Promise<RunPlan[]>;
  finishedIds(ids?: readonly string[]): Promise<Set<string>>;
  has(id: string): Promise<boolean>;
  /** Commits a finished run with all its rows in one transaction; false (nothing written) when stored already. */
  insertRun(r: RunRecord): Promise<boolean>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Wall seconds of the finished runs that ran from scratch. */
  wallSeconds(): Promise<Map<string, number>>;
  recordFailure(f: RunFailure): Promise<void>;
  failures(ids?: readonly string[]): Promise<RunFailure[]>;
  setProgress(p: RunProgress): Promise<void>;
  clearProgress(id: string, worker: string): Promise<void>;
  progress(ids?: readonly string[]): Promise<RunProgress[]>;
  /** Records a run's latest checkpoint; false when the store already holds one at this step or later. */
  setCheckpoint(ref: CheckpointRef): Promise<boolean>;
  checkpoint(id: string): Promise<CheckpointRef | undefined>;
  close(): Promise<void>;
}

const n = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A `runs` row and its child rows (the same column names in SQLite and PostgreSQL) → RunRecord. */
export function rowToRecord(r: Record<string, unknown>, epochs: Record<string, unknown>[], groups: Record<string, unknown>[],
  gates: Record<string, unknown>[], prune: Record<string, unknown>[]): RunRecord {
  const tot = (p: string) => ({
    params: n(r[`${p}params`]), nonZeros: n(r[`${p}nonzeros`]), flopsPerToken: n(r[`${p}flops`]), flopsPerTokenDense: n(r[`${p}flops_dense`]),
    bytes: n(r[`${p}bytes`]), bytesDense: n(r[`${p}bytes_dense`]),
  });
  return {
    id: String(r.id), task: String(r.task), cell: String(r.cell), method: String(r.method), target: (r.target as string | null) ?? null,
    sparsity: n(r.sparsity), seed: n(r.seed), hidden: n(r.hidden), config: JSON.parse(String(r.config)), recipe: (r.recipe as string | null) ?? null,
    metric: String(r.metric), valid: n(r.valid), test: n(r.test), validLoss: n(r.valid_loss), testLoss: n(r.test_loss),
    recurrentSparsity: n(r.recurrent_sparsity), recurrent: tot('rec_'), total: tot(''),
    steps: n(r.steps), wallSeconds: n(r.wall_seconds), tokensPerSec: n(r.tokens_per_sec), resumedFrom: n(r.resumed_from),
    finishedAt: String(r.finished_at),
    epochs: epochs.map((e) => ({
      epoch: n(e.epoch), step: n(e.step), lr: n(e.lr), trainLoss: n(e.train_loss), trainMetric: nn(e.train_metric),
      validLoss: n(e.valid_loss), validMetric: nn(e.valid_metric), seconds: n(e.seconds), tokensPerSec: n(e.tokens_per_sec), sparsity: nn(e.sparsity),
      cpuSeconds: nn(e.cpu_seconds),
    })),
    groups: groups.map((g) => ({ name: String(g.name), kind: String(g.kind), params: n(g.params), nonZeros: n(g.nonzeros), sparsity: n(g.sparsity) })),
    gates: gates.map((g) => ({ group: String(g.grp), gate: String(g.gate), params: n(g.params), nonZeros: n(g.nonzeros), sparsity: n(g.sparsity) })),
    pruneSteps: prune.map((p) => ({ step: n(p.step), group: String(p.grp), sparsity: n(p.sparsity), threshold: nn(p.threshold), target: nn(p.target) })),
  };
}

/** A stored plan row's JSON (the whole RunPlan) → RunPlan. */
export function planFromJson(s: string): RunPlan {
  return JSON.parse(s) as RunPlan;
}

export function specMismatch(name: string, where: string): never {
  return fail('BAD_CONFIG', `the store ${where} already holds a study named ${JSON.stringify(name)} with another spec`,
    'give this study another name (name: in the spec), or use another database');
}

export function newerStore(where: string, version: number): never {
  return fail('BAD_FILE', `the store ${where} was written by a newer sparse-rnn (store version ${version}; this build knows ${STORE_VERSION})`,
    'upgrade sparse-rnn on this machine, or use another database');
}

/** The embedded store (one study per SQLite file) behind the shared interface. */
export class SqliteResults implements ResultsStore {
  readonly kind = 'sqlite' as const;
  readonly where: string;
  private constructor(readonly store: Store) {
    this.where = store.file;
  }

  static open(studyDir: string): SqliteResults {
    return new SqliteResults(Store.open(studyDir));
  }

  private get db() { return this.store.db; }

  async openStudy(name: string, specJson: string, plans: readonly RunPlan[], strict: boolean): Promise<void> {
    const s = this.store;
    const old = s.meta('spec');
    const oldName = s.meta('name');
    if (strict && old !== undefined && old !== specJson && (oldName === undefined || oldName === name)) specMismatch(name, this.where);
    this.db.transaction(() => {
      s.setMeta('spec', specJson);
      s.setMeta('name', name);
      if (s.meta('created') === undefined) s.setMeta('created', new Date().toISOString());
      s.setPlan(plans);
    }).immediate();
  }

  async studies(): Promise<StudySummary[]> {
    const name = this.store.meta('name');
    if (name === undefined) return [];
    const planned = this.store.plannedIds();
    const fin = this.store.finishedIds();
    const failed = (await this.failures(planned)).length;
    return [{ name, created: this.store.meta('created') ?? '', planned: planned.length, finished: planned.filter((id) => fin.has(id)).length, failed }];
  }

  async studySpec(study: string): Promise<string | undefined> {
    return this.store.meta('name') === study ? this.store.meta('spec') : undefined;
  }

  async plans(study: string): Promise<RunPlan[]> {
    if (this.store.meta('name') !== study) return [];
    return (this.db.prepare('SELECT plan_json FROM plan ORDER BY ord').all() as { plan_json: string | null }[])
      .filter((r) => r.plan_json).map((r) => planFromJson(r.plan_json!));
  }

  async finishedIds(ids?: readonly string[]): Promise<Set<string>> {
    const all = this.store.finishedIds();
    return ids ? new Set(ids.filter((id) => all.has(id))) : all;
  }

  async has(id: string): Promise<boolean> { return this.store.has(id); }
  async insertRun(r: RunRecord): Promise<boolean> { return this.store.insertRun(r); }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    const q = (sql: string) => this.db.prepare(sql).all(id) as Record<string, unknown>[];
    return rowToRecord(r, q('SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch'), q('SELECT * FROM groups WHERE run_id = ? ORDER BY rowid'),
      q('SELECT * FROM gates WHERE run_id = ? ORDER BY rowid'), q('SELECT * FROM prune_steps WHERE run_id = ? ORDER BY step, rowid'));
  }

  async wallSeconds(): Promise<Map<string, number>> { return this.store.wallSeconds(); }

  async recordFailure(f: RunFailure): Promise<void> {
    this.db.prepare(`INSERT INTO failures (id, attempts, error, failed_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET attempts = excluded.attempts, error = excluded.error, failed_at = excluded.failed_at`).run(f.id, f.attempts, f.error, f.failedAt);
  }

  async failures(ids?: readonly string[]): Promise<RunFailure[]> {
    const rows = (this.db.prepare('SELECT id, attempts, error, failed_at FROM failures WHERE id NOT IN (SELECT id FROM runs) ORDER BY id').all() as Record<string, unknown>[])
      .map((r) => ({ id: String(r.id), attempts: n(r.attempts), error: String(r.error), failedAt: String(r.failed_at) }));
    const want = ids ? new Set(ids) : null;
    return want ? rows.filter((r) => want.has(r.id)) : rows;
  }

  async setProgress(p: RunProgress): Promise<void> {
    this.db.prepare(`INSERT INTO progress (id, host, worker, pid, epoch, epochs, step, total_steps, resumed_from, started_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET host = excluded.host, worker = excluded.worker, pid = excluded.pid,
      epoch = excluded.epoch, epochs = excluded.epochs, step = excluded.step, total_steps = excluded.total_steps, resumed_from = excluded.resumed_from,
      started_at = excluded.started_at, updated_at = excluded.updated_at`)
      .run(p.id, p.host, p.worker, p.pid, p.epoch, p.epochs, p.step, p.totalSteps, p.resumedFrom, p.startedAt, p.updatedAt);
  }

  async clearProgress(id: string, worker: string): Promise<void> {
    this.db.prepare('DELETE FROM progress WHERE id = ? AND worker = ?').run(id, worker);
  }

  async progress(ids?: readonly string[]): Promise<RunProgress[]> {
    const rows = (this.db.prepare('SELECT * FROM progress WHERE id NOT IN (SELECT id FROM runs) ORDER BY id').all() as Record<string, unknown>[]).map(progressRow);
    const want = ids ? new Set(ids) : null;
    return want ? rows.filter((r) => want.has(r.id)) : rows;
  }

  async setCheckpoint(ref: CheckpointRef): Promise<boolean> {
    const r = this.db.prepare(`INSERT INTO checkpoints (id, step, key) VALUES (?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET step = excluded.step, key = excluded.key WHERE excluded.step > checkpoints.step`).run(ref.id, ref.step, ref.key);
    return r.changes > 0;
  }

  async checkpoint(id: string): Promise<CheckpointRef | undefined> {
    const r = this.db.prepare('SELECT id, step, key FROM checkpoints WHERE id = ?').get(id) as { id: string; step: number; key: string } | undefined;
    return r ? { id: r.id, step: Number(r.step), key: r.key } : undefined;
  }

  async close(): Promise<void> { this.store.close(); }
}

export function progressRow(r: Record<string, unknown>): RunProgress {
  return {
    id: String(r.id), host: String(r.host), worker: String(r.worker), pid: n(r.pid), epoch: n(r.epoch), epochs: n(r.epochs), step: n(r.step),
    totalSteps: n(r.total_steps), resumedFrom: n(r.resumed_from), startedAt: String(r.started_at), updatedAt: String(r.updated_at),
  };
}
