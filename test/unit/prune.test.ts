/**
 * Weight groups, selectors and masks: exactly k kept, deterministic ties, local vs
 * global, blocks, hidden units, Narang's threshold, masks only grow; the quickselect
 * against a sort.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSpec, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout, type Layout } from '../../src/model/layout.js';
import { SparseRnnError } from '../../src/errors.js';
import { flatIndex, selectGroups, selectLayers, type WeightGroup } from '../../src/prune/groups.js';
import {
  blockSparsity, keepCount, magnitudePercentile, pruneBlocksBelow, pruneBlocksToSparsity, pruneUnitsToSparsity,
  pruneWeightsBelow, pruneWeightsToSparsity, unitSegments, unitSparsity, weightSparsity,
} from '../../src/prune/mask.js';
import { quickSelect, selectRank } from '../../src/prune/quickselect.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function model(partial: Partial<ModelSpec> = {}) {
  const spec = defaultSpec({ inputSize: 11, outputSize: 7, hidden: 6, embedDim: 5, layers: 2, cell: 'lstm', ...partial });
  const layout = buildLayout(spec);
  const r = rng(42);
  const params = new Float32Array(layout.total).map(() => r() * 2 - 1);
  const mask = new Uint8Array(layout.total).fill(1);
  return { spec, layout, params, mask };
}

const badRecipe = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SparseRnnError, String(e));
  assert.equal(e.code, 'BAD_RECIPE');
  assert.match(e.message, re);
  return true;
};

/** Indices of a group in row-major order. */
function indices(g: WeightGroup): number[] {
  const out: number[] = [];
  for (let r = 0; r < g.rows; r++) for (let c = 0; c < g.cols; c++) out.push(flatIndex(g, r, c));
  return out;
}

describe('groups and selectors', () => {
  const { spec, layout } = model();
  const names = (sel: string | string[], s = spec, l: Layout = layout) => selectGroups(sel, s, l).map((g) => g.name);

  test('plain names, globs, gate slices', () => {
    assert.deepEqual(names('rnn.0.hh'), ['rnn.0.hh']);
    assert.deepEqual(names('rnn.*.hh'), ['rnn.0.hh', 'rnn.1.hh']);
    assert.deepEqual(names('rnn.*.*'), ['rnn.0.ih', 'rnn.0.hh', 'rnn.1.ih', 'rnn.1.hh']);
    assert.deepEqual(names('rnn.0.hh:f'), ['rnn.0.hh:f']);
    assert.deepEqual(names('rnn.1.ih:*'), ['rnn.1.ih:i', 'rnn.1.ih:f', 'rnn.1.ih:c', 'rnn.1.ih:o']);
    assert.deepEqual(names(['rnn.0.ih', 'embedding', 'rnn.0.ih']), ['rnn.0.ih', 'embedding']);
    assert.deepEqual(names('*'), ['embedding', 'head']);
  });

  test('biases only when named', () => {
    assert.ok(!names('rnn.*.*').some((n) => n.includes('bias')));
    assert.ok(!names('*').includes('head.bias'));
    assert.deepEqual(names('rnn.*.bias'), ['rnn.0.bias', 'rnn.1.bias']);
    assert.deepEqual(names('head.bias'), ['head.bias']);
    assert.deepEqual(names('rnn.0.bias:o'), ['rnn.0.bias:o']);
  });

  test('a gate slice is the column block g·H..(g+1)·H of every row', () => {
    const [g] = selectGroups('rnn.0.hh:c', spec, layout); // c = gate 2 of i f c o
    const seg = layout.byName.get('rnn.0.hh')!;
    const H = spec.hidden;
    const want: number[] = [];
    for (let r = 0; r < H; r++) for (let c = 2 * H; c < 3 * H; c++) want.push(seg.offset + r * 4 * H + c);
    assert.deepEqual(indices(g), want);
    assert.equal(g.size, H * H);
  });

  test('gru and rnn gate names', () => {
    const gru = model({ cell: 'gru' });
    assert.deepEqual(names('rnn.0.ih:*', gru.spec, gru.layout), ['rnn.0.ih:z', 'rnn.0.ih:r', 'rnn.0.ih:h']);
    const rnn = model({ cell: 'rnn' });
    assert.deepEqual(names('rnn.0.hh:h', rnn.spec, rnn.layout), ['rnn.0.hh:h']);
    assert.throws(() => selectGroups('rnn.0.hh:f', gru.spec, gru.layout), badRecipe(/unknown gate "f" \(gates of gru: z, r, h\)/));
  });

  test('unknown names and empty matches → BAD_RECIPE naming the selector, listing valid groups', () => {
    assert.throws(() => selectGroups('rnn.5.hh', spec, layout, 'pruning[2].select'), (e: unknown) => {
      badRecipe(/^pruning\[2\]\.select "rnn\.5\.hh" is not a weight group of this model$/)(e);
      assert.match((e as SparseRnnError).hint!, /valid groups: embedding, rnn\.0\.ih, rnn\.0\.hh, rnn\.0\.bias, rnn\.1\.ih, .*head\.bias/);
      return true;
    });
    assert.throws(() => selectGroups('lstm.*', spec, layout), badRecipe(/"lstm\.\*" matches no weight group/));
    assert.throws(() => selectGroups('embedding:i', spec, layout), badRecipe(/embedding has no gates/));
    assert.throws(() => selectGroups('rnn.0.hh:q', spec, layout), badRecipe(/unknown gate "q"/));
    assert.throws(() => selectGroups('rnn.0.hh:i:f', spec, layout), badRecipe(/more than one ":"/));
    const tied = model({ tied: true, embedDim: 6, outputSize: 11 });
    assert.throws(() => selectGroups('head', tied.spec, tied.layout), badRecipe(/head is tied to the embedding/));
  });

  test('layer selectors for units', () => {
    assert.deepEqual(selectLayers('rnn.*', spec), [0, 1]);
    assert.deepEqual(selectLayers(['rnn.1', 'rnn.1'], spec), [1]);
    assert.throws(() => selectLayers('rnn.2', spec), badRecipe(/"rnn\.2" is not a layer of this model \(it has 2\)/));
    assert.throws(() => selectLayers('rnn.0.hh', spec), badRecipe(/must name recurrent layers for granularity unit/));
  });
});

describe('quickselect', () => {
  const sorted = (a: Float32Array) => Float32Array.from(a).sort();
  for (const [label, n, gen] of [
    ['small random', 1000, (r: () => number) => r()],
    ['large random (radix path)', 50_000, (r: () => number) => r() * 3],
    ['large with many ties', 50_000, (r: () => number) => Math.floor(r() * 7) / 7],
    ['large all equal', 20_000, () => 0.25],
    ['large with zeros and Infinity', 20_000, (r: () => number) => (r() < 0.3 ? 0 : r() < 0.01 ? Infinity : r())],
    ['large with negatives (fallback)', 20_000, (r: () => number) => r() - 0.5],
  ] as const) {
    test(`rank and 'greater' match a sort: ${label}`, () => {
      const r = rng(n);
      const a = new Float32Array(n).map(() => gen(r));
      const s = sorted(a);
      for (const rank of [0, 1, n >> 3, n >> 1, n - 2, n - 1]) {
        const res = selectRank(Float32Array.from(a), n, rank);
        assert.equal(res.value, s[rank]);
        assert.equal(res.greater, s.filter((v) => v > s[rank]).length);
        const q = quickSelect(Float32Array.from(a), n, rank);
        assert.deepEqual(q, res);
      }
    });
  }
  test('radix path leaves its input unchanged', () => {
    const r = rng(3);
    const a = new Float32Array(10_000).map(() => r());
    const copy = Float32Array.from(a);
    selectRank(a, a.length, 1234);
    assert.deepEqual(a, copy);
  });
});

describe('magnitude masks: weights', () => {
  test('keepCount = max(round(n·(1 − s)), 1)', () => {
    assert.equal(keepCount(10, 0.5), 5);
    assert.equal(keepCount(10, 0.85), 2); // round(1.5) = 2
    assert.equal(keepCount(10, 0.99), 1);
    assert.equal(keepCount(7, 0), 7);
  });

  test('keeps exactly k, and they are the k largest |w| (against a sort)', () => {
    const { spec, layout, params, mask } = model({ hidden: 40, layers: 1 });
    const [g] = selectGroups('rnn.0.hh', spec, layout);
    const idx = indices(g);
    for (const s of [0.1, 0.5, 0.73, 0.9, 0.999]) {
      const p = params.slice();
      const m = mask.slice();
      pruneWeightsToSparsity([g], p, m, s);
      const k = keepCount(g.size, s);
      const kept = idx.filter((i) => m[i]);
      assert.equal(kept.length, k, `s=${s}`);
      const byMag = [...idx].sort((a, b) => Math.abs(params[b]) - Math.abs(params[a]) || a - b).slice(0, k).sort((a, b) => a - b);
      assert.deepEqual(kept, byMag);
      for (const i of idx) if (!m[i]) assert.equal(p[i], 0);
      for (const i of kept) assert.equal(p[i], params[i]);
      assert.ok(Math.abs(weightSparsity([g], m) - (1 - k / g.size)) < 1e-12);
    }
  });

  test('never touches weights outside the group (gate slice)', () => {
    const { spec, layout, params, mask } = model();
    const [g] = selectGroups('rnn.1.ih:o', spec, layout);
    const inside = new Set(indices(g));
    const p = params.slice();
    const m = mask.slice();
    pruneWeightsToSparsity([g], p, m, 0.6);
    for (let i = 0; i < layout.total; i++) if (!inside.has(i)) assert.equal(m[i], 1);
    assert.equal(indices(g).filter((i) => !m[i]).length, g.size - keepCount(g.size, 0.6));
  });

  test('ties are broken by position: the first ones are kept, every time', () => {
    const { spec, layout, params, mask } = model();
    const [g] = selectGroups('rnn.0.hh', spec, layout);
    const idx = indices(g);
    for (const i of idx) params[i] = (i % 3 === 0 ? -1 : 1) * 0.5; // all |w| equal, mixed signs
    const runs = [0, 1].map(() => {
      const m = mask.slice();
      pruneWeightsToSparsity([g], params.slice(), m, 0.5);
      return idx.filter((i) => m[i]);
    });
    assert.deepEqual(runs[0], runs[1]);
    assert.deepEqual(runs[0], idx.slice(0, keepCount(g.size, 0.5)));
  });

  test('global pools the groups; local prunes each to s', () => {
    const { spec, layout, params, mask } = model();
    const groups = selectGroups(['rnn.0.hh', 'rnn.1.hh'], spec, layout);
    for (const i of indices(groups[0])) params[i] *= 0.01; // layer 0: |w| < 0.01
    for (const i of indices(groups[1])) params[i] = Math.sign(params[i]) * (0.01 + Math.abs(params[i])); // layer 1: |w| > 0.01
    const loc = mask.slice();
    for (const g of groups) pruneWeightsToSparsity([g], params.slice(), loc, 0.5);
    assert.ok(Math.abs(weightSparsity([groups[0]], loc) - 0.5) < 0.02);
    assert.ok(Math.abs(weightSparsity([groups[1]], loc) - 0.5) < 0.02);
    const glob = mask.slice();
    pruneWeightsToSparsity(groups, params.slice(), glob, 0.5);
    assert.equal(weightSparsity([groups[0]], glob), 1); // every small weight goes first
    assert.equal(weightSparsity([groups[1]], glob), 0);
    assert.equal(weightSparsity(groups, glob), 0.5);
  });

  test('masks only grow; pruned weights count toward the sparsity', () => {
    const { spec, layout, params, mask } = model({ hidden: 20 });
    const [g] = selectGroups('rnn.0.ih', spec, layout);
    const idx = indices(g);
    const p = params.slice();
    pruneWeightsToSparsity([g], p, mask, 0.5);
    const after50 = mask.slice();
    pruneWeightsToSparsity([g], p, mask, 0.3); // lower target: nothing happens
    assert.deepEqual(mask, after50);
    // The kept weights shrink below the pruned ones' old magnitudes: still no un-pruning.
    for (const i of idx) if (mask[i]) p[i] *= 1e-3;
    pruneWeightsToSparsity([g], p, mask, 0.7);
    for (const i of idx) if (!after50[i]) assert.equal(mask[i], 0);
    assert.equal(idx.filter((i) => mask[i]).length, keepCount(g.size, 0.7));
  });

  test('NaN weights are kept (ranked as +Infinity), never corrupt the selection', () => {
    const { spec, layout, params, mask } = model();
    const [g] = selectGroups('rnn.0.hh', spec, layout);
    const idx = indices(g);
    params[idx[3]] = NaN;
    pruneWeightsToSparsity([g], params, mask, 0.9);
    assert.equal(mask[idx[3]], 1);
    assert.equal(idx.filter((i) => mask[i]).length, keepCount(g.size, 0.9));
  });
});

describe('Narang threshold criterion', () => {
  test('prunes every kept weight with |w| < ε, only those; grows only', () => {
    const { spec, layout, params, mask } = model();
    const groups = selectGroups('rnn.*.hh', spec, layout);
    const p = params.slice();
    pruneWeightsBelow(groups, p, mask, 0.3);
    for (const g of groups) for (const i of indices(g)) assert.equal(mask[i], Math.abs(params[i]) < 0.3 ? 0 : 1);
    const m1 = mask.slice();
    pruneWeightsBelow(groups, p, mask, 0.1); // smaller ε: nothing changes
    assert.deepEqual(mask, m1);
    pruneWeightsBelow(groups, p, mask, 0.6);
    for (const g of groups) for (const i of indices(g)) assert.equal(mask[i], Math.abs(params[i]) < 0.6 ? 0 : 1);
  });

  test('90th percentile (nearest rank)', () => {
    const { spec, layout, params } = model();
    const [g] = selectGroups('rnn.0.hh', spec, layout);
    const mags = indices(g).map((i) => Math.abs(params[i])).sort((a, b) => a - b);
    assert.equal(magnitudePercentile([g], params, 0.9), mags[Math.ceil(0.9 * mags.length) - 1]);
  });
});

describe('blocks', () => {
  // rnn.0.ih of a vectors model with inputSize 5, hidden 7, rnn cell: a [5, 7] matrix;
  // 2×3 blocks tile it as a 3×3 grid whose last row and column are partial.
  const setup = () => {
    const spec = defaultSpec({ inputKind: 'vectors', inputSize: 5, embedDim: 0, hidden: 7, outputSize: 2, cell: 'rnn' });
    const layout = buildLayout(spec);
    const [g] = selectGroups('rnn.0.ih', spec, layout);
    const params = new Float32Array(layout.total);
    const mask = new Uint8Array(layout.total).fill(1);
    return { spec, layout, g, params, mask };
  };
  const blockOf = (r: number, c: number) => Math.floor(r / 2) * 3 + Math.floor(c / 3);

  test('keeps k of the blocks (edge blocks partial); pruned blocks all zero, kept blocks intact', () => {
    const { g, params, mask } = setup();
    // Block b has |w| = 1 + b: scores rank blocks 0..8 in order.
    for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) params[flatIndex(g, r, c)] = (1 + blockOf(r, c)) * ((r + c) % 2 ? -1 : 1);
    const orig = params.slice();
    pruneBlocksToSparsity([g], { rows: 2, cols: 3, score: 'mean' }, params, mask, 0.5); // keep round(4.5) = 5 of 9
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 7; c++) {
        const i = flatIndex(g, r, c);
        const pruned = blockOf(r, c) < 4;
        assert.equal(mask[i], pruned ? 0 : 1, `(${r}, ${c})`);
        assert.equal(params[i], pruned ? 0 : orig[i]);
      }
    }
    assert.ok(Math.abs(blockSparsity([g], { rows: 2, cols: 3, score: 'mean' }, params, mask) - 4 / 9) < 1e-12);
  });

  test('mean and max scores choose differently', () => {
    const { g, params, mask } = setup();
    // Block 0: one big weight (max 10, mean 10/6); block 1: all 2 (mean 2, max 2). Others large.
    for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) params[flatIndex(g, r, c)] = 50;
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) params[flatIndex(g, r, c)] = r === 0 && c === 0 ? 10 : 0;
    for (let r = 0; r < 2; r++) for (let c = 3; c < 6; c++) params[flatIndex(g, r, c)] = 2;
    const keep8 = 1 - 8 / 9;
    const mMean = mask.slice();
    pruneBlocksToSparsity([g], { rows: 2, cols: 3, score: 'mean' }, params.slice(), mMean, keep8);
    assert.equal(mMean[flatIndex(g, 0, 0)], 0); // mean 1.67 < 2
    assert.equal(mMean[flatIndex(g, 0, 3)], 1);
    const mMax = mask.slice();
    pruneBlocksToSparsity([g], { rows: 2, cols: 3, score: 'max' }, params.slice(), mMax, keep8);
    assert.equal(mMax[flatIndex(g, 0, 0)], 1); // max 10 > 2
    assert.equal(mMax[flatIndex(g, 0, 3)], 0);
  });

  test('threshold on block scores', () => {
    const { g, params, mask } = setup();
    for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) params[flatIndex(g, r, c)] = 1 + blockOf(r, c);
    pruneBlocksBelow([g], { rows: 2, cols: 3, score: 'max' }, params, mask, 3.5);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) assert.equal(mask[flatIndex(g, r, c)], blockOf(r, c) < 3 ? 0 : 1);
  });
});

describe('hidden units', () => {
  /** Every flat index that belongs to unit j of layer l (the documented footprint). */
  function footprint(spec: ModelSpec, layout: Layout, l: number, j: number): number[] {
    const H = spec.hidden;
    const G = 4;
    const out: number[] = [];
    const seg = (n: string) => layout.byName.get(n)!;
    for (const name of [`rnn.${l}.ih`, `rnn.${l}.hh`, `rnn.${l}.bias`]) {
      const s = seg(name);
      const rows = s.shape.length === 2 ? s.shape[0] : 1;
      for (let r = 0; r < rows; r++) for (let g = 0; g < G; g++) out.push(s.offset + r * G * H + g * H + j);
    }
    for (let c = 0; c < G * H; c++) out.push(seg(`rnn.${l}.hh`).offset + j * G * H + c);
    const next = l + 1 < spec.layers ? seg(`rnn.${l + 1}.ih`) : layout.byName.get('head');
    if (next) for (let c = 0; c < next.shape[1]; c++) out.push(next.offset + j * next.shape[1] + c);
    return out;
  }

  test('a pruned unit is zero in every place it appears; the weakest units go', () => {
    const { spec, layout, params, mask } = model();
    const H = spec.hidden;
    // Scale units 1 and 4 of layer 0 and unit 2 of layer 1 down: they have the smallest norms.
    for (const [l, j] of [[0, 1], [0, 4], [1, 2]]) for (const i of footprint(spec, layout, l, j)) params[i] *= 0.01;
    const before = params.slice();
    const units = [0, 1].map((l) => unitSegments(spec, layout, l));
    pruneUnitsToSparsity([units[0]], params, mask, 2 / H); // keep round(6·(1 − 1/3)) = 4
    pruneUnitsToSparsity([units[1]], params, mask, 1 / H);
    const prunedIdx = new Set([...footprint(spec, layout, 0, 1), ...footprint(spec, layout, 0, 4), ...footprint(spec, layout, 1, 2)]);
    for (let i = 0; i < layout.total; i++) {
      if (prunedIdx.has(i)) {
        assert.equal(mask[i], 0, `index ${i}`);
        assert.equal(params[i], 0);
      } else {
        assert.equal(mask[i], 1, `index ${i}`);
        assert.equal(params[i], before[i]);
      }
    }
    assert.ok(Math.abs(unitSparsity([units[0]], params, mask) - 2 / H) < 1e-12);
    // The head's row 2 is the top layer's outgoing weights.
    const head = layout.byName.get('head')!;
    for (let c = 0; c < spec.outputSize; c++) assert.equal(mask[head.offset + 2 * spec.outputSize + c], 0);
  });

  test('global over layers pools the units', () => {
    const { spec, layout, params, mask } = model();
    for (let j = 0; j < spec.hidden; j++) for (const i of footprint(spec, layout, 1, j)) params[i] *= 0.001;
    const units = [0, 1].map((l) => unitSegments(spec, layout, l));
    pruneUnitsToSparsity(units, params, mask, 0.5);
    assert.equal(unitSparsity([units[1]], params, mask), 1);
    assert.equal(unitSparsity([units[0]], params, mask), 0);
  });

  test('tied head: the top layer has no outgoing row to prune (the embedding is untouched)', () => {
    const { spec, layout, params, mask } = model({ tied: true, embedDim: 6, outputSize: 11, layers: 1 });
    const u = unitSegments(spec, layout, 0);
    assert.equal(u.next, null);
    pruneUnitsToSparsity([u], params, mask, 0.5);
    const emb = layout.byName.get('embedding')!;
    for (let i = emb.offset; i < emb.offset + emb.size; i++) assert.equal(mask[i], 1);
    assert.equal(unitSparsity([u], params, mask), 0.5);
  });

  test('masks only grow across unit pruning steps', () => {
    const { spec, layout, params, mask } = model();
    const u = unitSegments(spec, layout, 0);
    pruneUnitsToSparsity([u], params, mask, 0.34);
    const m1 = mask.slice();
    pruneUnitsToSparsity([u], params, mask, 0.2);
    assert.deepEqual(mask, m1);
    pruneUnitsToSparsity([u], params, mask, 0.67);
    for (let i = 0; i < layout.total; i++) if (!m1[i]) assert.equal(mask[i], 0);
    assert.ok(Math.abs(unitSparsity([u], params, mask) - 4 / 6) < 1e-12);
  });
});
