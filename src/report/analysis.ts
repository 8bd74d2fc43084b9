/**
 * What the report's figures and tables stand on, computed from the store and only
 * from it: the study's axes, selections of runs, aggregates over seeds (mean and 95%
 * t-interval, src/study/stats.ts), the relative cost against dense, and the per-gate
 * sparsity each method ends with. The questions and their answers (which the
 * Conclusions summarize) are in questions.ts and answers.ts.
 */
import { HIGHER_IS_BETTER, type MetricName } from '../train/metrics.js';
import { summarizeSample, type Summary } from '../study/stats.js';
import type { RunRow, StudyData } from './data.js';

export const METHOD_ORDER = ['dense', 'oneShot', 'agp', 'narang', 'smallDense'];
export const METHOD_NAME: Record<string, string> = { dense: 'dense', oneShot: 'one-shot + FT', agp: 'AGP', narang: 'Narang', smallDense: 'small dense' };
/** The pruned weights of a target, in words. */
export const TARGET_PHRASE: Record<string, string> = { ih: 'input-to-hidden (ih)', hh: 'hidden-to-hidden (hh)', both: 'ih and hh' };
export const TARGET_ORDER = ['ih', 'hh', 'both'];

const byOrder = (order: string[]) => (a: string, b: string) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b);

export interface Agg { runs: RunRow[]; test: Summary; valid: Summary; recNonzeros: number; recurrentSparsity: number }

export function aggregate(runs: RunRow[]): Agg {
  const mean = (f: (r: RunRow) => number) => runs.reduce((a, r) => a + f(r), 0) / Math.max(1, runs.length);
  return {
    runs, test: summarizeSample(runs.map((r) => r.test)), valid: summarizeSample(runs.map((r) => r.valid)),
    recNonzeros: mean((r) => r.recNonzeros), recurrentSparsity: mean((r) => r.recurrentSparsity),
  };
}

/**
 * A signed number with `digits` decimals and a real minus sign; a value that rounds to
 * zero is written without a sign ("0.0", never "−0.0" or "+0.0").
 */
export function signedFixed(v: number, digits: number): string {
  const t = Math.abs(v).toFixed(digits);
  return Number(t) === 0 ? t : `${v > 0 ? '+' : '−'}${t}`;
}

/** How much worse `m` is than `ref`, relative (positive = worse), for this metric's direction. */
export function worseBy(metric: MetricName, m: number, ref: number): number {
  return HIGHER_IS_BETTER[metric] ? (ref - m) / Math.abs(ref) : (m - ref) / Math.abs(ref);
}

const seedKey = (task: string, cell: string, seed: number) => `${task}\u0000${cell}\u0000${seed}`;

/** Test metric of the dense run per (task, cell, seed): what a run is paired with. */
export function denseBySeed(data: StudyData): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of data.runs) if (r.method === 'dense') m.set(seedKey(r.task, r.cell, r.seed), r.test);
  return m;
}

/**
 * Cost of a run against the dense run of its seed (relative, positive = worse); against
 * `fallback` (a dense metric) without one, NaN without either.
 */
export function costOf(data: StudyData, dense: Map<string, number>, r: RunRow, fallback?: number): number {
  const d = dense.get(seedKey(r.task, r.cell, r.seed)) ?? fallback;
  return d === undefined ? NaN : worseBy(metricOf(data, r.task), r.test, d);
}

export interface TaskCell { task: string; cell: string; metric: MetricName; runs: RunRow[] }

/** The study's axes as they occur in the data, in a stable order. */
export interface Axes {
  tasks: string[];
  cells: string[];
  methods: string[];
  sparseMethods: string[];
  targets: string[];
  sparsities: number[];
}

export function axesOf(data: StudyData): Axes {
  const uniq = <T>(xs: T[]) => [...new Set(xs)];
  const methods = uniq(data.runs.map((r) => r.method)).sort(byOrder(METHOD_ORDER));
  return {
    tasks: uniq(data.runs.map((r) => r.task)).sort(),
    cells: uniq(data.runs.map((r) => r.cell)).sort(byOrder(['rnn', 'lstm', 'gru'])),
    methods,
    sparseMethods: methods.filter((m) => m !== 'dense' && m !== 'smallDense'),
    targets: uniq(data.runs.filter((r) => r.target).map((r) => r.target!)).sort(byOrder(TARGET_ORDER)),
    sparsities: uniq(data.runs.filter((r) => r.target).map((r) => r.sparsity)).sort((a, b) => a - b),
  };
}

export function metricOf(data: StudyData, task: string): MetricName {
  return data.runs.find((r) => r.task === task)?.metric ?? 'bpc';
}

/** Runs of one (task, cell) filtered further. */
export function select(data: StudyData, q: Partial<Pick<RunRow, 'task' | 'cell' | 'method' | 'target' | 'sparsity' | 'hidden'>>): RunRow[] {
  return data.runs.filter((r) => (Object.keys(q) as (keyof typeof q)[]).every((k) => r[k] === q[k]));
}

export function denseAgg(data: StudyData, task: string, cell: string): Agg | null {
  const runs = select(data, { task, cell, method: 'dense' });
  return runs.length ? aggregate(runs) : null;
}

/** Mean of `f` over runs. */
export const meanOf = (runs: readonly RunRow[], f: (r: RunRow) => number): number => runs.reduce((s, r) => s + f(r), 0) / runs.length;

/** The sparse configurations a small dense run was sized to match (its config's `matches`). */
export function matchesOf(r: RunRow): { target: string; sparsity: number }[] {
  return (r.config.matches as { target: string; sparsity: number }[] | undefined) ?? [];
}

/** How a (task, cell) is named in the report: "LSTM", or "task · LSTM" when the study has several tasks. */
export function cellHead(ax: Axes): (task: string, cell: string) => string {
  const multiTask = ax.tasks.length > 1;
  return (task, cell) => `${multiTask ? `${task} · ` : ''}${cell.toUpperCase()}`;
}

/** The target a single-target figure uses: both when the study has it. */
export function mainTarget(ax: Axes): string | undefined {
  return ax.targets.includes('both') ? 'both' : ax.targets[0];
}

// ---------------------------------------------------------------- per-gate sparsity

export interface GateFinding { task: string; cell: string; method: string; target: string; sparsity: number; gates: { name: string; sparsity: number }[]; spread: number }

/** Per-gate sparsity (mean over seeds) each method ends with, at the highest sparsity of the main target. */
export function gateFindings(data: StudyData): GateFinding[] {
  const ax = axesOf(data);
  const target = mainTarget(ax);
  const out: GateFinding[] = [];
  if (!target) return out;
  for (const task of ax.tasks) for (const cell of ax.cells) for (const method of ax.sparseMethods) {
    const ss = ax.sparsities.filter((s) => select(data, { task, cell, method, target, sparsity: s }).length);
    if (!ss.length) continue;
    const s = ss[ss.length - 1];
    const runs = select(data, { task, cell, method, target, sparsity: s });
    const acc = new Map<string, number[]>();
    for (const r of runs) {
      for (const g of data.gates.get(r.id) ?? []) {
        // The pruned kernels only (biases are never pruned).
        if (!(target === 'both' ? /\.(ih|hh)$/.test(g.group) : g.group.endsWith(`.${target}`))) continue;
        const name = `${g.group.replace(/^rnn\./, '')}:${g.gate}`;
        acc.set(name, [...(acc.get(name) ?? []), g.sparsity]);
      }
    }
    const gates = [...acc].map(([name, v]) => ({ name, sparsity: v.reduce((a, b) => a + b, 0) / v.length }));
    if (!gates.length) continue;
    const vals = gates.map((g) => g.sparsity);
    out.push({ task, cell, method, target, sparsity: s, gates, spread: Math.max(...vals) - Math.min(...vals) });
  }
  return out;
}
