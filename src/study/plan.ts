/**
 * A study spec → the list of runs it stands for, each a complete TrainConfig with a
 * stable id.
 *
 *   for task × cell × seed:        dense                                   (method dense)
 *     × method × target × sparsity: the same model pruned by the method     (oneShot, agp, narang)
 *     × smallDense target × sparsity: a dense model with hidden h chosen so that its
 *                                   recurrent weights (ih + hh, every layer) have about
 *                                   as many parameters as the sparse model keeps
 *
 * A run's id is a hash of what it is (method and TrainConfig, recipe included), not
 * of where it sits in the grid: the same run in two specs has the same id, a changed
 * run a new one. Small-dense runs that come out the same size for two sparse models
 * are one run that serves both (`matches`).
 *
 * Schedules are written in fractions of training and turned into optimizer steps
 * here (docs/methods.md §4–5): every run of a task has the same number of steps.
 *   agp     beginStep = round(begin·S), frequency f = max(1, round(every·S)),
 *           endStep = beginStep + n·f, the last multiple of f at or before end·S, so
 *           the final sparsity is met on a pruning step; cubic (power 3).
 *   narang  start = round(begin·S), ramp = round(rampAt·S), end = round(end·S) + 1
 *           (Narang prunes on start < step < end), q calibrated to the target sparsity.
 *   oneShot one pruning step at round(oneShotAt·S), then fine-tuning to the end.
 */
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { fail } from '../errors.js';
import type { CellType, ModelSpec } from '../model/spec.js';
import { buildLayout } from '../model/layout.js';
import { keepCount } from '../prune/mask.js';
import { specFor, type TrainConfig } from '../train/trainer.js';
import { batchesPerEpoch } from '../train/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { ScheduleSpec, StudyMethod, StudySpec, Target, TaskSpec } from './spec.js';

export type RunMethod = StudyMethod | 'smallDense';
export const ID_VERSION = 1;

export interface RunPlan {
  id: string;
  task: string;
  cell: CellType;
  method: RunMethod;
  /** Pruned weights (sparse runs); null for dense and small-dense. */
  target: Target | null;
  /** Nominal target sparsity of the pruned groups; 0 for dense and small-dense. */
  sparsity: number;
  seed: number;
  hidden: number;
  /** Small-dense: the sparse models (target, sparsity) it stands beside. */
  matches?: { target: Target; sparsity: number }[];
  /** Recurrent (ih + hh) weights the run ends with: kept weights for sparse runs, all for dense ones. */
  recurrentNonZeros: number;
  totalSteps: number;
  train: TrainConfig;
}

/** What expansion needs to know about a task's data, from the loaded data set. */
export type DatasetFor = (task: TaskSpec) => Dataset;

const SELECT: Record<Target, string[]> = { ih: ['rnn.*.ih'], hh: ['rnn.*.hh'], both: ['rnn.*.ih', 'rnn.*.hh'] };

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function runId(method: RunMethod, train: TrainConfig): string {
  return createHash('sha256').update(canonicalJson({ v: ID_VERSION, method, train })).digest('hex').slice(0, 12);
}

/** Optimizer steps a run of this config takes. */
export function totalStepsOf(task: Pick<TaskSpec, 'epochs' | 'maxSteps' | 'batch' | 'bptt'>, ds: Dataset): number {
  const nb = batchesPerEpoch(ds, 'train', task.batch, task.bptt, true);
  if (nb < 1) fail('BAD_CONFIG', `the training split of ${ds.name} is too small for one batch of ${task.batch}×${task.bptt}`, 'lower batch or bptt, or raise data.limit');
  return Math.min(task.epochs * nb, task.maxSteps > 0 ? task.maxSteps : Infinity);
}

/** The pruning recipe (as a plain object) for a method, target and sparsity over a run of `steps` steps. */
export function recipeFor(method: Exclude<StudyMethod, 'dense'>, target: Target, sparsity: number, s: ScheduleSpec, steps: number): Record<string, unknown> {
  const select = SELECT[target];
  const f = Math.max(1, Math.round(s.every * steps));
  let entry: Record<string, unknown>;
  if (method === 'oneShot') {
    entry = { select, method: 'oneshot', sparsity, step: Math.min(steps, Math.max(1, Math.round(s.oneShotAt * steps))) };
  } else if (method === 'agp') {
    const begin = Math.round(s.begin * steps);
    const n = Math.max(1, Math.floor((Math.round(s.end * steps) - begin) / f));
    entry = { select, method: 'agp', initialSparsity: 0, finalSparsity: sparsity, beginStep: begin, endStep: begin + n * f, frequency: f, power: s.power };
  } else {
    const start = Math.round(s.begin * steps);
    const end = Math.max(Math.round(s.end * steps) + 1, start + f + 1);
    const ramp = Math.min(Math.max(Math.round(s.rampAt * steps), start), end);
    entry = { select, method: 'narang', startStep: start, rampStep: ramp, endStep: end, frequency: f, q: 'auto', rampSlopeMult: s.rampSlopeMult, targetSparsity: sparsity };
  }
  return { name: `${method}-${target}-${sparsity}`, pruning: [entry] };
}

/** Recurrent weights (ih, hh of every layer) a model keeps when `target` is pruned to `sparsity` (0 = dense). */
export function recurrentKept(spec: ModelSpec, target: Target | null, sparsity: number): number {
  let n = 0;
  for (const seg of buildLayout(spec).segments) {
    if (seg.kind !== 'ih' && seg.kind !== 'hh') continue;
    const pruned = target !== null && sparsity > 0 && (target === 'both' || (target === 'ih') === (seg.kind === 'ih'));
    n += pruned ? keepCount(seg.size, sparsity) : seg.size;
  }
  return n;
}

/**
 * The hidden size h ≤ H whose dense recurrent weights come closest to `nonZeros`
 * (ties → the smaller h). The embedding width follows the task: fixed when the task
 * sets embedDim, else equal to h, as for the large model.
 */
export function smallDenseHidden(specOf: (hidden: number) => ModelSpec, maxHidden: number, nonZeros: number): number {
  let best = 1;
  let bestErr = Infinity;
  for (let h = 1; h <= maxHidden; h++) {
    const err = Math.abs(recurrentKept(specOf(h), null, 0) - nonZeros);
    if (err < bestErr) { best = h; bestErr = err; }
  }
  return best;
}

function trainConfig(task: TaskSpec, cell: CellType, hidden: number, seed: number, steps: number, recipe?: Record<string, unknown>): TrainConfig {
  return {
    data: { ...task.data },
    // resetAfter is a GRU variant: the study's other cells train without it
    model: { ...task.model, cell, hidden, ...(cell !== 'gru' && task.model.resetAfter !== undefined ? { resetAfter: false } : {}) },
    batch: task.batch,
    bptt: task.bptt,
    epochs: task.epochs,
    maxSteps: task.maxSteps,
    optimizer: { ...task.optimizer },
    lrSchedule: { ...task.lrSchedule },
    seed,
    threads: 1,
    evalBatches: task.evalBatches,
    evalBatch: task.evalBatch,
    checkpointEvery: task.checkpointEvery > 0 ? task.checkpointEvery : Math.max(1, Math.ceil(steps / 10)),
    ...(recipe ? { recipe: YAML.stringify(recipe) } : {}),
  };
}

/** Every run of the study, in a stable order (task, cell, seed, then dense, sparse, small-dense). */
export function expandStudy(spec: StudySpec, datasetFor: DatasetFor): RunPlan[] {
  const out: RunPlan[] = [];
  const byId = new Map<string, RunPlan>();
  const push = (p: Omit<RunPlan, 'id'>) => {
    const id = runId(p.method, p.train);
    const had = byId.get(id);
    if (had) {
      // Same run reached twice (small-dense of two sparse models that size alike).
      if (p.matches) had.matches = [...(had.matches ?? []), ...p.matches];
      return;
    }
    const plan = { id, ...p };
    byId.set(id, plan);
    out.push(plan);
  };
  for (const task of spec.tasks) {
    const ds = datasetFor(task);
    const steps = totalStepsOf(task, ds);
    const H = task.model.hidden;
    for (const cell of spec.cells) {
      const specOf = (hidden: number) => specFor({ ...trainConfig(task, cell, hidden, 0, steps) }, ds);
      const large = specOf(H);
      for (const seed of spec.seeds) {
        const base = { task: task.name, cell, seed, totalSteps: steps };
        if (spec.methods.includes('dense')) {
          push({ ...base, method: 'dense', target: null, sparsity: 0, hidden: H, recurrentNonZeros: recurrentKept(large, null, 0), train: trainConfig(task, cell, H, seed, steps) });
        }
        for (const method of spec.methods) {
          if (method === 'dense') continue;
          for (const target of spec.targets) {
            for (const sparsity of spec.sparsities) {
              const recipe = recipeFor(method, target, sparsity, spec.schedule, steps);
              push({ ...base, method, target, sparsity, hidden: H, recurrentNonZeros: recurrentKept(large, target, sparsity), train: trainConfig(task, cell, H, seed, steps, recipe) });
            }
          }
        }
        for (const target of spec.smallDense) {
          for (const sparsity of spec.sparsities) {
            const h = smallDenseHidden(specOf, H, recurrentKept(large, target, sparsity));
            push({ ...base, method: 'smallDense', target: null, sparsity: 0, hidden: h, matches: [{ target, sparsity }], recurrentNonZeros: recurrentKept(specOf(h), null, 0), train: trainConfig(task, cell, h, seed, steps) });
          }
        }
      }
    }
  }
  return out;
}

/** One line per run, for --dry-run. */
export function describePlan(p: RunPlan): string {
  const what = p.method === 'dense' ? 'dense'
    : p.method === 'smallDense' ? `small-dense H=${p.hidden} (≈ ${p.matches!.map((m) => `${m.target}@${m.sparsity}`).join(', ')})`
    : `${p.method} ${p.target} ${p.sparsity}`;
  return `${p.id}  ${p.task}  ${p.cell.padEnd(4)}  seed ${p.seed}  ${what}  (${p.totalSteps} steps, ${p.recurrentNonZeros.toLocaleString('en-US')} recurrent non-zeros)`;
}
