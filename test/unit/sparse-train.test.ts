/**
 * Sparse-aware training (native/sparse.h, docs/engine.md): with a mask set, recurrent
 * and input kernels at density <= addon.sparseDensity run on sparse kernels. Same logits, loss and gradients at
 * every kept position as the dense path (the same Net with setMask(null)), up to
 * summation order; gradients of sparse groups are 0 at pruned positions. Every SIMD
 * level, 1 and 2 threads, rnn / lstm / gru (both variants), 1–2 layers, tokens (fused and not) and vectors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native, type SimdName } from '../../src/engine/native.js';
import { defaultSpec, STATE_VECTORS, type CellType } from '../../src/model/spec.js';
import { buildLayout, nativeConfig } from '../../src/model/layout.js';
import { mulberry32 } from '../helpers/random.js';
import { magnitudePruneRecurrent } from '../../src/bench/training.js';

const addon = native();


const levels: SimdName[] = (['scalar', 'avx2', 'avx512'] as SimdName[]).filter((l) => {
  const order = ['scalar', 'avx2', 'avx512'];
  return order.indexOf(l) <= order.indexOf(addon.simdDetected());
});

interface Case { resetAfter?: boolean; H?: number; O?: number; tied?: boolean; classify?: boolean; head?: number; cell: CellType; layers: number; tokens: boolean; V: number; B: number; T: number; density: number[]; state: boolean }

function check(c: Case, seed: number) {
  const H = c.H ?? 20, E = c.tied ? H : 9, D = 6, O = c.O ?? (c.tied ? c.V : 11);
  const spec = defaultSpec({ cell: c.cell, ...(c.resetAfter ? { resetAfter: true } : {}), inputSize: c.tokens ? c.V : D, embedDim: E, hidden: H, layers: c.layers, outputSize: O, inputKind: c.tokens ? 'tokens' : 'vectors', tied: !!c.tied, task: c.classify ? 'classify' : 'lm' });
  const layout = buildLayout(spec);
  const rnd = mulberry32(seed);
  const params = new Float32Array(layout.total);
  const mask = new Uint8Array(layout.total).fill(1);
  for (const s of layout.segments) {
    const d = s.kind === 'hh' ? c.density[s.layer! * 2 + 1] : s.kind === 'ih' ? c.density[s.layer! * 2] : s.name === 'head' ? c.head ?? 1 : 1;
    for (let i = 0; i < s.size; i++) {
      params[s.offset + i] = (rnd() - 0.5) * 0.9;
      if (rnd() >= d) { mask[s.offset + i] = 0; params[s.offset + i] = 0; }
    }
  }
  const grads = new Float32Array(layout.total);
  const net = new addon.Net(nativeConfig(spec, layout), params, grads);
  const R = c.B * c.T;
  const x = c.tokens ? Int32Array.from({ length: R }, () => Math.floor(rnd() * c.V)) : Float32Array.from({ length: R * D }, () => rnd() - 0.5);
  const Ry = c.classify ? c.B : R;  // targets / logit rows
  const y = Int32Array.from({ length: Ry }, (_, i) => (i % 7 === 3 ? -1 : Math.floor(rnd() * O)));
  const S = STATE_VECTORS[c.cell];
  const init = Float32Array.from({ length: c.layers * S * c.B * H }, () => rnd() - 0.5);
  const go = () => {
    const logits = new Float32Array(Ry * O);
    const state = c.state ? init.slice() : null;
    const r = net.run({ x, y, batch: c.B, steps: c.T, state, backward: true, dropoutSeed: 0, logits });
    return { r, logits, state, g: grads.slice() };
  };
  net.setMask(null);
  const dense = go();
  net.setMask(mask);
  const sparse = go();
  const what = JSON.stringify(c);
  // forward only (evaluation): the sparse path plans no backward buffers
  const evalLogits = new Float32Array(Ry * O);
  const ev = net.run({ x, y, batch: c.B, steps: c.T, state: c.state ? init.slice() : null, backward: false, dropoutSeed: 0, logits: evalLogits });
  assert.ok(Math.abs(ev.loss - dense.r.loss) <= 1e-5 * Math.abs(dense.r.loss), `${what} forward-only loss ${ev.loss} vs ${dense.r.loss}`);
  const close = (name: string, a: ArrayLike<number>, b: ArrayLike<number>, scale: number) => {
    for (let i = 0; i < a.length; i++)
      if (!(Math.abs(a[i] - b[i]) <= 2e-5 * Math.max(scale, Math.abs(b[i])))) assert.fail(`${what} ${name}[${i}]: ${a[i]} vs ${b[i]}`);
  };
  assert.ok(Math.abs(sparse.r.loss - dense.r.loss) <= 1e-5 * Math.abs(dense.r.loss), `${what} loss ${sparse.r.loss} vs ${dense.r.loss}`);
  assert.equal(sparse.r.count, dense.r.count);
  close('logits', sparse.logits, dense.logits, 1);
  close('forward-only logits', evalLogits, dense.logits, 1);
  if (c.state) close('state', sparse.state!, dense.state!, 1);
  for (const s of layout.segments) {
    let scale = 0;
    for (let i = 0; i < s.size; i++) scale = Math.max(scale, Math.abs(dense.g[s.offset + i]));
    const sparseGroup = (s.kind === 'hh' || s.kind === 'ih') ?
      c.density[s.layer! * 2 + (s.kind === 'hh' ? 1 : 0)] <= addon.sparseDensity :
      s.name === 'head' && (c.head ?? 1) <= addon.sparseDensity;
    for (let i = 0; i < s.size; i++) {
      const k = s.offset + i;
      if (!mask[k] && sparseGroup) {
        assert.equal(sparse.g[k], 0, `${what} ${s.name}[${i}] pruned but grad ${sparse.g[k]}`);
      } else if (mask[k]) {
        if (!(Math.abs(sparse.g[k] - dense.g[k]) <= 1e-4 * scale + 1e-7))
          assert.fail(`${what} ${s.name}[${i}]: ${sparse.g[k]} vs ${dense.g[k]} (group max ${scale})`);
      }
    }
  }
}

test('the density threshold sits between the dense (0.5) and sparse (<= 0.12) cases below', () => {
  assert.ok(addon.sparseDensity >= 0.12 && addon.sparseDensity < 0.5, `sparseDensity ${addon.sparseDensity}`);
});

const cases: Case[] = [];
for (const cell of ['rnn', 'lstm', 'gru'] as const)
  for (const layers of [1, 2])
    for (const tokens of [true, false]) {
      // densities per layer: [ih, hh]; ~90 %, ~50 % (stays dense), mixed
      const d90 = Array(2 * layers).fill(0.1);
      cases.push({ cell, layers, tokens, V: tokens ? 8 : 0, B: 5, T: 6, density: d90, state: layers === 2 });
      cases.push({ cell, layers, tokens, V: tokens ? 40 : 0, B: 3, T: 7, density: Array(2 * layers).fill(0.5), state: false });
      // V > R/2: layer 0 gathers embeddings (no fused table) and its sparse ih feeds dEmb
      if (tokens) cases.push({ cell, layers, tokens, V: 40, B: 3, T: 7, density: d90, state: false });
      // a pruned head (lm over all rows; classify over the last step's rows only)
      if (layers === 1) cases.push({ cell, layers, tokens, V: tokens ? 8 : 0, B: 5, T: 6, density: [1, 1], head: 0.1, state: false });
      // a head wider than 1024 outputs: its dX product scatters by columns
      if (layers === 1 && tokens) cases.push({ O: 1100, cell, layers, tokens, V: 8, B: 4, T: 5, density: [0.1, 0.1], head: 0.1, state: false });
      if (layers === 2 && !tokens) cases.push({ classify: true, cell, layers, tokens, V: 0, B: 7, T: 5, density: [0.1, 0.1, 0.1, 0.1], head: 0.2, state: true });
      // tied head: dEmb gathers the head's part and the sparse ih part (fused table and not)
      if (tokens && layers === 1) for (const V of [8, 40]) cases.push({ tied: true, cell, layers, tokens, V, B: 3, T: 7, density: d90, state: false });
      // big enough that the sparse products are split across threads
      if (layers === 1 && tokens) cases.push({ H: 64, cell, layers, tokens, V: 8, B: 16, T: 3, density: [0.12, 0.12], state: true });
      if (layers === 2) cases.push({ cell, layers, tokens, V: 8, B: 33, T: 3, density: [0.1, 1, 0.5, 0.12], state: true });
      // layer 1's R-row input products (R = 1280) walked in several row chunks
      if (layers === 2 && tokens && cell === 'lstm') cases.push({ H: 64, cell, layers, tokens, V: 8, B: 32, T: 40, density: d90, state: false });
    }
// every GRU case again as the reset-after GRU (appended: the others keep their seeds)
for (const c of cases.filter((k) => k.cell === 'gru')) cases.push({ ...c, resetAfter: true });

for (const level of levels)
  test(`sparse kernels match the dense path at kept positions (${level}, 1 and 2 threads)`, () => {
    addon.setSimd(level);
    try {
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        cases.forEach((c, i) => check(c, 100 + i));
      }
    } finally {
      addon.setSimd('auto');
      addon.setThreads(1);
    }
  });

test('setMask checks its argument', () => {
  const spec = defaultSpec({ cell: 'lstm', inputSize: 5, embedDim: 4, hidden: 4, layers: 1, outputSize: 5 });
  const layout = buildLayout(spec);
  const net = new addon.Net(nativeConfig(spec, layout), new Float32Array(layout.total), new Float32Array(layout.total));
  assert.throws(() => net.setMask(new Uint8Array(layout.total + 1)), RangeError);
  assert.throws(() => net.setMask(new Float32Array(layout.total) as unknown as Uint8Array), TypeError);
  net.setMask(new Uint8Array(layout.total).fill(1));
  net.setMask(null);
});

test('a few masked SGD steps give the same loss curve with and without the sparse kernels', () => {
  const spec = defaultSpec({ cell: 'lstm', inputSize: 12, embedDim: 16, hidden: 48, layers: 2, outputSize: 12 });
  const layout = buildLayout(spec);
  const rnd = mulberry32(77);
  const init = new Float32Array(layout.total);
  const mask = new Uint8Array(layout.total).fill(1);
  for (const s of layout.segments)
    for (let i = 0; i < s.size; i++) {
      init[s.offset + i] = (rnd() - 0.5) * 0.6;
      if ((s.kind === 'hh' || s.kind === 'ih') && rnd() < 0.9) { mask[s.offset + i] = 0; init[s.offset + i] = 0; }
    }
  const B = 4, T = 10, R = B * T;
  const x = Int32Array.from({ length: R }, () => Math.floor(rnd() * 12));
  const y = Int32Array.from({ length: R }, () => Math.floor(rnd() * 12));
  const curve = (sparse: boolean) => {
    const params = init.slice(), grads = new Float32Array(layout.total), mom = new Float32Array(layout.total);
    const net = new addon.Net(nativeConfig(spec, layout), params, grads);
    net.setMask(sparse ? mask : null);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = net.run({ x, y, batch: B, steps: T, state: null, backward: true, dropoutSeed: 0 });
      losses.push(r.loss / r.count);
      addon.sgd(params, grads, mom, mask, 0.5, 0.9, 0, false);
    }
    return { losses, params };
  };
  const a = curve(false), b = curve(true);
  assert.ok(a.losses[7] < a.losses[0], 'the loss goes down');
  for (let i = 0; i < a.losses.length; i++)
    assert.ok(Math.abs(a.losses[i] - b.losses[i]) <= 1e-4 * Math.abs(a.losses[i]), `step ${i}: ${b.losses[i]} vs ${a.losses[i]}`);
  for (let i = 0; i < layout.total; i++) if (!mask[i]) assert.equal(b.params[i], 0);
});

test('a mask changed in place between runs (a prune event) is followed: same as the dense path after it', () => {
  const spec = defaultSpec({ cell: 'gru', inputSize: 10, embedDim: 8, hidden: 32, layers: 1, outputSize: 10 });
  const layout = buildLayout(spec);
  const cfg = nativeConfig(spec, layout);
  const rnd = mulberry32(5);
  const params = new Float32Array(layout.total), grads = new Float32Array(layout.total);
  const mask = new Uint8Array(layout.total).fill(1);
  for (let i = 0; i < layout.total; i++) params[i] = (rnd() - 0.5) * 0.8;
  const prune = (keep: number) => {
    for (const s of layout.segments)
      if (s.kind === 'hh' || s.kind === 'ih')
        for (let i = 0; i < s.size; i++)
          if (rnd() > keep) { mask[s.offset + i] = 0; params[s.offset + i] = 0; }
  };
  const B = 16, T = 5;
  const x = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * 10));
  const y = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * 10));
  const net = new addon.Net(cfg, params, grads);
  net.setMask(mask);
  const dense = new addon.Net(cfg, params, new Float32Array(layout.total));
  const run = (n: typeof net) => n.run({ x, y, batch: B, steps: T, state: null, backward: true, dropoutSeed: 0 }).loss;
  // dense (mask all ones) → ~80 % pruned → ~90 % pruned, on the same mask buffer
  for (const keep of [1, 0.2, 0.5]) {
    prune(keep);
    const a = run(net), b = run(dense);
    assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(b), `keep ${keep}: loss ${a} vs dense path ${b}`);
    const hh = layout.segments.find((s) => s.kind === 'hh')!;
    for (let i = 0; i < hh.size; i++) if (!mask[hh.offset + i]) assert.equal(grads[hh.offset + i], 0);
  }
});

test('magnitudePruneRecurrent prunes every ih and hh group to the sparsity by |w| and zeroes them; nothing else', () => {
  const spec = defaultSpec({ cell: 'lstm', inputSize: 10, embedDim: 8, hidden: 12, layers: 2, outputSize: 10 });
  const layout = buildLayout(spec);
  const rnd = mulberry32(9);
  const params = Float32Array.from({ length: layout.total }, () => rnd() - 0.5);
  const before = params.slice();
  const mask = magnitudePruneRecurrent(layout, params, 0.75);
  for (const s of layout.segments) {
    let kept = 0, minKept = Infinity, maxPruned = 0;
    for (let i = 0; i < s.size; i++) {
      const k = s.offset + i;
      if (mask[k]) { kept++; minKept = Math.min(minKept, Math.abs(before[k])); assert.equal(params[k], before[k]); }
      else { maxPruned = Math.max(maxPruned, Math.abs(before[k])); assert.equal(params[k], 0); }
    }
    if (s.kind === 'ih' || s.kind === 'hh') {
      assert.equal(kept, Math.round(s.size * 0.25), s.name);
      assert.ok(maxPruned <= minKept, `${s.name}: a pruned |w| above a kept one`);
    } else {
      assert.equal(kept, s.size, `${s.name} must stay dense`);
    }
  }
});
