/**
 * The report as data: sections of figures (SVG strings), tables and text, built
 * from a loaded study. html.ts and markdown.ts only lay it out.
 *
 *   summary        what was run, how much of the grid is finished
 *   conclusions    a summary of the q-* answers, each bullet linking to its question (answers.ts)
 *   glance         the headline table: per cell, dense and each method at each sparsity of the main target
 *   q-*            the study's questions with paired 95% intervals and n (questions.ts, answers.ts)
 *   sparsity       test metric vs sparsity per cell, a line per method (mean, 95% t-interval), dense as a band
 *   targets        ih vs hh vs both at equal sparsity: change vs dense, a figure per cell and method,
 *                  a table per cell (method × target by sparsity)
 *   gates          per-gate sparsity each method ends with
 *   schedules      sparsity vs training step as pruned (prune.jsonl), per cell and method
 *   training       validation metric per epoch, per cell and method
 *   small-dense    large-sparse vs small-dense at equal recurrent non-zeros, a table per cell
 *   complexity     params, non-zeros, FLOPs per token, bytes, reductions vs dense, a table per cell
 *                  (a row per target × sparsity, the sparse methods together)
 *   runs           every stored run
 */
import { summarizeSample } from '../study/stats.js';
import { formatDuration } from '../util/progress.js';
import { barChart, lineChart, PALETTE, type Point, type Series } from './svg.js';
import {
  aggregate, axesOf, cellHead, costOf, denseAgg, denseBySeed, mainTarget, matchesOf, meanOf, metricOf, select, signedFixed, worseBy, gateFindings,
  METHOD_NAME, TARGET_PHRASE, type Agg,
} from './analysis.js';
import type { RunRow, StudyData } from './data.js';
import { conclusionBullet, questionReport, type Conclusion } from './answers.js';

export interface Figure { name: string; title: string; svg: string; caption: string }
/** A table; `title` names it when a section has several (one per cell, say). */
export interface Table { title?: string; header: string[]; rows: string[][]; numeric?: boolean[] }
export interface Section { id: string; title: string; intro: string; bullets?: string[]; figures: Figure[]; tables: Table[] }
export interface Report { title: string; facts: string[]; sections: Section[] }

export const METHOD_COLOR: Record<string, string> = {
  dense: '#555555', oneShot: PALETTE[6], agp: PALETTE[0], narang: PALETTE[1], smallDense: PALETTE[2],
};
export const TARGET_COLOR: Record<string, string> = { ih: PALETTE[4], hh: PALETTE[3], both: PALETTE[0] };

const pctFmt = (v: number) => `${Math.round(100 * v)}%`;
const pct1 = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '—');
const signed = (v: number) => (Number.isFinite(v) ? `${signedFixed(100 * v, 1)}%` : '—');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const fmtMetric = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '—');
/** A mean to 4 significant digits, ± its 95% half-width to as many decimals (none with one seed): "2.262 ± 0.072". */
function short(sm: { mean: number; half: number }): string {
  if (!Number.isFinite(sm.mean)) return '—';
  const d = Math.max(0, 3 - Math.floor(Math.log10(Math.max(Math.abs(sm.mean), 1e-12))));
  return Number.isFinite(sm.half) ? `${sm.mean.toFixed(d)} ± ${sm.half.toFixed(d)}` : sm.mean.toFixed(d);
}
const slug = (...parts: (string | number)[]) => parts.join('-').replace(/[^A-Za-z0-9_.-]+/g, '_');

/** Tooltip facts of the runs behind a mark (report.html shows them on hover). */
function runsInfo(runs: RunRow[]): Record<string, string> {
  if (!runs.length) return {};
  const r = runs[0];
  const seeds = [...new Set(runs.map((x) => x.seed))].sort((a, b) => a - b);
  return {
    cell: r.cell.toUpperCase(), method: METHOD_NAME[r.method] ?? r.method, target: r.target ?? '—',
    sparsity: pctFmt(r.sparsity), hidden: String(r.hidden), seeds: `${seeds.length} (${seeds.join(', ')})`,
  };
}

function point(x: number, a: Agg): Point {
  return { x, y: a.test.mean, lo: a.test.lo, hi: a.test.hi, info: runsInfo(a.runs) };
}

/** What every section builder needs: the study, its axes, the main target and a plot-title prefix. */
interface Ctx {
  data: StudyData;
  ax: ReturnType<typeof axesOf>;
  target: ReturnType<typeof mainTarget>;
  /** "task · CELL" when the study has several tasks, else "CELL". */
  head: (task: string, cell: string) => string;
}

/** Every (task, cell) panel of the study, task-major, with the task's metric. */
function panels(data: StudyData, ax: Ctx['ax']): { task: string; cell: string; metric: ReturnType<typeof metricOf> }[] {
  return ax.tasks.flatMap((task) => ax.cells.map((cell) => ({ task, cell, metric: metricOf(data, task) })));
}

export function buildReport(data: StudyData): Report {
  const ax = axesOf(data);
  const c: Ctx = { data, ax, target: mainTarget(ax), head: cellHead(ax) };
  const q = questionReport(data, c.head);
  return {
    title: `Pruning study: ${data.name}`,
    facts: summaryFacts(c),
    sections: [
      conclusionsSection(q.conclusions), glanceSection(c), ...q.sections, sparsitySection(c), targetsSection(c), gatesSection(c), schedulesSection(c),
      trainingSection(c), smallDenseSection(c), complexitySection(c), runsSection(c),
    ],
  };
}

/**
 * One task's line of the summary. A language model trains on batches of B rows × bptt
 * tokens; a classifier (metric accuracy) on B whole sequences, where bptt plays no part.
 */
export function describeTask(task: string, config: Record<string, unknown>, steps: number, metric: string): string {
  const c = config as { data?: { name?: string; level?: string; limit?: number }; model?: { hidden?: number; embedDim?: number; layers?: number }; epochs?: number; batch?: number; bptt?: number };
  const batch = metric === 'accuracy' ? `batch ${c.batch} sequences` : `batch ${c.batch} × ${c.bptt}`;
  return `task ${task}: ${c.data?.name}${c.data?.level ? ` (${c.data.level})` : ''}${c.data?.limit ? `, limit ${c.data.limit.toLocaleString('en-US')} per split` : ''}; hidden ${c.model?.hidden}${c.model?.embedDim ? `, embedding ${c.model.embedDim}` : ''}, ${c.model?.layers ?? 1} layer(s); ${c.epochs} epochs of ${batch} (${steps} steps); metric: test ${metric} (${metric === 'accuracy' ? 'higher' : 'lower'} is better).`;
}

/**
 * How complete the grid is: configurations (task, cell, method, target, sparsity, hidden)
 * and whether each has a stored run for every seed planned for it (without a plan: for
 * every seed any run of the study used).
 */
export function gridCompleteness(data: StudyData): { configs: number; complete: number; seeds: number[] } {
  const key = (r: { task: string; cell: string; method: string; target: string | null; sparsity: number; hidden: number }) =>
    [r.task, r.cell, r.method, r.target ?? '', r.sparsity, r.hidden].join('\u0000');
  const stored = new Set(data.runs.map((r) => `${key(r)}\u0000${r.seed}`));
  const rows = data.planned.length ? data.planned : data.runs;
  const allSeeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
  const want = new Map<string, Set<number>>();
  for (const r of rows) {
    const k = key(r);
    if (!want.has(k)) want.set(k, new Set(data.planned.length ? [] : allSeeds));
    want.get(k)!.add(r.seed);
  }
  const complete = [...want].filter(([k, seeds]) => [...seeds].every((sd) => stored.has(`${k}\u0000${sd}`))).length;
  return { configs: want.size, complete, seeds: allSeeds };
}

/** What was run and how much of the grid is finished. */
function summaryFacts({ data, ax }: Ctx): string[] {
  const planned = data.planned.length;
  const stored = new Set(data.runs.map((r) => r.id));
  const missing = data.planned.filter((p) => !stored.has(p.id)).length;
  const seeds = [...new Set(data.runs.map((r) => r.seed))].sort((a, b) => a - b);
  const compute = data.runs.reduce((a, r) => a + r.wallSeconds, 0);
  const grid = gridCompleteness(data);
  const seedList = grid.seeds.join(', ');
  const gridLine = grid.complete === grid.configs
    ? `${planned && !missing ? 'Every planned run finished: ' : ''}each of the ${grid.configs} configurations has all its seeds (${seedList}).`
    : `${grid.complete} of ${grid.configs} configurations have all their seeds (${seedList}); the other ${grid.configs - grid.complete} ${grid.configs - grid.complete === 1 ? 'lacks' : 'lack'} some.`;
  return [
    `${data.runs.length} runs stored${planned ? ` of ${planned} planned${missing ? ` (${missing} not finished: the figures use what is there)` : ''}` : ''}; ${formatDuration(compute)} of training in total.${data.stale ? ` ${data.stale} stored runs of an earlier version of the spec are left out.` : ''}`,
    gridLine,
    `cells: ${ax.cells.join(', ')}; methods: ${ax.methods.map((m) => METHOD_NAME[m] ?? m).join(', ')}; targets: ${ax.targets.join(', ') || '—'}; sparsities: ${ax.sparsities.map(pctFmt).join(', ') || '—'}; seeds: ${seeds.join(', ')}.`,
    ...ax.tasks.map((task) => {
      const r = data.runs.find((x) => x.task === task && x.method === 'dense') ?? data.runs.find((x) => x.task === task)!;
      return describeTask(task, r.config, r.steps, r.metric);
    }),
    ...(data.failed.length ? [`${data.failed.length} run(s) failed after their attempts: ${data.failed.map((f) => `${f.id} (${f.attempts}×: ${f.error})`).join('; ')}.`] : []),
    `Bands and ± are 95% t-intervals of the mean over seeds (none with one seed). Sparsity is the target of the pruned weights; "recurrent" means the ih and hh kernels of every layer.`,
  ];
}

/** The Conclusions: one or two bullets per question, the answers' own numbers, each linking to its question. */
function conclusionsSection(cs: Conclusion[]): Section {
  return {
    id: 'conclusions', title: 'Conclusions',
    intro: 'A summary of the answers below, computed from the stored runs each time the report is written; each bullet repeats the numbers of the section it links to. Comparisons are paired by seed; costs are in percentage points of the dense test metric (positive = worse), ± a 95% t-interval, n = paired comparisons; "within 1%": mean cost over seeds at most 1%.',
    bullets: cs.map(conclusionBullet), figures: [], tables: [],
  };
}

/** "2.311 ± 0.013 (+2.5%)": the runs' mean test metric ± 95%, and its change against the dense mean. */
function metricCell(runs: RunRow[], metric: ReturnType<typeof metricOf>, dense: Agg): string {
  if (!runs.length) return '—';
  const { test } = aggregate(runs);
  return `${short(test)} (${signed(worseBy(metric, test.mean, dense.test.mean))})`;
}

/** The headline table: per task, a row per cell and sparse method at each sparsity of the main target. */
function glanceSection({ data, ax, target }: Ctx): Section {
  const tables: Table[] = [];
  for (const task of ax.tasks) {
    if (!target) continue;
    const metric = metricOf(data, task);
    const has = (cell: string, m: string, s: number) => select(data, { task, cell, method: m, target, sparsity: s }).length > 0;
    const cols = ax.sparsities.filter((s) => ax.cells.some((cell) => ax.sparseMethods.some((m) => has(cell, m, s))));
    const rows: string[][] = [];
    for (const cell of ax.cells) {
      const dense = denseAgg(data, task, cell);
      if (!dense) continue;
      const methods = ax.sparseMethods.filter((m) => cols.some((s) => has(cell, m, s)));
      methods.forEach((m, i) => rows.push([
        i ? '' : cell.toUpperCase(), i ? '' : short(dense.test), METHOD_NAME[m],
        ...cols.map((s) => metricCell(select(data, { task, cell, method: m, target, sparsity: s }), metric, dense)),
      ]));
    }
    if (!rows.length) continue;
    tables.push({
      title: ax.tasks.length > 1 ? `${task}: test ${metric}` : undefined,
      header: ['cell', `dense test ${metric}`, 'method', ...cols.map(pctFmt)], rows, numeric: [false, true, false, ...cols.map(() => true)],
    });
  }
  return {
    id: 'glance', title: 'At a glance',
    intro: target
      ? `Test metric of each cell with its ${TARGET_PHRASE[target]} weights pruned to each sparsity: mean over seeds ± 95% interval (none with one seed), in brackets the change against the dense mean (positive = worse). Each target separately: [Input-to-hidden vs hidden-to-hidden](#targets).`
      : 'No pruned runs yet.',
    figures: [], tables,
  };
}

/** Test metric vs sparsity per cell, a line per method (mean, 95% t-interval), dense as a reference line. */
function sparsitySection({ data, ax, target, head }: Ctx): Section {
  const figures: Figure[] = [];
  for (const { task, cell, metric } of panels(data, ax)) {
    if (!target) continue;
    const series: Series[] = ax.sparseMethods.map((m) => ({
      name: METHOD_NAME[m], color: METHOD_COLOR[m],
      points: ax.sparsities.map((s) => ({ s, runs: select(data, { task, cell, method: m, target, sparsity: s }) })).filter((x) => x.runs.length).map((x) => point(x.s, aggregate(x.runs))),
    })).filter((s) => s.points.length);
    const dense = denseAgg(data, task, cell);
    if (!series.length) continue;
    figures.push({
      name: slug('sparsity', task, cell), title: `${head(task, cell)}: test ${metric} vs sparsity`,
      caption: `Test ${metric} against the sparsity of the pruned ${TARGET_PHRASE[target]} weights, one line per method (mean over seeds, band: 95% interval); dashed: dense.`,
      svg: lineChart({
        title: `${head(task, cell)}: test ${metric} vs sparsity (${target})`, xLabel: `sparsity of ${TARGET_PHRASE[target]} weights`, yLabel: `test ${metric}`,
        series, refLines: dense ? [{ name: 'dense', y: dense.test.mean, lo: dense.test.lo, hi: dense.test.hi, color: METHOD_COLOR.dense }] : [],
        xFormat: pctFmt, yFormat: (v) => (+v.toPrecision(4)).toString(),
      }),
    });
  }
  return { id: 'sparsity', title: 'Metric vs sparsity', intro: 'How far each method can prune before the model gets worse.', figures, tables: [] };
}

/** ih vs hh vs both at equal sparsity: change vs dense, per cell and method; one pivot table per cell. */
function targetsSection({ data, ax, head }: Ctx): Section {
  const figures: Figure[] = [];
  const tables: Table[] = [];
  const denseSeeds = denseBySeed(data);
  for (const { task, cell, metric } of panels(data, ax)) {
    const dense = denseAgg(data, task, cell);
    if (!dense) continue;
    const rows: string[][] = [];
    const cols = ax.sparsities.filter((s) => ax.sparseMethods.some((m) => ax.targets.some((t) => select(data, { task, cell, method: m, target: t, sparsity: s }).length)));
    for (const m of ax.sparseMethods) {
      const groups = ax.sparsities.filter((s) => ax.targets.some((t) => select(data, { task, cell, method: m, target: t, sparsity: s }).length));
      if (!groups.length) continue;
      const series = ax.targets.map((t) => ({
        name: t, color: TARGET_COLOR[t],
        values: groups.map((s) => {
          const runs = select(data, { task, cell, method: m, target: t, sparsity: s });
          if (!runs.length) return null;
          // Each run against the dense run of its seed (as the questions pair them), so the
          // whiskers show the spread of the change, not the seeds' spread of the metric itself;
          // a seed without a dense run falls back to the dense mean.
          const sm = summarizeSample(runs.map((r) => 100 * costOf(data, denseSeeds, r, dense.test.mean)));
          return { y: sm.mean, lo: sm.lo, hi: sm.hi, info: runsInfo(runs) };
        }),
      }));
      for (const t of ax.targets) {
        const cells = cols.map((s) => metricCell(select(data, { task, cell, method: m, target: t, sparsity: s }), metric, dense));
        if (cells.some((c) => c !== '—')) rows.push([METHOD_NAME[m], t, ...cells]);
      }
      figures.push({
        name: slug('targets', task, cell, m), title: `${head(task, cell)}, ${METHOD_NAME[m]}: ih vs hh vs both`,
        caption: `Change of the test ${metric} against the dense run of the same seed when pruning only ih, only hh, or both, at each sparsity (positive = worse${metric === 'accuracy' ? ', i.e. lower accuracy' : ''}; mean over seeds, whiskers: 95% interval of the paired change).`,
        svg: barChart({
          title: `${head(task, cell)}, ${METHOD_NAME[m]}: ih vs hh vs both`, xLabel: 'sparsity', yLabel: `test ${metric}: worse than dense by (%)`,
          groups: groups.map(pctFmt), series, yFormat: (v) => `${+v.toPrecision(3)}`,
        }),
      });
    }
    if (rows.length) {
      tables.push({
        title: `${head(task, cell)}: test ${metric} (dense ${short(dense.test)})`,
        header: ['method', 'target', ...cols.map(pctFmt)], rows, numeric: [false, false, ...cols.map(() => true)],
      });
    }
  }
  return {
    id: 'targets', title: 'Input-to-hidden vs hidden-to-hidden',
    intro: 'The same sparsity applied to the ih weights, the hh weights, or both. Tables: per cell, the test metric of each method and target at each sparsity, mean over seeds ± 95% interval (none with one seed), and in brackets its change against the dense mean (positive = worse).',
    figures, tables,
  };
}

/** The per-gate sparsity each method ends with. */
function gatesSection({ data, ax, head }: Ctx): Section {
  const figures: Figure[] = [];
  const gf = gateFindings(data);
  for (const { task, cell } of panels(data, ax)) {
    const fs = gf.filter((g) => g.task === task && g.cell === cell);
    if (!fs.length) continue;
    const names = fs[0].gates.map((g) => g.name);
    const s = Math.max(...fs.map((f) => f.sparsity));
    const series = fs.filter((f) => f.sparsity === s).map((f) => {
      const runs = select(data, { task, cell, method: f.method, target: f.target, sparsity: f.sparsity });
      return {
        name: METHOD_NAME[f.method], color: METHOD_COLOR[f.method],
        values: names.map((n) => {
          const v = runs.map((r) => (data.gates.get(r.id) ?? []).find((g) => `${g.group.replace(/^rnn\./, '')}:${g.gate}` === n)?.sparsity ?? NaN);
          const sm = summarizeSample(v);
          const clamp = (x: number) => Math.min(1, Math.max(0, x));
          return { y: sm.mean, lo: clamp(sm.lo), hi: clamp(sm.hi), info: runsInfo(runs) };
        }),
      };
    });
    figures.push({
      name: slug('gates', task, cell), title: `${head(task, cell)}: per-gate sparsity at ${pctFmt(s)}`,
      caption: `Sparsity of each gate's block of the recurrent weights at the end of training (pruning ${TARGET_PHRASE[fs[0].target]} to ${pctFmt(s)}). AGP and one-shot meet the target in each weight group (ih, hh) by magnitude over the whole group; Narang's growing threshold sets no target per group. How either splits over the gates is what the bars show.`,
      svg: barChart({
        title: `${head(task, cell)}: per-gate sparsity at ${pctFmt(s)} (${fs[0].target})`, xLabel: 'group:gate', yLabel: 'sparsity',
        groups: names, series, yFormat: pctFmt, yInclude: [0, 1],
      }),
    });
  }
  return { id: 'gates', title: 'Per-gate sparsity', intro: 'Where in the cell each method removes weights (layer.group:gate, TF.js gate order).', figures, tables: [] };
}

/** Sparsity vs training step as pruned (prune.jsonl), per cell and method. */
function schedulesSection({ data, ax, target, head }: Ctx): Section {
  const figures: Figure[] = [];
  for (const { task, cell } of panels(data, ax)) {
    if (!target) continue;
    const s = ax.sparsities[ax.sparsities.length - 1];
    const series: Series[] = [];
    let total = 0;
    for (const m of ax.sparseMethods) {
      const run = select(data, { task, cell, method: m, target, sparsity: s }).sort((a, b) => a.seed - b.seed)[0];
      if (!run) continue;
      total = Math.max(total, run.steps);
      const steps = data.pruneSteps.get(run.id) ?? [];
      const byStep = new Map<number, number[]>();
      for (const p of steps) byStep.set(p.step, [...(byStep.get(p.step) ?? []), p.sparsity]);
      const pts: Point[] = [{ x: 0, y: 0 }];
      for (const [step, v] of [...byStep].sort((a, b) => a[0] - b[0])) pts.push({ x: step, y: v.reduce((a, b) => a + b, 0) / v.length });
      pts.push({ x: run.steps, y: pts[pts.length - 1].y });
      series.push({ name: `${METHOD_NAME[m]} (seed ${run.seed})`, color: METHOD_COLOR[m], points: pts, step: true, markers: false });
    }
    if (!series.length) continue;
    figures.push({
      name: slug('schedule', task, cell), title: `${head(task, cell)}: sparsity vs training step`,
      caption: `The sparsity each method actually reached after every pruning step (mean over the pruned groups, from prune.jsonl), pruning ${TARGET_PHRASE[target]} to ${pctFmt(s)} over ${total} steps.`,
      svg: lineChart({ title: `${head(task, cell)}: sparsity vs step (${target} → ${pctFmt(s)})`, xLabel: 'optimizer step', yLabel: 'sparsity', series, yFormat: pctFmt, yInclude: [0, 1] }),
    });
  }
  return { id: 'schedules', title: 'Pruning schedules as followed', intro: 'AGP follows its cubic ramp to the target; Narang\'s threshold ramp prunes what falls below it, so its curve is whatever the weights made of it.', figures, tables: [] };
}

/** Validation metric per epoch, per cell and method. */
function trainingSection({ data, ax, target, head }: Ctx): Section {
  const figures: Figure[] = [];
  for (const { task, cell, metric } of panels(data, ax)) {
    const s = ax.sparsities[ax.sparsities.length - 1];
    const groups: { name: string; color: string; runs: RunRow[] }[] = [
      { name: 'dense', color: METHOD_COLOR.dense, runs: select(data, { task, cell, method: 'dense' }) },
      ...(target ? ax.sparseMethods.map((m) => ({ name: `${METHOD_NAME[m]} ${pctFmt(s)}`, color: METHOD_COLOR[m], runs: select(data, { task, cell, method: m, target, sparsity: s }) })) : []),
    ].filter((g) => g.runs.length);
    if (!groups.length) continue;
    const series: Series[] = groups.map((g) => {
      const byEpoch = new Map<number, number[]>();
      for (const r of g.runs) for (const e of data.epochs.get(r.id) ?? []) if (e.validMetric !== null) byEpoch.set(e.epoch, [...(byEpoch.get(e.epoch) ?? []), e.validMetric]);
      return { name: g.name, color: g.color, points: [...byEpoch].sort((a, b) => a[0] - b[0]).map(([x, v]) => { const sm = summarizeSample(v); return { x, y: sm.mean, lo: sm.lo, hi: sm.hi }; }) };
    });
    figures.push({
      name: slug('training', task, cell), title: `${head(task, cell)}: validation ${metric} per epoch`,
      caption: `Validation ${metric} at the end of each epoch (mean over seeds, band: 95% interval); sparse runs prune ${TARGET_PHRASE[target!] ?? target} to ${pctFmt(s)}.`,
      svg: lineChart({ title: `${head(task, cell)}: validation ${metric} per epoch`, xLabel: 'epoch', yLabel: `valid ${metric}`, series, xInteger: true, xFormat: (v) => String(v), yFormat: (v) => `${+v.toPrecision(4)}` }),
    });
  }
  return { id: 'training', title: 'Training curves', intro: 'Validation metric per epoch.', figures, tables: [] };
}

/** Large-sparse vs small-dense at equal recurrent non-zeros. */
function smallDenseSection(c: Ctx): Section {
  const { data, ax, target, head } = c;
  const figures: Figure[] = [];
  for (const { task, cell, metric } of panels(data, ax)) {
    const small = select(data, { task, cell, method: 'smallDense' });
    if (!small.length || !target) continue;
    const byH = new Map<number, RunRow[]>();
    for (const r of small) byH.set(r.hidden, [...(byH.get(r.hidden) ?? []), r]);
    const series: Series[] = [
      ...ax.sparseMethods.map((m) => ({
        name: `${METHOD_NAME[m]} (sparse)`, color: METHOD_COLOR[m],
        points: ax.sparsities.map((s) => select(data, { task, cell, method: m, target, sparsity: s })).filter((r) => r.length).map((r) => { const a = aggregate(r); return point(a.recNonzeros, a); }),
      })),
      { name: 'small dense', color: METHOD_COLOR.smallDense, dash: true, points: [...byH.values()].map((r) => { const a = aggregate(r); return point(a.recNonzeros, a); }) },
    ];
    const dense = denseAgg(data, task, cell);
    if (dense) series.push({ name: `dense H=${dense.runs[0].hidden}`, color: METHOD_COLOR.dense, points: [point(dense.recNonzeros, dense)] });
    figures.push({
      name: slug('small-dense', task, cell), title: `${head(task, cell)}: large-sparse vs small-dense`,
      caption: `Test ${metric} against the recurrent weights kept (log scale). Sparse: the full-size model with its ${TARGET_PHRASE[target]} weights pruned; small dense: hidden size chosen so its dense recurrent weights match the sparse model's non-zeros (hidden ${[...byH.keys()].sort((a, b) => a - b).join(', ')}).`,
      svg: lineChart({ title: `${head(task, cell)}: large-sparse vs small-dense`, xLabel: 'recurrent non-zeros (log)', yLabel: `test ${metric}`, series, xLog: true, yFormat: (v) => `${+v.toPrecision(4)}` }),
    });
  }
  return {
    id: 'small-dense', title: 'Large-sparse vs small-dense', intro: 'Is a pruned large model better than a dense small one with as many weights? (Zhu & Gupta: yes.) The table: each small dense model, the sparse configuration it was sized to match, and its test metric (mean over seeds ± 95% interval) with its change against dense.',
    figures, tables: smallDenseTable(c),
  };
}

/** Each small dense model, a table per cell: the configuration it matches, its recurrent non-zeros and test metric. */
function smallDenseTable({ data, ax, head }: Ctx): Table[] {
  const tables: Table[] = [];
  for (const { task, cell, metric } of panels(data, ax)) {
    const small = select(data, { task, cell, method: 'smallDense' });
    const dense = denseAgg(data, task, cell);
    const rows = [...new Set(small.map((r) => r.hidden))].sort((a, b) => b - a).map((h) => {
      const runs = small.filter((r) => r.hidden === h);
      const a = aggregate(runs);
      const matches = matchesOf(runs[0]).map((m) => `${m.target} ${pctFmt(m.sparsity)}`).join(', ');
      return [String(h), matches || '—', int(a.recNonzeros), short(a.test), dense ? signed(worseBy(metric, a.test.mean, dense.test.mean)) : '—'];
    });
    if (rows.length) {
      tables.push({
        title: `${head(task, cell)}: test ${metric}${dense ? ` (dense ${short(dense.test)})` : ''}`,
        header: ['hidden', 'matches (target sparsity)', 'recurrent non-zeros', 'test (mean ± 95%)', 'vs dense'], rows, numeric: [true, false, true, true, true],
      });
    }
  }
  return tables;
}

/**
 * Params, non-zeros, FLOPs per token, bytes and reductions vs dense: one table per cell, a row
 * per configuration of the weights (dense, each small dense size, each target × sparsity).
 * The sparse methods share a row: they prune the same weights to the same target, so their
 * counts agree but for where Narang's threshold lands near, not on, it; where the method
 * means differ by more than 0.1% the row shows their range. The test metric of each row is in the targets
 * and small-dense tables.
 */
function complexitySection({ data, ax, head }: Ctx): Section {
  const tables: Table[] = [];
  for (const { task, cell } of panels(data, ax)) {
    const dense = denseAgg(data, task, cell);
    const ref = dense?.runs[0];
    const cut = (v: number, d: number | undefined) => (d ? 1 - v / d : NaN);
    /**
     * The column's value per method (mean over its seeds): their mean when they agree within
     * 0.1% (a weight or two: Narang's threshold), else their range, min–max.
     */
    const col = (byMethod: RunRow[][], f: (runs: RunRow[]) => number, fmt: (v: number) => string) => {
      const vs = byMethod.map(f).filter(Number.isFinite);
      if (!vs.length) return '—';
      const lo = Math.min(...vs);
      const hi = Math.max(...vs);
      return hi - lo <= 1e-3 * Math.max(Math.abs(hi), Math.abs(lo)) || fmt(lo) === fmt(hi) ? fmt(vs.reduce((a, b) => a + b, 0) / vs.length) : `${fmt(lo)}–${fmt(hi)}`;
    };
    const row = (label: string, sparsity: string, byMethod: RunRow[][]): string[] => [
      label, sparsity, col(byMethod, (r) => r[0].hidden, String),
      col(byMethod, (r) => meanOf(r, (x) => x.recurrentSparsity), pct1), col(byMethod, (r) => meanOf(r, (x) => x.params), int),
      col(byMethod, (r) => meanOf(r, (x) => x.recNonzeros), int), col(byMethod, (r) => meanOf(r, (x) => x.nonzeros), int),
      col(byMethod, (r) => meanOf(r, (x) => x.flops), int), col(byMethod, (r) => meanOf(r, (x) => x.bytes), int),
      col(byMethod, (r) => cut(meanOf(r, (x) => x.recNonzeros), ref?.recNonzeros), pct1),
      col(byMethod, (r) => cut(meanOf(r, (x) => x.flops), ref?.flopsDense), pct1),
      col(byMethod, (r) => cut(meanOf(r, (x) => x.bytes), ref?.bytesDense), pct1),
    ];
    const rows: string[][] = [];
    if (dense) rows.push(row('dense', '—', [dense.runs]));
    const small = select(data, { task, cell, method: 'smallDense' });
    for (const h of [...new Set(small.map((r) => r.hidden))].sort((a, b) => b - a)) rows.push(row('small dense', '—', [small.filter((r) => r.hidden === h)]));
    for (const t of ax.targets) for (const s of ax.sparsities) {
      const byMethod = ax.sparseMethods.map((m) => select(data, { task, cell, method: m, target: t, sparsity: s })).filter((r) => r.length);
      if (byMethod.length) rows.push(row(t, pctFmt(s), byMethod));
    }
    if (rows.length) {
      tables.push({
        title: head(task, cell),
        header: ['pruned', 'sparsity', 'hidden', 'recurrent sparsity', 'params', 'recurrent non-zeros', 'non-zeros', 'FLOPs/token', 'bytes', 'non-zeros cut', 'FLOPs cut', 'bytes cut'],
        rows, numeric: [false, true, true, true, true, true, true, true, true, true, true, true],
      });
    }
  }
  return {
    id: 'complexity', title: 'Complexity',
    intro: 'Per cell, one row per configuration of the weights: dense, each small dense size, and each pruned target (ih, hh, both) at each sparsity with the sparse methods together (mean over seeds and methods; where the methods differ by more than 0.1%, their range). Parameters, non-zeros, FLOPs per token (matrix products, multiply-add = 2, kept weights only) and bytes (CSR or dense, whichever is smaller) come from the accounting module; reductions are against the dense model of the same cell (FLOPs and bytes of the whole model). Test metrics: the tables of "Input-to-hidden vs hidden-to-hidden" and "Large-sparse vs small-dense".',
    figures: [],
    tables,
  };
}

/** Every stored run. */
function runsSection({ data }: Ctx): Section {
  return {
    id: 'runs', title: 'Runs', intro: 'Every stored run (id = hash of its configuration; folder runs/<id>/ of the study).', figures: [],
    tables: [{
      header: ['id', 'cell', 'method', 'target', 'sparsity', 'hidden', 'seed', 'valid', 'test', 'steps', 'tokens/s', 'wall', 'resumed from'],
      rows: data.runs.map((r) => [r.id, r.cell, METHOD_NAME[r.method] ?? r.method, r.target ?? '—', r.target ? pctFmt(r.sparsity) : '—', String(r.hidden), String(r.seed),
        fmtMetric(r.valid), fmtMetric(r.test), String(r.steps), int(r.tokensPerSec), `${r.wallSeconds.toFixed(1)} s`, r.resumedFrom ? `step ${r.resumedFrom}` : '—']),
      numeric: [false, false, false, false, true, true, true, true, true, true, true, true, false],
    }],
  };
}
