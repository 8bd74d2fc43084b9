// The report from a fixture store with known numbers (src/report/fixture.ts): the
// conclusions it computes (a summary of the question sections, checked by hand and
// against those sections), the tables it lays out, and the files it writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFixtureStudy } from '../../src/report/fixture.js';
import { loadStudy } from '../../src/report/data.js';
import { gateFindings } from '../../src/report/analysis.js';
import { conclusions } from '../../src/report/answers.js';
import { buildReport, describeTask, type Section } from '../../src/report/build.js';
import { writeReport } from '../../src/report/index.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { barChart, lineChart, niceTicks } from '../../src/report/svg.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-'));
const stored = writeFixtureStudy(dir);
const data = loadStudy(dir);
const close = (a: number, b: number, what: string, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
/** The [label, value] rows of every tooltip (data-tip) in an SVG or HTML page. */
const tipsOf = (page: string) => [...page.matchAll(/data-tip="([^"]*)"/g)].map((m) => JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as [string, string][]);

test('fixture: 2 cells × 3 seeds × (dense + 2 methods × 3 targets × 3 sparsities + 2 small dense)', () => {
  assert.equal(stored, 2 * 3 * (1 + 18 + 2));
  assert.equal(data.runs.length, stored);
});

test('per-gate spread: Narang spreads its zeros over the gates, AGP keeps them even', () => {
  const g = gateFindings(data);
  const spread = (cell: string, method: string) => g.find((x) => x.cell === cell && x.method === method)!.spread;
  close(spread('lstm', 'narang'), 3 * 0.06, 'narang spread');
  close(spread('lstm', 'agp'), 3 * 0.01, 'agp spread');
  assert.equal(g.find((x) => x.cell === 'lstm' && x.method === 'agp')!.gates.length, 8, 'ih and hh gates, no biases');
});

test('the conclusions say what the data says', () => {
  const cs = conclusions(data);
  const text = cs.map((c) => c.text);
  const has = (re: RegExp) => assert.ok(text.some((t) => re.test(t)), `no conclusion matches ${re}:\n${text.join('\n')}`);
  // Paired AGP − Narang over the three targets: AGP ahead at 0.8 and 0.9 on every target, Narang at 0.5.
  has(/LSTM: AGP clearly better at 80%, 90%, Narang clearly better at 50%; GRU: AGP clearly better at 80%, 90%, Narang clearly better at 50%\.$/);
  has(/^cost of pruning hh − cost of pruning ih, paired by seed: LSTM \+1\.\d\d ± 0\.\d\d points \(n = 18, hh clearly costlier\)/);
  // Within 1%: AGP both @0.8 (+0.75%) cuts the most; within 2% Narang both @0.8 (+1.5%), whose kernels end above 80%.
  has(/^largest cut of recurrent non-zeros — LSTM: AGP on both at 80% \(80\.0% fewer recurrent non-zeros/);
  has(/^largest cut of recurrent non-zeros — LSTM: Narang on both at 80% \(80\.5% fewer recurrent non-zeros/);
  // Small dense 2.10 loses to both methods at 0.8, 2.05 beats both at 0.9: 3 of 6 paired comparisons each.
  has(/LSTM: AGP 3 of 6, Narang 3 of 6; GRU: AGP 3 of 6, Narang 3 of 6\.$/);
  has(/^sparsity reached − target, mean over runs: ih \+1\.00 ± 0\.01 points/);
  has(/Zhu & Gupta 2017, “Large-sparse models beat small-dense models with the same number of non-zeros”: partly\.$/);
  has(/^LSTM at 90% \(both\): AGP's per-gate sparsity spans 3\.0 points across gates, Narang's 18\.0/);
  // One or two bullets per question, none for the vanilla-RNN-free gate finding beyond one per cell.
  const per = (section: string) => cs.filter((c) => c.section === section).length;
  for (const q of ['q-methods', 'q-targets', 'q-small-dense', 'q-calibration', 'q-claims']) assert.equal(per(q), 1, q);
  assert.equal(per('q-tolerance'), 2);
  // Change a number, the conclusion changes: drop AGP both @0.8 for LSTM; Narang both @0.5 (ends 50.5% sparse) is next.
  const fewer = { ...data, runs: data.runs.filter((r) => !(r.cell === 'lstm' && r.method === 'agp' && r.target === 'both' && r.sparsity === 0.8)) };
  const within1 = conclusions(fewer).find((c) => c.id === 'tolerance:0.01')!.text;
  assert.match(within1, /^largest cut of recurrent non-zeros — LSTM: Narang on both at 50% \(50\.5% fewer recurrent non-zeros/);
});

/** A section as plain text: title, intro, bullets and every table cell. */
const sectionText = (s: Section) => [s.title, s.intro, ...(s.bullets ?? []), ...s.tables.flatMap((t) => [...t.header, ...t.rows.flat()])].join('\n');

test("the Conclusions repeat the questions' numbers and link to them", () => {
  const report = buildReport(data);
  const sections = new Map(report.sections.map((s) => [s.id, s]));
  const bullets = sections.get('conclusions')!.bullets!;
  assert.ok(bullets.length >= 8, bullets.join('\n'));
  const linked = new Set<string>();
  for (const b of bullets) {
    const m = /^\[([^\]]+)\]\(#([a-z-]+)\): (.*)$/.exec(b);
    assert.ok(m, `a conclusion starts with a link to its section: ${b}`);
    const target = sections.get(m[2]);
    assert.ok(target, `#${m[2]} is a section of the report`);
    linked.add(m[2]);
    if (!m[2].startsWith('q-')) continue;
    // Every number the summary states (a mean ± its interval, a percentage, a count) is in its question's section.
    const text = sectionText(target);
    const numbers = m[3].match(/[+−]?\d+(?:\.\d+)?(?: ± \d+(?:\.\d+)?)?[%×]?/g) ?? [];
    assert.ok(numbers.length > 0, b);
    for (const n of numbers) assert.ok(text.includes(n), `"${n}" of the conclusion\n  ${b}\nis not in section #${m[2]}`);
  }
  for (const q of report.sections.filter((s) => s.id.startsWith('q-'))) assert.ok(linked.has(q.id), `a conclusion links to #${q.id}`);
  // The interval of the hh − ih summary is the q-targets table's, character for character.
  const targetsRow = sections.get('q-targets')!.tables[0].rows.find((r) => r[0] === 'LSTM')!;
  assert.ok(bullets.some((b) => b.includes(`LSTM ${targetsRow[3]} points (n = ${targetsRow[4]}`)), targetsRow.join(' | '));
});

test('tables stay compact at full size: a pivot per cell for ih vs hh, complexity per cell with the methods together', () => {
  const report = buildReport({ ...data, spec: { schedule: { end: 0.4 } } });
  const sec = (id: string) => report.sections.find((s) => s.id === id)!;
  // ih vs hh: per cell, rows = method × target, a column per sparsity, "mean ± 95% (change vs dense)".
  const targets = sec('targets').tables;
  assert.deepEqual(targets.map((t) => t.title), ['LSTM: test bpc (dense 2.000 ± 0.025)', 'GRU: test bpc (dense 2.100 ± 0.025)']);
  const lstm = targets[0];
  assert.deepEqual(lstm.header, ['method', 'target', '50%', '80%', '90%']);
  assert.equal(lstm.rows.length, 2 * 3, 'AGP and Narang × ih, hh, both');
  // Seeds ±0.01: half-width t(0.975, 2) · 0.01 / √3 = 0.0248.
  assert.deepEqual(lstm.rows.find((r) => r[0] === 'AGP' && r[1] === 'hh'), ['AGP', 'hh', '2.015 ± 0.025 (+0.8%)', '2.030 ± 0.025 (+1.5%)', '2.050 ± 0.025 (+2.5%)']);
  // At a glance: one table, a row per cell and method at each sparsity of ih + hh, the dense
  // metric once per cell; its cells are the targets table's "both" rows, character for character.
  const [glance, ...more] = sec('glance').tables;
  assert.equal(more.length, 0);
  assert.deepEqual(glance.header, ['cell', 'dense test bpc', 'method', '50%', '80%', '90%']);
  assert.deepEqual(glance.rows.map((r) => r.slice(0, 3)), [['LSTM', '2.000 ± 0.025', 'AGP'], ['', '', 'Narang'], ['GRU', '2.100 ± 0.025', 'AGP'], ['', '', 'Narang']]);
  for (const [i, t] of targets.entries()) {
    for (const m of ['AGP', 'Narang']) {
      const both = t.rows.find((r) => r[0] === m && r[1] === 'both')!;
      assert.deepEqual(glance.rows.filter((r) => r[2] === m)[i].slice(3), both.slice(2), `${t.title} ${m}`);
    }
  }
  // Complexity: a table per cell; dense, the 2 small dense sizes, 3 targets × 3 sparsities; no row per method.
  const cx = sec('complexity').tables;
  assert.deepEqual(cx.map((t) => t.title), ['LSTM', 'GRU']);
  assert.equal(cx[0].rows.length, 1 + 2 + 9);
  assert.ok(!cx[0].header.includes('method'));
  const both80 = cx[0].rows.find((r) => r[0] === 'both' && r[1] === '80%')!;
  // AGP keeps 410 + 819 of 2,048 + 4,096; Narang's kernels end 1 and 0.2 points sparser: 389 + 811.
  assert.equal(both80[cx[0].header.indexOf('recurrent non-zeros')], '1,200–1,229');
  const hh90 = cx[0].rows.find((r) => r[0] === 'hh' && r[1] === '90%')!;
  assert.equal(hh90[cx[0].header.indexOf('params')], '7,252', 'equal across methods: shown once');
  // Small dense: each size with the configuration it matches and its test metric.
  assert.deepEqual(sec('small-dense').tables.map((t) => t.title), ['LSTM: test bpc (dense 2.000 ± 0.025)', 'GRU: test bpc (dense 2.100 ± 0.025)']);
  assert.deepEqual(sec('small-dense').tables[0].rows, [['13', 'both 80%', '1,508', '2.100 ± 0.025', '+5.0%'], ['8', 'both 90%', '768', '2.050 ± 0.025', '+2.5%']]);
  // Training speed: per cell and target, a column per sparsity; per CPU second first (the
  // fixture's pruned epochs take 1 − s/2 of dense's CPU time; seed 3 recorded none, so n = 2
  // methods × 2 seeds), then per wall-clock second (50,000 tokens/s everywhere: 1.00×, n 6).
  const [cpu, wall] = sec('q-speed').tables;
  assert.match(cpu.title!, /CPU second/);
  assert.match(wall.title!, /wall-clock/);
  for (const t of [cpu, wall]) {
    assert.deepEqual(t.header, ['cell', 'target', '50%', '80%', '90%']);
    assert.equal(t.rows.length, 2 * 3);
  }
  assert.deepEqual(cpu.rows[0].slice(2), ['1.33× ± 0.00 (n 4)', '1.67× ± 0.00 (n 4)', '1.82× ± 0.00 (n 4)']);
  assert.equal(wall.rows[0][2], '1.00× ± 0.00 (n 6)');
  assert.match(sec('q-speed').intro, /72 of 108 pairs have CPU time/);
  assert.match(sec('q-speed').bullets[0], /at 90% of \w+, 1\.82× ± 0\.00 of dense \(n = 4; tokens per CPU second\)/);
  // Both layouts name each table.
  const md = renderMarkdown(report, 'now');
  assert.match(md, /\*\*LSTM: test bpc \(dense 2\.000 ± 0\.025\)\*\*\n\n\| method \| target \| 50% \| 80% \| 90% \|/);
  assert.match(renderHtml(report, 'now'), /<h3>LSTM: test bpc \(dense 2\.000 ± 0\.025\)<\/h3><div class="table-tools">/);
});

test('ih vs hh bars pair each run with the dense run of its seed: the whiskers are the spread of the change', () => {
  const fig = buildReport(data).sections.find((s) => s.id === 'targets')!.figures.find((f) => f.title === 'LSTM, AGP: ih vs hh vs both')!;
  const tips = tipsOf(fig.svg).map((t) => new Map(t));
  const bar = tips.find((t) => t.get('series') === 'hh' && t.get('sparsity') === '80%')!;
  const [mean, half] = [...bar.entries()].find(([k]) => k.startsWith('test bpc'))![1].split(' ± ').map(Number);
  // Seeds 2.020 / 2.030 / 2.040 against dense 1.990 / 2.000 / 2.010: +1.508%, +1.500%, +1.493%,
  // half-width t(0.975, 2) · 0.0075 / √3 = 0.019 (against the dense mean it would be 1.24).
  close(mean, 1.5, 'mean change', 1e-3);
  close(half, 0.0186, 'half-width', 1e-3);
});

test('report files: HTML with inline SVG plots, Markdown with PNG + SVG figures', async () => {
  const files = await writeReport(dir, { now: '2026-01-01T00:00:00Z' });
  const html = fs.readFileSync(files.html, 'utf8');
  const report = buildReport(data);
  const figures = report.sections.flatMap((s) => s.figures);
  // 2 cells × (sparsity, gates, schedule, training, small-dense) + 2 cells × 2 methods (targets)
  assert.equal(figures.length, 2 * 5 + 4);
  assert.equal((html.match(/<svg /g) ?? []).length, figures.length);
  for (const id of ['conclusions', 'glance', 'sparsity', 'targets', 'gates', 'schedules', 'training', 'small-dense', 'complexity', 'runs']) assert.ok(html.includes(`<section id="${id}">`), id);
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.deepEqual(scripts, ['<script>'], 'one inline script (tooltips, sortable tables), none loaded');
  const page = html.replace(/<script>[\s\S]*<\/script>/, '');
  assert.ok(!/NaN|undefined/.test(page), 'no NaN / undefined in the page');
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), 'self-contained: no remote resources');
  // Every point and bar carries its values for the tooltip.
  const tips = tipsOf(html);
  assert.ok(tips.length > 50, `${tips.length} marks with tooltips`);
  const sparse = tips.find((t) => t.some(([k, v]) => k === 'method' && v === 'AGP') && t.some(([k]) => k === '95% interval'));
  assert.ok(sparse, 'an AGP point with its interval');
  for (const k of ['cell', 'method', 'target', 'sparsity', 'seeds']) assert.ok(sparse.some(([key]) => key === k), k);
  assert.match(html, /<li><a href="#q-tolerance">Within 1% of dense<\/a>: largest cut of recurrent non-zeros — LSTM: AGP on both at 80%/);
  // Bands (95% intervals) and bars are drawn.
  assert.ok((html.match(/class="band"/g) ?? []).length > 0);
  assert.ok((html.match(/class="bar"/g) ?? []).length > 0);
  const md = fs.readFileSync(files.markdown, 'utf8');
  const pngs = [...md.matchAll(/!\[[^\]]*\]\((figures\/[^)]+\.png)\)/g)].map((m) => m[1]);
  assert.equal(pngs.length, figures.length);
  for (const p of pngs) {
    const buf = fs.readFileSync(path.join(files.dir, p));
    assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${p} is a PNG`);
    assert.ok(fs.existsSync(path.join(files.dir, p.replace(/\.png$/, '.svg'))));
  }
  assert.match(md, /\| cell \| method \| target \| sparsity \|/);
});

test('svg module: ticks, legend, bands, bars, escaping', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(1.93, 2.11, 4), [1.95, 2, 2.05, 2.1]);
  const svg = lineChart({ title: 'a < b', xLabel: 'x', yLabel: 'y', series: [{ name: 's&t', points: [{ x: 0, y: 1, lo: 0.5, hi: 1.5 }, { x: 1, y: 2, lo: 1.5, hi: 2.5 }] }], refLines: [{ name: 'ref', y: 1.5 }] });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /a &lt; b/);
  assert.match(svg, /s&amp;t/);
  assert.match(svg, /class="band"/);
  assert.match(svg, /stroke-dasharray="6 4"/);
  const bars = barChart({ title: 't', yLabel: 'y', groups: ['g1', 'g2'], series: [{ name: 'a', values: [{ y: 1 }, null] }, { name: 'b', values: [{ y: -1, lo: -2, hi: 0 }, { y: 2 }] }] });
  assert.equal((bars.match(/class="bar"/g) ?? []).length, 3);
});

test('runs of an earlier spec (not in the current plan) are left out of the report', async () => {
  const { Store } = await import('../../src/study/store.js');
  const d2 = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-stale-'));
  writeFixtureStudy(d2);
  const keep = data.runs.filter((r) => r.cell === 'lstm');
  const s = Store.open(d2);
  try {
    s.setPlan(keep.map((r) => ({ id: r.id, task: r.task, cell: r.cell as 'lstm', method: r.method as 'dense', target: r.target as null, sparsity: r.sparsity, seed: r.seed, hidden: r.hidden, recurrentNonZeros: r.recNonzeros, totalSteps: r.steps, train: {} as never })));
  } finally {
    s.close();
  }
  const d = loadStudy(d2);
  assert.equal(d.runs.length, keep.length);
  assert.equal(d.stale, data.runs.length - keep.length);
  assert.match(buildReport(d).facts[0], new RegExp(`${d.stale} stored runs of an earlier version of the spec are left out`));
  // Its plan (the LSTM half: 21 configurations × 3 seeds) is complete.
  assert.equal(buildReport(d).facts[1], 'Every planned run finished: each of the 21 configurations has all its seeds (1, 2, 3).');
});

test('the summary says whether every configuration has all its seeds', async () => {
  // No plan in the fixture store: each configuration is held to every seed the study used.
  assert.equal(buildReport(data).facts[1], 'each of the 42 configurations has all its seeds (1, 2, 3).');
  // A plan with one seed of one configuration not stored.
  const { Store } = await import('../../src/study/store.js');
  const d2 = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-grid-'));
  writeFixtureStudy(d2);
  const s = Store.open(d2);
  try {
    const plan = data.runs.map((r) => ({ id: r.id, task: r.task, cell: r.cell as 'lstm', method: r.method as 'dense', target: r.target as null, sparsity: r.sparsity, seed: r.seed, hidden: r.hidden, recurrentNonZeros: r.recNonzeros, totalSteps: r.steps, train: {} as never }));
    s.setPlan([...plan, { ...plan[0], id: 'notstoredyet', seed: 4 }]);
  } finally {
    s.close();
  }
  const facts = buildReport(loadStudy(d2)).facts;
  assert.match(facts[0], /of 127 planned \(1 not finished/);
  assert.equal(facts[1], '41 of 42 configurations have all their seeds (1, 2, 3, 4); the other 1 lacks some.');
});

test('the summary describes a classifier by whole sequences, a language model by rows × bptt', () => {
  const cfg = { data: { name: 'mnist' }, model: { hidden: 128 }, epochs: 6, batch: 64, bptt: 100 };
  const cls = describeTask('mnist-128', cfg, 5154, 'accuracy');
  assert.match(cls, /6 epochs of batch 64 sequences \(5154 steps\); metric: test accuracy \(higher is better\)/);
  assert.doesNotMatch(cls, /× 100/);
  const lm = describeTask('moby', { ...cfg, data: { name: 'moby-dick', level: 'char' }, model: { hidden: 256, embedDim: 64 }, batch: 32 }, 2052, 'bpc');
  assert.match(lm, /moby-dick \(char\); hidden 256, embedding 64, 1 layer\(s\); 6 epochs of batch 32 × 100 \(2052 steps\); metric: test bpc \(lower is better\)/);
});
