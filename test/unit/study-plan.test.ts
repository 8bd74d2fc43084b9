// Study specs, presets and grid expansion: counts, stable ids, small-dense sizing,
// generated recipes, and validation messages that name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStudySpec, parseStudyText, presetSpec, type StudySpec } from '../../src/study/spec.js';
import { expandStudy, recipeFor, recurrentKept, smallDenseHidden, runId, canonicalJson } from '../../src/study/plan.js';
import { loadDataset } from '../../src/data/index.js';
import { loadRecipe } from '../../src/prune/recipe.js';
import { createPruner } from '../../src/prune/pruner.js';
import { specFor } from '../../src/train/trainer.js';
import { buildLayout } from '../../src/model/layout.js';
import { SparseRnnError } from '../../src/errors.js';

const ds = loadDataset('synthetic-lm', { limit: 4000 });
const datasetFor = () => ds;

const RAW = {
  name: 'unit',
  tasks: [{ name: 'syn', data: { name: 'synthetic-lm', limit: 4000 }, model: { hidden: 16, embedDim: 8 }, epochs: 2, batch: 8, bptt: 20 }],
  cells: ['rnn', 'lstm', 'gru'],
  methods: ['dense', 'oneShot', 'agp', 'narang'],
  targets: ['ih', 'hh', 'both'],
  sparsities: [0.5, 0.9],
  seeds: [1, 2],
  smallDense: ['both'],
};
const spec = (over: Record<string, unknown> = {}): StudySpec => parseStudySpec({ ...RAW, ...over });

test('grid counts: dense + methods × targets × sparsities + small-dense, per cell and seed', () => {
  const plans = expandStudy(spec(), datasetFor);
  // per (cell, seed): 1 dense + 3 methods × 3 targets × 2 sparsities + 2 small-dense
  assert.equal(plans.length, 3 * 2 * (1 + 18 + 2));
  const count = (m: string) => plans.filter((p) => p.method === m).length;
  assert.deepEqual([count('dense'), count('oneShot'), count('agp'), count('narang'), count('smallDense')], [6, 36, 36, 36, 12]);
  assert.equal(new Set(plans.map((p) => p.id)).size, plans.length, 'ids are unique');
  for (const p of plans) {
    assert.equal(p.train.threads, 1);
    assert.equal(p.train.seed, p.seed);
    assert.equal(p.train.model.cell, p.cell);
    assert.equal(!!p.train.recipe, p.method !== 'dense' && p.method !== 'smallDense');
  }
  // Without small-dense and with one seed: 3 × (1 + 18).
  assert.equal(expandStudy(spec({ smallDense: false, seeds: [7] }), datasetFor).length, 3 * 19);
});

test('run ids are stable, order-independent, and change with the config', () => {
  const a = expandStudy(spec(), datasetFor);
  const b = expandStudy(spec(), datasetFor);
  assert.deepEqual(a.map((p) => p.id), b.map((p) => p.id));
  const reordered = expandStudy(spec({ cells: ['gru', 'lstm', 'rnn'], seeds: [2, 1], sparsities: [0.9, 0.5] }), datasetFor);
  assert.deepEqual(new Set(reordered.map((p) => p.id)), new Set(a.map((p) => p.id)));
  // A sub-grid's runs are the same runs.
  const sub = expandStudy(spec({ cells: ['lstm'], methods: ['dense', 'agp'], seeds: [1], smallDense: false }), datasetFor);
  for (const p of sub) assert.ok(a.some((q) => q.id === p.id), `${p.method} ${p.target} ${p.sparsity} in the full grid`);
  // Any change to the training config gives new ids.
  const other = expandStudy(parseStudySpec({ ...RAW, tasks: [{ ...RAW.tasks[0], optimizer: { lr: 0.01 } }] }), datasetFor);
  assert.equal(other.filter((p) => a.some((q) => q.id === p.id)).length, 0);
  // The id is a hash of method + canonical config, independent of key order.
  const p = a[0];
  assert.equal(runId(p.method, p.train), p.id);
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }), '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  assert.match(p.id, /^[0-9a-f]{12}$/);
});

test('small-dense baselines: hidden size whose dense recurrent weights ≈ the sparse model\'s non-zeros', () => {
  const plans = expandStudy(spec(), datasetFor);
  // LSTM, H 16, E 8: ih [8, 64] = 512, hh [16, 64] = 1024. both@0.5 keeps 256 + 512 = 768.
  // Dense recurrent weights at h: 4h(8 + h): h = 10 → 720 (off by 48), h = 11 → 836 (off by 68) → 10.
  const lstm = plans.filter((p) => p.cell === 'lstm' && p.seed === 1 && p.method === 'smallDense');
  const at05 = lstm.find((p) => p.matches!.some((m) => m.sparsity === 0.5))!;
  assert.equal(at05.hidden, 10);
  assert.equal(at05.recurrentNonZeros, 720);
  assert.equal(at05.train.model.embedDim, 8, 'the embedding width stays the task\'s');
  // both@0.9 keeps round(51.2) + round(102.4) = 51 + 102 = 153: h = 3 → 132, h = 4 → 192 → 3.
  const at09 = lstm.find((p) => p.matches!.some((m) => m.sparsity === 0.9))!;
  assert.equal(at09.hidden, 3);
  const large = specFor(plans.find((p) => p.cell === 'lstm' && p.method === 'dense')!.train, ds);
  assert.equal(recurrentKept(large, 'both', 0.5), 768);
  assert.equal(recurrentKept(large, 'ih', 0.5), 256 + 1024);
  assert.equal(recurrentKept(large, 'hh', 0.9), 512 + 102);
  assert.equal(recurrentKept(large, null, 0), 1536);
  assert.equal(smallDenseHidden((h) => ({ ...large, hidden: h }), 16, 768), 10);
  // RNN (G = 1): both@0.5 keeps 64 + 128 = 192; h(8 + h): h = 10 → 180, h = 11 → 209 → 10.
  assert.equal(plans.find((p) => p.cell === 'rnn' && p.method === 'smallDense' && p.matches!.some((m) => m.sparsity === 0.5))!.hidden, 10);
  // Two sparse models that size alike share one small-dense run.
  const merged = expandStudy(spec({ sparsities: [0.5, 0.51], cells: ['lstm'], seeds: [1] }), datasetFor).filter((p) => p.method === 'smallDense');
  assert.equal(merged.length, 1);
  assert.deepEqual(merged[0].matches!.map((m) => m.sparsity), [0.5, 0.51]);
});

test('generated recipes: valid, in steps, hitting the target on a pruning step', () => {
  const s = spec().schedule; // begin 0.1, end 0.6, every 0.025, rampAt 0.2, oneShotAt 0.5
  const agp = recipeFor('agp', 'both', 0.8, s, 400).pruning as Record<string, unknown>[];
  assert.deepEqual(agp[0], { select: ['rnn.*.ih', 'rnn.*.hh'], method: 'agp', initialSparsity: 0, finalSparsity: 0.8, beginStep: 40, endStep: 240, frequency: 10, power: 3 });
  const narang = recipeFor('narang', 'hh', 0.9, s, 400).pruning as Record<string, unknown>[];
  assert.deepEqual(narang[0], { select: ['rnn.*.hh'], method: 'narang', startStep: 40, rampStep: 80, endStep: 241, frequency: 10, q: 'auto', rampSlopeMult: 2, targetSparsity: 0.9 });
  const one = recipeFor('oneShot', 'ih', 0.5, s, 400).pruning as Record<string, unknown>[];
  assert.deepEqual(one[0], { select: ['rnn.*.ih'], method: 'oneshot', sparsity: 0.5, step: 200 });
  // Window not a multiple of the frequency: end snaps back to the last pruning step.
  const odd = recipeFor('agp', 'ih', 0.5, s, 97).pruning as { beginStep: number; endStep: number; frequency: number }[];
  assert.equal((odd[0].endStep - odd[0].beginStep) % odd[0].frequency, 0);
  // Every plan's recipe loads and builds a pruner for its model.
  for (const p of expandStudy(spec({ seeds: [1] }), datasetFor).filter((q) => q.train.recipe)) {
    const m = specFor(p.train, ds);
    const pruner = createPruner(loadRecipe(p.train.recipe!), m, buildLayout(m), { stepsPerEpoch: 10 });
    assert.ok(pruner);
  }
});

test('spec validation names the field and the rule', () => {
  const msg = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof SparseRnnError, String(e));
      assert.equal(e.code, 'BAD_CONFIG');
      return e.message;
    }
    return assert.fail('expected an error');
  };
  assert.match(msg(() => spec({ tasks: [{ ...RAW.tasks[0], epochs: 0 }] })), /^tasks\[0\]\.epochs must be an integer >= 1 \(got 0\)/);
  assert.match(msg(() => spec({ cells: ['lstm', 'lsmt'] })), /^cells\[1\] must be one of rnn, lstm, gru \(got "lsmt"\)/);
  assert.match(msg(() => spec({ sparsity: [0.5] })), /^sparsity is not a field here/);
  assert.match(msg(() => spec({ sparsities: [0.5, 1] })), /^sparsities\[1\] must be in \(0, 1\) \(got 1\)/);
  assert.match(msg(() => spec({ seeds: [1, 1] })), /^seeds\[1\] repeats an earlier item/);
  assert.match(msg(() => spec({ schedule: { begin: 0.5, end: 0.4 } })), /^schedule\.end must be > schedule\.begin 0\.5/);
  assert.match(msg(() => spec({ smallDense: ['ih'], targets: ['hh'] })), /^smallDense\[0\] must be one of the study's targets/);
  assert.match(msg(() => spec({ tasks: [{ ...RAW.tasks[0], model: { hidden: 16, hiden: 3 } }] })), /^tasks\[0\]\.model\.hiden is not a field here/);
  assert.match(msg(() => spec({ extends: 'fast' })), /^extends must name a preset/);
  assert.match(msg(() => parseStudyText('name: [')), /not valid YAML/);
});

test('presets: quick covers both techniques, all cells and targets; paper is the full grid', () => {
  const q = presetSpec('quick');
  assert.deepEqual(q.cells, ['rnn', 'lstm', 'gru']);
  for (const m of ['dense', 'agp', 'narang'] as const) assert.ok(q.methods.includes(m));
  assert.deepEqual(q.targets, ['ih', 'hh', 'both']);
  assert.equal(q.tasks[0].data.name, 'moby-dick');
  const p = presetSpec('paper');
  assert.ok(p.seeds.length >= 3);
  assert.equal(p.sparsities[0], 0.5);
  assert.equal(p.sparsities[p.sparsities.length - 1], 0.95);
  assert.deepEqual([...p.methods].sort(), ['agp', 'dense', 'narang', 'oneShot']);
  assert.deepEqual(p.smallDense, ['ih', 'hh', 'both']);
  // A spec can start from a preset.
  const e = parseStudySpec({ extends: 'quick', name: 'mine', seeds: [5] });
  assert.deepEqual(e.seeds, [5]);
  assert.deepEqual(e.cells, q.cells);
});
