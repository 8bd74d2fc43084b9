/**
 * Recipes (validation with the field path and the rule; loading) and the Pruner
 * (events, epochs → steps, lastPruneStep, state/restore makes resume exact).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSpec, type CellType, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout } from '../../src/model/layout.js';
import { SparseRnnError } from '../../src/errors.js';
import { createPruner, loadRecipe, type Pruner } from '../../src/prune/pruner.js';
import { parseRecipe, parseRecipeText, recipesDir, recipeToJSON } from '../../src/prune/recipe.js';
import { selectGroups } from '../../src/prune/groups.js';
import { keepCount, weightSparsity } from '../../src/prune/mask.js';

function setup(partial: Partial<ModelSpec> = {}, seed = 5) {
  const spec = defaultSpec({ inputSize: 13, outputSize: 9, hidden: 8, embedDim: 6, layers: 2, cell: 'lstm', ...partial });
  const layout = buildLayout(spec);
  let s = seed;
  const r = () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
  const params = new Float32Array(layout.total).map(() => r() * 2 - 1);
  const mask = new Uint8Array(layout.total).fill(1);
  return { spec, layout, params, mask, r };
}

const bad = (code: 'BAD_RECIPE' | 'BAD_FILE', re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SparseRnnError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  return true;
};

/** An agp entry with overrides, as a YAML recipe of one or more entries. */
const agp = (o: Record<string, unknown> = {}) => ({
  select: 'rnn.*.ih', method: 'agp', initialSparsity: 0, finalSparsity: 0.8, beginStep: 10, endStep: 60, frequency: 10, ...o,
});
const narang = (o: Record<string, unknown> = {}) => ({
  select: 'rnn.*.hh', method: 'narang', startStep: 10, rampStep: 30, endStep: 100, frequency: 10, q: 0.5, ...o,
});
const withEntries = (...entries: Record<string, unknown>[]) => ({ pruning: entries });

describe('recipe validation (field path + rule → BAD_RECIPE)', () => {
  const { spec, layout } = setup();
  const create = (obj: unknown, stepsPerEpoch = 100) => createPruner(parseRecipe(obj), spec, layout, { stepsPerEpoch });

  const cases: [string, unknown, RegExp][] = [
    ['sparsity ≥ 1', withEntries(agp(), agp({ select: 'rnn.*.hh', finalSparsity: 1.2 })), /^pruning\[1\]\.finalSparsity must be in \[0, 1\) \(got 1\.2\)$/],
    ['sparsity < 0', withEntries(agp({ initialSparsity: -0.1 })), /^pruning\[0\]\.initialSparsity must be in \[0, 1\) \(got -0\.1\)$/],
    ['oneshot sparsity 1', withEntries({ select: 'rnn.0.hh', method: 'oneshot', sparsity: 1, step: 5 }), /^pruning\[0\]\.sparsity must be in \[0, 1\)/],
    ['final below initial', withEntries(agp({ initialSparsity: 0.5, finalSparsity: 0.2 })), /^pruning\[0\]\.finalSparsity must be >= initialSparsity 0\.5 \(masks only grow\)/],
    ['end before begin (steps)', withEntries(agp({ beginStep: 50, endStep: 20 })), /^pruning\[0\]\.endStep must be > beginStep 50 \(got 20\)$/],
    ['end before begin (epochs)', withEntries(agp({ beginStep: undefined, endStep: undefined, beginEpoch: 3, endEpoch: 2 })), /^pruning\[0\]\.endEpoch must be > beginEpoch 3 \(got 2\)$/],
    ['narang ramp before start', withEntries(narang({ rampStep: 5 })), /^pruning\[0\]\.rampStep must be >= startStep 10 \(got 5\)$/],
    ['narang end before ramp', withEntries(narang({ endStep: 20 })), /^pruning\[0\]\.endStep must be >= rampStep 30 \(got 20\)$/],
    ['negative step', withEntries(agp({ beginStep: -1 })), /^pruning\[0\]\.beginStep must be an integer >= 0 \(got -1\)$/],
    ['negative epoch', withEntries(agp({ beginStep: undefined, beginEpoch: -2 })), /^pruning\[0\]\.beginEpoch must be a number >= 0 \(got -2\)$/],
    ['oneshot step 0', withEntries({ select: 'rnn.0.hh', method: 'oneshot', sparsity: 0.5, step: 0 }), /^pruning\[0\]\.step must be an integer >= 1/],
    ['frequency 0', withEntries(agp({ frequency: 0 })), /^pruning\[0\]\.frequency must be > 0 \(got 0\)$/],
    ['frequency fractional', withEntries(agp({ frequency: 2.5 })), /^pruning\[0\]\.frequency must be an integer number of steps \(got 2\.5\)$/],
    ['frequency missing', withEntries(agp({ frequency: undefined })), /^pruning\[0\]\.frequency is required/],
    ['frequency twice', withEntries(agp({ frequencyEpochs: 0.5 })), /^pruning\[0\]\.frequencyEpochs conflicts with frequency/],
    ['step and epoch both', withEntries(agp({ beginEpoch: 1 })), /^pruning\[0\]\.beginEpoch conflicts with beginStep/],
    ['time missing', withEntries(agp({ endStep: undefined })), /^pruning\[0\]\.endStep is required \(or endEpoch\)$/],
    ['unknown method', withEntries({ select: 'rnn.0.hh', method: 'lottery' }), /^pruning\[0\]\.method must be one of agp, narang, oneshot \(got "lottery"\)$/],
    ['method missing', withEntries({ select: 'rnn.0.hh' }), /^pruning\[0\]\.method is required/],
    ['unknown field', withEntries(agp({ finalSparsty: 0.5 })), /^pruning\[0\]\.finalSparsty is not a field of a agp entry \(known: select, method, .*finalSparsity/],
    ['field of another method', withEntries(agp({ q: 0.1 })), /^pruning\[0\]\.q is not a field of a agp entry/],
    ['select missing', withEntries(agp({ select: undefined })), /^pruning\[0\]\.select is required/],
    ['select empty list', withEntries(agp({ select: [] })), /^pruning\[0\]\.select must be a selector or a non-empty list/],
    ['bad granularity', withEntries(agp({ granularity: 'row' })), /^pruning\[0\]\.granularity must be weight, block or unit \(got "row"\)$/],
    ['block without sizes', withEntries(agp({ granularity: 'block' })), /^pruning\[0\]\.block is required with granularity block/],
    ['block size 0', withEntries(agp({ granularity: 'block', block: { rows: 0, cols: 4 } })), /^pruning\[0\]\.block\.rows must be an integer >= 1 \(got 0\)$/],
    ['block score', withEntries(agp({ granularity: 'block', block: { rows: 2, cols: 4, score: 'sum' } })), /^pruning\[0\]\.block\.score must be mean or max/],
    ['block without granularity', withEntries(agp({ block: { rows: 2, cols: 2 } })), /^pruning\[0\]\.block is only allowed with granularity: block$/],
    ['bad scope', withEntries(agp({ scope: 'layer' })), /^pruning\[0\]\.scope must be local or global \(got "layer"\)$/],
    ['narang with units', withEntries(narang({ granularity: 'unit' })), /^pruning\[0\]\.granularity unit needs a sparsity schedule/],
    ['narang q and target', withEntries(narang({ targetSparsity: 0.8 })), /^pruning\[0\]\.q must be left out \(or auto\) with targetSparsity/],
    ['narang target 1', withEntries(narang({ q: undefined, targetSparsity: 1 })), /^pruning\[0\]\.targetSparsity must be in \(0, 1\) \(got 1\)$/],
    ['narang q 0', withEntries(narang({ q: 0 })), /^pruning\[0\]\.q must be a number > 0 or auto \(got 0\)$/],
    ['narang calibrate without target', withEntries(narang({ calibrate: 'ramp' })), /^pruning\[0\]\.calibrate needs targetSparsity$/],
    ['narang window without a pruning step', withEntries(narang({ frequency: 1000 })), /^pruning\[0\]\.frequency leaves no pruning step/],
    ['entry not a mapping', withEntries('rnn.0.hh' as never), /^pruning\[0\] must be a mapping/],
    ['pruning not a list', { pruning: { select: 'x' } }, /^pruning must be a list of entries/],
    ['unknown top-level field', { pruning: [], schedule: 1 }, /^schedule is not a recipe field/],
  ];
  for (const [label, obj, re] of cases) {
    test(label, () => {
      // JSON round trip drops the undefined overrides, as a YAML file would not have them.
      assert.throws(() => create(JSON.parse(JSON.stringify(obj))), bad('BAD_RECIPE', re));
    });
  }

  test('unknown group → BAD_RECIPE naming the field and selector, listing valid groups', () => {
    assert.throws(() => create(withEntries(agp({ select: ['rnn.0.ih', 'rnn.7.hh'] }))), (e: unknown) => {
      bad('BAD_RECIPE', /^pruning\[0\]\.select "rnn\.7\.hh" is not a weight group of this model$/)(e);
      assert.match((e as SparseRnnError).hint!, /valid groups: embedding, rnn\.0\.ih/);
      return true;
    });
    assert.throws(() => create(withEntries(agp({ select: 'rnn.3', granularity: 'unit' }))), bad('BAD_RECIPE', /^pruning\[0\]\.select "rnn\.3" is not a layer/));
  });

  test('overlapping selections by two entries → BAD_RECIPE naming both', () => {
    assert.throws(() => create(withEntries(agp({ select: 'rnn.*.hh' }), narang({ select: 'rnn.0.hh:f' }))),
      bad('BAD_RECIPE', /^pruning\[1\]\.select selects rnn\.0\.hh:f, whose weights pruning\[0\] already prunes \(through rnn\.0\.hh\)/));
    assert.throws(() => create(withEntries(agp({ select: 'rnn.*.*' }), agp({ select: 'rnn.1.ih' }))), bad('BAD_RECIPE', /^pruning\[1\]\.select selects rnn\.1\.ih/));
    assert.throws(() => create(withEntries(agp({ select: 'rnn.0', granularity: 'unit' }), agp({ select: 'rnn.0.hh' }))), bad('BAD_RECIPE', /^pruning\[1\]\.select selects rnn\.0\.hh/));
    assert.throws(() => create(withEntries(agp({ select: ['rnn.0.hh', 'rnn.0.hh:o'] }))), bad('BAD_RECIPE', /^pruning\[0\]\.select selects the weights of rnn\.0\.hh:o twice/));
    // Disjoint gate slices and units next to the next layer's weights are fine.
    create(withEntries(agp({ select: 'rnn.0.hh:f' }), agp({ select: 'rnn.0.hh:i' })));
    create(withEntries(agp({ select: 'rnn.0', granularity: 'unit' }), agp({ select: 'rnn.1.ih' })));
  });

  test('mixed units: epochs are checked against steps once stepsPerEpoch is known', () => {
    const obj = withEntries(agp({ beginStep: undefined, beginEpoch: 2 })); // begin 200 > end 60
    assert.throws(() => create(JSON.parse(JSON.stringify(obj)), 100), bad('BAD_RECIPE', /^pruning\[0\]\.endStep must be > beginStep 200 \(got 60\) \[in steps: beginEpoch × 100 steps per epoch\]$/));
    create(JSON.parse(JSON.stringify(obj)), 20); // begin 40 < end 60: fine
  });

  test('YAML syntax errors and non-mappings', () => {
    assert.throws(() => parseRecipeText('pruning:\n  - select: [rnn.0.hh\n', 'x.yaml'), bad('BAD_RECIPE', /^x\.yaml: not valid YAML\/JSON/));
    assert.throws(() => parseRecipeText('just text'), bad('BAD_RECIPE', /^recipe must be a mapping/));
    assert.throws(() => parseRecipeText('pruning:\n  - method: agp\n    method: narang\n'), bad('BAD_RECIPE', /not valid YAML/)); // duplicate key
  });
});

describe('loading recipes', () => {
  test('file path, inline YAML, inline JSON, shipped name; missing file → BAD_FILE', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recipe-'));
    const file = path.join(dir, 'r.yaml');
    fs.writeFileSync(file, 'pruning:\n  - {select: rnn.*.hh, method: oneshot, sparsity: 0.5, step: 3}\n');
    const a = loadRecipe(file);
    const b = loadRecipe('pruning:\n  - {select: rnn.*.hh, method: oneshot, sparsity: 0.5, step: 3}\n');
    const c = loadRecipe('{"pruning": [{"select": "rnn.*.hh", "method": "oneshot", "sparsity": 0.5, "step": 3}]}');
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
    assert.equal(loadRecipe('agp-hh').pruning[0].select[0], 'rnn.*.hh');
    assert.throws(() => loadRecipe(path.join(dir, 'nope.yaml')), bad('BAD_FILE', /cannot read recipe file/));
    fs.rmSync(dir, { recursive: true });
  });

  test('recipeToJSON round-trips', () => {
    const r = loadRecipe('blocks-agp');
    assert.deepEqual(parseRecipe(JSON.parse(JSON.stringify(recipeToJSON(r)))), r);
  });

  for (const file of fs.readdirSync(recipesDir()).filter((f) => f.endsWith('.yaml'))) {
    test(`shipped recipe ${file} builds a pruner for lstm, gru and rnn, 1 and 2 layers`, () => {
      const recipe = loadRecipe(path.join(recipesDir(), file));
      for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
        for (const layers of [1, 2]) {
          const { spec, layout } = setup({ cell, layers });
          if (file === 'gates-agp.yaml' && cell !== 'lstm') {
            assert.throws(() => createPruner(recipe, spec, layout, { stepsPerEpoch: 50 }), bad('BAD_RECIPE', /unknown gate/));
            continue;
          }
          const p = createPruner(recipe, spec, layout, { stepsPerEpoch: 50 });
          assert.ok(p.lastPruneStep > 0 && p.lastPruneStep <= 5 * 50, `${file}: last prune step ${p.lastPruneStep}`);
        }
      }
    });
  }
});

describe('the Pruner', () => {
  test('agp in epochs: prunes at the converted steps, reaches the target, reports events', () => {
    const { spec, layout, params, mask } = setup();
    const recipe = loadRecipe(`pruning:
  - {select: rnn.*.ih, method: agp, finalSparsity: 0.75, beginEpoch: 1, endEpoch: 3, frequencyEpochs: 0.5}
  - {select: rnn.1.hh, method: oneshot, sparsity: 0.5, epoch: 2}`);
    const p = createPruner(recipe, spec, layout, { stepsPerEpoch: 20 });
    assert.equal(p.lastPruneStep, 60);
    const events = new Map<number, ReturnType<Pruner['step']>>();
    for (let t = 1; t <= 80; t++) {
      const ev = p.step(t, params, mask);
      if (ev) events.set(t, ev);
    }
    assert.deepEqual([...events.keys()], [20, 30, 40, 50, 60]);
    const last = events.get(60)!;
    assert.deepEqual(last.groups.map((g) => g.name), ['rnn.0.ih', 'rnn.1.ih']);
    for (const g of last.groups) {
      assert.equal(g.target, 0.75);
      const n = layout.byName.get(g.name)!.size;
      assert.equal(g.sparsity, 1 - keepCount(n, 0.75) / n);
    }
    const e40 = events.get(40)!;
    assert.deepEqual(e40.groups.map((g) => g.name), ['rnn.0.ih', 'rnn.1.ih', 'rnn.1.hh']);
    assert.equal(e40.groups[2].target, 0.5);
    assert.equal(e40.groups[0].target, 0.75 - 0.75 * 0.5 ** 3);
    // Pruned weights are exactly zero; biases and unselected groups untouched.
    for (let i = 0; i < layout.total; i++) if (!mask[i]) assert.equal(params[i], 0);
    for (const name of ['embedding', 'rnn.0.hh', 'rnn.0.bias', 'head', 'head.bias']) {
      assert.equal(weightSparsity(selectGroups(name, spec, layout), mask), 0, name);
    }
  });

  test('scope global: one threshold over the selection, events per group', () => {
    const { spec, layout, params, mask } = setup();
    const p = createPruner(loadRecipe('pruning:\n  - {select: [rnn.*.ih, rnn.*.hh], method: oneshot, sparsity: 0.6, step: 1, scope: global}'), spec, layout, { stepsPerEpoch: 10 });
    const ev = p.step(1, params, mask)!;
    assert.equal(ev.groups.length, 4);
    const groups = selectGroups('rnn.*.*', spec, layout);
    const n = groups.reduce((a, g) => a + g.size, 0);
    assert.ok(Math.abs(weightSparsity(groups, mask) - (1 - keepCount(n, 0.6) / n)) < 1e-12);
  });

  test('narang: threshold and target in the event; q auto = 90th percentile at the first pruning step', () => {
    const { spec, layout, params, mask } = setup();
    const p = createPruner(parseRecipe(withEntries(narang({ q: 'auto', select: 'rnn.0.hh' }))), spec, layout, { stepsPerEpoch: 10 });
    const g = selectGroups('rnn.0.hh', spec, layout)[0];
    const mags = Array.from(params.subarray(g.segment.offset, g.segment.offset + g.size), Math.abs).sort((a, b) => a - b);
    const q = mags[Math.ceil(0.9 * mags.length) - 1];
    const ev = p.step(20, params, mask)!;
    const theta = (2 * q * 10) / (2 * 20 + 3 * 70);
    assert.ok(Math.abs(ev.groups[0].threshold! - (theta * 11) / 10) < 1e-9);
    assert.equal((p.state() as { entries: { q: number }[][] }).entries[0][0].q, q);
  });

  test('state/restore: a resumed run prunes exactly like an uninterrupted one', () => {
    const recipe = loadRecipe(`pruning:
  - {select: rnn.*.hh, method: narang, startStep: 4, rampStep: 20, endStep: 60, frequency: 4, targetSparsity: 0.7}
  - {select: rnn.0.ih, method: narang, startStep: 4, rampStep: 20, endStep: 60, frequency: 4, q: auto, scope: global}
  - {select: rnn.1.ih, method: agp, finalSparsity: 0.6, beginStep: 8, endStep: 40, frequency: 8}`);
    const drift = (params: Float32Array, mask: Uint8Array, t: number) => {
      for (let i = 0; i < params.length; i++) if (mask[i]) params[i] *= 1 + 0.01 * Math.sin(i + t);
    };
    const a = setup({}, 9);
    const pa = createPruner(recipe, a.spec, a.layout, { stepsPerEpoch: 10 });
    let saved: { params: Float32Array; mask: Uint8Array; state: string } | null = null;
    for (let t = 1; t <= 70; t++) {
      drift(a.params, a.mask, t);
      pa.step(t, a.params, a.mask);
      if (t === 14) saved = { params: a.params.slice(), mask: a.mask.slice(), state: JSON.stringify(pa.state()) };
    }
    const b = setup({}, 9);
    const pb = createPruner(recipe, b.spec, b.layout, { stepsPerEpoch: 10 });
    pb.restore(JSON.parse(saved!.state));
    const params = saved!.params;
    const mask = saved!.mask;
    for (let t = 15; t <= 70; t++) { // the ramp recalibration (step 20) happens after the resume
      drift(params, mask, t);
      pb.step(t, params, mask);
    }
    assert.deepEqual(mask, a.mask);
    assert.deepEqual(params, a.params);
    assert.deepEqual(pb.state(), pa.state());
    // Without restore the measured q would differ: the resume would not be exact.
    const pc = createPruner(recipe, b.spec, b.layout, { stepsPerEpoch: 10 });
    const m2 = saved!.mask.slice();
    pc.step(16, saved!.params.slice(), m2);
    assert.notDeepEqual(pc.state(), JSON.parse(saved!.state));
  });

  test('restore refuses state from another recipe, model or steps per epoch', () => {
    const { spec, layout } = setup();
    const r1 = parseRecipe(withEntries(narang()));
    const st = createPruner(r1, spec, layout, { stepsPerEpoch: 10 }).state();
    assert.throws(() => createPruner(parseRecipe(withEntries(narang({ q: 0.4 }))), spec, layout, { stepsPerEpoch: 10 }).restore(st), bad('BAD_FILE', /different recipe/));
    assert.throws(() => createPruner(r1, spec, layout, { stepsPerEpoch: 11 }).restore(st), bad('BAD_FILE', /different recipe/));
    assert.throws(() => createPruner(r1, spec, layout, { stepsPerEpoch: 10 }).restore(null), bad('BAD_FILE', /missing/));
    assert.throws(() => createPruner(r1, spec, layout, { stepsPerEpoch: 10 }).restore({ ...(st as object), version: 9 }), bad('BAD_FILE', /version 9/));
  });

  test('an empty recipe never prunes', () => {
    const { spec, layout, params, mask } = setup();
    const p = createPruner(parseRecipe({ pruning: [] }), spec, layout, { stepsPerEpoch: 10 });
    assert.equal(p.lastPruneStep, 0);
    for (let t = 1; t < 50; t++) assert.equal(p.step(t, params, mask), null);
  });

  test('unit and block entries report their own sparsity (units / blocks pruned)', () => {
    const { spec, layout, params, mask } = setup();
    const p = createPruner(loadRecipe(`pruning:
  - {select: rnn.*, method: oneshot, sparsity: 0.25, step: 2, granularity: unit}
  - {select: head, method: oneshot, sparsity: 0.5, step: 2, granularity: block, block: {rows: 3, cols: 3}}`), spec, layout, { stepsPerEpoch: 10 });
    assert.equal(p.step(1, params, mask), null);
    const ev = p.step(2, params, mask)!;
    assert.deepEqual(ev.groups.map((g) => [g.name, g.sparsity]), [['rnn.0', 0.25], ['rnn.1', 0.25], ['head', 1 - keepCount(9, 0.5) / 9]]);
  });

  test('stepsPerEpoch must be a positive integer', () => {
    const { spec, layout } = setup();
    assert.throws(() => createPruner(parseRecipe({ pruning: [] }), spec, layout, { stepsPerEpoch: 0 }), /stepsPerEpoch must be an integer >= 1/);
  });
});
