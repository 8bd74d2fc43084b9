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
import os from 'node:os';
import path from 'node:path';
import { fail, SparseRnnError } from '../errors.js';
import { defaultSpec, sameSpec, STATE_VECTORS, type ModelSpec } from '../model/spec.js';
import { buildLayout, nativeConfig, type Layout } from '../model/layout.js';
import { initParams } from '../model/init.js';
import { accountModel } from '../model/accounting.js';
import { readCheckpoint, resolveCheckpoint, writeCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { native, type NativeNet } from '../engine/native.js';
import { loadDataset } from '../data/index.js';
import type { Dataset } from '../data/dataset.js';
import { Rng, mixSeed } from '../data/rng.js';
import { Optimizer, validateOptim, DEFAULT_OPTIM, type OptimConfig } from './optim.js';
import { initialLrState, nextLr, validateLr, type LrConfig, type LrState } from './lr.js';
import { mainMetric, metricsFromSums, HIGHER_IS_BETTER, formatMetric, type EvalSums, type MetricName, type Metrics } from './metrics.js';
import { batches, type EpochBatches } from './batches.js';
import { TRAIN_STATE_VERSION, ZERO_SUMS, isTrainState, type EpochRow, type EpochSums, type TrainState } from './state.js';
import { Progress } from '../util/progress.js';
import { writeFileAtomic, appendLine, copyFileAtomic, ensureDir, readFileLimited } from '../util/fs.js';
import { createPruner, loadRecipe, type Pruner, type PruneEvent } from '../prune/pruner.js';
import { parseRecipe, recipeToJSON } from '../prune/recipe.js';

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
  /**
   * Checkpoint when this many seconds have passed since the last checkpoint (0 = off;
   * default 60): a killed run loses at most about this much work.
   */
  checkpointSeconds?: number;
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
  checkpointSeconds: 60,
};

export type { EpochRow } from './state.js';

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
  onStart?: (info: { runDir: string; spec: ModelSpec; parameters: number; totalSteps: number; stepsPerEpoch: number; resumedAt: number; notes: string[] }) => void;
  /** A dataset already loaded (tests, studies); otherwise loaded from cfg.data. */
  dataset?: Dataset;
}

/** The model spec a config implies for a data set. */
export function specFor(cfg: TrainConfig, ds: Dataset): ModelSpec {
  const m = cfg.model;
  if (ds.kind === 'lm') {
    return defaultSpec({ ...m, inputKind: 'tokens', inputSize: ds.vocab.size, outputSize: ds.vocab.size, task: 'lm' });
  }
  if (m.tied) fail('BAD_CONFIG', `model.tied needs a language model; ${ds.name} is a classification data set`, 'drop --tied (it ties the head to the token embedding)');
  return defaultSpec({ ...m, inputKind: 'vectors', inputSize: ds.inputDim, embedDim: 0, outputSize: ds.classes, task: 'classify', tied: false });
}

export function validateTrainConfig(c: TrainConfig): TrainConfig {
  const bad = (f: string, rule: string, hint = 'see `sparse-rnn train --help` for each setting and its range'): never => fail('BAD_CONFIG', `${f} ${rule}`, hint);
  const int = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!c.data || typeof c.data.name !== 'string' || !c.data.name) bad('data', 'must name a data set', 'see `sparse-rnn data`');
  if (!int(c.batch, 1)) bad('batch', `must be an integer >= 1 (got ${c.batch})`);
  if (!int(c.bptt, 1)) bad('bptt', `must be an integer >= 1 (got ${c.bptt})`);
  if (!int(c.epochs, 1)) bad('epochs', `must be an integer >= 1 (got ${c.epochs})`);
  if (!int(c.maxSteps, 0)) bad('maxSteps', `must be an integer >= 0 (got ${c.maxSteps})`);
  if (!int(c.seed, 0) || c.seed > 2 ** 32 - 1) bad('seed', `must be an integer from 0 to ${2 ** 32 - 1} (got ${c.seed})`);
  if (!int(c.threads, 1) || c.threads > 64) bad('threads', `must be an integer from 1 to 64 (got ${c.threads})`);
  if (!int(c.evalBatches, 0)) bad('evalBatches', `must be an integer >= 0 (got ${c.evalBatches})`);
  if (c.evalBatch !== undefined && !int(c.evalBatch, 0)) bad('evalBatch', `must be an integer >= 0 (got ${c.evalBatch})`);
  if (!int(c.checkpointEvery, 0)) bad('checkpointEvery', `must be an integer >= 0 (got ${c.checkpointEvery})`);
  if (c.checkpointSeconds !== undefined && !(typeof c.checkpointSeconds === 'number' && c.checkpointSeconds >= 0 && Number.isFinite(c.checkpointSeconds))) {
    bad('checkpointSeconds', `must be a number >= 0 (got ${c.checkpointSeconds})`);
  }
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
  if (p.length !== layout.total) fail('BAD_FILE', `parameters have ${p.length} values, the model needs ${layout.total}`, 'load the parameters of this model (a checkpoint written for the same spec)');
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
  if (typeof runDir !== 'string' || runDir.trim() === '') fail('BAD_FLAG', 'the run folder (--out) is empty', 'pass --out DIR');
  const ckptDir = path.join(runDir, 'ckpt');
  const last = path.join(ckptDir, 'last.srnn');
  const runExisted = fs.existsSync(runDir);
  if (runExisted && !fs.statSync(runDir).isDirectory()) fail('IO', `run folder ${runDir} is a file, not a folder`, 'choose another --out');
  // Resume reads the checkpoint first: it carries the recipe and the position.
  const ck = o.resume ? (fs.existsSync(last) ? readCheckpoint(last) : fail('BAD_FILE', `cannot resume: ${last} does not exist`, 'start the run without --resume')) : null;
  if (!o.resume && fs.existsSync(last)) fail('BAD_FLAG', `run folder ${runDir} already holds a run`, 'pass --resume to continue it, or choose another --out');
  const ckState = ck && isTrainState(ck.train) ? ck.train : null;
  // An imported model (sparse-rnn import) is resumed from step 0: its weights, fresh training state.
  const fromImport = !!ck && !ckState && !!ck.train && 'imported' in ck.train && ck.step === 0;
  if (ck && !ckState && !fromImport) fail('BAD_FILE', `${last} holds no training state`, 'it was not written by `sparse-rnn train`; train from it with `sparse-rnn prune --from` or start a new run');
  // The recipe a run uses is kept in its checkpoints (and config.json): --resume needs no recipe file.
  const recipe = ckState && ckState.recipe !== undefined
    ? (ckState.recipe === null ? null : parseRecipe(ckState.recipe))
    : cfg.recipe ? loadRecipe(cfg.recipe) : null;
  const ds = o.dataset ?? loadDataset(cfg.data.name, { level: cfg.data.level, limit: cfg.data.limit });
  const spec = specFor(cfg, ds);
  checkModelSize(spec, cfg.optimizer.kind);
  // Everything that can reject the input is checked before the run folder is written.
  const evalB = (cfg.evalBatch ?? DEFAULT_TRAIN.evalBatch!) || cfg.batch;
  const trainBatches = splitBatches(ds, cfg, 'train', cfg.batch, true);
  splitBatches(ds, cfg, 'valid', evalB, false);
  splitBatches(ds, cfg, 'test', evalB, false);
  const nb = trainBatches.count;
  const pruner: Pruner | null = recipe ? createPruner(recipe, spec, buildLayout(spec), { stepsPerEpoch: nb }) : null;
  native().setThreads(cfg.threads);
  const metric = mainMetric(ds.kind, ds.kind === 'lm' ? ds.level : undefined);
  const totalSteps = Math.min(cfg.epochs * nb, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);

  let start = { step: 0, epoch: 1, batchInEpoch: 0 };
  let lrState: LrState = initialLrState(cfg.optimizer.lr);
  let history: EpochRow[] = [];
  let best = HIGHER_IS_BETTER[metric] ? -Infinity : Infinity;
  let resumedSums: EpochSums = { ...ZERO_SUMS };
  let session: Session;
  let mask: Uint8Array | null = null;
  const optimizer = (total: number) => new Optimizer(cfg.optimizer, total);
  let opt: Optimizer;
  let carried: Float32Array | null = null;
  let prunerState: unknown;
  const stateLen = spec.layers * STATE_VECTORS[spec.cell] * cfg.batch * spec.hidden;
  /** Files this call created, removed again if a fresh run fails before its first checkpoint. */
  const created: string[] = [];
  let saved = false;

  if (ck && ckState) {
    if (!sameSpec(ck.spec, spec)) {
      fail('BAD_FILE', `${last} was written for a different model than this config describes`, 'resume with the run\'s own config.json (sparse-rnn train --config RUN/config.json --resume)');
    }
    checkResumePosition(ck, ckState, last, { nb, epochs: cfg.epochs, adam: cfg.optimizer.kind === 'adam', total: buildLayout(spec).total, stateLen: ds.kind === 'lm' ? stateLen : 0, pruning: !!pruner, metric });
    session = createSession(spec, ck.params);
    mask = ck.mask;
    opt = optimizer(session.layout.total);
    opt.m.set(ck.extra['opt.m']);
    if (opt.v.length) opt.v.set(ck.extra['opt.v']);
    opt.t = ckState.optT;
    lrState = ckState.lr;
    history = ckState.history;
    best = ckState.best ?? best;
    prunerState = ckState.pruner;
    carried = ck.extra.state ?? null;
    start = { step: ck.step, epoch: ck.epoch, batchInEpoch: ck.batchInEpoch };
    if (start.batchInEpoch > 0) resumedSums = ckState.epochSums;
    // A kill between an append and the next checkpoint leaves lines the resumed run writes again.
    trimJsonl(path.join(runDir, 'prune.jsonl'), (r) => typeof r.step === 'number' && r.step <= start.step);
    trimJsonl(path.join(runDir, 'metrics.jsonl'), (r) => typeof r.epoch === 'number' && r.epoch <= history.length);
  } else {
    let init: Float32Array | undefined;
    if (fromImport && ck) {
      if (!sameSpec(ck.spec, spec)) fail('BAD_FILE', `${last} holds a different model than this config describes`, 'resume with the run\'s own config.json');
      init = ck.params;
      mask = ck.mask;
    } else if (o.from) {
      const src = readCheckpoint(resolveCheckpoint(o.from));
      if (!sameSpec(src.spec, spec)) {
        fail('BAD_CONFIG', `the model in ${o.from} differs from the one this config describes`, 'use the same data and model flags as the run you prune');
      }
      init = src.params;
      mask = src.mask;
    }
    session = createSession(spec, init);
    if (!init) initParams(spec, session.layout, session.params, (() => { const r = new Rng(mixSeed(cfg.seed, 0x1417)); return () => r.float(); })());
    opt = optimizer(session.layout.total);
  }

  const cleanup = () => {
    if (saved || o.resume) return;
    for (const f of created.slice().reverse()) {
      try {
        if (fs.statSync(f).isDirectory()) { if (fs.readdirSync(f).length === 0) fs.rmdirSync(f); }
        else fs.rmSync(f, { force: true });
      } catch { /* already gone */ }
    }
  };
  try {
    if (!ck) {
      if (!fs.existsSync(ckptDir)) {
        for (let d = path.resolve(ckptDir); !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) created.unshift(d);
      }
      created.push(...['config.json', 'metrics.jsonl', 'prune.jsonl'].map((f) => path.join(runDir, f)));
      ensureDir(ckptDir);
      // config.json holds the recipe's content, so `--config RUN/config.json --resume` works from any folder.
      const written = { ...cfg, ...(recipe ? { recipe: JSON.stringify(recipeToJSON(recipe)) } : {}), resolvedModel: spec };
      for (const f of ['metrics.jsonl', 'prune.jsonl']) fs.rmSync(path.join(runDir, f), { force: true });
      writeFileAtomic(path.join(runDir, 'config.json'), JSON.stringify(written, null, 2) + '\n');
    }
    return await trainLoop();
  } catch (e) {
    cleanup();
    if (e instanceof SparseRnnError && e.code === 'DIVERGED' && !saved && !o.resume) {
      throw new SparseRnnError('DIVERGED', e.message, `${e.hint}; no checkpoint was written, so nothing of the run was kept`);
    }
    throw e;
  }

  async function trainLoop(): Promise<TrainResult> {
  const { layout, params, grads, net } = session;
  if (pruner) {
    if (prunerState !== undefined) pruner.restore(prunerState);
    if (!mask) mask = new Uint8Array(layout.total).fill(1);
  }
  // Sparse-aware training: the net reads the mask at every run (sparse kernels for groups sparse enough).
  if (mask) net.setMask(mask);
  const state = ds.kind === 'lm' ? new Float32Array(stateLen) : null;
  if (state && carried) state.set(carried);
  const recipeJson = recipe ? recipeToJSON(recipe) : null;

  const save = (file: string, pos: { step: number; epoch: number; batchInEpoch: number }, epochSums: EpochSums) => {
    const extra: Record<string, Float32Array> = { 'opt.m': opt.m };
    if (opt.v.length) extra['opt.v'] = opt.v;
    if (state) extra.state = state;
    const train: TrainState = {
      version: TRAIN_STATE_VERSION, optT: opt.t, lr: lrState, history, best: Number.isFinite(best) ? best : null,
      ...(pruner ? { pruner: pruner.state() } : {}), metric, config: cfg as unknown as Record<string, unknown>, epochSums, recipe: recipeJson,
    };
    writeCheckpoint(file, { spec, params, mask, extra, ...pos, train });
    saved = true;
  };

  o.onStart?.({ runDir, spec, parameters: layout.segments.reduce((a, g) => a + g.size, 0), totalSteps, stepsPerEpoch: nb, resumedAt: start.step,
    notes: pruner ? pruningNotes(pruner, totalSteps) : [] });
  const progress = new Progress({ total: totalSteps, rateUnit: 'tok/s', enabled: o.progress ?? false });
  const t0 = performance.now();
  let step = start.step;
  let stop = step >= totalSteps;
  let lastYield = performance.now();
  let lastSave = performance.now();
  const saveEveryMs = (cfg.checkpointSeconds ?? DEFAULT_TRAIN.checkpointSeconds!) * 1000;
  for (let epoch = start.epoch; epoch <= cfg.epochs && !stop; epoch++) {
    const e0 = performance.now();
    const resumed = epoch === start.epoch && start.batchInEpoch > 0 ? resumedSums : ZERO_SUMS;
    const sums: EvalSums = { loss: resumed.loss, count: resumed.count, correct: resumed.correct };
    let units = resumed.units;
    const before = resumed.seconds;
    // CPU time over the same span: known only when the epoch started here or its checkpoint recorded it.
    const c0 = process.cpuUsage();
    const cpuBefore = resumed === ZERO_SUMS || resumed.seconds === 0 ? 0 : resumed.cpuSeconds;
    const cpuNow = (): { cpuSeconds?: number } => {
      if (cpuBefore === undefined) return {};
      const c = process.cpuUsage(c0);
      return { cpuSeconds: cpuBefore + (c.user + c.system) / 1e6 };
    };
    const running = (): EpochSums => ({ ...sums, units, seconds: before + (performance.now() - e0) / 1000, ...cpuNow() });
    const first = epoch === start.epoch ? start.batchInEpoch : 0;
    if (first === 0 && state) state.fill(0);
    for (let i = first; i < nb; i++) {
      const b = trainBatches.at(epoch, i);
      const r = net.run({ x: b.x, y: b.y, batch: b.batch, steps: b.steps, state, backward: true, dropoutSeed: mixSeed(cfg.seed, 0xd0, step) });
      if (!Number.isFinite(r.loss)) {
        progress.done();
        fail('DIVERGED', `the loss became ${r.loss} at step ${step + 1} (epoch ${epoch})`, `lower the learning rate (now ${lrState.lr}) or clip gradients (--clip)${saved || o.resume ? `; the last good checkpoint is ${last}` : ''}`);
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
        // At the epoch's last batch batchInEpoch = nb: the resumed run validates the epoch and goes on.
        save(last, { step, epoch, batchInEpoch: i + 1 }, running());
        progress.done();
        throw new SparseRnnError('INTERRUPTED', `stopped at step ${step}; checkpoint saved to ${last}`, `continue with: sparse-rnn train --config ${path.join(runDir, 'config.json')} --out ${runDir} --resume`);
      }
      const due = (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0) || (saveEveryMs > 0 && performance.now() - lastSave >= saveEveryMs);
      if (due && i + 1 < nb && !atEnd) {
        save(last, { step, epoch, batchInEpoch: i + 1 }, running());
        lastSave = performance.now();
      }
      if (atEnd) { stop = true; break; }
    }
    progress.done();
    const seconds = before + (performance.now() - e0) / 1000;
    const cpu = cpuNow();
    const valid = metricsFromSums(evaluate(session, ds, 'valid', evalB, cfg.bptt, cfg.evalBatches), metric);
    if (!Number.isFinite(valid.loss)) {
      fail('DIVERGED', `the validation loss became ${valid.loss} after epoch ${epoch}`, `lower the learning rate (now ${lrState.lr}) or clip gradients (--clip)${saved || o.resume ? `; the last good checkpoint is ${last}` : ''}`);
    }
    const row: EpochRow = {
      epoch, step, lr: lrState.lr, train: metricsFromSums(sums, metric), valid, seconds,
      tokensPerSec: units / Math.max(seconds, 1e-9), ...cpu,
      ...(mask ? { sparsity: recurrentSparsity(session, mask) } : {}),
    };
    history.push(row);
    appendLine(path.join(runDir, 'metrics.jsonl'), JSON.stringify(row));
    o.onEpoch?.(row, metric);
    lrState = nextLr(cfg.lrSchedule, lrState, epoch, valid.loss);
    const v = valid[metric] as number;
    const improved = HIGHER_IS_BETTER[metric] ? v > best : v < best;
    if (improved) best = v;
    save(last, { step, epoch: epoch + 1, batchInEpoch: 0 }, { ...ZERO_SUMS });
    lastSave = performance.now();
    if (improved) copyFileAtomic(last, path.join(ckptDir, 'best.srnn'));
  }

  const test = metricsFromSums(evaluate(session, ds, 'test', evalB, cfg.bptt, 0), metric);
  if (!Number.isFinite(test.loss)) fail('DIVERGED', `the test loss is ${test.loss}`, 'lower the learning rate or clip gradients (--clip)');
  const valid = history.length ? history[history.length - 1].valid : metricsFromSums(evaluate(session, ds, 'valid', evalB, cfg.bptt, cfg.evalBatches), metric);
  const result: TrainResult = { runDir, spec, metric, epochs: history, valid, test, steps: step, seconds: (performance.now() - t0) / 1000 };
  writeFileAtomic(path.join(runDir, 'summary.json'), JSON.stringify({ ...result, sparsity: recurrentSparsity(session, mask), formatted: { valid: formatMetric(metric, valid[metric]), test: formatMetric(metric, test[metric]) } }, null, 2) + '\n');
  return result;
  }
}

/** Batches of one split, or one BAD_DATA line naming the split and what it lacks (checked before the run folder exists). */
function splitBatches(ds: Dataset, cfg: TrainConfig, split: 'train' | 'valid' | 'test', batch: number, training: boolean): EpochBatches {
  const where = ds.kind === 'lm' && ds.source && fs.existsSync(path.join(ds.source, `${split}.txt`)) ? path.join(ds.source, `${split}.txt`) : `the ${split} split of ${cfg.data.name}`;
  const size = ds.kind === 'lm' ? `${ds[split].length} tokens` : `${ds[split].count} examples`;
  let b: EpochBatches;
  try {
    b = batches(ds, split, batch, cfg.bptt, training, cfg.seed);
  } catch (e) {
    if (!(e instanceof SparseRnnError)) throw e;
    const knob = split === 'train' ? '--batch or --bptt' : '--eval-batch or --bptt';
    return fail('BAD_DATA', `${where} (${size}) is too small: ${e.message}`, `add text to it, or lower ${knob}${cfg.data.limit ? ', or raise --limit' : ''}`);
  }
  if (b.count < 1) fail('BAD_DATA', `${where} (${size}) is too small for one batch`, `add text to it, or lower ${split === 'train' ? '--batch or --bptt' : '--eval-batch or --bptt'}`);
  return b;
}

/** The largest model accepted: what the parameter buffers (Float32Array) can index. */
export const MAX_PARAMETERS = 2 ** 31 - 1;

/**
 * Refuses a model too large to allocate, before anything is allocated: parameter count,
 * and bytes for weights, gradients, optimizer moments and mask against this machine's memory.
 */
export function checkModelSize(spec: ModelSpec, optimizer: 'sgd' | 'adam' = 'adam'): void {
  const total = buildLayout(spec).total;
  const perParam = 4 /* params */ + 4 /* grads */ + 4 /* m */ + (optimizer === 'adam' ? 4 : 0) + 1 /* mask */;
  const bytes = total * perParam;
  const mem = os.totalmem();
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 3 : 1)} GiB`;
  if (total > MAX_PARAMETERS || bytes > mem) {
    fail('BAD_CONFIG', `the model is too large: ${total.toLocaleString('en-US')} parameters need about ${gib(bytes)} for weights, gradients and optimizer state (limit ${MAX_PARAMETERS.toLocaleString('en-US')} parameters; this machine has ${gib(mem)})`,
      'lower --hidden, --embed or --layers, or the vocabulary (--limit)');
  }
}

/** Where a resumed run starts must agree with the run's config and data; every field of the checkpoint is checked. */
function checkResumePosition(ck: Checkpoint, t: TrainState, file: string, o: { nb: number; epochs: number; adam: boolean; total: number; stateLen: number; pruning: boolean; metric: MetricName }): void {
  const bad = (what: string): never => fail('BAD_FILE', `${file}: ${what}`, 'the checkpoint does not belong to this run or is damaged; resume with the run\'s own config.json or start again');
  if (ck.epoch < 1 || ck.epoch > o.epochs + 1) bad(`epoch ${ck.epoch} is outside 1 to ${o.epochs + 1} (the run has ${o.epochs} epochs)`);
  if (ck.batchInEpoch > o.nb) bad(`batchInEpoch ${ck.batchInEpoch} is more than the ${o.nb} batches of an epoch`);
  const pos = (ck.epoch - 1) * o.nb + ck.batchInEpoch;
  if (ck.batchInEpoch > 0 ? ck.step !== pos : ck.step > pos) bad(`step ${ck.step} does not match epoch ${ck.epoch}, batch ${ck.batchInEpoch} (${o.nb} batches per epoch)`);
  // One row fewer is a checkpoint of an older version stopped at an epoch's last batch (it skipped that row).
  if (t.history.length > ck.epoch - 1 || t.history.length < ck.epoch - 2) bad(`history has ${t.history.length} epochs, the checkpoint is at epoch ${ck.epoch}`);
  if (t.metric !== o.metric) bad(`metric ${t.metric} is not this run's ${o.metric}`);
  const m = ck.extra['opt.m'];
  if (!m || m.length !== o.total) bad(`optimizer moment opt.m is ${m ? `${m.length} values` : 'missing'} (the model has ${o.total})`);
  const v = ck.extra['opt.v'];
  if (o.adam && (!v || v.length !== o.total)) bad(`Adam's second moment opt.v is ${v ? `${v.length} values` : 'missing'} (the model has ${o.total})`);
  if (o.stateLen > 0 && ck.extra.state && ck.extra.state.length !== o.stateLen) bad(`carried state has ${ck.extra.state.length} values, the run needs ${o.stateLen}`);
  if (o.pruning && t.pruner === undefined && ck.step > 0) bad('the pruner state is missing');
  if (ck.mask) for (let i = 0; i < ck.mask.length; i++) if (ck.mask[i] > 1) bad(`mask entry ${i} is ${ck.mask[i]} (must be 0 or 1)`);
  for (const [k, a] of Object.entries(ck.extra)) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) bad(`section ${k} holds a non-finite value at ${i}`);
  }
}

/** Keeps the JSON lines of a log that `keep` accepts (and drops a partial last line); rewritten atomically. */
function trimJsonl(file: string, keep: (row: Record<string, unknown>) => boolean): void {
  if (!fs.existsSync(file)) return;
  const text = readFileLimited(file, { maxBytes: 256 * 1024 * 1024, what: 'run log' }, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => {
    try {
      return keep(JSON.parse(l) as Record<string, unknown>);
    } catch {
      return false;
    }
  });
  if (kept.length !== lines.length || (text !== '' && !text.endsWith('\n'))) writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

/** Lines for the start of a run whose schedule ends after its last step: the sparsity it will reach. */
function pruningNotes(p: Pruner, totalSteps: number): string[] {
  const notes: string[] = [];
  for (const { index, schedule } of p.schedules()) {
    if (schedule.lastStep <= totalSteps) continue;
    let lastIn = 0;
    for (const t of schedule.pruningSteps()) { if (t > totalSteps) break; lastIn = t; }
    const target = schedule.at(schedule.lastStep).sparsity;
    const reached = lastIn > 0 ? schedule.at(lastIn).sparsity : 0;
    notes.push(`pruning[${index}] (${schedule.method}) ends at step ${schedule.lastStep}, after the run's last step ${totalSteps}: `
      + (target !== undefined ? `the run will reach sparsity ${(100 * (reached ?? 0)).toFixed(1)}% of the target ${(100 * target).toFixed(1)}%` : `its last pruning step in the run is ${lastIn || 'none'}`)
      + ' (raise --epochs or shorten the schedule to reach it)');
  }
  return notes;
}
