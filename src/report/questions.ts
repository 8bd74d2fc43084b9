/**
 * The study's questions, answered from the stored runs with their uncertainty:
 *
 *   methods      which of AGP and Narang is better, per cell and sparsity
 *   targets      how much more pruning hidden-to-hidden (hh) costs than input-to-hidden (ih)
 *   tolerance    the largest sparsity within 1% and within 2% of dense, per cell and method,
 *                and the complexity cut it buys (recurrent non-zeros, FLOPs per token, bytes)
 *   smallDense   large-sparse against small-dense at equal recurrent non-zeros (Zhu & Gupta 2017)
 *   calibration  how close Narang's calibrated threshold lands to its target sparsity
 *   speed        how much faster pruned runs trained than dense once pruning was over
 *   claims       where these results agree with the published claims and where they do not
 *
 * Comparisons are paired by seed wherever both sides have the seed (the same data order and
 * initialisation), so run-to-run noise common to both cancels. Every answer carries the mean
 * of its paired differences, the 95% Student-t interval of that mean (src/study/stats.ts) and
 * n, the number of paired comparisons it rests on. "Cost" is the relative change of the test
 * metric against the dense run of the same seed, positive = worse (worseBy in analysis.ts).
 *
 * Published claims are restated from the papers (docs/methods.md names them):
 *   - Narang, Elsen, Diamos, Sengupta, "Exploring Sparsity in Recurrent Neural Networks",
 *     ICLR 2017: ~90% sparsity at near-dense accuracy; at that sparsity the recurrent
 *     matrix-vector products run 2× to 7× faster.
 *   - Zhu & Gupta, "To prune, or not to prune", 2017: large-sparse models beat small-dense
 *     models with the same number of non-zeros.
 *   - Choudhury, Rout, Pragnesh, Mohan, "Comparative Study of Pruning Techniques in Recurrent
 *     Neural Networks", 2023: RNN complexity can be cut by more than 80%.
 */
import { summarizeSample, type Summary } from '../study/stats.js';
import { axesOf, cellHead, costOf, denseBySeed, matchesOf, meanOf, metricOf, select, worseBy, METHOD_NAME } from './analysis.js';
import { groupBy, type RunRow, type StudyData } from './data.js';

/** The clear winner of a paired difference a − b (positive = a worse): only when the interval excludes 0. */
export function verdict(p: Summary, a: string, b: string): string {
  if (p.n === 0) return '—';
  if (!Number.isFinite(p.half)) return p.mean > 0 ? `${b} (one comparison)` : p.mean < 0 ? `${a} (one comparison)` : 'tie';
  if (p.lo > 0) return b;
  if (p.hi < 0) return a;
  return 'no clear difference';
}

/** Pairs the runs of two selections by seed and returns f(a, b) for each seed both have. */
function pairBySeed(a: RunRow[], b: RunRow[], f: (x: RunRow, y: RunRow) => number): number[] {
  const bs = new Map(b.map((r) => [r.seed, r]));
  return a.filter((r) => bs.has(r.seed)).map((r) => f(r, bs.get(r.seed)!)).filter(Number.isFinite);
}

// ------------------------------------------------------------------ methods

export interface MethodAnswer { task: string; cell: string; sparsity: number; /** cost of method a − cost of method b (AGP − Narang by default), paired over targets × seeds. */ diff: Summary; better: string }

/** Method a against method b (AGP against Narang by default) at each sparsity, per cell: paired over every target and seed. */
export function methodAnswers(data: StudyData, a = 'agp', b = 'narang'): MethodAnswer[] {
  const ax = axesOf(data);
  const dense = denseBySeed(data);
  const out: MethodAnswer[] = [];
  for (const task of ax.tasks) for (const cell of ax.cells) for (const sparsity of ax.sparsities) {
    const diffs: number[] = [];
    for (const target of ax.targets) {
      diffs.push(...pairBySeed(
        select(data, { task, cell, method: a, target, sparsity }), select(data, { task, cell, method: b, target, sparsity }),
        (x, y) => costOf(data, dense, x) - costOf(data, dense, y)));
    }
    if (!diffs.length) continue;
    const diff = summarizeSample(diffs);
    out.push({ task, cell, sparsity, diff, better: verdict(diff, METHOD_NAME[a], METHOD_NAME[b]) });
  }
  return out;
}

// ------------------------------------------------------------------ targets

export interface TargetAnswer { task: string; cell: string; /** hh cost − ih cost, paired over methods × sparsities × seeds. */ extra: Summary; ih: Summary; hh: Summary }

/** How much more pruning hh costs than pruning ih, per cell (every sparse method and sparsity, paired by seed). */
export function targetAnswers(data: StudyData): TargetAnswer[] {
  const ax = axesOf(data);
  const dense = denseBySeed(data);
  const out: TargetAnswer[] = [];
  for (const task of ax.tasks) for (const cell of ax.cells) {
    const extra: number[] = [];
    const ih: number[] = [];
    const hh: number[] = [];
    for (const method of ax.sparseMethods) for (const sparsity of ax.sparsities) {
      const ri = select(data, { task, cell, method, target: 'ih', sparsity });
      const rh = select(data, { task, cell, method, target: 'hh', sparsity });
      const pairs = pairBySeed(rh, ri, (h, i) => costOf(data, dense, h) - costOf(data, dense, i));
      if (!pairs.length) continue;
      extra.push(...pairs);
      ih.push(...pairBySeed(ri, rh, (i) => costOf(data, dense, i)));
      hh.push(...pairBySeed(rh, ri, (h) => costOf(data, dense, h)));
    }
    if (extra.length) out.push({ task, cell, extra: summarizeSample(extra), ih: summarizeSample(ih), hh: summarizeSample(hh) });
  }
  return out;
}

// ------------------------------------------------------------------ tolerance

/**
 * Of answers within tolerance, the one that cuts the most recurrent non-zeros. Cuts that
 * differ by less than `eps` (0.1 point: Narang's calibrated masks land a few weights off
 * the target, so two methods at one sparsity cut 95.00% and 95.02%) count as equal, and
 * the lower mean cost wins.
 */
export function largestCut<T extends { nonzerosCut: number; cost: Summary | null }>(answers: readonly T[], eps = 1e-3): T | null {
  if (!answers.length) return null;
  return answers.reduce((a, b) => {
    if (Math.abs(b.nonzerosCut - a.nonzerosCut) >= eps) return b.nonzerosCut > a.nonzerosCut ? b : a;
    return (b.cost?.mean ?? Infinity) < (a.cost?.mean ?? Infinity) ? b : a;
  });
}

export interface ToleranceAnswer {
  task: string; cell: string; method: string; target: string; tol: number;
  /** Largest sparsity whose mean cost over seeds is within tol; null when none is. */
  sparsity: number | null;
  cost: Summary | null;
  /** Reductions against dense (0–1), means over the seeds of that configuration. */
  nonzerosCut: number; flopsCut: number; bytesCut: number;
}

/** The largest sparsity within `tol` of dense per cell, method and target, and what it cuts. */
export function toleranceAnswers(data: StudyData, tols: readonly number[] = [0.01, 0.02]): ToleranceAnswer[] {
  const ax = axesOf(data);
  const dense = denseBySeed(data);
  const out: ToleranceAnswer[] = [];
  for (const tol of tols) for (const task of ax.tasks) for (const cell of ax.cells) for (const method of ax.sparseMethods) for (const target of ax.targets) {
    let best: ToleranceAnswer | null = null;
    let any = false;
    const denseNz = meanOf(select(data, { task, cell, method: 'dense' }), (r) => r.recNonzeros);
    for (const sparsity of ax.sparsities) {
      const runs = select(data, { task, cell, method, target, sparsity });
      const costs = runs.map((r) => costOf(data, dense, r)).filter(Number.isFinite);
      if (!costs.length) continue;
      any = true;
      const cost = summarizeSample(costs);
      if (cost.mean <= tol) {
        best = {
          task, cell, method, target, tol, sparsity, cost,
          nonzerosCut: 1 - meanOf(runs, (r) => r.recNonzeros) / denseNz,
          flopsCut: 1 - meanOf(runs, (r) => r.flops / r.flopsDense),
          bytesCut: 1 - meanOf(runs, (r) => r.bytes / r.bytesDense),
        };
      }
    }
    if (any) out.push(best ?? { task, cell, method, target, tol, sparsity: null, cost: null, nonzerosCut: NaN, flopsCut: NaN, bytesCut: NaN });
  }
  return out;
}

// ------------------------------------------------------------------ small dense

export interface SmallDenseAnswer { task: string; cell: string; method: string; /** sparse cost − small-dense cost, paired by seed over every matched sparsity. */ diff: Summary; wins: number; of: number }

/**
 * Each small dense model (per hidden size) with the sparse configurations it was sized to
 * match (its config's `matches`: target and sparsity), for every sparse method.
 */
function smallDenseMatches(data: StudyData): { task: string; cell: string; hidden: number; method: string; target: string; sparsity: number }[] {
  const ax = axesOf(data);
  const out: ReturnType<typeof smallDenseMatches> = [];
  for (const task of ax.tasks) for (const cell of ax.cells) {
    const hiddens = [...new Set(select(data, { task, cell, method: 'smallDense' }).map((r) => r.hidden))];
    for (const hidden of hiddens) {
      const r0 = select(data, { task, cell, method: 'smallDense', hidden })[0];
      const matches = matchesOf(r0);
      for (const m of matches) for (const method of ax.sparseMethods) out.push({ task, cell, hidden, method, target: m.target, sparsity: m.sparsity });
    }
  }
  return out;
}

/** Large-sparse against small-dense at equal recurrent non-zeros, per cell and method (paired by seed). */
export function smallDenseAnswers(data: StudyData): SmallDenseAnswer[] {
  const dense = denseBySeed(data);
  const groups = new Map<string, { task: string; cell: string; method: string; diffs: number[] }>();
  for (const f of smallDenseMatches(data)) {
    const sparse = select(data, { task: f.task, cell: f.cell, method: f.method, target: f.target, sparsity: f.sparsity });
    const small = select(data, { task: f.task, cell: f.cell, method: 'smallDense', hidden: f.hidden });
    const k = `${f.task}\u0000${f.cell}\u0000${f.method}`;
    const g = groups.get(k) ?? { task: f.task, cell: f.cell, method: f.method, diffs: [] };
    g.diffs.push(...pairBySeed(sparse, small, (x, y) => costOf(data, dense, x) - costOf(data, dense, y)));
    groups.set(k, g);
  }
  return [...groups.values()].filter((g) => g.diffs.length).map((g) => ({
    task: g.task, cell: g.cell, method: g.method, diff: summarizeSample(g.diffs), wins: g.diffs.filter((d) => d < 0).length, of: g.diffs.length,
  }));
}

// ------------------------------------------------------------------ calibration

export interface CalibrationAnswer { target: string; /** achieved − target sparsity, in fractions. */ error: Summary; maxAbs: number }

/** The recurrent kernels a target prunes: rnn.L.ih, rnn.L.hh or both, in every layer. */
const PRUNED: Record<string, RegExp> = { ih: /^rnn\.\d+\.ih$/, hh: /^rnn\.\d+\.hh$/, both: /^rnn\.\d+\.(ih|hh)$/ };

/**
 * Sparsity a run reached over the weights its target prunes (stored weight groups): the ih
 * kernels for target ih, the hh kernels for hh, both together for both. NaN when the store
 * has no groups for the run. Not `recurrentSparsity`: that pools ih and hh, so a run that
 * prunes only ih to 90% reads as a fraction of that.
 */
export function prunedSparsity(data: StudyData, r: RunRow): number {
  const re = r.target ? PRUNED[r.target] : undefined;
  const gs = re ? (data.groups.get(r.id) ?? []).filter((g) => re.test(g.name)) : [];
  const params = gs.reduce((a, g) => a + g.params, 0);
  return params ? 1 - gs.reduce((a, g) => a + g.nonZeros, 0) / params : NaN;
}

/** Narang's calibrated threshold: the sparsity its pruned weights reached minus the target, per pruned target. */
export function calibrationAnswers(data: StudyData): CalibrationAnswer[] {
  const ax = axesOf(data);
  const out: CalibrationAnswer[] = [];
  for (const target of ax.targets) {
    const errs = data.runs.filter((r) => r.method === 'narang' && r.target === target).map((r) => prunedSparsity(data, r) - r.sparsity).filter(Number.isFinite);
    if (errs.length) out.push({ target, error: summarizeSample(errs), maxAbs: Math.max(...errs.map(Math.abs)) });
  }
  return out;
}

// ------------------------------------------------------------------ speed

/**
 * How a run's training speed is measured: tokens per wall-clock second (what the user
 * waited; it also carries whatever else the machine ran meanwhile), or tokens per CPU
 * second of the training process (unchanged when other processes share the cores;
 * recorded by runs made since epochs kept their CPU time).
 */
export type SpeedBasis = 'wall' | 'cpu';

export interface SpeedAnswer {
  task: string; cell: string; target: string; sparsity: number; basis: SpeedBasis;
  /** pruned tokens/s ÷ dense tokens/s, paired by seed, over the epochs after pruning ended. */
  ratio: Summary;
}

/**
 * Mean training tokens per second (wall or CPU) of a run over the epochs that start after
 * step `from`; NaN on the CPU basis unless every one of those epochs recorded its CPU time.
 */
function tokensPerSecAfter(data: StudyData, r: RunRow, from: number, basis: SpeedBasis): number {
  const eps = data.epochs.get(r.id) ?? [];
  const after = eps.filter((e, i) => (i === 0 ? 0 : eps[i - 1].step) >= from && e.tokensPerSec > 0);
  if (!after.length) return NaN;
  if (basis === 'wall') return after.reduce((s, e) => s + e.tokensPerSec, 0) / after.length;
  if (after.some((e) => !(e.cpuSeconds !== null && e.cpuSeconds > 0))) return NaN;
  return after.reduce((s, e) => s + (e.tokensPerSec * e.seconds) / e.cpuSeconds!, 0) / after.length;
}

/** The schedule's last pruning fraction (AGP/Narang end, one-shot step) from the stored spec. */
function pruningEnds(data: StudyData): number {
  const s = (data.spec?.schedule ?? {}) as { end?: number; oneShotAt?: number };
  return Math.max(s.end ?? 0.6, s.oneShotAt ?? 0);
}

/**
 * How much faster pruned runs trained than dense once their masks were final (every sparse
 * method pooled), per cell, target and sparsity, on one speed basis. On the wall basis the
 * ratio also carries the machine's load while each of the two runs trained, which pairing
 * by seed does not remove; the CPU basis pairs only runs that both recorded CPU time.
 */
export function speedAnswers(data: StudyData, basis: SpeedBasis = 'wall'): SpeedAnswer[] {
  const ax = axesOf(data);
  const frac = pruningEnds(data);
  const out: SpeedAnswer[] = [];
  for (const task of ax.tasks) for (const cell of ax.cells) {
    const denseRuns = select(data, { task, cell, method: 'dense' });
    for (const target of ax.targets) for (const sparsity of ax.sparsities) {
      const ratios: number[] = [];
      for (const method of ax.sparseMethods) {
        ratios.push(...pairBySeed(select(data, { task, cell, method, target, sparsity }), denseRuns, (p, d) => {
          const from = frac * d.steps;
          return tokensPerSecAfter(data, p, from, basis) / tokensPerSecAfter(data, d, from, basis);
        }));
      }
      if (ratios.length) out.push({ task, cell, target, sparsity, basis, ratio: summarizeSample(ratios) });
    }
  }
  return out;
}

// ------------------------------------------------------------------ claims

export interface ClaimAnswer { source: string; claim: string; ours: string; agrees: 'yes' | 'no' | 'partly' | 'not tested' }

const pct = (x: number, d = 0) => `${(100 * x).toFixed(d)}%`;
const ci = (s: Summary, scale = 100, d = 1, unit = ' pts') => Number.isFinite(s.half)
  ? `${(scale * s.mean).toFixed(d)} ± ${(scale * s.half).toFixed(d)}${unit}`
  : `${(scale * s.mean).toFixed(d)}${unit}`;

/** The published claims, each set against what the stored runs show. */
export function claimAnswers(data: StudyData): ClaimAnswer[] {
  const out: ClaimAnswer[] = [];
  const tol2 = toleranceAnswers(data, [0.02]).filter((t) => t.sparsity !== null);
  const ax = axesOf(data);
  const head = cellHead(ax);
  // Choudhury et al. 2023: more than 80% of the complexity can go.
  {
    const perCell = ax.cells.map((cell) => {
      const ok = tol2.filter((t) => t.cell === cell);
      return { cell, best: largestCut(ok) };
    });
    const over = perCell.filter((c) => c.best && c.best.nonzerosCut > 0.8);
    out.push({
      source: 'Choudhury et al. 2023',
      claim: 'RNN complexity can be cut by more than 80% at little cost.',
      ours: perCell.map((c) => c.best
        ? `${c.cell.toUpperCase()}: ${pct(c.best.nonzerosCut, 1)} fewer recurrent non-zeros within 2% of dense (${METHOD_NAME[c.best.method]}, ${c.best.target}, ${pct(c.best.sparsity!)})`
        : `${c.cell.toUpperCase()}: no tested sparsity within 2% of dense`).join('; ') + '.',
      agrees: over.length === perCell.length && perCell.length ? 'yes' : over.length ? 'partly' : 'no',
    });
  }
  // Narang et al. 2017: ~90% sparsity at near-dense accuracy.
  {
    const dense = denseBySeed(data);
    const at90 = ax.cells.map((cell) => {
      const costs = data.runs.filter((r) => r.cell === cell && r.target === 'both' && r.method === 'narang' && Math.abs(r.sparsity - 0.9) < 1e-9)
        .map((r) => costOf(data, dense, r)).filter(Number.isFinite);
      return { cell, s: costs.length ? summarizeSample(costs) : null };
    }).filter((x) => x.s);
    const near = at90.filter((x) => x.s!.mean <= 0.02);
    out.push({
      source: 'Narang et al. 2017',
      claim: 'About 90% sparsity at near-dense accuracy.',
      ours: at90.length
        ? at90.map((x) => `${x.cell.toUpperCase()} Narang at 90% of ih + hh: ${ci(x.s!)} worse than dense (n = ${x.s!.n})`).join('; ') + '; "near" read as within 2%.'
        : 'No Narang run at 90% of ih + hh in this study.',
      agrees: !at90.length ? 'not tested' : near.length === at90.length ? 'yes' : near.length ? 'partly' : 'no',
    });
  }
  // Narang et al. 2017: ~90% sparsity makes the recurrent products 2×–7× faster. What a study
  // measures is a whole training step (forward, backward through time, the dense output
  // layer, the optimizer), so its speed-up is a lower bound of the products' own.
  {
    const cpu = speedAnswers(data, 'cpu');
    const wall = speedAnswers(data, 'wall');
    const at90 = ax.tasks.flatMap((task) => ax.cells.map((cell) => {
      const find = (xs: SpeedAnswer[]) => xs.find((x) => x.task === task && x.cell === cell && x.target === 'both' && Math.abs(x.sparsity - 0.9) < 1e-9);
      const a = find(cpu) ?? find(wall);
      return a ? { label: head(task, cell), a } : null;
    })).filter((x): x is { label: string; a: SpeedAnswer } => x !== null);
    const fast = at90.filter((x) => x.a.ratio.mean >= 2);
    const faster = at90.filter((x) => x.a.ratio.lo > 1);
    out.push({
      source: 'Narang et al. 2017',
      claim: 'At about 90% sparsity the recurrent matrix-vector products run 2× to 7× faster.',
      ours: at90.length
        ? at90.map(({ label, a }) => `${label} at 90% of ih + hh trained ${a.ratio.mean.toFixed(2)}×${Number.isFinite(a.ratio.half) ? ` ± ${a.ratio.half.toFixed(2)}` : ''} as fast as dense (n = ${a.ratio.n}; tokens per ${a.basis === 'cpu' ? 'CPU' : 'wall-clock'} second)`).join('; ')
          + '; a whole training step, so a lower bound of the products\' own speed-up (those: `sparse-rnn bench infer`).'
        : 'No run at 90% of ih + hh with a dense run of the same seed.',
      agrees: !at90.length ? 'not tested' : fast.length === at90.length ? 'yes' : fast.length || faster.length ? 'partly' : 'no',
    });
  }
  // Zhu & Gupta 2017: large-sparse beats small-dense at equal non-zeros.
  {
    const sd = smallDenseAnswers(data);
    const wins = sd.reduce((a, s) => a + s.wins, 0);
    const of = sd.reduce((a, s) => a + s.of, 0);
    const clear = sd.filter((s) => s.diff.hi < 0).length;
    const perCell = [...groupBy(sd, (s) => head(s.task, s.cell))].map(([label, c]) =>
      `${label} ${c.reduce((a, s) => a + s.wins, 0)} of ${c.reduce((a, s) => a + s.of, 0)}, ${c.filter((s) => s.diff.hi < 0).length} of ${c.length} methods clearly`);
    out.push({
      source: 'Zhu & Gupta 2017',
      claim: 'Large-sparse models beat small-dense models with the same number of non-zeros.',
      ours: of ? `the large sparse model wins ${wins} of ${of} paired comparisons (${perCell.join('; ')}); in ${clear} of ${sd.length} cell × method groups the 95% interval of the difference lies entirely on the sparse side.` : 'No small-dense baselines in this study.',
      // As elsewhere in the report, a side is named where the 95% interval excludes zero:
      // yes when every cell × method group is clearly on the sparse side (single paired
      // comparisons at 50%, where the two models are nearly the same size, go either way).
      agrees: !of ? 'not tested' : clear === sd.length ? 'yes' : wins > 0 ? 'partly' : 'no',
    });
  }
  return out;
}
