/**
 * How long a study will take, from measured throughput.
 *
 * Work of a run, in FLOPs (src/model/accounting.ts, dense products: the engine
 * multiplies masked weights too, so a sparse run costs what its dense model does):
 *   training   3 × forward FLOPs per token × tokens trained   (forward + backward ≈ 3 forwards)
 *   evaluation forward FLOPs per token × tokens evaluated      (valid every epoch, test once)
 * Throughput, in work per second, per (task, cell): from this study's finished runs
 * when there are some (Σ work / Σ wall seconds), else from a micro-benchmark that
 * times a few training steps of the task's model on the native engine, one thread.
 * A study's time is the makespan of handing the runs, in order, to N workers.
 */
import type { CellType } from '../model/spec.js';
import { buildLayout } from '../model/layout.js';
import { accountModel } from '../model/accounting.js';
import { initParams } from '../model/init.js';
import { createSession, specFor, DEFAULT_TRAIN } from '../train/trainer.js';
import { batches, batchesPerEpoch } from '../train/batches.js';
import { STATE_VECTORS } from '../model/spec.js';
import { native } from '../engine/native.js';
import { Rng } from '../data/rng.js';
import type { Dataset } from '../data/dataset.js';
import type { RunPlan } from './plan.js';

/** Per-run overhead besides the products (data views, checkpoints, accounting, commit), seconds. */
const OVERHEAD_S = 0.5;

export interface Work { train: number; eval: number; total: number }

/** Tokens per batch: B·T for language models, B·steps for classification. */
function tokensPerBatch(ds: Dataset, B: number, T: number): number {
  return ds.kind === 'lm' ? B * T : B * ds.steps;
}

function forwardFlopsPerToken(plan: RunPlan, ds: Dataset): number {
  const spec = specFor(plan.train, ds);
  const layout = buildLayout(spec);
  const acc = accountModel(spec, layout, new Float32Array(layout.total), null);
  const perSeq = ds.kind === 'classify' ? acc.total.flopsPerSequenceDense / ds.steps : 0;
  return acc.total.flopsPerTokenDense + perSeq;
}

export function runWork(plan: RunPlan, ds: Dataset): Work {
  const { batch: B, bptt: T, evalBatches } = plan.train;
  // Evaluation batches have their own row count (evalBatch; 0 = the training batch).
  const EB = (plan.train.evalBatch ?? DEFAULT_TRAIN.evalBatch ?? 0) || B;
  const fwd = forwardFlopsPerToken(plan, ds);
  const nb = batchesPerEpoch(ds, 'train', B, T, true);
  const epochsRun = Math.ceil(plan.totalSteps / Math.max(nb, 1));
  const nValid = batchesPerEpoch(ds, 'valid', EB, T, false);
  const validBatches = evalBatches > 0 ? Math.min(nValid, evalBatches) : nValid;
  const testBatches = batchesPerEpoch(ds, 'test', EB, T, false);
  const train = 3 * fwd * plan.totalSteps * tokensPerBatch(ds, B, T);
  const ev = fwd * (epochsRun * validBatches + testBatches) * tokensPerBatch(ds, EB, T);
  return { train, eval: ev, total: train + ev };
}

/** Work per second of training steps of a plan's model, measured on the native engine (one thread). */
export function benchmarkRate(plan: RunPlan, ds: Dataset, minSeconds = 0.3): number {
  const spec = specFor(plan.train, ds);
  const s = createSession(spec);
  const rng = new Rng(1);
  initParams(spec, s.layout, s.params, () => rng.float());
  native().setThreads(1);
  const src = batches(ds, 'train', plan.train.batch, plan.train.bptt, true, 1);
  const state = ds.kind === 'lm' ? new Float32Array(spec.layers * STATE_VECTORS[spec.cell] * plan.train.batch * spec.hidden) : null;
  const step = (i: number) => {
    const b = src.at(1, i % src.count);
    s.net.run({ x: b.x, y: b.y, batch: b.batch, steps: b.steps, state, backward: true, dropoutSeed: i });
  };
  step(0); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (n < 2 || (performance.now() - t0) / 1000 < minSeconds) step(++n);
  const sec = (performance.now() - t0) / 1000;
  return (3 * forwardFlopsPerToken(plan, ds) * n * tokensPerBatch(ds, plan.train.batch, plan.train.bptt)) / sec;
}

export interface Observed { plan: RunPlan; seconds: number }

export interface StudyEstimate {
  /** Expected wall seconds per run id. */
  perRun: Map<string, number>;
  /** Sum over runs (one worker's time). */
  serialSeconds: number;
  /** Time with `workers` workers taking runs in order. */
  seconds: number;
  /** Work per second used, per task/cell, and where it came from. */
  rates: { task: string; cell: CellType; rate: number; source: 'measured runs' | 'benchmark' }[];
}

/** Makespan of greedy list scheduling: each run goes to the worker that frees up first. */
export function makespan(seconds: readonly number[], workers: number): number {
  const free = new Array(Math.max(1, workers)).fill(0);
  for (const s of seconds) {
    let k = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[k]) k = i;
    free[k] += s;
  }
  return Math.max(...free);
}

/**
 * Estimates every run of `plans` (already-finished ones count 0). `observed` are
 * finished runs with their wall seconds; (task, cell) pairs without one are benchmarked.
 */
export function estimateStudy(plans: readonly RunPlan[], datasetFor: (p: RunPlan) => Dataset, workers: number, finished: ReadonlySet<string>, observed: readonly Observed[] = []): StudyEstimate {
  const key = (p: RunPlan) => `${p.task}\u0000${p.cell}`;
  const work = new Map(plans.map((p) => [p.id, runWork(p, datasetFor(p)).total]));
  const rates = new Map<string, StudyEstimate['rates'][number]>();
  const sums = new Map<string, { w: number; s: number; p: RunPlan }>();
  for (const o of observed) {
    const w = work.get(o.plan.id) ?? runWork(o.plan, datasetFor(o.plan)).total;
    const e = sums.get(key(o.plan)) ?? { w: 0, s: 0, p: o.plan };
    e.w += w;
    e.s += Math.max(o.seconds - OVERHEAD_S, 1e-3);
    sums.set(key(o.plan), e);
  }
  for (const [k, e] of sums) rates.set(k, { task: e.p.task, cell: e.p.cell, rate: e.w / e.s, source: 'measured runs' });
  for (const p of plans) {
    if (finished.has(p.id) || rates.has(key(p))) continue;
    // Benchmark the task's full-size model (dense or sparse: same products).
    const big = plans.find((q) => key(q) === key(p) && q.method !== 'smallDense') ?? p;
    rates.set(key(p), { task: p.task, cell: p.cell, rate: benchmarkRate(big, datasetFor(big)), source: 'benchmark' });
  }
  const perRun = new Map<string, number>();
  for (const p of plans) perRun.set(p.id, finished.has(p.id) ? 0 : OVERHEAD_S + work.get(p.id)! / rates.get(key(p))!.rate);
  const todo = plans.filter((p) => !finished.has(p.id)).map((p) => perRun.get(p.id)!);
  return {
    perRun,
    serialSeconds: todo.reduce((a, b) => a + b, 0),
    seconds: makespan(todo, workers),
    rates: [...rates.values()],
  };
}
