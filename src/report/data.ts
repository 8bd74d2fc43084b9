/**
 * A study's results as the report reads them: every row of the store, read-only.
 */
import { Store } from '../study/store.js';
import type { EpochRecord, GateRecord, GroupRecord, PruneStepRecord, RunRecord } from '../study/store.js';
import type { MetricName } from '../train/metrics.js';

/** One finished run as the report reads it: the store's record, flattened. */
export interface RunRow extends Pick<RunRecord, 'id' | 'task' | 'cell' | 'method' | 'target' | 'sparsity' | 'seed' | 'hidden'
  | 'valid' | 'test' | 'recurrentSparsity' | 'steps' | 'wallSeconds' | 'tokensPerSec' | 'resumedFrom'> {
  metric: MetricName;
  recParams: number;
  recNonzeros: number;
  recFlops: number;
  recFlopsDense: number;
  recBytes: number;
  recBytesDense: number;
  params: number;
  nonzeros: number;
  flops: number;
  flopsDense: number;
  bytes: number;
  bytesDense: number;
  config: Record<string, unknown>;
}

export interface PlanRow { id: string; task: string; cell: string; method: string; target: string | null; sparsity: number; seed: number; hidden: number; totalSteps: number }

export interface StudyData {
  name: string;
  created?: string;
  spec: Record<string, unknown> | null;
  planned: PlanRow[];
  /** Stored runs of the current plan (all stored runs when the store has no plan). */
  runs: RunRow[];
  /** Stored runs that belong to an earlier version of the spec (not in the plan): not reported. */
  stale: number;
  /** Planned runs that ended as failed after their attempts (distributed studies), with their error. */
  failed: { id: string; attempts: number; error: string }[];
  epochs: Map<string, EpochRecord[]>;
  /** Per run, every weight group as stored at the end (rnn.L.ih, rnn.L.hh, biases, embedding, head). */
  groups: Map<string, GroupRecord[]>;
  gates: Map<string, GateRecord[]>;
  pruneSteps: Map<string, PruneStepRecord[]>;
}

const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));

/** Rows by key, keys in order of first appearance. */
export function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const a = m.get(k);
    if (a) a.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Failed runs of the plan (the table exists in stores written since distributed studies). */
function failedRuns(db: Store['db'], planIds: Set<string>): StudyData['failed'] {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'failures'").get();
  if (!has) return [];
  return (db.prepare('SELECT id, attempts, error FROM failures WHERE id NOT IN (SELECT id FROM runs) ORDER BY id').all() as { id: string; attempts: number; error: string }[])
    .filter((f) => planIds.has(f.id));
}

export function loadStudy(studyDir: string): StudyData {
  const store = Store.openReadOnly(studyDir);
  try {
    const db = store.db;
    const all = (db.prepare('SELECT * FROM runs ORDER BY task, cell, method, target, sparsity, seed, hidden').all() as Record<string, unknown>[]).map((r): RunRow => ({
      id: r.id as string, task: r.task as string, cell: r.cell as string, method: r.method as string, target: (r.target as string | null) ?? null,
      sparsity: num(r.sparsity), seed: num(r.seed), hidden: num(r.hidden), metric: r.metric as MetricName,
      valid: num(r.valid), test: num(r.test), recurrentSparsity: num(r.recurrent_sparsity),
      recParams: num(r.rec_params), recNonzeros: num(r.rec_nonzeros), recFlops: num(r.rec_flops), recFlopsDense: num(r.rec_flops_dense),
      recBytes: num(r.rec_bytes), recBytesDense: num(r.rec_bytes_dense),
      params: num(r.params), nonzeros: num(r.nonzeros), flops: num(r.flops), flopsDense: num(r.flops_dense),
      bytes: num(r.bytes), bytesDense: num(r.bytes_dense),
      steps: num(r.steps), wallSeconds: num(r.wall_seconds), tokensPerSec: num(r.tokens_per_sec), resumedFrom: num(r.resumed_from),
      config: JSON.parse(r.config as string),
    }));
    const planned = (db.prepare('SELECT * FROM plan ORDER BY ord').all() as Record<string, unknown>[]).map((r): PlanRow => ({
      id: r.id as string, task: r.task as string, cell: r.cell as string, method: r.method as string, target: (r.target as string | null) ?? null,
      sparsity: num(r.sparsity), seed: num(r.seed), hidden: num(r.hidden), totalSteps: num(r.total_steps),
    }));
    const epochs = groupBy((db.prepare('SELECT * FROM epochs ORDER BY run_id, epoch').all() as Record<string, unknown>[]).map((r) => ({
      run: r.run_id as string,
      e: {
        epoch: num(r.epoch), step: num(r.step), lr: num(r.lr), trainLoss: num(r.train_loss), trainMetric: r.train_metric === null ? null : num(r.train_metric),
        validLoss: num(r.valid_loss), validMetric: r.valid_metric === null ? null : num(r.valid_metric), seconds: num(r.seconds),
        tokensPerSec: num(r.tokens_per_sec), sparsity: r.sparsity === null ? null : num(r.sparsity),
        // Stores made before epochs kept their CPU time have no such column: unknown.
        cpuSeconds: r.cpu_seconds === null || r.cpu_seconds === undefined ? null : num(r.cpu_seconds),
      } as EpochRecord,
    })), (x) => x.run);
    const groups = groupBy((db.prepare('SELECT * FROM groups ORDER BY run_id, rowid').all() as Record<string, unknown>[]).map((r) => ({
      run: r.run_id as string,
      g: { name: r.name as string, kind: r.kind as string, params: num(r.params), nonZeros: num(r.nonzeros), sparsity: num(r.sparsity) } as GroupRecord,
    })), (x) => x.run);
    const gates = groupBy((db.prepare('SELECT * FROM gates ORDER BY run_id, rowid').all() as Record<string, unknown>[]).map((r) => ({
      run: r.run_id as string,
      g: { group: r.grp as string, gate: r.gate as string, params: num(r.params), nonZeros: num(r.nonzeros), sparsity: num(r.sparsity) } as GateRecord,
    })), (x) => x.run);
    const prune = groupBy((db.prepare('SELECT * FROM prune_steps ORDER BY run_id, step, grp').all() as Record<string, unknown>[]).map((r) => ({
      run: r.run_id as string,
      p: { step: num(r.step), group: r.grp as string, sparsity: num(r.sparsity), threshold: r.threshold === null ? null : num(r.threshold), target: r.target === null ? null : num(r.target) } as PruneStepRecord,
    })), (x) => x.run);
    // A spec that changed since (another learning rate, say) leaves runs of the old grid in
    // the store with the same labels; mixing them in would count some seeds twice.
    const planIds = new Set(planned.map((p) => p.id));
    const runs = planIds.size ? all.filter((r) => planIds.has(r.id)) : all;
    let spec: Record<string, unknown> | null = null;
    try {
      spec = JSON.parse(store.meta('spec') ?? 'null');
    } catch {
      spec = null;
    }
    return {
      name: store.meta('name') ?? studyDir,
      created: store.meta('created'),
      spec,
      planned,
      runs,
      stale: all.length - runs.length,
      failed: failedRuns(db, planIds),
      epochs: new Map([...epochs].map(([k, v]) => [k, v.map((x) => x.e)])),
      groups: new Map([...groups].map(([k, v]) => [k, v.map((x) => x.g)])),
      gates: new Map([...gates].map(([k, v]) => [k, v.map((x) => x.g)])),
      pruneSteps: new Map([...prune].map(([k, v]) => [k, v.map((x) => x.p)])),
    };
  } finally {
    store.close();
  }
}
