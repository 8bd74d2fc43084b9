// The report from a fixture store with known numbers (src/report/fixture.ts): the
// conclusions it computes, checked by hand, and the files it writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFixtureStudy } from '../../src/report/fixture.js';
import { loadStudy } from '../../src/report/data.js';
import { conclusions, gateFindings, methodFindings, smallDenseFindings, targetFindings, toleranceFindings } from '../../src/report/analysis.js';
import { buildReport } from '../../src/report/build.js';
import { writeReport } from '../../src/report/index.js';
import { barChart, lineChart, niceTicks } from '../../src/report/svg.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-'));
const stored = writeFixtureStudy(dir);
const data = loadStudy(dir);
const close = (a: number, b: number, what: string, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('fixture: 2 cells × 3 seeds × (dense + 2 methods × 3 targets × 3 sparsities + 2 small dense)', () => {
  assert.equal(stored, 2 * 3 * (1 + 18 + 2));
  assert.equal(data.runs.length, stored);
});

test('highest sparsity within 1% of dense, per cell and method', () => {
  const f = toleranceFindings(data);
  const get = (cell: string, method: string, target: string) => f.find((x) => x.cell === cell && x.method === method && x.target === target)!;
  // LSTM dense 2.000: agp both 2.010 (+0.5%), 2.015 (+0.75%), 2.060 (+3%) → 0.8.
  assert.equal(get('lstm', 'agp', 'both').sparsity, 0.8);
  close(get('lstm', 'agp', 'both').value, 2.015, 'agp both @0.8', 1e-12);
  close(get('lstm', 'agp', 'both').worseBy, 0.0075, 'worse by', 1e-12);
  // narang both 2.005 (+0.25%), 2.030 (+1.5%) → 0.5.
  assert.equal(get('lstm', 'narang', 'both').sparsity, 0.5);
  assert.equal(get('lstm', 'agp', 'ih').sparsity, 0.9); // 2.019: +0.95%
  assert.equal(get('lstm', 'agp', 'hh').sparsity, 0.5); // 2.015, then 2.030
  assert.equal(get('lstm', 'narang', 'hh').sparsity, 0.5); // 2.012, then 2.040
  // GRU: every number + 0.1, dense 2.1: agp both 2.115 (+0.71%) and 2.16 (+2.9%) → 0.8.
  assert.equal(get('gru', 'agp', 'both').sparsity, 0.8);
  assert.equal(get('gru', 'narang', 'both').sparsity, 0.5);
  // Both ih and hh pruned to 80% keep 20% of 6,144 recurrent weights (LSTM: ih 16·128, hh 32·128).
  close(get('lstm', 'agp', 'both').recReduction, 1 - (410 + 819) / 6144, 'reduction');
});

test('ih vs hh, AGP vs Narang, large-sparse vs small-dense, per-gate spread', () => {
  const t = targetFindings(data);
  assert.equal(t.length, 4); // 2 cells × 2 methods
  for (const x of t) {
    assert.equal(x.sparsity, 0.9);
    assert.equal(x.costlier, 'hh');
  }
  const lstmAgp = t.find((x) => x.cell === 'lstm' && x.method === 'agp')!;
  close(lstmAgp.ih, 0.0095, 'ih', 1e-12);
  close(lstmAgp.hh, 0.025, 'hh', 1e-12);

  // Per cell, 9 comparisons: Narang wins ih@0.5 (2.004 < 2.005), hh@0.5 (2.012 < 2.015), both@0.5 (2.005 < 2.010).
  const m = methodFindings(data);
  assert.equal(m.length, 18);
  assert.equal(m.filter((x) => x.better === 'agp').length, 12);
  assert.deepEqual(m.filter((x) => x.better === 'narang').map((x) => x.sparsity), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  // Seeds ±0.01 → sd 0.01, half-width t(0.975, 2)·0.01/√3 = 0.02484: no difference here exceeds 2 × that.
  close(m[0].agp.half, 4.302652730 * 0.01 / Math.sqrt(3), 'half-width', 1e-7);
  assert.equal(m.filter((x) => x.separated).length, 0);

  // Small dense 2.10 loses to both methods at 0.8; 2.05 beats both at 0.9.
  const s = smallDenseFindings(data);
  assert.equal(s.length, 8);
  assert.deepEqual(s.filter((x) => x.sparseWins).map((x) => x.sparsity), [0.8, 0.8, 0.8, 0.8]);

  const g = gateFindings(data);
  const spread = (cell: string, method: string) => g.find((x) => x.cell === cell && x.method === method)!.spread;
  close(spread('lstm', 'narang'), 3 * 0.06, 'narang spread');
  close(spread('lstm', 'agp'), 3 * 0.01, 'agp spread');
  assert.equal(g.find((x) => x.cell === 'lstm' && x.method === 'agp')!.gates.length, 8, 'ih and hh gates, no biases');
});

test('the conclusions say what the data says', () => {
  const text = conclusions(data).map((c) => c.text);
  const has = (re: RegExp) => assert.ok(text.some((t) => re.test(t)), `no conclusion matches ${re}:\n${text.join('\n')}`);
  has(/^LSTM, AGP \(both\): up to 80% sparsity within 1% of dense \(test bpc 2\.015 vs 2\.000, \+0\.8%\)/);
  has(/^LSTM, Narang \(both\): up to 50% sparsity within 1% of dense/);
  has(/^GRU, AGP \(both\): up to 80% sparsity/);
  has(/^LSTM: the largest cut within 1% of dense is AGP on both at 80%: 80\.0% fewer recurrent non-zeros/);
  has(/costs more than pruning input-to-hidden \(ih\) weights in 4 of 4 cell × method pairs/);
  has(/^AGP beats Narang in 12 of 18 comparisons .*\(Narang wins 6\); in 0 of them the 95% intervals do not overlap/);
  has(/the large sparse model beats the small dense one in 4 of 8 comparisons/);
  has(/^LSTM at 90% \(both\): AGP's per-gate sparsity spans 3\.0 points across gates, Narang's 18\.0/);
  // Change a number, the conclusion changes: drop AGP both @0.8 for LSTM.
  const fewer = { ...data, runs: data.runs.filter((r) => !(r.cell === 'lstm' && r.method === 'agp' && r.target === 'both' && r.sparsity === 0.8)) };
  assert.ok(conclusions(fewer).some((c) => /^LSTM, AGP \(both\): up to 50% sparsity/.test(c.text)));
});

test('report files: HTML with inline SVG plots, Markdown with PNG + SVG figures', async () => {
  const files = await writeReport(dir, { now: '2026-01-01T00:00:00Z' });
  const html = fs.readFileSync(files.html, 'utf8');
  const report = buildReport(data);
  const figures = report.sections.flatMap((s) => s.figures);
  // 2 cells × (sparsity, gates, schedule, training, small-dense) + 2 cells × 2 methods (targets)
  assert.equal(figures.length, 2 * 5 + 4);
  assert.equal((html.match(/<svg /g) ?? []).length, figures.length);
  for (const id of ['conclusions', 'sparsity', 'targets', 'gates', 'schedules', 'training', 'small-dense', 'complexity', 'runs']) assert.ok(html.includes(`<section id="${id}">`), id);
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.deepEqual(scripts, ['<script>'], 'one inline script (tooltips, sortable tables), none loaded');
  const page = html.replace(/<script>[\s\S]*<\/script>/, '');
  assert.ok(!/NaN|undefined/.test(page), 'no NaN / undefined in the page');
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), 'self-contained: no remote resources');
  // Every point and bar carries its values for the tooltip.
  const tips = [...html.matchAll(/data-tip="([^"]*)"/g)].map((m) => JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as [string, string][]);
  assert.ok(tips.length > 50, `${tips.length} marks with tooltips`);
  const sparse = tips.find((t) => t.some(([k, v]) => k === 'method' && v === 'AGP') && t.some(([k]) => k === '95% interval'));
  assert.ok(sparse, 'an AGP point with its interval');
  for (const k of ['cell', 'method', 'target', 'sparsity', 'seeds']) assert.ok(sparse.some(([key]) => key === k), k);
  assert.match(html, /up to 80% sparsity within 1% of dense/);
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
});
