/**
 * The report's "questions" sections: each question of src/report/questions.ts as a short
 * section (one sentence per answer, then the table it rests on). Intervals are 95% t-intervals
 * over the paired comparisons; n is how many comparisons an answer rests on.
 */
import type { Summary } from '../study/stats.js';
import type { Section } from './build.js';
import type { StudyData } from './data.js';
import { METHOD_NAME } from './analysis.js';
import {
  calibrationAnswers, claimAnswers, methodAnswers, smallDenseAnswers, speedAnswers, targetAnswers, toleranceAnswers,
} from './questions.js';

const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '—');
const pct1 = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
/** A cost difference in percentage points of the dense metric, with its interval. */
const pts = (s: Summary | null) => !s || !s.n ? '—'
  : `${s.mean >= 0 ? '+' : '−'}${(100 * Math.abs(s.mean)).toFixed(2)}${Number.isFinite(s.half) ? ` ± ${(100 * s.half).toFixed(2)}` : ''}`;
const ratio = (s: Summary) => `${s.mean.toFixed(2)}×${Number.isFinite(s.half) ? ` ± ${s.half.toFixed(2)}` : ''}`;
const up = (c: string) => c.toUpperCase();

type Head = (task: string, cell: string) => string;

function methodsSection(data: StudyData, head: Head): Section {
  const ans = methodAnswers(data);
  const cells = [...new Set(ans.map((a) => `${a.task}\u0000${a.cell}`))];
  return {
    id: 'q-methods', title: 'Which method is better: AGP or Narang?',
    intro: 'AGP cost − Narang cost at equal cell and sparsity, paired by seed over the ih, hh and both targets (percentage points of the dense test metric; negative = AGP better). A winner is named only where the 95% interval excludes zero.',
    bullets: cells.map((k) => {
      const rows = ans.filter((a) => `${a.task}\u0000${a.cell}` === k);
      const agp = rows.filter((a) => a.better === METHOD_NAME.agp).map((a) => pct(a.sparsity));
      const nar = rows.filter((a) => a.better === METHOD_NAME.narang).map((a) => pct(a.sparsity));
      return `${head(rows[0].task, rows[0].cell)}: AGP clearly better at ${agp.join(', ') || 'no sparsity'}, Narang at ${nar.join(', ') || 'no sparsity'}, no clear difference at the other ${rows.length - agp.length - nar.length} of ${rows.length}.`;
    }),
    figures: [],
    tables: [{
      header: ['cell', 'sparsity', 'AGP − Narang (pts)', 'n', 'better'],
      rows: ans.map((a) => [head(a.task, a.cell), pct(a.sparsity), pts(a.diff), String(a.diff.n), a.better]),
      numeric: [false, true, true, true, false],
    }],
  };
}

function targetsQuestion(data: StudyData, head: Head): Section {
  const ans = targetAnswers(data);
  return {
    id: 'q-targets', title: 'How much more does pruning hh cost than pruning ih?',
    intro: 'Cost of pruning hh − cost of pruning ih at equal cell, method and sparsity, paired by seed over every sparse method and sparsity (percentage points of the dense test metric; positive = hh costs more).',
    bullets: ans.map((a) => `${head(a.task, a.cell)}: hh costs ${pts(a.extra)} points more than ih (n = ${a.extra.n}; ih ${pts(a.ih)}, hh ${pts(a.hh)} against dense)${a.extra.lo > 0 ? ', a clear difference' : a.extra.hi < 0 ? '; here ih costs clearly more' : ', the interval includes zero'}.`),
    figures: [],
    tables: [{
      header: ['cell', 'ih cost (pts)', 'hh cost (pts)', 'hh − ih (pts)', 'n'],
      rows: ans.map((a) => [head(a.task, a.cell), pts(a.ih), pts(a.hh), pts(a.extra), String(a.extra.n)]),
      numeric: [false, true, true, true, true],
    }],
  };
}

function toleranceQuestion(data: StudyData, head: Head): Section {
  const ans = toleranceAnswers(data, [0.01, 0.02]);
  const one = ans.filter((a) => a.tol === 0.01);
  const cell = (a: (typeof ans)[number] | undefined) => a && a.sparsity !== null
    ? [pct(a.sparsity), `${pts(a.cost)} (n ${a.cost!.n})`, pct1(a.nonzerosCut), pct1(a.flopsCut), pct1(a.bytesCut)]
    : ['none', '—', '—', '—', '—'];
  const best = (tol: number) => [...new Set(ans.map((a) => `${a.task}\u0000${a.cell}`))].map((k) => {
    const ok = ans.filter((a) => a.tol === tol && `${a.task}\u0000${a.cell}` === k && a.sparsity !== null);
    const [task, c] = k.split('\u0000');
    if (!ok.length) return `${head(task, c)}: no tested sparsity within ${pct(tol)} of dense.`;
    const b = ok.reduce((x, y) => (y.nonzerosCut > x.nonzerosCut ? y : x));
    return `${head(task, c)}, within ${pct(tol)}: ${METHOD_NAME[b.method]} on ${b.target} at ${pct(b.sparsity!)} — ${pct1(b.nonzerosCut)} fewer recurrent non-zeros, ${pct1(b.flopsCut)} fewer FLOPs per token, ${pct1(b.bytesCut)} fewer bytes (whole model).`;
  });
  return {
    id: 'q-tolerance', title: 'How far can each method prune within 1% and 2% of dense?',
    intro: 'The largest sparsity whose mean cost over seeds stays within 1% (and 2%) of the dense model of the same seeds, and what it cuts: recurrent (ih + hh) non-zeros, FLOPs per token and bytes of the whole model, each against dense.',
    bullets: [...best(0.01), ...best(0.02)],
    figures: [],
    tables: [{
      header: ['cell', 'method', 'target', '1%: sparsity', 'cost (pts)', 'non-zeros cut', 'FLOPs cut', 'bytes cut', '2%: sparsity', 'cost (pts)', 'non-zeros cut', 'FLOPs cut', 'bytes cut'],
      rows: one.map((a) => [head(a.task, a.cell), METHOD_NAME[a.method], a.target, ...cell(a),
        ...cell(ans.find((b) => b.tol === 0.02 && b.task === a.task && b.cell === a.cell && b.method === a.method && b.target === a.target))]),
      numeric: [false, false, false, true, true, true, true, true, true, true, true, true, true],
    }],
  };
}

function smallDenseQuestion(data: StudyData, head: Head): Section {
  const ans = smallDenseAnswers(data);
  return {
    id: 'q-small-dense', title: 'Does large-sparse beat small-dense at equal non-zeros?',
    intro: 'Cost of the large sparse model − cost of the small dense model sized to the same recurrent non-zeros, paired by seed over every matched sparsity (negative = the sparse model is better), as Zhu & Gupta (2017) compared them.',
    bullets: ans.map((a) => `${head(a.task, a.cell)}, ${METHOD_NAME[a.method]}: sparse wins ${a.wins} of ${a.of}; difference ${pts(a.diff)} points${a.diff.hi < 0 ? ' (clearly better)' : a.diff.lo > 0 ? ' (clearly worse)' : ''}.`),
    figures: [],
    tables: [{
      header: ['cell', 'method', 'sparse − small dense (pts)', 'sparse wins', 'n'],
      rows: ans.map((a) => [head(a.task, a.cell), METHOD_NAME[a.method], pts(a.diff), `${a.wins} / ${a.of}`, String(a.diff.n)]),
      numeric: [false, false, true, true, true],
    }],
  };
}

function calibrationQuestion(data: StudyData): Section {
  const ans = calibrationAnswers(data);
  return {
    id: 'q-calibration', title: "How close does Narang's calibrated threshold land to its target?",
    intro: 'Sparsity reached at the end of each Narang run by the weights it pruned (the ih kernels for target ih, the hh kernels for hh, both together for both) minus its target, in percentage points.',
    bullets: ans.map((a) => `${a.target}: ${pts(a.error)} points on average, at most ${(100 * a.maxAbs).toFixed(2)} away (n = ${a.error.n}).`),
    figures: [],
    tables: [{
      header: ['target', 'reached − target (pts)', 'largest |error| (pts)', 'n'],
      rows: ans.map((a) => [a.target, pts(a.error), (100 * a.maxAbs).toFixed(2), String(a.error.n)]),
      numeric: [false, true, true, true],
    }],
  };
}

function speedQuestion(data: StudyData, head: Head): Section {
  const ans = speedAnswers(data);
  const fastest = ans.length ? ans.reduce((a, b) => (b.ratio.mean > a.ratio.mean ? b : a)) : null;
  return {
    id: 'q-speed', title: 'How much faster did pruned runs train?',
    intro: 'Training tokens/s of pruned runs ÷ the dense run of the same seed, over the epochs after pruning ended (every sparse method pooled). Kernels ≥ 75% sparse run on the sparse path. Measured throughput: it also carries the machine\'s load while each run trained.',
    bullets: fastest ? [`Fastest: ${head(fastest.task, fastest.cell)} at ${pct(fastest.sparsity)} of ${fastest.target}, ${ratio(fastest.ratio)} of dense (n = ${fastest.ratio.n}).`] : [],
    figures: [],
    tables: [{
      header: ['cell', 'target', 'sparsity', 'tokens/s vs dense', 'n'],
      rows: ans.map((a) => [head(a.task, a.cell), a.target, pct(a.sparsity), ratio(a.ratio), String(a.ratio.n)]),
      numeric: [false, false, true, true, true],
    }],
  };
}

function claimsQuestion(data: StudyData): Section {
  const ans = claimAnswers(data);
  return {
    id: 'q-claims', title: 'Against the published claims',
    intro: 'Each published claim beside what this study measured; "agrees" is computed from the stored runs.',
    bullets: ans.map((a) => `${a.source} — ${a.claim} Ours: ${a.ours} Agrees: ${a.agrees}.`),
    figures: [],
    tables: [{ header: ['source', 'claim', 'this study', 'agrees'], rows: ans.map((a) => [a.source, a.claim, a.ours, a.agrees]) }],
  };
}

/** Every question section that has data, in reading order. */
export function questionSections(data: StudyData, head: Head): Section[] {
  return [
    methodsSection(data, head), targetsQuestion(data, head), toleranceQuestion(data, head), smallDenseQuestion(data, head),
    calibrationQuestion(data), speedQuestion(data, head), claimsQuestion(data),
  ].filter((s) => s.tables.some((t) => t.rows.length));
}
