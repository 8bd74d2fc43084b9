/**
 * The whole flow of one training run, in one page:
 *
 *   dataset → batches → Net.run (forward + backward, one native call)
 *           → Optimizer.step (skips masked weights) → Pruner.step (new masks, zeroed weights)
 *           → per-epoch validation → LR schedule → metrics.jsonl + checkpoint
 *           → test metrics → summary.json
 *
 * Resume is exact: the checkpoint holds params, mask, optimizer moments, the LR and
 * pruner state, the carried LM hidden state and the position in the epoch; the
 * batch order and dropout masks are pure functions of (seed, epoch, step).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail, SparseRnnError } from '../errors.js';
import { defaultSpec, sameSpec, STATE_VECTORS, type ModelSpec } from '../model/spec.js';
import { buildLayout, nativeConfig, type Layout } from '../model/layout.js';
import { initParams } from '../model/init.js';
import { accountModel } from '../model/accounting.js';
import { readCheckpoint, resolveCheckpoint, writeCheckpoint } from '../model/checkpoint.js';
import { native, type NativeNet } from '../engine/native.js';
import { loadDataset } from '../data/index.js';
import type { Dataset } from '../data/dataset.js';
import { Rng, mixSeed } from '../data/rng.js';
import { Optimizer, validateOptim, DEFAULT_OPTIM, type OptimConfig } from './optim.js';
import { initialLrState, nextLr, validateLr, type LrConfig, type LrState } from './lr.js';
import { mainMetric, metricsFromSums, HIGHER_IS_BETTER, formatMetric, type EvalSums, type MetricName, type Metrics } from './metrics.js';
import { batches } from './batches.js';
import { Progress } from '../util/progress.js';
import { writeFileAtomic, appendLine, copyFileAtomic, ensureDir } from '../util/fs.js';
import { createPruner, loadRecipe, type Pruner, type PruneEvent } from '../prune/pruner.js';

export interface DataConfig {
  /** Built-in name (brown, moby-dick, mnist, synthetic-…) or a folder with train/valid/test.txt. */
  name: string;
  level?: 'word' | 'char';
  limit?: number;
}

export interface TrainConfig {
  data: DataConfig;
  /** Model options; sizes that come from the data (vocabulary, classes, input width) are filled in. */
  model: Partial<ModelSpec>;
  batch: number;
  /** Time steps per batch for language models (truncated BPTT length). */
  bptt: number;
  epochs: number;
  /** Stop after this many optimizer steps in total (0 = no cap). */
  maxSteps: number;
  optimizer: OptimConfig;
  lrSchedule: LrConfig;
  seed: number;
  threads: number;
  /** Pruning recipe (file path or inline YAML); none = dense training. */
  recipe?: string;
  /** Validation batches cap per evaluation (0 = the whole split). */
  evalBatches: number;
  /**
   * Rows per evaluation batch (0 = the training batch). Language models evaluate
   * with few long rows (10, as PyTorch's word_language_model does): fewer cold starts
   * of the carried state.
   */
  evalBatch?: number;
  /** Checkpoint every N optimizer steps as well as at every epoch end (0 = epoch ends only). */
  checkpointEvery: number;
}

export const DEFAULT_TRAIN: TrainConfig = {
  data: { name: 'moby-dick' },
  model: { cell: 'lstm', hidden: 256, layers: 1 },
  batch: 32,
  bptt: 100,
  epochs: 1,
  maxSteps: 0,
  optimizer: { ...DEFAULT_OPTIM, kind: 'adam', lr: 2e-3, clip: 1 },
  lrSchedule: { kind: 'constant' },
  seed: 1,
  threads: 1,
  evalBatches: 0,
  evalBatch: 10,
  checkpointEvery: 0,
};

export interface EpochRow {
  epoch: number;
  step: number;
  lr: number;
  train: Metrics;
  valid: Metrics;
  seconds: number;
  tokensPerSec: number;
  /** Sparsity of the recurrent kernels (ih + hh, all layers) at the end of the epoch; set when pruning. */
  sparsity?: number;
}

export interface TrainResult {
  runDir: string;
  spec: ModelSpec;
  metric: MetricName;
  epochs: EpochRow[];
  valid: Metrics;
  test: Metrics;
  steps: number;
  seconds: number;
}

export interface TrainOptions {
  /** Run folder (config.json, metrics.jsonl, prune.jsonl, ckpt/, summary.json). */
  out: string;
  /** Continue the run in `out` from its last checkpoint. */
  resume?: boolean;
  /** Start from this run's / checkpoint's weights (and mask) instead of an initialiser: `prune --from`. */
  from?: string;
  progress?: boolean;
  /** Aborting stops after the current step, checkpoints, and throws INTERRUPTED. */
  signal?: AbortSignal;
  /** Called with each finished epoch's row (the CLI prints the table from it). */
  onEpoch?: (row: EpochRow, metric: MetricName) => void;
  onPrune?: (e: PruneEvent) => void;
  /** Called after every optimizer step (cheap: no allocation) — per-step progress for study workers. */
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
  /** Called once the data, model and run folder are ready, before the first step. */
  onStart?: (info: { runDir: string; spec: ModelSpec; parameters: number; totalSteps: number; stepsPerEpoch: number; resumedAt: number }) => void;
  /** A dataset already loaded (tests, studies); otherwise loaded from cfg.data. */
  dataset?: Dataset;
}

/** The model spec a config implies for a data set. */
export function specFor(cfg: TrainConfig, ds: Dataset): ModelSpec {
  const m = cfg.model;
  if (ds.kind === 'lm') {
    return defaultSpec({ ...m, inputKind: 'tokens', inputSize: ds.vocab.size, outputSize: ds.vocab.size, task: 'lm' });
  }
  return defaultSpec({ ...m, inputKind: 'vectors', inputSize: ds.inputDim, embedDim: 0, outputSize: ds.classes, task: 'classify', tied: false });
}

export function validateTrainConfig(c: TrainConfig): TrainConfig {
  const bad = (f: string, rule: string, hint?: string): never => fail('BAD_CONFIG', `${f} ${rule}`, hint);
  const int = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!c.data || typeof c.data.name !== 'string' || !c.data.name) bad('data', 'must name a data set', 'see `sparse-rnn data`');
  if (!int(c.batch, 1)) bad('batch', `must be an integer >= 1 (got ${c.batch})`);
  if (!int(c.bptt, 1)) bad('bptt', `must be an integer >= 1 (got ${c.bptt})`);
  if (!int(c.epochs, 1)) bad('epochs', `must be an integer >= 1 (got ${c.epochs})`);
  if (!int(c.maxSteps, 0)) bad('maxSteps', `must be an integer >= 0 (got ${c.maxSteps})`);
  if (!int(c.seed, 0)) bad('seed', `must be an integer >= 0 (got ${c.seed})`);
  if (!int(c.threads, 1) || c.threads > 64) bad('threads', `must be an integer from 1 to 64 (got ${c.threads})`);
  if (!int(c.evalBatches, 0)) bad('evalBatches', `must be an integer >= 0 (got ${c.evalBatches})`);
  if (c.evalBatch !== undefined && !int(c.evalBatch, 0)) bad('evalBatch', `must be an integer >= 0 (got ${c.evalBatch})`);
  if (!int(c.checkpointEvery, 0)) bad('checkpointEvery', `must be an integer >= 0 (got ${c.checkpointEvery})`);
  validateOptim(c.optimizer);
  validateLr(c.lrSchedule);
  return c;
}

/** Everything a run needs in memory: the model, its buffers and the native net. */
export interface Session {
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
  grads: Float32Array;
  net: NativeNet;
}

export function createSession(spec: ModelSpec, params?: Float32Array): Session {
  const layout = buildLayout(spec);
  const p = params ?? new Float32Array(layout.total);
  if (p.length !== layout.total) fail('BAD_FILE', `parameters have ${p.length} values, the model needs ${layout.total}`);
  const grads = new Float32Array(layout.total);
  const net = new (native().Net)(nativeConfig(spec, layout), p, grads);
  return { spec, layout, params: p, grads, net };
}

/** Loss sums over a split (no dropout, no gradients); LM state carried across batches. */
export function evaluate(s: Session, ds: Dataset, split: 'train' | 'valid' | 'test', batch: number, bptt: number, maxBatches = 0): EvalSums {
  const sums: EvalSums = { loss: 0, count: 0, correct: 0 };
  const src = batches(ds, split, batch, bptt, false, 0);
  const total = maxBatches > 0 ? Math.min(src.count, maxBatches) : src.count;
  const state = ds.kind === 'lm' ? new Float32Array(s.spec.layers * STATE_VECTORS[s.spec.cell] * batch * s.spec.hidden) : null;
  for (let i = 0; i < total; i++) {
    const b = src.at(0, i);
    const r = s.net.run({ x: b.x, y: b.y, batch: b.batch, steps: b.steps, state, backward: false, dropoutSeed: 0 });
    sums.loss += r.loss;
    sums.count += r.count;
    sums.correct += r.correct;
  }
  return sums;
}

/** Sparsity of the recurrent kernels (ih + hh of every layer), from the one place that counts it. */
function recurrentSparsity(s: Session, mask: Uint8Array | null): number | undefined {
  return mask ? accountModel(s.spec, s.layout, s.params, mask).recurrent.sparsity : undefined;
}

export async function train(cfgIn: TrainConfig, o: TrainOptions): Promise<TrainResult> {
  const cfg = validateTrainConfig(cfgIn);
  const runDir = o.out;
  const ckptDir = path.join(runDir, 'ckpt');
  const last = path.join(ckptDir, 'last.srnn');
  if (o.resume) {
    if (!fs.existsSync(last)) fail('BAD_FILE', `cannot resume: ${last} does not exist`, 'start the run without --resume');
  } else if (fs.existsSync(last)) {
    fail('BAD_FLAG', `run folder ${runDir} already holds a run`, 'pass --resume to continue it, or choose another --out');
  }
  const recipe = cfg.recipe ? loadRecipe(cfg.recipe) : null;
  const ds = o.dataset ?? loadDataset(cfg.data.name, { level: cfg.data.level, limit: cfg.data.limit });
  const spec = specFor(cfg, ds);
  // Everything that can reject the input is checked before the run folder is written.
  const trainBatches = batches(ds, 'train', cfg.batch, cfg.bptt, true, cfg.seed);
  const nb = trainBatches.count;
  const pruner: Pruner | null = recipe ? createPruner(recipe, spec, buildLayout(spec), { stepsPerEpoch: nb }) : null;
  native().setThreads(cfg.threads);
  const metric = mainMetric(ds.kind, ds.kind === 'lm' ? ds.level : undefined);

  let start = { step: 0, epoch: 1, batchInEpoch: 0 };
  let lrState: LrState = initialLrState(cfg.optimizer.lr);
  let history: EpochRow[] = [];
  let best = HIGHER_IS_BETTER[metric] ? -Infinity : Infinity;
  let session: Session;
  let mask: Uint8Array | null = null;
  const optimizer = (total: number) => new Optimizer(cfg.optimizer, total);
  let opt: Optimizer;
  let carried: Float32Array | null = null;
  let prunerState: unknown;

  if (o.resume) {
    const ck = readCheckpoint(last);
    if (!sameSpec(ck.spec, spec)) {
      fail('BAD_FILE', `${last} was written for a different model than this config describes`, 'resume with the run\'s own config.json (sparse-rnn train --config RUN/config.json --resume)');
    }
    session = createSession(spec, ck.params);
    mask = ck.mask;
    opt = optimizer(session.layout.total);
    if (ck.extra['opt.m']) opt.m.set(ck.extra['opt.m']);
    if (ck.extra['opt.v'] && opt.v.length) opt.v.set(ck.extra['opt.v']);
    const t = ck.train ?? {};
    opt.t = (t.optT as number) ?? 0;
    lrState = (t.lr as LrState) ?? lrState;
    history = (t.history as EpochRow[]) ?? [];
    best = (t.best as number) ?? best;
    prunerState = t.pruner;
    carried = ck.extra.state ?? null;
    start = { step: ck.step, epoch: ck.epoch, batchInEpoch: ck.batchInEpoch };
  } else {
    let init: Float32Array | undefined;
    if (o.from) {
      const ck = readCheckpoint(resolveCheckpoint(o.from));
      if (!sameSpec(ck.spec, spec)) {
        fail('BAD_CONFIG', `the model in ${o.from} differs from the one this config describes`, 'use the same data and model flags as the run you prune');
      }
      init = ck.params;
      mask = ck.mask;
    }
    session = createSession(spec, init);
    if (!init) initParams(spec, session.layout, session.params, (() => { const r = new Rng(mixSeed(cfg.seed, 0x1417)); return () => r.float(); })());
    opt = optimizer(session.layout.total);
    ensureDir(ckptDir);
    writeFileAtomic(path.join(runDir, 'config.json'), JSON.stringify({ ...cfg, resolvedModel: spec }, null, 2) + '\n');
    for (const f of ['metrics.jsonl', 'prune.jsonl']) fs.rmSync(path.join(runDir, f), { force: true });
  }

  const { layout, params, grads, net } = session;
  const evalB = (cfg.evalBatch ?? DEFAULT_TRAIN.evalBatch!) || cfg.batch;
  if (pruner) {
    if (prunerState !== undefined) pruner.restore(prunerState);
    if (!mask) mask = new Uint8Array(layout.total).fill(1);
  }
  // Sparse-aware training: the net reads the mask at every run (sparse kernels for groups sparse enough).
  if (mask) net.setMask(mask);
  const totalSteps = Math.min(cfg.epochs * nb, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
  const stateLen = spec.layers * STATE_VECTORS[spec.cell] * cfg.batch * spec.hidden;
  const state = ds.kind === 'lm' ? new Float32Array(stateLen) : null;
  if (state && carried && carried.length === stateLen) state.set(carried);

  const save = (file: string, pos: { step: number; epoch: number; batchInEpoch: number }) => {
    const extra: Record<string, Float32Array> = { 'opt.m': opt.m };
    if (opt.v.length) extra['opt.v'] = opt.v;
    if (state) extra.state = state;
    writeCheckpoint(file, {
      spec, params, mask, extra, ...pos,
      train: { optT: opt.t, lr: lrState, history, best, pruner: pruner?.state(), metric, config: cfg },
    });
  };

  o.onStart?.({ runDir, spec, parameters: layout.segments.reduce((a, g) => a + g.size, 0), totalSteps, stepsPerEpoch: nb, resumedAt: start.step });
  const progress = new Progress({ total: totalSteps, rateUnit: 'tok/s', enabled: o.progress ?? false });
  const t0 = performance.now();
  let step = start.step;
  let stop = step >= totalSteps;
  let lastYield = performance.now();
  for (let epoch = start.epoch; epoch <= cfg.epochs && !stop; epoch++) {
    const e0 = performance.now();
    const sums: EvalSums = { loss: 0, count: 0, correct: 0 };
    let units = 0;
    const first = epoch === start.epoch ? start.batchInEpoch : 0;
    if (first === 0 && state) state.fill(0);
    for (let i = first; i < nb; i++) {
      const b = trainBatches.at(epoch, i);
      const r = net.run({ x: b.x, y: b.y, batch: b.batch, steps: b.steps, state, backward: true, dropoutSeed: mixSeed(cfg.seed, 0xd0, step) });
      if (!Number.isFinite(r.loss)) {
        progress.done();
        fail('DIVERGED', `the loss became ${r.loss} at step ${step + 1} (epoch ${epoch})`, `lower the learning rate (now ${lrState.lr}) or clip gradients (--clip); the last good checkpoint is ${last}`);
      }
      opt.step(params, grads, mask, lrState.lr);
      step++;
      if (pruner && mask) {
        const ev = pruner.step(step, params, mask);
        if (ev) {
          net.setMask(mask);
          appendLine(path.join(runDir, 'prune.jsonl'), JSON.stringify(ev));
          o.onPrune?.(ev);
        }
      }
      sums.loss += r.loss;
      sums.count += r.count;
      sums.correct += r.correct;
      const u = b.batch * b.steps; // time steps (tokens or vector rows)
      units += u;
      progress.update(step, u, `epoch ${epoch}/${cfg.epochs} | loss ${(r.loss / Math.max(r.count, 1)).toFixed(3)} | lr ${lrState.lr.toPrecision(3)}`);
      const atEnd = step >= totalSteps;
      o.onStep?.(step, totalSteps, epoch);
      // Let signal handlers (Ctrl-C) run: the loop is otherwise synchronous.
      if (performance.now() - lastYield > 100) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      if (o.signal?.aborted) {
        save(last, i + 1 < nb ? { step, epoch, batchInEpoch: i + 1 } : { step, epoch: epoch + 1, batchInEpoch: 0 });
        progress.done();
        throw new SparseRnnError('INTERRUPTED', `stopped at step ${step}; checkpoint saved to ${last}`, `continue with: sparse-rnn train --config ${path.join(runDir, 'config.json')} --out ${runDir} --resume`);
      }
      if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0 && i + 1 < nb && !atEnd) save(last, { step, epoch, batchInEpoch: i + 1 });
      if (atEnd) { stop = true; break; }
    }
    progress.done();
    const seconds = (performance.now() - e0) / 1000;
    const valid = metricsFromSums(evaluate(session, ds, 'valid', evalB, cfg.bptt, cfg.evalBatches), metric);
    if (!Number.isFinite(valid.loss)) {
      fail('DIVERGED', `the validation loss became ${valid.loss} after epoch ${epoch}`, `lower the learning rate (now ${lrState.lr}) or clip gradients (--clip); the last good checkpoint is ${last}`);
    }
    const row: EpochRow = {
      epoch, step, lr: lrState.lr, train: metricsFromSums(sums, metric), valid, seconds,
      tokensPerSec: units / Math.max(seconds, 1e-9),
      ...(mask ? { sparsity: recurrentSparsity(session, mask) } : {}),
    };
    history.push(row);
    appendLine(path.join(runDir, 'metrics.jsonl'), JSON.stringify(row));
    o.onEpoch?.(row, metric);
    lrState = nextLr(cfg.lrSchedule, lrState, epoch, valid.loss);
    const v = valid[metric] as number;
    const improved = HIGHER_IS_BETTER[metric] ? v > best : v < best;
    const pos = { step, epoch: epoch + 1, batchInEpoch: 0 };
    save(last, pos);
    if (improved) {
      best = v;
      copyFileAtomic(last, path.join(ckptDir, 'best.srnn'));
    }
  }

  const test = metricsFromSums(evaluate(session, ds, 'test', evalB, cfg.bptt, 0), metric);
  const valid = history.length ? history[history.length - 1].valid : metricsFromSums(evaluate(session, ds, 'valid', evalB, cfg.bptt, cfg.evalBatches), metric);
  const result: TrainResult = { runDir, spec, metric, epochs: history, valid, test, steps: step, seconds: (performance.now() - t0) / 1000 };
  writeFileAtomic(path.join(runDir, 'summary.json'), JSON.stringify({ ...result, sparsity: recurrentSparsity(session, mask), formatted: { valid: formatMetric(metric, valid[metric]), test: formatMetric(metric, test[metric]) } }, null, 2) + '\n');
  return result;
}
