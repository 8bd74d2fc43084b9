/**
 * The training state a checkpoint carries besides the arrays, typed and versioned.
 *
 * Written as `train` in the checkpoint header with `version: TRAIN_STATE_VERSION`.
 * parseTrainState checks every field on read (a forged or damaged header gives one
 * BAD_FILE line naming the field), and reads older versions by their own field
 * names, so renaming a field here means adding a case below, never silently
 * resuming an old checkpoint with defaults.
 *
 * Version history:
 *   0  (no `version` field) optT, lr, history, best, pruner, metric, config
 *   1  + version, epochSums (running sums of the epoch in progress), recipe (the
 *      pruning recipe's content, so --resume needs no recipe file); later, optional
 *      epochSums.cpuSeconds and history[].cpuSeconds (absent in older checkpoints:
 *      the CPU time of that epoch is unknown, never guessed)
 */
import { fail } from '../errors.js';
import type { LrState } from './lr.js';
import type { MetricName, Metrics } from './metrics.js';

export const TRAIN_STATE_VERSION = 1;

/** One finished epoch (a row of the per-epoch table and of metrics.jsonl). */
export interface EpochRow {
  epoch: number;
  step: number;
  lr: number;
  train: Metrics;
  valid: Metrics;
  seconds: number;
  tokensPerSec: number;
  /**
   * CPU seconds this process spent over the same span as `seconds` (user + system).
   * Unlike wall time it does not grow when other processes share the cores, so
   * tokens per CPU-second compares runs trained under different machine load.
   * Absent when unknown: an epoch resumed from a checkpoint that did not record it.
   */
  cpuSeconds?: number;
  /** Sparsity of the recurrent kernels (ih + hh, all layers) at the end of the epoch; set when pruning. */
  sparsity?: number;
}

/** Running sums of the epoch in progress, so an interrupted epoch reports the same train loss. */
export interface EpochSums {
  loss: number;
  count: number;
  correct: number;
  /** Time steps (tokens or vector rows) trained this epoch. */
  units: number;
  /** Training seconds spent in this epoch before the checkpoint. */
  seconds: number;
  /** CPU seconds spent in this epoch before the checkpoint (absent: not recorded, so unknown). */
  cpuSeconds?: number;
}

export interface TrainState {
  version: typeof TRAIN_STATE_VERSION;
  /** Optimizer step counter (Adam's t). */
  optT: number;
  lr: LrState;
  history: EpochRow[];
  /** Best validation value of the main metric so far (null: none yet). */
  best: number | null;
  /** The pruner's own JSON-safe state (validated by Pruner.restore). */
  pruner?: unknown;
  metric: MetricName;
  /** The run's TrainConfig as JSON (informational; the run folder's config.json is the source). */
  config?: Record<string, unknown>;
  /** Sums of the epoch in progress (zero at an epoch boundary). */
  epochSums: EpochSums;
  /** The pruning recipe as JSON (null: dense training; absent in version 0: the config's recipe). */
  recipe?: unknown;
}

/**
 * The `train` field of a checkpoint written by an importer (src/model/import.ts): where the
 * model came from and, optionally, the training config for its data set. No training
 * state: such a checkpoint can be evaluated, exported or pruned from, not resumed.
 */
export interface ImportedState {
  imported: { format: string; source: string; producer?: string; at: string };
  config?: Record<string, unknown>;
}

export function isTrainState(t: TrainState | ImportedState | undefined): t is TrainState {
  return !!t && 'optT' in t;
}

export const ZERO_SUMS: EpochSums = { loss: 0, count: 0, correct: 0, units: 0, seconds: 0 };

const METRICS: readonly MetricName[] = ['perplexity', 'bpc', 'accuracy'];
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A JSON number that may have been ±Infinity (JSON writes it as null). */
function numOrInf(v: unknown, inf: number): number | undefined {
  if (v === null) return inf;
  return isNum(v) ? v : undefined;
}

/** The `train` field of a checkpoint header: a training state (any supported version) or an importer's record. */
export function parseCheckpointTrain(raw: unknown, file: string): TrainState | ImportedState {
  if (isObj(raw) && 'imported' in raw && !('optT' in raw)) {
    const im = raw.imported;
    if (!isObj(im) || typeof im.format !== 'string' || typeof im.source !== 'string') {
      fail('BAD_FILE', `${file}: train.imported must be {format, source, at}`, 'the checkpoint header is damaged; import the model again');
    }
    if (raw.config !== undefined && !isObj(raw.config)) fail('BAD_FILE', `${file}: train.config must be an object`, 'the checkpoint header is damaged; import the model again');
    return raw as unknown as ImportedState;
  }
  return parseTrainState(raw, file);
}

/** Validates a training state (any supported version) → the current type. */
export function parseTrainState(raw: unknown, file: string): TrainState {
  const bad = (field: string, rule: string, got?: unknown): never =>
    fail('BAD_FILE', `${file}: train.${field} ${rule}${got === undefined ? '' : ` (got ${JSON.stringify(got)?.slice(0, 60)})`}`,
      'the checkpoint header is damaged or was not written by sparse-rnn; resume from another checkpoint of the run');
  if (!isObj(raw)) return bad('', 'must be an object', raw);
  const version = raw.version ?? 0;
  if (version !== 0 && version !== TRAIN_STATE_VERSION) {
    fail('BAD_FILE', `${file}: training state version ${JSON.stringify(version)} is not supported (this build reads 0 to ${TRAIN_STATE_VERSION})`, 'use the sparse-rnn version that wrote the checkpoint');
  }
  if (!(Number.isInteger(raw.optT) && (raw.optT as number) >= 0)) bad('optT', 'must be an integer >= 0', raw.optT);
  const lr = raw.lr;
  if (!isObj(lr)) return bad('lr', 'must be an object {lr, best, badEpochs}', lr);
  if (!(isNum(lr.lr) && lr.lr > 0)) bad('lr.lr', 'must be a number > 0', lr.lr);
  const lrBest = numOrInf(lr.best, Infinity);
  if (lrBest === undefined) bad('lr.best', 'must be a number', lr.best);
  if (!(Number.isInteger(lr.badEpochs) && (lr.badEpochs as number) >= 0)) bad('lr.badEpochs', 'must be an integer >= 0', lr.badEpochs);
  if (!Array.isArray(raw.history)) bad('history', 'must be a list of epoch rows', raw.history);
  const history = raw.history as unknown[];
  history.forEach((r, i) => {
    if (!isObj(r) || !Number.isInteger(r.epoch) || !Number.isInteger(r.step) || !isObj(r.train) || !isObj(r.valid) || !isNum(r.lr)) {
      bad(`history[${i}]`, 'must be an epoch row {epoch, step, lr, train, valid, …}');
    }
    if ((r as { epoch: number }).epoch !== i + 1) bad(`history[${i}].epoch`, `must be ${i + 1}`, (r as { epoch: number }).epoch);
  });
  if (!METRICS.includes(raw.metric as MetricName)) bad('metric', `must be one of ${METRICS.join(', ')}`, raw.metric);
  if (raw.best !== null && raw.best !== undefined && !isNum(raw.best)) bad('best', 'must be a number or null', raw.best);
  let epochSums: EpochSums = { ...ZERO_SUMS };
  if (version === TRAIN_STATE_VERSION) {
    const s = raw.epochSums;
    if (!isObj(s)) return bad('epochSums', 'must be an object', s);
    for (const k of ['loss', 'count', 'correct', 'units', 'seconds'] as const) {
      if (!(isNum(s[k]) && (s[k] as number) >= 0)) bad(`epochSums.${k}`, 'must be a number >= 0', s[k]);
    }
    if (s.cpuSeconds !== undefined && !(isNum(s.cpuSeconds) && s.cpuSeconds >= 0)) bad('epochSums.cpuSeconds', 'must be a number >= 0', s.cpuSeconds);
    epochSums = { loss: s.loss as number, count: s.count as number, correct: s.correct as number, units: s.units as number, seconds: s.seconds as number,
      ...(s.cpuSeconds === undefined ? {} : { cpuSeconds: s.cpuSeconds as number }) };
  }
  return {
    version: TRAIN_STATE_VERSION,
    optT: raw.optT as number,
    lr: { lr: lr.lr as number, best: lrBest as number, badEpochs: lr.badEpochs as number },
    history: history as EpochRow[],
    best: (raw.best ?? null) as number | null,
    ...(raw.pruner === undefined ? {} : { pruner: raw.pruner }),
    metric: raw.metric as MetricName,
    ...(isObj(raw.config) ? { config: raw.config } : {}),
    epochSums,
    ...(version === TRAIN_STATE_VERSION ? { recipe: raw.recipe ?? null } : {}),
  };
}
