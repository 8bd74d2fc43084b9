/**
 * A finished run folder → the row the results store keeps (RunRecord).
 *
 * Everything comes from files the trainer wrote atomically or that survive a
 * crash: summary.json (final metrics and the epoch history, which the checkpoint
 * carried across resumes, so no epoch is counted twice), ckpt/last.srnn (final
 * weights and mask → src/model/accounting.ts for params, non-zeros, FLOPs, bytes,
 * per-group and per-gate sparsity) and prune.jsonl (the schedule actually
 * followed). prune.jsonl is append-only: after a resume it can hold steps replayed
 * from the checkpoint on, and after a kill a partial last line; both are resolved
 * here (partial lines skipped, the last event of a step wins).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { readCheckpoint } from '../model/checkpoint.js';
import { accountModel, type Totals as AccountTotals } from '../model/accounting.js';
import type { EpochRow, TrainResult } from '../train/trainer.js';
import type { Metrics, MetricName } from '../train/metrics.js';
import type { RunPlan } from './plan.js';
import type { EpochRecord, PruneStepRecord, RunRecord, Totals } from './store.js';

export const ATTEMPTS_FILE = 'attempts.jsonl';

/** JSON lines of a file, skipping blank and unparsable (partial) lines. */
export function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const out: T[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a line cut short by a kill
    }
  }
  return out;
}

interface PruneEventLine { step: number; groups: { name: string; sparsity: number; threshold?: number; target?: number }[] }

/** The pruning steps of a run folder, one entry per (step, group), ascending by step. */
export function pruneSteps(runDir: string): PruneStepRecord[] {
  const byStep = new Map<number, PruneEventLine>();
  for (const e of readJsonLines<PruneEventLine>(path.join(runDir, 'prune.jsonl'))) {
    if (e && Number.isInteger(e.step) && Array.isArray(e.groups)) byStep.set(e.step, e);
  }
  return [...byStep.keys()].sort((a, b) => a - b).flatMap((step) => byStep.get(step)!.groups.map((g) => ({
    step, group: g.name, sparsity: g.sparsity, threshold: g.threshold ?? null, target: g.target ?? null,
  })));
}

/** Seconds spent in earlier, interrupted attempts of a run (time lost to a SIGKILL is not known). */
export function earlierSeconds(runDir: string): number {
  return readJsonLines<{ seconds?: number }>(path.join(runDir, ATTEMPTS_FILE)).reduce((a, r) => a + (Number.isFinite(r.seconds) ? r.seconds! : 0), 0);
}

const metricOf = (m: Metrics | undefined, name: MetricName) => (m && typeof m[name] === 'number' ? (m[name] as number) : null);

function totals(t: AccountTotals): Totals {
  return {
    params: t.params, nonZeros: t.nonZeros, flopsPerToken: t.flopsPerTokenSparse, flopsPerTokenDense: t.flopsPerTokenDense,
    bytes: t.bytesSparse, bytesDense: t.bytesDense,
  };
}

export function recordFromRunDir(plan: RunPlan, runDir: string, resumedFrom: number): RunRecord {
  const summaryFile = path.join(runDir, 'summary.json');
  let summary: TrainResult & { sparsity?: number };
  try {
    summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  } catch {
    return fail('BAD_FILE', `run ${plan.id}: cannot read ${summaryFile}`, 'the run did not finish; run the study again to continue it');
  }
  const ck = readCheckpoint(path.join(runDir, 'ckpt', 'last.srnn'));
  const acc = accountModel(ck.spec, ck.layout, ck.params, ck.mask);
  const metric = summary.metric;
  const epochs: EpochRecord[] = (summary.epochs as EpochRow[]).map((e) => ({
    epoch: e.epoch, step: e.step, lr: e.lr,
    trainLoss: e.train.loss, trainMetric: metricOf(e.train, metric),
    validLoss: e.valid.loss, validMetric: metricOf(e.valid, metric),
    seconds: e.seconds, tokensPerSec: e.tokensPerSec, sparsity: e.sparsity ?? null, cpuSeconds: e.cpuSeconds ?? null,
  }));
  const trainSeconds = epochs.reduce((a, e) => a + e.seconds, 0);
  const tokens = epochs.reduce((a, e) => a + e.tokensPerSec * e.seconds, 0);
  return {
    id: plan.id, task: plan.task, cell: plan.cell, method: plan.method, target: plan.target, sparsity: plan.sparsity,
    seed: plan.seed, hidden: plan.hidden,
    config: { ...plan.train, ...(plan.matches ? { matches: plan.matches } : {}) },
    recipe: plan.train.recipe ?? null,
    metric,
    valid: metricOf(summary.valid, metric) ?? NaN,
    test: metricOf(summary.test, metric) ?? NaN,
    validLoss: summary.valid.loss,
    testLoss: summary.test.loss,
    recurrentSparsity: acc.recurrent.sparsity,
    recurrent: totals(acc.recurrent),
    total: totals(acc.total),
    steps: summary.steps,
    wallSeconds: summary.seconds + earlierSeconds(runDir),
    tokensPerSec: trainSeconds > 0 ? tokens / trainSeconds : 0,
    resumedFrom,
    finishedAt: new Date().toISOString(),
    epochs,
    groups: acc.groups.map((g) => ({ name: g.name, kind: g.kind, params: g.params, nonZeros: g.nonZeros, sparsity: g.sparsity })),
    gates: acc.groups.flatMap((g) => (g.gates ?? []).map((gt) => ({ group: g.name, gate: gt.gate, params: gt.params, nonZeros: gt.nonZeros, sparsity: gt.sparsity }))),
    pruneSteps: pruneSteps(runDir),
  };
}
