/**
 * The report's "questions" sections: each question of src/report/questions.ts as a short
 * section (one sentence per answer, then the table it rests on). Intervals are 95% t-intervals
 * over the paired comparisons; n is how many comparisons an answer rests on.
 *
 * The report's Conclusions are a summary of these answers, one or two bullets per question,
 * built here from the same answers and the same formatted numbers, each linking to its
 * question: one computation per question, so the summary and the section cannot disagree.
 */
import type { Summary } from '../study/stats.js';
import type { Section, Table } from './build.js';
import type { StudyData } from './data.js';
import { axesOf, cellHead, gateFindings, METHOD_NAME, signedFixed } from './analysis.js';
import {
  calibrationAnswers, claimAnswers, methodAnswers, smallDenseAnswers, speedAnswers, targetAnswers, toleranceAnswers,
  largestCut, type MethodAnswer,
} from './questions.js';

const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '—');
const pct1 = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
/** A cost difference in percentage points of the dense metric, with its interval. */
const pts = (s: Summary | null) => !s || !s.n ? '—'
  : `${signedFixed(100 * s.mean, 2)}${Number.isFinite(s.half) ? ` ± ${(100 * s.half).toFixed(2)}` : ''}`;
const ratio = (s: Summary) => `${s.mean.toFixed(2)}×${Number.isFinite(s.half) ? ` ± ${s.half.toFixed(2)}` : ''}`;
const up = (c: string) => c.toUpperCase();

type Head = (task: string, cell: string) => string;

/** One bullet of the Conclusions: a summary of the answer of section `section`. */
export interface Conclusion { id: string; section: string; label: string; text: string }
/** A question's section and its summary for the Conclusions. */
interface Answered { section: Section; summary: Conclusion[] }

const clearMark = (s: Summary, neg: string, pos: string, none: string) => (s.lo > 0 ? pos : s.hi < 0 ? neg : none);

/** Per cell, where a paired comparison of methods a and b names a winner: "AGP clearly better at 95%, …". */
function winnerLines(ans: MethodAnswer[], a: string, b: string, head: Head): string[] {
  const cells = [...new Set(ans.map((x) => `${x.task}\u0000${x.cell}`))];
  return cells.map((k) => {
    const rows = ans.filter((x) => `${x.task}\u0000${x.cell}` === k);
    const wa = rows.filter((x) => x.better === METHOD_NAME[a]).map((x) => pct(x.sparsity));
    const wb = rows.filter((x) => x.better === METHOD_NAME[b]).map((x) => pct(x.sparsity));
    const rest = rows.length - wa.length - wb.length;
    const parts = [...(wa.length ? [`${METHOD_NAME[a]} clearly better at ${wa.join(', ')}`] : []), ...(wb.length ? [`${METHOD_NAME[b]} clearly better at ${wb.join(', ')}`] : [])];
    if (!parts.length) parts.push(`no clear difference at any of the ${rows.length} sparsities`);
    else if (rest) parts.push(`no clear difference at the other ${rest} of ${rows.length}`);
    return `${head(rows[0].task, rows[0].cell)}: ${parts.join(', ')}`;
  });
}

function methodTable(ans: MethodAnswer[], a: string, b: string, head: Head, title?: string): Table {
  return {
    title, header: ['cell', 'sparsity', `${METHOD_NAME[a]} − ${METHOD_NAME[b]} (pts)`, 'n', 'better'],
    rows: ans.map((x) => [head(x.task, x.cell), pct(x.sparsity), pts(x.diff), String(x.diff.n), x.better]),
    numeric: [false, true, true, true, false],
  };
}

function methodsSection(data: StudyData, head: Head): Answered {
  const ans = methodAnswers(data);
  const lines = winnerLines(ans, 'agp', 'narang', head);
  // One-shot + fine-tune, where the study has it, against each gradual method.
  const oneShot = (['agp', 'narang'] as const).map((g) => ({ g, ans: methodAnswers(data, 'oneShot', g) })).filter((x) => x.ans.length);
  const oneShotLines = oneShot.flatMap(({ g, ans: os }) => winnerLines(os, 'oneShot', g, head).map((l) => `one-shot + FT vs ${METHOD_NAME[g]}, ${l}`));
  return {
    section: {
      id: 'q-methods', title: 'Which method is better: AGP or Narang?',
      intro: 'AGP cost − Narang cost at equal cell and sparsity, paired by seed over the ih, hh and both targets (percentage points of the dense test metric; negative = AGP better). A winner is named only where the 95% interval excludes zero.'
        + (oneShot.length ? ' The same comparison of one-shot pruning + fine-tuning against each gradual method follows (negative = one-shot better).' : ''),
      bullets: [...lines, ...oneShotLines].map((l) => `${l}.`),
      figures: [],
      tables: [
        methodTable(ans, 'agp', 'narang', head, oneShot.length ? 'AGP − Narang' : undefined),
        ...oneShot.map(({ g, ans: os }) => methodTable(os, 'oneShot', g, head, `one-shot + FT − ${METHOD_NAME[g]}`)),
      ],
    },
    summary: [
      ...(lines.length ? [{ id: 'methods', section: 'q-methods', label: 'AGP vs Narang', text: `paired by seed at equal sparsity — ${lines.join('; ')}.` }] : []),
      ...(oneShotLines.length ? [{ id: 'one-shot', section: 'q-methods', label: 'One-shot + FT vs gradual', text: `paired by seed at equal sparsity — ${oneShotLines.join('; ')}.` }] : []),
    ],
  };
}

function targetsQuestion(data: StudyData, head: Head): Answered {
  const ans = targetAnswers(data);
  return {
    section: {
      id: 'q-targets', title: 'How much more does pruning hh cost than pruning ih?',
      intro: 'Cost of pruning hh − cost of pruning ih at equal cell, method and sparsity, paired by seed over every sparse method and sparsity (percentage points of the dense test metric; positive = hh costs more).',
      bullets: ans.map((a) => `${head(a.task, a.cell)}: hh costs ${pts(a.extra)} points more than ih (n = ${a.extra.n}; ih ${pts(a.ih)}, hh ${pts(a.hh)} against dense)${clearMark(a.extra, '; here ih costs clearly more', ', a clear difference', ', the interval includes zero')}.`),
      figures: [],
      tables: [{
        header: ['cell', 'ih cost (pts)', 'hh cost (pts)', 'hh − ih (pts)', 'n'],
        rows: ans.map((a) => [head(a.task, a.cell), pts(a.ih), pts(a.hh), pts(a.extra), String(a.extra.n)]),
        numeric: [false, true, true, true, true],
      }],
    },
    summary: ans.length ? [{
      id: 'targets', section: 'q-targets', label: 'hh vs ih',
      text: `cost of pruning hh − cost of pruning ih, paired by seed: ${ans.map((a) => `${head(a.task, a.cell)} ${pts(a.extra)} points (n = ${a.extra.n}, ${clearMark(a.extra, 'ih clearly costlier', 'hh clearly costlier', 'no clear difference')})`).join('; ')}.`,
    }] : [],
  };
}

function toleranceQuestion(data: StudyData, head: Head): Answered {
  const ans = toleranceAnswers(data, [0.01, 0.02]);
  const one = ans.filter((a) => a.tol === 0.01);
  const cell = (a: (typeof ans)[number] | undefined) => a && a.sparsity !== null
    ? [pct(a.sparsity), `${pts(a.cost)} (n ${a.cost!.n})`, pct1(a.nonzerosCut), pct1(a.flopsCut), pct1(a.bytesCut)]
    : ['none', '—', '—', '—', '—'];
  const keys = [...new Set(ans.map((a) => `${a.task}\u0000${a.cell}`))];
  /** Per cell, the configuration within `tol` that cuts the most recurrent non-zeros: [cell, what it is, what it cuts]. */
  const best = (tol: number) => keys.map((k) => {
    const ok = ans.filter((a) => a.tol === tol && `${a.task}\u0000${a.cell}` === k && a.sparsity !== null);
    const [task, c] = k.split('\u0000');
    if (!ok.length) return { where: head(task, c), what: null, cuts: '' };
    const b = largestCut(ok)!;
    return { where: head(task, c), what: `${METHOD_NAME[b.method]} on ${b.target} at ${pct(b.sparsity!)}`, cuts: `${pct1(b.nonzerosCut)} fewer recurrent non-zeros, ${pct1(b.flopsCut)} fewer FLOPs per token, ${pct1(b.bytesCut)} fewer bytes` };
  });
  const bullets = (tol: number) => best(tol).map((b) => (b.what
    ? `${b.where}, within ${pct(tol)}: ${b.what} — ${b.cuts} (whole model).`
    : `${b.where}: no tested sparsity within ${pct(tol)} of dense.`));
  const summary = (tol: number): Conclusion => ({
    id: `tolerance:${tol}`, section: 'q-tolerance', label: `Within ${pct(tol)} of dense`,
    text: `largest cut of recurrent non-zeros — ${best(tol).map((b) => (b.what ? `${b.where}: ${b.what} (${b.cuts})` : `${b.where}: no tested sparsity`)).join('; ')}.`,
  });
  return {
    section: {
      id: 'q-tolerance', title: 'How far can each method prune within 1% and 2% of dense?',
      intro: 'The largest sparsity whose mean cost over seeds stays within 1% (and 2%) of the dense model of the same seeds, and what it cuts: recurrent (ih + hh) non-zeros, FLOPs per token and bytes of the whole model, each against dense.',
      bullets: [...bullets(0.01), ...bullets(0.02)],
      figures: [],
      tables: [{
        header: ['cell', 'method', 'target', '1%: sparsity', 'cost (pts)', 'non-zeros cut', 'FLOPs cut', 'bytes cut', '2%: sparsity', 'cost (pts)', 'non-zeros cut', 'FLOPs cut', 'bytes cut'],
        rows: one.map((a) => [head(a.task, a.cell), METHOD_NAME[a.method], a.target, ...cell(a),
          ...cell(ans.find((b) => b.tol === 0.02 && b.task === a.task && b.cell === a.cell && b.method === a.method && b.target === a.target))]),
        numeric: [false, false, false, true, true, true, true, true, true, true, true, true, true],
      }],
    },
    summary: keys.length ? [summary(0.01), summary(0.02)] : [],
  };
}

function smallDenseQuestion(data: StudyData, head: Head): Answered {
  const ans = smallDenseAnswers(data);
  const mark = (a: (typeof ans)[number]) => (a.diff.hi < 0 ? ' (clearly better)' : a.diff.lo > 0 ? ' (clearly worse)' : '');
  const keys = [...new Set(ans.map((a) => `${a.task}\u0000${a.cell}`))];
  return {
    section: {
      id: 'q-small-dense', title: 'Does large-sparse beat small-dense at equal non-zeros?',
      intro: 'Cost of the large sparse model − cost of the small dense model sized to the same recurrent non-zeros, paired by seed over every matched sparsity (negative = the sparse model is better), as Zhu & Gupta (2017) compared them.',
      bullets: ans.map((a) => `${head(a.task, a.cell)}, ${METHOD_NAME[a.method]}: sparse wins ${a.wins} of ${a.of}; difference ${pts(a.diff)} points${mark(a)}.`),
      figures: [],
      tables: [{
        header: ['cell', 'method', 'sparse − small dense (pts)', 'sparse wins', 'n'],
        rows: ans.map((a) => [head(a.task, a.cell), METHOD_NAME[a.method], pts(a.diff), `${a.wins} / ${a.of}`, String(a.diff.n)]),
        numeric: [false, false, true, true, true],
      }],
    },
    summary: ans.length ? [{
      id: 'small-dense', section: 'q-small-dense', label: 'Large-sparse vs small-dense',
      text: `at equal recurrent non-zeros, paired by seed, the sparse model wins — ${keys.map((k) => {
        const rows = ans.filter((a) => `${a.task}\u0000${a.cell}` === k);
        return `${head(rows[0].task, rows[0].cell)}: ${rows.map((a) => `${METHOD_NAME[a.method]} ${a.wins} of ${a.of}${mark(a)}`).join(', ')}`;
      }).join('; ')}.`,
    }] : [],
  };
}

function calibrationQuestion(data: StudyData): Answered {
  const ans = calibrationAnswers(data);
  const maxAbs = (a: (typeof ans)[number]) => (100 * a.maxAbs).toFixed(2);
  return {
    section: {
      id: 'q-calibration', title: "How close does Narang's calibrated threshold land to its target?",
      intro: 'Sparsity reached at the end of each Narang run by the weights it pruned (the ih kernels for target ih, the hh kernels for hh, both together for both) minus its target, in percentage points.',
      bullets: ans.map((a) => `${a.target}: ${pts(a.error)} points on average, at most ${maxAbs(a)} away (n = ${a.error.n}).`),
      figures: [],
      tables: [{
        header: ['target', 'reached − target (pts)', 'largest |error| (pts)', 'n'],
        rows: ans.map((a) => [a.target, pts(a.error), maxAbs(a), String(a.error.n)]),
        numeric: [false, true, true, true],
      }],
    },
    summary: ans.length ? [{
      id: 'calibration', section: 'q-calibration', label: "Narang's calibration",
      text: `sparsity reached − target, mean over runs: ${ans.map((a) => `${a.target} ${pts(a.error)} points (at most ${maxAbs(a)})`).join(', ')}.`,
    }] : [],
  };
}

/** Tokens/s against dense as one row per cell and target, a column per sparsity: "ratio ± half (n N)". */
function speedPivot(ans: ReturnType<typeof speedAnswers>, head: Head, title: string): Section['tables'][number] {
  const sparsities = [...new Set(ans.map((a) => a.sparsity))].sort((a, b) => a - b);
  const rowKeys = [...new Set(ans.map((a) => `${a.task}\u0000${a.cell}\u0000${a.target}`))];
  return {
    title,
    header: ['cell', 'target', ...sparsities.map(pct)],
    rows: rowKeys.map((k) => {
      const [task, cell, target] = k.split('\u0000');
      return [head(task, cell), target, ...sparsities.map((s) => {
        const a = ans.find((x) => x.task === task && x.cell === cell && x.target === target && x.sparsity === s);
        return a ? `${ratio(a.ratio)} (n ${a.ratio.n})` : '—';
      })];
    }),
    numeric: [false, false, ...sparsities.map(() => true)],
  };
}

function speedQuestion(data: StudyData, head: Head): Answered {
  const cpu = speedAnswers(data, 'cpu');
  const wall = speedAnswers(data, 'wall');
  // The headline comes from CPU time where runs recorded it: wall-clock ratios move with the machine's load.
  const main = cpu.length ? cpu : wall;
  const fastest = main.length ? main.reduce((a, b) => (b.ratio.mean > a.ratio.mean ? b : a)) : null;
  const basis = cpu.length ? 'tokens per CPU second' : 'tokens per wall-clock second, machine load included';
  const line = fastest ? `${head(fastest.task, fastest.cell)} at ${pct(fastest.sparsity)} of ${fastest.target}, ${ratio(fastest.ratio)} of dense (n = ${fastest.ratio.n}; ${basis})` : '';
  const cpuPairs = cpu.reduce((a, x) => a + x.ratio.n, 0);
  const wallPairs = wall.reduce((a, x) => a + x.ratio.n, 0);
  const tables = [
    ...(cpu.length ? [speedPivot(cpu, head, 'Tokens per CPU second, pruned ÷ dense (runs that recorded CPU time)')] : []),
    ...(wall.length ? [speedPivot(wall, head, 'Tokens per wall-clock second, pruned ÷ dense (every run; machine load included)')] : []),
  ];
  return {
    section: {
      id: 'q-speed', title: 'How much faster did pruned runs train?',
      intro: 'Training tokens/s of pruned runs ÷ the dense run of the same seed, over the epochs after pruning ended (every sparse method pooled; each table: per cell and pruned target, a column per sparsity, ± the 95% interval, n paired runs). Kernels ≥ 75% sparse run on the sparse path. '
        + 'Two measures: tokens per CPU second of the training process, which stays put when other work shares the cores (recorded by runs made since epochs kept their CPU time), and tokens per wall-clock second, which also carries the machine\'s load while each run trained: a dense run slowed by a busy machine makes every pruned run paired with it look faster. '
        + `${cpuPairs} of ${wallPairs} pairs have CPU time for both runs.`,
      bullets: fastest ? [`Fastest: ${line}.`] : [],
      figures: [],
      tables,
    },
    summary: fastest ? [{ id: 'speed', section: 'q-speed', label: 'Training speed', text: `the fastest pruned configuration after pruning ended: ${line}.` }] : [],
  };
}

function claimsQuestion(data: StudyData): Answered {
  const ans = claimAnswers(data);
  return {
    section: {
      id: 'q-claims', title: 'Against the published claims',
      intro: 'Each published claim beside what this study measured; "agrees" is computed from the stored runs.',
      bullets: ans.map((a) => `${a.source} — ${a.claim} Ours: ${a.ours} Agrees: ${a.agrees}.`),
      figures: [],
      tables: [{ header: ['source', 'claim', 'this study', 'agrees'], rows: ans.map((a) => [a.source, a.claim, a.ours, a.agrees]) }],
    },
    summary: ans.length ? [{ id: 'claims', section: 'q-claims', label: 'Published claims', text: `${ans.map((a) => `${a.source}, “${a.claim.replace(/\.$/, '')}”: ${a.agrees}`).join('; ')}.` }] : [],
  };
}

/** Where each method puts its zeros across gates (not a question: the gates section's finding, summarized here too). */
function gateSummary(data: StudyData, head: Head): Conclusion[] {
  const ax = axesOf(data);
  const gf = gateFindings(data);
  const out: Conclusion[] = [];
  for (const task of ax.tasks) for (const cell of ax.cells) {
    const a = gf.find((g) => g.task === task && g.cell === cell && g.method === 'agp');
    const n = gf.find((g) => g.task === task && g.cell === cell && g.method === 'narang');
    // A vanilla RNN has one gate per group: nothing to distribute.
    if (!a || !n || new Set(a.gates.map((g) => g.name.split(':')[1])).size < 2) continue;
    const hi = n.gates.reduce((x, y) => (y.sparsity > x.sparsity ? y : x));
    const lo = n.gates.reduce((x, y) => (y.sparsity < x.sparsity ? y : x));
    out.push({
      id: `gates:${task}:${cell}`, section: 'gates', label: 'Per-gate sparsity',
      text: `${head(task, cell)} at ${pct(n.sparsity)} (${n.target}): AGP's per-gate sparsity spans ${(100 * a.spread).toFixed(1)} points across gates, Narang's ${(100 * n.spread).toFixed(1)} (most pruned ${hi.name} ${pct1(hi.sparsity)}, least ${lo.name} ${pct1(lo.sparsity)}).`,
    });
  }
  return out;
}

function answered(data: StudyData, head: Head): Answered[] {
  return [
    methodsSection(data, head), targetsQuestion(data, head), toleranceQuestion(data, head), smallDenseQuestion(data, head),
    calibrationQuestion(data), speedQuestion(data, head), claimsQuestion(data),
  ].filter((a) => a.section.tables.some((t) => t.rows.length));
}

/** The question sections that have data, in reading order, and the Conclusions that summarize them. */
export function questionReport(data: StudyData, head: Head): { sections: Section[]; conclusions: Conclusion[] } {
  const qs = answered(data, head);
  return { sections: qs.map((q) => q.section), conclusions: [...qs.flatMap((q) => q.summary), ...gateSummary(data, head)] };
}

/** The Conclusions of a study's report: a summary of the answers to its questions (library use; the report's cell names by default). */
export function conclusions(data: StudyData, head?: Head): Conclusion[] {
  return questionReport(data, head ?? cellHead(axesOf(data))).conclusions;
}

/** A conclusion as a report bullet: its label links to the section it summarizes. */
export function conclusionBullet(c: Conclusion): string {
  return `[${c.label}](#${c.section}): ${c.text}`;
}
