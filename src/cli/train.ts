/**
 * `sparse-rnn train` and `sparse-rnn prune`: flags (or a YAML/JSON config) → a
 * TrainConfig → train(); prints live progress and a per-epoch table.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import { parseFlags, num, oneOf, readConfigFile, table, type Options } from './args.js';
import { train, DEFAULT_TRAIN, validateTrainConfig, type TrainConfig, type EpochRow } from '../train/trainer.js';
import { formatMetric, type MetricName } from '../train/metrics.js';
import { readCheckpoint, resolveCheckpoint } from '../model/checkpoint.js';
import type { LrConfig } from '../train/lr.js';

const FLAGS: Options = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string' },
  level: { type: 'string' },
  limit: { type: 'string' },
  cell: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  embed: { type: 'string' },
  activation: { type: 'string' },
  dropout: { type: 'string' },
  tied: { type: 'boolean' },
  'forget-bias': { type: 'string' },
  'reset-after': { type: 'boolean' },
  init: { type: 'string' },
  batch: { type: 'string' },
  bptt: { type: 'string' },
  epochs: { type: 'string' },
  'max-steps': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  nesterov: { type: 'boolean' },
  'weight-decay': { type: 'string' },
  clip: { type: 'string' },
  'lr-step': { type: 'string' },
  'lr-gamma': { type: 'string' },
  plateau: { type: 'boolean' },
  'plateau-factor': { type: 'string' },
  'plateau-patience': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  recipe: { type: 'string' },
  'eval-batches': { type: 'string' },
  'eval-batch': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'checkpoint-seconds': { type: 'string' },
  out: { type: 'string', short: 'o' },
  resume: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
};

export const TRAIN_HELP = `usage: sparse-rnn train [flags]

Trains input → recurrent layers → linear head on a data set, evaluates valid every
epoch and test at the end, and writes a run folder (config.json, metrics.jsonl,
prune.jsonl, ckpt/last.srnn, ckpt/best.srnn, summary.json).

data:      --data NAME|DIR (moby-dick, brown, mnist, synthetic-lm, synthetic-classify, or a
           folder with train.txt/valid.txt/test.txt)  --level word|char  --limit N
model:     --cell rnn|lstm|gru  --hidden H  --layers 1-4  --embed E  --activation tanh|relu
           --dropout P  --tied  --forget-bias B  --init glorot|uniform
           --reset-after (gru: the reset gate after the candidate's recurrent product, with a
           separate recurrent bias, as Keras reset_after=True and PyTorch)
training:  --batch B  --bptt T  --epochs N  --max-steps N  --seed S  --threads N
optimizer: --optimizer sgd|adam  --lr X  --momentum M  --nesterov  --weight-decay W  --clip C
lr:        --lr-step N --lr-gamma G (×G every N epochs) | --plateau [--plateau-factor F --plateau-patience P]
pruning:   --recipe FILE.yaml (see recipes/ and sparse-rnn schedule)
run:       --out DIR  --resume  --config FILE.yaml|json  --checkpoint-every N
           --checkpoint-seconds S (also checkpoint every S seconds; default 60, 0 = off)
           --eval-batch B (rows per evaluation batch, default 10; 0 = --batch)  --eval-batches N (cap)
           --quiet (no progress)  --json (print the result as JSON)

examples:
  sparse-rnn train --data moby-dick --cell lstm --hidden 256 --epochs 1
  sparse-rnn train --data mnist --cell lstm --hidden 128 --epochs 8 --batch 64 --lr 0.002
  sparse-rnn train --data moby-dick --cell gru --recipe recipes/agp-both.yaml --out runs/gru-agp
  sparse-rnn train --data moby-dick --cell gru --reset-after --hidden 128 --epochs 1
  sparse-rnn train --config runs/gru-agp/config.json --out runs/gru-agp --resume
`;

export const PRUNE_HELP = `usage: sparse-rnn prune --from RUN --recipe FILE.yaml [train flags]

Starts from a trained run's weights, prunes them with the recipe while fine-tuning,
and writes a new run folder. Data and model flags default to the source run's config.

examples:
  sparse-rnn prune --from runs/lstm --recipe recipes/oneshot-finetune.yaml --epochs 2 --out runs/lstm-pruned
`;

type Flags = Record<string, string | boolean | undefined>;

/** A TrainConfig from defaults ← config file ← flags. */
export function configFromFlags(v: Flags, base?: Partial<TrainConfig>): TrainConfig {
  // An empty value is a mistake, never "use the default".
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string' && val.trim() === '') fail('BAD_FLAG', `--${k} needs a value (got ${JSON.stringify(val)})`, `give --${k} a value or leave the flag out`);
  }
  const file = typeof v.config === 'string' ? checkConfigKeys(readConfigFile(v.config), v.config) : {};
  const src = { ...DEFAULT_TRAIN, ...base, ...file };
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const data = { ...src.data };
  if (s('data') !== undefined) data.name = s('data')!;
  if (s('level') !== undefined) data.level = oneOf('level', s('level'), ['word', 'char'] as const);
  if (s('limit') !== undefined) data.limit = num('limit', s('limit'), { int: true, min: 2 });
  if (v['plateau-factor'] !== undefined && !v.plateau) fail('BAD_FLAG', '--plateau-factor needs --plateau', 'add --plateau, or drop --plateau-factor');
  if (v['plateau-patience'] !== undefined && !v.plateau) fail('BAD_FLAG', '--plateau-patience needs --plateau', 'add --plateau, or drop --plateau-patience');
  if (v.plateau && s('lr-step') !== undefined) fail('BAD_FLAG', '--plateau and --lr-step are two LR schedules: give one', 'drop one of them');
  const model = { ...src.model };
  const setM = <K extends keyof typeof model>(k: K, val: (typeof model)[K] | undefined) => { if (val !== undefined) model[k] = val; };
  setM('cell', oneOf('cell', s('cell'), ['rnn', 'lstm', 'gru'] as const));
  setM('hidden', num('hidden', s('hidden'), { int: true, min: 1 }));
  setM('layers', num('layers', s('layers'), { int: true, min: 1, max: 4 }));
  setM('embedDim', num('embed', s('embed'), { int: true, min: 1 }));
  setM('activation', oneOf('activation', s('activation'), ['tanh', 'relu'] as const));
  setM('dropout', num('dropout', s('dropout'), { min: 0, lt: 1 }));
  if (v.tied) model.tied = true;
  if (v['reset-after']) model.resetAfter = true;
  setM('forgetBias', num('forget-bias', s('forget-bias')));
  setM('init', oneOf('init', s('init'), ['glorot', 'uniform'] as const));
  const o = { ...src.optimizer };
  const kind = oneOf('optimizer', s('optimizer'), ['sgd', 'adam'] as const);
  if (kind && kind !== o.kind) {
    o.kind = kind;
    if (!s('lr')) o.lr = kind === 'adam' ? 2e-3 : 1;
  }
  o.lr = num('lr', s('lr'), { gt: 0 }) ?? o.lr;
  o.momentum = num('momentum', s('momentum'), { min: 0, lt: 1 }) ?? o.momentum;
  if (v.nesterov) o.nesterov = true;
  o.weightDecay = num('weight-decay', s('weight-decay'), { min: 0 }) ?? o.weightDecay;
  o.clip = num('clip', s('clip'), { min: 0 }) ?? o.clip;
  let lrs: LrConfig = src.lrSchedule;
  if (s('lr-step')) lrs = { kind: 'step', every: num('lr-step', s('lr-step'), { int: true, min: 1 })!, gamma: num('lr-gamma', s('lr-gamma'), { gt: 0, max: 1 }) ?? 0.5 };
  else if (s('lr-gamma')) fail('BAD_FLAG', '--lr-gamma needs --lr-step', 'e.g. --lr-step 2 --lr-gamma 0.5');
  if (v.plateau) lrs = { kind: 'plateau', factor: num('plateau-factor', s('plateau-factor'), { gt: 0, lt: 1 }) ?? 0.25, patience: num('plateau-patience', s('plateau-patience'), { int: true, min: 0 }) ?? 0, threshold: 1e-3, minLr: 0 };
  const cfg: TrainConfig = {
    ...src, data, model, optimizer: o, lrSchedule: lrs,
    batch: num('batch', s('batch'), { int: true, min: 1 }) ?? src.batch,
    bptt: num('bptt', s('bptt'), { int: true, min: 1 }) ?? src.bptt,
    epochs: num('epochs', s('epochs'), { int: true, min: 1 }) ?? src.epochs,
    maxSteps: num('max-steps', s('max-steps'), { int: true, min: 0 }) ?? src.maxSteps,
    seed: num('seed', s('seed'), { int: true, min: 0, max: MAX_SEED }) ?? src.seed,
    threads: num('threads', s('threads'), { int: true, min: 1, max: 64 }) ?? src.threads,
    evalBatches: num('eval-batches', s('eval-batches'), { int: true, min: 0 }) ?? src.evalBatches,
    evalBatch: num('eval-batch', s('eval-batch'), { int: true, min: 0 }) ?? src.evalBatch ?? DEFAULT_TRAIN.evalBatch,
    checkpointEvery: num('checkpoint-every', s('checkpoint-every'), { int: true, min: 0 }) ?? src.checkpointEvery,
    checkpointSeconds: num('checkpoint-seconds', s('checkpoint-seconds'), { min: 0, max: 86400 }) ?? src.checkpointSeconds ?? DEFAULT_TRAIN.checkpointSeconds,
    ...(s('recipe') !== undefined ? { recipe: s('recipe') } : {}),
  };
  // A saved config.json carries `resolvedModel`; it is informational only.
  delete (cfg as Partial<TrainConfig> & { resolvedModel?: unknown }).resolvedModel;
  return validateTrainConfig(cfg);
}

/** Keys a config file may hold (a saved config.json holds these too). */
const CONFIG_KEYS: Record<string, readonly string[] | null> = {
  data: ['name', 'level', 'limit'],
  model: ['cell', 'inputKind', 'inputSize', 'embedDim', 'hidden', 'layers', 'outputSize', 'task', 'activation', 'dropout', 'tied', 'forgetBias', 'init', 'recurrentInit'],
  optimizer: ['kind', 'lr', 'momentum', 'nesterov', 'weightDecay', 'beta1', 'beta2', 'eps', 'clip'],
  lrSchedule: ['kind', 'every', 'gamma', 'factor', 'patience', 'threshold', 'minLr'],
  batch: null, bptt: null, epochs: null, maxSteps: null, seed: null, threads: null, recipe: null,
  evalBatches: null, evalBatch: null, checkpointEvery: null, checkpointSeconds: null, resolvedModel: null,
};

/** Refuses unknown keys (a typo like `hiddden` must not train the default) and sections that are not mappings. */
export function checkConfigKeys(obj: Record<string, unknown>, file: string): Partial<TrainConfig> {
  const hint = `see \`sparse-rnn train --help\`; a run's config.json shows every key`;
  for (const [k, val] of Object.entries(obj)) {
    if (!(k in CONFIG_KEYS)) fail('BAD_CONFIG', `${file}: ${k} is not a training setting (known: ${Object.keys(CONFIG_KEYS).filter((x) => x !== 'resolvedModel').join(', ')})`, hint);
    const sub = CONFIG_KEYS[k];
    if (sub) {
      if (!val || typeof val !== 'object' || Array.isArray(val)) fail('BAD_CONFIG', `${file}: ${k} must be a mapping (got ${JSON.stringify(val)})`, hint);
      for (const kk of Object.keys(val as object)) {
        if (!sub.includes(kk)) fail('BAD_CONFIG', `${file}: ${k}.${kk} is not a ${k} setting (known: ${sub.join(', ')})`, hint);
      }
    } else if (val === null) fail('BAD_CONFIG', `${file}: ${k} must have a value (got null)`, hint);
  }
  if (obj.recipe !== undefined && typeof obj.recipe !== 'string') fail('BAD_CONFIG', `${file}: recipe must be a file path or inline recipe text`, hint);
  return obj as Partial<TrainConfig>;
}

/** Seeds are mixed as 32-bit values: a larger one would silently alias another. */
const MAX_SEED = 2 ** 32 - 1;

function defaultOut(cfg: TrainConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const data = path.basename(cfg.data.name).replace(/[^A-Za-z0-9_-]/g, '');
  return path.join('runs', `${data}-${cfg.model.cell ?? 'lstm'}${cfg.model.hidden ?? ''}-${stamp}`);
}

function printRow(row: EpochRow, metric: MetricName, first: boolean): void {
  const head = ['epoch', 'step', 'lr', `train ${metric}`, `valid ${metric}`, 'valid loss', 'tok/s', 'ih+hh sparsity', 'time'];
  const cells = [row.epoch, row.step, row.lr.toPrecision(3), formatMetric(metric, row.train[metric]), formatMetric(metric, row.valid[metric]),
    row.valid.loss.toFixed(4), Math.round(row.tokensPerSec).toLocaleString('en-US'), row.sparsity === undefined ? '—' : `${(100 * row.sparsity).toFixed(1)}%`, `${row.seconds.toFixed(1)}s`];
  const widths = head.map((h, i) => Math.max(h.length, String(cells[i]).length, 9));
  const fmt = (r: (string | number)[]) => r.map((c, i) => String(c).padStart(widths[i])).join(' ');
  if (first) process.stdout.write(fmt(head) + '\n');
  process.stdout.write(fmt(cells) + '\n');
}

async function runTraining(cfg: TrainConfig, v: Flags, from?: string): Promise<number> {
  const out = typeof v.out === 'string' ? v.out : defaultOut(cfg);
  const ac = new AbortController();
  const onSig = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)…\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  let first = true;
  try {
    const r = await train(cfg, {
      out, resume: !!v.resume, from, progress: !v.quiet && !v.json, signal: ac.signal,
      onStart: (i) => {
        for (const n of i.notes) process.stderr.write(`note: ${n}\n`);
        if (v.quiet || v.json) return;
        const m = i.spec;
        process.stderr.write(`run folder ${i.runDir} | ${m.cell} ${m.layers}×${m.hidden} on ${cfg.data.name} | ${i.parameters.toLocaleString('en-US')} parameters | ${i.totalSteps} steps (${i.stepsPerEpoch}/epoch)${i.resumedAt ? `, resuming at step ${i.resumedAt}` : ''}\n`);
      },
      onEpoch: (row, metric) => { if (!v.json) { printRow(row, metric, first); first = false; } },
    });
    if (v.json) process.stdout.write(JSON.stringify({ runDir: r.runDir, metric: r.metric, valid: r.valid, test: r.test, steps: r.steps, seconds: r.seconds }) + '\n');
    else {
      process.stdout.write('\n' + table(['split', r.metric, 'loss'], [
        ['valid', formatMetric(r.metric, r.valid[r.metric]), r.valid.loss.toFixed(4)],
        ['test', formatMetric(r.metric, r.test[r.metric]), r.test.loss.toFixed(4)],
      ]) + `\n\n${r.steps} steps in ${r.seconds.toFixed(1)} s; run folder ${r.runDir}\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('train', argv, FLAGS, false);
  if (values.help) { process.stdout.write(TRAIN_HELP); return 0; }
  void positionals;
  if (values.resume && typeof values.out !== 'string') fail('BAD_FLAG', '--resume needs --out RUN_FOLDER', 'e.g. sparse-rnn train --config runs/x/config.json --out runs/x --resume');
  return runTraining(configFromFlags(values), values);
}

export async function pruneCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('prune', argv, { ...FLAGS, from: { type: 'string' } }, false);
  if (values.help) { process.stdout.write(PRUNE_HELP); return 0; }
  if (typeof values.from !== 'string') fail('BAD_FLAG', 'prune needs --from RUN (a trained run folder or checkpoint)', 'see sparse-rnn prune --help');
  if (typeof values.recipe !== 'string') fail('BAD_FLAG', 'prune needs --recipe FILE.yaml', 'see recipes/ for examples');
  const ck = readCheckpoint(resolveCheckpoint(values.from));
  const srcCfg = (ck.train?.config ?? {}) as Partial<TrainConfig>;
  const base: Partial<TrainConfig> = { ...srcCfg, model: { ...ck.spec } };
  const cfg = configFromFlags(values, base);
  return runTraining(cfg, values, values.from);
}
