/**
 * A study spec: the grid of a comparative pruning study, as YAML or JSON.
 *
 *   name: my-study
 *   extends: quick              # optional: start from a preset, override what follows
 *   tasks:                      # data set + model size + training length
 *     - name: moby-char
 *       data: { name: moby-dick, level: char, limit: 200000 }
 *       model: { hidden: 128, embedDim: 32 }
 *       epochs: 4
 *       batch: 32
 *       bptt: 50
 *   cells: [rnn, lstm, gru]
 *   methods: [dense, oneShot, agp, narang]
 *   targets: [ih, hh, both]     # which recurrent weights are pruned
 *   sparsities: [0.5, 0.8, 0.9]
 *   seeds: [1, 2, 3]
 *   smallDense: [both]          # small dense baselines at the non-zeros of these targets (or true / false)
 *   schedule:                   # fractions of training (of the run's optimizer steps)
 *     begin: 0.1                # agp begin, narang start
 *     end: 0.6                  # agp end, narang end: masks are frozen after it
 *     every: 0.025              # pruning frequency
 *     rampAt: 0.2               # narang ramp
 *     oneShotAt: 0.5            # oneShot prunes here, then fine-tunes the rest
 *     rampSlopeMult: 2
 *     power: 3
 *
 * Every rule broken is one BAD_CONFIG line naming the field (`tasks[0].epochs must
 * be an integer >= 1 (got 0)`). Unknown keys are errors too, so typos do not pass
 * silently.
 */
import YAML from 'yaml';
import { fail } from '../errors.js';
import { readFileLimited } from '../util/fs.js';
import type { CellType, ModelSpec } from '../model/spec.js';
import { DEFAULT_TRAIN, type DataConfig } from '../train/trainer.js';
import type { OptimConfig } from '../train/optim.js';
import type { LrConfig } from '../train/lr.js';
import { PRESETS, type PresetName } from './presets.js';

export type StudyMethod = 'dense' | 'oneShot' | 'agp' | 'narang';
export const STUDY_METHODS: readonly StudyMethod[] = ['dense', 'oneShot', 'agp', 'narang'];
export type Target = 'ih' | 'hh' | 'both';
export const TARGETS: readonly Target[] = ['ih', 'hh', 'both'];
export const CELLS: readonly CellType[] = ['rnn', 'lstm', 'gru'];

export interface TaskSpec {
  name: string;
  data: DataConfig;
  /** Model options other than the cell (hidden is required). */
  model: Partial<Omit<ModelSpec, 'cell'>> & { hidden: number };
  epochs: number;
  batch: number;
  bptt: number;
  /** Cap on optimizer steps per run (0 = none). */
  maxSteps: number;
  optimizer: OptimConfig;
  lrSchedule: LrConfig;
  evalBatches: number;
  /** Rows per evaluation batch (0 = the training batch); default the trainer's. */
  evalBatch: number;
  /** Checkpoint every N steps (0 = about 10 checkpoints per run), so a killed study loses little. */
  checkpointEvery: number;
}

export interface ScheduleSpec {
  begin: number;
  end: number;
  every: number;
  rampAt: number;
  oneShotAt: number;
  rampSlopeMult: number;
  power: number;
}

export interface StudySpec {
  name: string;
  tasks: TaskSpec[];
  cells: CellType[];
  methods: StudyMethod[];
  targets: Target[];
  sparsities: number[];
  seeds: number[];
  /** Targets whose sparse models get a small dense baseline at equal non-zeros. */
  smallDense: Target[];
  schedule: ScheduleSpec;
}

export const DEFAULT_SCHEDULE: ScheduleSpec = {
  begin: 0.1, end: 0.6, every: 0.025, rampAt: 0.2, oneShotAt: 0.5, rampSlopeMult: 2, power: 3,
};

const HINT = 'see docs/study.md (study spec)';
const show = (v: unknown) => (v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));
const bad = (field: string, rule: string, ...got: unknown[]): never =>
  fail('BAD_CONFIG', `${field} ${rule}${got.length ? ` (got ${show(got[0])})` : ''}`, HINT);
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown, min: number): v is number => isNum(v) && Number.isInteger(v) && v >= min;

function known(obj: Record<string, unknown>, at: string, keys: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) bad(`${at}${at ? '.' : ''}${k}`, `is not a field here (known: ${keys.join(', ')})`);
}

function list<T>(v: unknown, field: string, item: (x: unknown, f: string) => T): T[] {
  if (!Array.isArray(v) || v.length === 0) bad(field, 'must be a non-empty list', v);
  const out = (v as unknown[]).map((x, i) => item(x, `${field}[${i}]`));
  const keys = out.map((x) => JSON.stringify(x));
  keys.forEach((k, i) => { if (keys.indexOf(k) !== i) bad(`${field}[${i}]`, 'repeats an earlier item', out[i]); });
  return out;
}

function oneOfItem<T extends string>(allowed: readonly T[]) {
  return (x: unknown, f: string): T => (allowed.includes(x as T) ? (x as T) : bad(f, `must be one of ${allowed.join(', ')}`, x));
}

const TASK_KEYS = ['name', 'data', 'model', 'epochs', 'batch', 'bptt', 'maxSteps', 'optimizer', 'lrSchedule', 'evalBatches', 'evalBatch', 'checkpointEvery'] as const;
const MODEL_KEYS = ['hidden', 'layers', 'embedDim', 'activation', 'dropout', 'tied', 'forgetBias', 'init', 'recurrentInit', 'resetAfter'] as const;

function task(v: unknown, at: string): TaskSpec {
  if (!isObj(v)) bad(at, 'must be a mapping (name, data, model, epochs, …)', v);
  const t = v as Record<string, unknown>;
  known(t, at, TASK_KEYS);
  if (typeof t.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(t.name)) bad(`${at}.name`, 'must be a name of letters, digits, ".", "_" or "-"', t.name);
  let data: DataConfig;
  if (typeof t.data === 'string') data = { name: t.data };
  else if (isObj(t.data)) {
    known(t.data, `${at}.data`, ['name', 'level', 'limit']);
    if (typeof t.data.name !== 'string' || !t.data.name) bad(`${at}.data.name`, 'must name a data set (moby-dick, brown, mnist, synthetic-lm, … or a folder)', t.data.name);
    if (t.data.level !== undefined && t.data.level !== 'word' && t.data.level !== 'char') bad(`${at}.data.level`, 'must be word or char', t.data.level);
    if (t.data.limit !== undefined && !isInt(t.data.limit, 2)) bad(`${at}.data.limit`, 'must be an integer >= 2', t.data.limit);
    data = { name: t.data.name as string, ...(t.data.level ? { level: t.data.level as 'word' | 'char' } : {}), ...(t.data.limit !== undefined ? { limit: t.data.limit as number } : {}) };
  } else data = bad(`${at}.data`, 'must be a data set name or {name, level, limit}', t.data);
  if (!isObj(t.model)) bad(`${at}.model`, 'must be a mapping with at least hidden', t.model);
  const m = t.model as Record<string, unknown>;
  known(m, `${at}.model`, MODEL_KEYS);
  if (!isInt(m.hidden, 1)) bad(`${at}.model.hidden`, 'must be an integer >= 1', m.hidden);
  if (m.layers !== undefined && !(isInt(m.layers, 1) && (m.layers as number) <= 4)) bad(`${at}.model.layers`, 'must be an integer from 1 to 4', m.layers);
  if (m.embedDim !== undefined && !isInt(m.embedDim, 1)) bad(`${at}.model.embedDim`, 'must be an integer >= 1', m.embedDim);
  // the reset-after GRU (ModelSpec.resetAfter): applies to the study's gru cells only
  if (m.resetAfter !== undefined && typeof m.resetAfter !== 'boolean') bad(`${at}.model.resetAfter`, 'must be true or false', m.resetAfter);
  const int = (k: string, min: number, dflt: number) => {
    const x = t[k] ?? dflt;
    return isInt(x, min) ? x : bad(`${at}.${k}`, `must be an integer >= ${min}`, x);
  };
  const base = DEFAULT_TRAIN;
  let optimizer: OptimConfig = { ...base.optimizer };
  if (t.optimizer !== undefined) {
    if (!isObj(t.optimizer)) bad(`${at}.optimizer`, 'must be a mapping (kind, lr, clip, …)', t.optimizer);
    known(t.optimizer as Record<string, unknown>, `${at}.optimizer`, Object.keys(base.optimizer));
    optimizer = { ...optimizer, ...(t.optimizer as Partial<OptimConfig>) };
  }
  return {
    name: t.name as string,
    data,
    model: m as TaskSpec['model'],
    epochs: int('epochs', 1, 1),
    batch: int('batch', 1, base.batch),
    bptt: int('bptt', 1, base.bptt),
    maxSteps: int('maxSteps', 0, 0),
    optimizer,
    lrSchedule: (isObj(t.lrSchedule) ? t.lrSchedule : t.lrSchedule === undefined ? base.lrSchedule : bad(`${at}.lrSchedule`, 'must be a mapping', t.lrSchedule)) as LrConfig,
    evalBatches: int('evalBatches', 0, 0),
    evalBatch: int('evalBatch', 0, base.evalBatch ?? 0),
    checkpointEvery: int('checkpointEvery', 0, 0),
  };
}

function schedule(v: unknown): ScheduleSpec {
  if (v === undefined) return { ...DEFAULT_SCHEDULE };
  if (!isObj(v)) bad('schedule', 'must be a mapping (begin, end, every, rampAt, oneShotAt, rampSlopeMult, power)', v);
  known(v as Record<string, unknown>, 'schedule', Object.keys(DEFAULT_SCHEDULE));
  const s = { ...DEFAULT_SCHEDULE, ...(v as Partial<ScheduleSpec>) };
  for (const k of ['begin', 'end', 'every', 'rampAt', 'oneShotAt'] as const) {
    if (!(isNum(s[k]) && s[k] >= 0 && s[k] <= 1)) bad(`schedule.${k}`, 'must be a fraction of training in [0, 1]', s[k]);
  }
  if (!(s.every > 0)) bad('schedule.every', 'must be > 0', s.every);
  if (!(s.end > s.begin)) bad('schedule.end', `must be > schedule.begin ${s.begin}`, s.end);
  if (!(s.rampAt >= s.begin && s.rampAt <= s.end)) bad('schedule.rampAt', `must lie in [begin ${s.begin}, end ${s.end}]`, s.rampAt);
  if (!(s.oneShotAt > 0 && s.oneShotAt < 1)) bad('schedule.oneShotAt', 'must be in (0, 1): oneShot needs training before and fine-tuning after', s.oneShotAt);
  if (!(isNum(s.rampSlopeMult) && s.rampSlopeMult > 0)) bad('schedule.rampSlopeMult', 'must be a number > 0', s.rampSlopeMult);
  if (!(isNum(s.power) && s.power > 0)) bad('schedule.power', 'must be a number > 0', s.power);
  return s;
}

const TOP_KEYS = ['name', 'extends', 'tasks', 'cells', 'methods', 'targets', 'sparsities', 'seeds', 'smallDense', 'schedule'] as const;

/** Validates a parsed spec object and fills in defaults. */
export function parseStudySpec(obj: unknown): StudySpec {
  if (!isObj(obj)) bad('study', 'must be a mapping (name, tasks, cells, methods, targets, sparsities, seeds, …)', obj);
  let o = obj as Record<string, unknown>;
  known(o, '', TOP_KEYS);
  if (o.extends !== undefined) {
    if (!(typeof o.extends === 'string' && o.extends in PRESETS)) bad('extends', `must name a preset (${Object.keys(PRESETS).join(', ')})`, o.extends);
    const { extends: _e, ...rest } = o;
    void _e;
    o = { ...(PRESETS[o.extends as PresetName] as unknown as Record<string, unknown>), ...rest };
  }
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(o.name)) bad('name', 'must be a name of letters, digits, ".", "_" or "-"', o.name);
  const tasks = list(o.tasks, 'tasks', task);
  tasks.forEach((t, i) => { if (tasks.findIndex((u) => u.name === t.name) !== i) bad(`tasks[${i}].name`, 'repeats an earlier task name', t.name); });
  const cells = list(o.cells ?? [...CELLS], 'cells', oneOfItem(CELLS));
  const methods = list(o.methods ?? [...STUDY_METHODS], 'methods', oneOfItem(STUDY_METHODS));
  const sparseMethods = methods.filter((m) => m !== 'dense');
  const targets = list(o.targets ?? [...TARGETS], 'targets', oneOfItem(TARGETS));
  const sparsities = sparseMethods.length || o.sparsities !== undefined
    ? list(o.sparsities, 'sparsities', (x, f) => (isNum(x) && x > 0 && x < 1 ? x : bad(f, 'must be in (0, 1)', x)))
    : [];
  const seeds = list(o.seeds ?? [1], 'seeds', (x, f) => (isInt(x, 0) ? x : bad(f, 'must be an integer >= 0', x)));
  let smallDense: Target[];
  if (o.smallDense === undefined || o.smallDense === false) smallDense = [];
  else if (o.smallDense === true) smallDense = targets.includes('both') ? ['both'] : [targets[0]];
  else smallDense = list(o.smallDense, 'smallDense', oneOfItem(TARGETS));
  smallDense.forEach((t, i) => { if (!targets.includes(t)) bad(`smallDense[${i}]`, `must be one of the study's targets (${targets.join(', ')})`, t); });
  if (smallDense.length && !sparsities.length) bad('smallDense', 'needs sparsities (and a sparse method) to size the baselines by');
  return {
    name: o.name as string, tasks, cells, methods, targets, sparsities: [...sparsities].sort((a, b) => a - b), seeds, smallDense,
    schedule: schedule(o.schedule),
  };
}

/** A spec from YAML / JSON text. */
export function parseStudyText(text: string, source = 'study spec'): StudySpec {
  let obj: unknown;
  try {
    obj = YAML.parse(text);
  } catch (e) {
    return fail('BAD_CONFIG', `${source} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`, HINT);
  }
  return parseStudySpec(obj);
}

export function readStudySpec(file: string): StudySpec {
  // A regular file of bounded size (not /dev/zero, not a folder), checked before reading.
  const text = readFileLimited(file, { maxBytes: 16 * 1024 * 1024, what: 'study spec', hint: 'check the path, or use --preset quick' }, 'utf8');
  return parseStudyText(text, file);
}

export function presetSpec(name: string): StudySpec {
  if (!(name in PRESETS)) fail('BAD_FLAG', `--preset must be one of ${Object.keys(PRESETS).join(', ')} (got ${JSON.stringify(name)})`, 'e.g. --preset quick');
  return parseStudySpec(PRESETS[name as PresetName]);
}
