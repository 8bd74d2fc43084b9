/**
 * What a report says, computed from the store and only from it: aggregates over
 * seeds (mean and 95% t-interval, src/study/stats.ts) and the conclusions, each a
 * structured finding plus the sentence that states it. Nothing here is typed by
 * hand: change the data and the conclusions change.
 *
 * "Within 1% of dense" means the mean test metric over seeds is at most 1% worse
 * than the dense model's mean (relative: metric ≤ 1.01 × dense for bpc /
 * perplexity, ≥ 0.99 × dense for accuracy).
 */
import { HIGHER_IS_BETTER, type MetricName } from '../train/metrics.js';
import { summarizeSample, type Summary } from '../study/stats.js';
import type { RunRow, StudyData } from './data.js';

export const METHOD_ORDER = ['dense', 'oneShot', 'agp', 'narang', 'smallDense'];
export const METHOD_NAME: Record<string, string> = { dense: 'dense', oneShot: 'one-shot + FT', agp: 'AGP', narang: 'Narang', smallDense: 'small dense' };
/** The pruned weights of a target, in words. */
export const TARGET_PHRASE: Record<string, string> = { ih: 'input-to-hidden (ih)', hh: 'hidden-to-hidden (hh)', both: 'ih and hh' };
export const TARGET_ORDER = ['ih', 'hh', 'both'];
export const TOLERANCE = 0.01;

const byOrder = (order: string[]) => (a: string, b: string) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b);

export interface Agg { runs: RunRow[]; test: Summary; valid: Summary; recNonzeros: number; recurrentSparsity: number }

export function aggregate(runs: RunRow[]): Agg {
  const mean = (f: (r: RunRow) => number) => runs.reduce((a, r) => a + f(r), 0) / Math.max(1, runs.length);
  return {
    runs, test: summarizeSample(runs.map((r) => r.test)), valid: summarizeSample(runs.map((r) => r.valid)),
    recNonzeros: mean((r) => r.recNonzeros), recurrentSparsity: mean((r) => r.recurrentSparsity),
  };
}

/** How much worse `m` is than `ref`, relative (positive = worse), for this metric's direction. */
export function worseBy(metric: MetricName, m: number, ref: number): number {
  return HIGHER_IS_BETTER[metric] ? (ref - m) / Math.abs(ref) : (m - ref) / Math.abs(ref);
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

/** The target a single-target figure uses: both when the study has it. */
export function mainTarget(ax: Axes): string | undefined {
  return ax.targets.includes('both') ? 'both' : ax.targets[0];
}

// ---------------------------------------------------------------- conclusions

export interface ToleranceFinding {
  task: string; cell: string; method: string; target: string;
  /** Highest sparsity within tolerance, or null when none is. */
  sparsity: number | null;
  metric: MetricName; value: number; dense: number; worseBy: number;
  /** Recurrent non-zeros kept, and the reduction vs dense (0–1). */
  recNonzeros: number; recReduction: number;
}

export function toleranceFindings(data: StudyData, tol = TOLERANCE): ToleranceFinding[] {
  const ax = axesOf(data);
  const out: ToleranceFinding[] = [];
  for (const task of ax.tasks) {
    const metric = metricOf(data, task);
    for (const cell of ax.cells) {
      const dense = denseAgg(data, task, cell);
      if (!dense) continue;
      for (const method of ax.sparseMethods) {
        for (const target of ax.targets) {
          let best: ToleranceFinding | null = null;
          for (const s of ax.sparsities) {
            const runs = select(data, { task, cell, method, target, sparsity: s });
            if (!runs.length) continue;
            const a = aggregate(runs);
            const w = worseBy(metric, a.test.mean, dense.test.mean);
            if (w <= tol) {
              best = { task, cell, method, target, sparsity: s, metric, value: a.test.mean, dense: dense.test.mean, worseBy: w, recNonzeros: a.recNonzeros, recReduction: 1 - a.recNonzeros / dense.recNonzeros };
            }
          }
          const any = ax.sparsities.some((s) => select(data, { task, cell, method, target, sparsity: s }).length);
          if (!any) continue;
          out.push(best ?? { task, cell, method, target, sparsity: null, metric, value: NaN, dense: dense.test.mean, worseBy: NaN, recNonzeros: NaN, recReduction: NaN });
        }
      }
    }
  }
  return out;
}

export interface TargetFinding { task: string; cell: string; method: string; sparsity: number; ih: number; hh: number; both: number | null; /** 'ih' or 'hh': the one whose pruning costs more. */ costlier: 'ih' | 'hh' | 'tie' }

/** ih vs hh at the highest sparsity both were run at, per (task, cell, method). */
export function targetFindings(data: StudyData): TargetFinding[] {
  const ax = axesOf(data);
  const out: TargetFinding[] = [];
  for (const task of ax.tasks) {
    const metric = metricOf(data, task);
    for (const cell of ax.cells) {
      const dense = denseAgg(data, task, cell);
      if (!dense) continue;
      for (const method of ax.sparseMethods) {
        const common = ax.sparsities.filter((s) => ['ih', 'hh'].every((t) => select(data, { task, cell, method, target: t, sparsity: s }).length));
        if (!common.length) continue;
        const s = common[common.length - 1];
        const w = (t: string) => {
          const runs = select(data, { task, cell, method, target: t, sparsity: s });
          return runs.length ? worseBy(metric, aggregate(runs).test.mean, dense.test.mean) : NaN;
        };
        const ih = w('ih');
        const hh = w('hh');
        const both = w('both');
        out.push({ task, cell, method, sparsity: s, ih, hh, both: Number.isFinite(both) ? both : null, costlier: Math.abs(ih - hh) < 1e-12 ? 'tie' : ih > hh ? 'ih' : 'hh' });
      }
    }
  }
  return out;
}

export interface MethodFinding { task: string; cell: string; target: string; sparsity: number; agp: Summary; narang: Summary; better: 'agp' | 'narang' | 'tie'; separated: boolean }

/** AGP against Narang at equal target and sparsity. */
export function methodFindings(data: StudyData, a = 'agp', b = 'narang'): MethodFinding[] {
  const ax = axesOf(data);
  const out: MethodFinding[] = [];
  for (const task of ax.tasks) {
    const hib = HIGHER_IS_BETTER[metricOf(data, task)];
    for (const cell of ax.cells) for (const target of ax.targets) for (const s of ax.sparsities) {
      const ra = select(data, { task, cell, method: a, target, sparsity: s });
      const rb = select(data, { task, cell, method: b, target, sparsity: s });
      if (!ra.length || !rb.length) continue;
      const sa = aggregate(ra).test;
      const sb = aggregate(rb).test;
      const diff = sa.mean - sb.mean;
      const better = Math.abs(diff) < 1e-12 ? 'tie' : (diff < 0) !== hib ? 'agp' : 'narang';
      const separated = Number.isFinite(sa.half) && Number.isFinite(sb.half) && (sa.hi < sb.lo || sb.hi < sa.lo);
      out.push({ task, cell, target, sparsity: s, agp: sa, narang: sb, better, separated });
    }
  }
  return out;
}

export interface SmallDenseFinding { task: string; cell: string; target: string; sparsity: number; method: string; sparse: number; smallDense: number; hidden: number; sparseNonzeros: number; smallNonzeros: number; sparseWins: boolean }

/** Each sparse model against the small dense model sized to its non-zeros. */
export function smallDenseFindings(data: StudyData): SmallDenseFinding[] {
  const ax = axesOf(data);
  const out: SmallDenseFinding[] = [];
  for (const task of ax.tasks) {
    const hib = HIGHER_IS_BETTER[metricOf(data, task)];
    for (const cell of ax.cells) {
      const small = select(data, { task, cell, method: 'smallDense' });
      const byHidden = new Map<number, RunRow[]>();
      for (const r of small) byHidden.set(r.hidden, [...(byHidden.get(r.hidden) ?? []), r]);
      for (const [hidden, runs] of byHidden) {
        const matches = (runs[0].config.matches as { target: string; sparsity: number }[] | undefined) ?? [];
        const sd = aggregate(runs);
        for (const m of matches) for (const method of ax.sparseMethods) {
          const sp = select(data, { task, cell, method, target: m.target, sparsity: m.sparsity });
          if (!sp.length) continue;
          const a = aggregate(sp);
          out.push({
            task, cell, target: m.target, sparsity: m.sparsity, method, sparse: a.test.mean, smallDense: sd.test.mean, hidden,
            sparseNonzeros: a.recNonzeros, smallNonzeros: sd.recNonzeros, sparseWins: hib ? a.test.mean > sd.test.mean : a.test.mean < sd.test.mean,
          });
        }
      }
    }
  }
  return out;
}

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

export interface Conclusion { id: string; text: string }

const pct = (x: number, d = 0) => `${(100 * x).toFixed(d)}%`;
const signedPct = (x: number) => `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)}%`;
const cellName = (c: string) => c.toUpperCase();

/** The conclusions a report states, each computed from the findings above. */
export function conclusions(data: StudyData, tol = TOLERANCE): Conclusion[] {
  const out: Conclusion[] = [];
  const ax = axesOf(data);
  const multiTask = ax.tasks.length > 1;
  const where = (task: string, cell: string) => `${multiTask ? `${task}, ` : ''}${cellName(cell)}`;

  // 1. Highest sparsity within tolerance, per cell and method (main target first).
  const tf = toleranceFindings(data, tol);
  const target = mainTarget(ax);
  for (const f of tf.filter((x) => x.target === target)) {
    out.push({
      id: `tolerance:${f.task}:${f.cell}:${f.method}:${f.target}`,
      text: f.sparsity === null
        ? `${where(f.task, f.cell)}, ${METHOD_NAME[f.method]} (${f.target}): no sparsity tested stays within ${pct(tol)} of dense.`
        : `${where(f.task, f.cell)}, ${METHOD_NAME[f.method]} (${f.target}): up to ${pct(f.sparsity)} sparsity within ${pct(tol)} of dense (test ${f.metric} ${f.value.toFixed(3)} vs ${f.dense.toFixed(3)}, ${signedPct(f.worseBy)}), keeping ${Math.round(f.recNonzeros).toLocaleString('en-US')} recurrent weights (${pct(f.recReduction, 1)} fewer).`,
    });
  }

  // 2. The largest complexity cut that stays within tolerance, per cell (any method / target).
  for (const task of ax.tasks) for (const cell of ax.cells) {
    const ok = tf.filter((f) => f.task === task && f.cell === cell && f.sparsity !== null);
    if (!ok.length) continue;
    const best = ok.reduce((a, b) => (b.recReduction > a.recReduction ? b : a));
    const runs = select(data, { task, cell, method: best.method, target: best.target, sparsity: best.sparsity! });
    const flopCut = 1 - runs.reduce((a, r) => a + r.recFlops / r.recFlopsDense, 0) / runs.length;
    const byteCut = 1 - runs.reduce((a, r) => a + r.bytes / r.bytesDense, 0) / runs.length;
    out.push({
      id: `complexity:${task}:${cell}`,
      text: `${where(task, cell)}: the largest cut within ${pct(tol)} of dense is ${METHOD_NAME[best.method]} on ${best.target} at ${pct(best.sparsity!)}: ${pct(best.recReduction, 1)} fewer recurrent non-zeros, ${pct(flopCut, 1)} fewer recurrent FLOPs per token, ${pct(byteCut, 1)} fewer bytes for the whole model${best.recReduction > 0.8 ? ' — more than 80%, as the paper reports' : ''}.`,
    });
  }

  // 3. ih vs hh.
  const tg = targetFindings(data);
  if (tg.length) {
    const hh = tg.filter((t) => t.costlier === 'hh').length;
    const ih = tg.filter((t) => t.costlier === 'ih').length;
    const detail = tg.map((t) => `${where(t.task, t.cell)} ${METHOD_NAME[t.method]} @${pct(t.sparsity)}: ih ${signedPct(t.ih)}, hh ${signedPct(t.hh)}`).join('; ');
    out.push({
      id: 'targets',
      text: `Pruning hidden-to-hidden (hh) weights costs more than pruning input-to-hidden (ih) weights in ${hh} of ${tg.length} cell × method pairs (ih costs more in ${ih}), at the highest sparsity both were run (change of the test metric vs dense; positive = worse): ${detail}.`,
    });
  }

  // 4. AGP vs Narang.
  const mf = methodFindings(data);
  if (mf.length) {
    const agp = mf.filter((m) => m.better === 'agp').length;
    const nar = mf.filter((m) => m.better === 'narang').length;
    const sep = mf.filter((m) => m.separated).length;
    const hasCi = mf.some((m) => Number.isFinite(m.agp.half));
    out.push({
      id: 'agp-vs-narang',
      text: `AGP beats Narang in ${agp} of ${mf.length} comparisons at equal cell, target and sparsity (Narang wins ${nar})${hasCi ? `; in ${sep} of them the 95% intervals do not overlap` : '; with one seed per run the differences carry no interval'}.`,
    });
  }

  // 5. Narang's calibration: the sparsity it actually reached.
  const errs = data.runs.filter((r) => r.method === 'narang' && r.target === 'both').map((r) => Math.abs(r.recurrentSparsity - r.sparsity));
  if (errs.length) {
    out.push({
      id: 'narang-calibration',
      text: `Narang's threshold, calibrated to a target, ends within ${(100 * Math.max(...errs)).toFixed(1)} percentage points of it (mean ${(100 * errs.reduce((a, b) => a + b, 0) / errs.length).toFixed(2)} points over ${errs.length} runs pruning both ih and hh).`,
    });
  }

  // 6. Per-gate distribution: emergent (Narang) vs uniform (AGP).
  const gf = gateFindings(data);
  for (const task of ax.tasks) for (const cell of ax.cells) {
    const a = gf.find((g) => g.task === task && g.cell === cell && g.method === 'agp');
    const n = gf.find((g) => g.task === task && g.cell === cell && g.method === 'narang');
    // A vanilla RNN has one gate per group: nothing to distribute.
    if (!a || !n || new Set(a.gates.map((g) => g.name.split(':')[1])).size < 2) continue;
    const hi = n.gates.reduce((x, y) => (y.sparsity > x.sparsity ? y : x));
    const lo = n.gates.reduce((x, y) => (y.sparsity < x.sparsity ? y : x));
    out.push({
      id: `gates:${task}:${cell}`,
      text: `${where(task, cell)} at ${pct(n.sparsity)} (${n.target}): AGP's per-gate sparsity spans ${(100 * a.spread).toFixed(1)} points across gates, Narang's ${(100 * n.spread).toFixed(1)} (most pruned ${hi.name} ${pct(hi.sparsity, 1)}, least ${lo.name} ${pct(lo.sparsity, 1)}).`,
    });
  }

  // 7. Large-sparse vs small-dense.
  const sd = smallDenseFindings(data);
  if (sd.length) {
    const wins = sd.filter((s) => s.sparseWins).length;
    out.push({
      id: 'small-dense',
      text: `At equal recurrent non-zeros, the large sparse model beats the small dense one in ${wins} of ${sd.length} comparisons (${[...new Set(sd.map((s) => s.method))].map((m) => `${METHOD_NAME[m]} ${sd.filter((s) => s.method === m && s.sparseWins).length}/${sd.filter((s) => s.method === m).length}`).join(', ')}).`,
    });
  }
  return out;
}
