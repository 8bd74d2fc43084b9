/**
 * The native engine against an independent float64 reference written here in plain
 * TypeScript (refRun: per-sequence loops straight from the formulas of docs/engine.md).
 *
 *   (b) forward: native logits, loss, count, correct and final state equal refRun's.
 *   Both run at every SIMD level the CPU has (scalar, avx2, avx512).
 *   (a) backward, two ways:
 *       1. tight: native analytic gradients vs central finite differences of refRun in
 *          float64 (h = 1e-6), every entry, relative error <= 1e-4 against
 *          max(|g|, 1% of the largest |g|);
 *       2. loose: native analytic gradients vs finite differences of the native
 *          float32 loss itself (eps = 1e-2), 2e-2 relative on entries that are not tiny
 *          (smooth activations only: a relu kink within eps would fail it by design).
 * Cases: rnn (tanh, relu) / lstm / gru / reset-after gru × 1 and 2 layers × tokens and vectors × lm and
 * classify, plus tied head, ignored targets (-1), an initial state, and dropout (the
 * reference replicates the counter-based mask of native/rng.h bit for bit).
 * Token cases alternate V <= B·T/2 and V > B·T/2 so both layer-0 input paths of net.cc
 * (fused projection and gather + gemm) are covered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/engine/native.js';
import { defaultSpec, GATES, STATE_VECTORS, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout, nativeConfig, type Layout } from '../../src/model/layout.js';
import { mulberry32 } from '../helpers/random.js';

// ---------------------------------------------------------------------------------
// Seeded data


interface Case {
  name: string;
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
  x: Int32Array | Float32Array;
  y: Int32Array;
  B: number;
  T: number;
  state: Float32Array | null;
  dropSeed: number;
}

function makeCase(name: string, partial: Partial<ModelSpec> & Pick<ModelSpec, 'inputSize' | 'outputSize'>,
  B: number, T: number, seed: number, opts: { ignore?: boolean; state?: boolean; dropSeed?: number } = {}): Case {
  const spec = defaultSpec(partial);
  const layout = buildLayout(spec);
  const rnd = mulberry32(seed);
  const params = new Float32Array(layout.total);
  for (const s of layout.segments) for (let i = 0; i < s.size; i++) params[s.offset + i] = (rnd() - 0.5) * 1.4;
  const rows = B * T;
  let x: Int32Array | Float32Array;
  if (spec.inputKind === 'tokens') {
    x = new Int32Array(rows);
    for (let i = 0; i < rows; i++) x[i] = Math.floor(rnd() * spec.inputSize);
  } else {
    x = new Float32Array(rows * spec.inputSize);
    for (let i = 0; i < x.length; i++) x[i] = (rnd() - 0.5) * 2;
  }
  const y = new Int32Array(spec.task === 'lm' ? rows : B);
  for (let i = 0; i < y.length; i++) y[i] = Math.floor(rnd() * spec.outputSize);
  if (opts.ignore) { y[1] = -1; if (y.length > 3) y[y.length - 2] = -1; }
  let state: Float32Array | null = null;
  if (opts.state) {
    state = new Float32Array(spec.layers * STATE_VECTORS[spec.cell] * B * spec.hidden);
    for (let i = 0; i < state.length; i++) state[i] = (rnd() - 0.5) * 1.2;
  }
  return { name, spec, layout, params, x, y, B, T, state, dropSeed: opts.dropSeed ?? -1 };
}

// ---------------------------------------------------------------------------------
// The dropout mask of native/rng.h, replicated with 32-bit integer ops.

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
function dropoutKey(seed: number, stream: number): number {
  const lo = seed >>> 0; // small non-negative integer seeds only (hi word 0)
  const hi = 0;
  return mix32((mix32((lo ^ mix32((stream + 0x9e3779b9) >>> 0)) >>> 0) ^ hi) >>> 0);
}
/** The factor element i of a stream is multiplied by: 0 or 1 / (1 - p). */
function dropFactor(p: number, key: number, i: number): number {
  const pf = Math.fround(p);
  const h = mix32((Math.imul(i, 0x9e3779b9) + key) >>> 0);
  return (h >>> 8) >= Math.ceil(pf * 16777216) ? Math.fround(1 / (1 - pf)) : 0;
}

// ---------------------------------------------------------------------------------
// Float64 reference forward, one sequence at a time, formulas as in docs/engine.md.

interface RefResult { loss: number; count: number; correct: number; logits: Float64Array; state: Float64Array }

const sig = (v: number) => 1 / (1 + Math.exp(-v));

function refRun(c: Case, p: ArrayLike<number>, drop: boolean): RefResult {
  const { spec, layout, B, T, x, y } = c;
  const H = spec.hidden, G = GATES[spec.cell], GH = G * H, L = spec.layers, O = spec.outputSize;
  const S = STATE_VECTORS[spec.cell];
  const in0 = spec.inputKind === 'tokens' ? spec.embedDim : spec.inputSize;
  const off = (n: string) => layout.byName.get(n)?.offset ?? -1;
  const emb = off('embedding'), head = off('head'), headBias = off('head.bias');
  const pDrop = drop ? spec.dropout : 0;
  const rows = spec.task === 'lm' ? B * T : B;
  const logits = new Float64Array(rows * O);
  const state = new Float64Array(L * S * B * H);
  let loss = 0, count = 0, correct = 0;
  for (let b = 0; b < B; b++) {
    // layer-0 input (T, in0): embedding rows or the vectors, then input dropout
    let inputs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const v = new Float64Array(in0);
      for (let j = 0; j < in0; j++) {
        v[j] = spec.inputKind === 'tokens'
          ? p[emb + (x as Int32Array)[b * T + t] * in0 + j]
          : (x as Float32Array)[(b * T + t) * in0 + j];
      }
      if (pDrop > 0) { const k = dropoutKey(c.dropSeed, 0); for (let j = 0; j < in0; j++) v[j] *= dropFactor(pDrop, k, (t * B + b) * in0 + j); }
      inputs.push(v);
    }
    for (let l = 0; l < L; l++) {
      const inDim = l === 0 ? in0 : H;
      const ih = off(`rnn.${l}.ih`), hh = off(`rnn.${l}.hh`), bi = off(`rnn.${l}.bias`);
      const st = (s: number, j: number) => ((l * S + s) * B + b) * H + j;
      let h = new Float64Array(H), cc = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if (c.state) h[j] = c.state[st(0, j)];
        if (c.state && S === 2) cc[j] = c.state[st(1, j)];
      }
      const outs: Float64Array[] = [];
      const a = new Float64Array(GH);
      for (let t = 0; t < T; t++) {
        // a = x_t · Wih + b
        for (let j = 0; j < GH; j++) {
          let s = p[bi + j];
          for (let k = 0; k < inDim; k++) s += inputs[t][k] * p[ih + k * GH + j];
          a[j] = s;
        }
        // a[:, j0:j1] += vec · Whh[:, j0:j1]
        const rec = (vec: Float64Array, j0: number, j1: number) => {
          for (let j = j0; j < j1; j++) for (let k = 0; k < H; k++) a[j] += vec[k] * p[hh + k * GH + j];
        };
        const nh = new Float64Array(H);
        if (spec.cell === 'rnn') {
          rec(h, 0, H);
          for (let j = 0; j < H; j++) nh[j] = spec.activation === 'relu' ? Math.max(a[j], 0) : Math.tanh(a[j]);
        } else if (spec.cell === 'lstm') {
          rec(h, 0, GH);
          const nc = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            const i = sig(a[j]), f = sig(a[H + j]), g = Math.tanh(a[2 * H + j]), o = sig(a[3 * H + j]);
            nc[j] = f * cc[j] + i * g;
            nh[j] = o * Math.tanh(nc[j]);
          }
          cc = nc;
        } else if (spec.resetAfter) {
          // reset after: n = tanh(x·W_h + b_h + r ⊙ (h·U_h + b_hn)), recurrent bias row 2
          rec(h, 0, 2 * H);
          for (let j = 0; j < H; j++) {
            const z = sig(a[j] + p[bi + GH + j]), r = sig(a[H + j] + p[bi + GH + H + j]);
            let un = p[bi + GH + 2 * H + j];
            for (let k = 0; k < H; k++) un += h[k] * p[hh + k * GH + 2 * H + j];
            nh[j] = z * h[j] + (1 - z) * Math.tanh(a[2 * H + j] + r * un);
          }
        } else {
          rec(h, 0, 2 * H);
          const rh = new Float64Array(H);
          for (let j = 0; j < H; j++) rh[j] = sig(a[H + j]) * h[j];
          rec(rh, 2 * H, 3 * H); // the candidate sees r ⊙ h (reset_after = false)
          for (let j = 0; j < H; j++) {
            const z = sig(a[j]);
            nh[j] = z * h[j] + (1 - z) * Math.tanh(a[2 * H + j]);
          }
        }
        h = nh;
        outs.push(h);
      }
      for (let j = 0; j < H; j++) { state[st(0, j)] = h[j]; if (S === 2) state[st(1, j)] = cc[j]; }
      inputs = outs.map((v) => v.slice());
      if (pDrop > 0) {
        const k = dropoutKey(c.dropSeed, l + 1);
        inputs.forEach((v, t) => { for (let j = 0; j < H; j++) v[j] *= dropFactor(pDrop, k, (t * B + b) * H + j); });
      }
    }
    // head: lm every step, classify the last one
    const z = new Float64Array(O);
    for (let t = spec.task === 'lm' ? 0 : T - 1; t < T; t++) {
      const row = spec.task === 'lm' ? b * T + t : b;
      const target = spec.task === 'lm' ? y[b * T + t] : y[b];
      let m = -Infinity, arg = -1;
      for (let o = 0; o < O; o++) {
        let s = p[headBias + o];
        for (let k = 0; k < H; k++) s += inputs[t][k] * (spec.tied ? p[emb + o * spec.embedDim + k] : p[head + k * O + o]);
        z[o] = s;
        logits[row * O + o] = s;
        if (s > m) { m = s; arg = o; }
      }
      if (target < 0) continue;
      let sum = 0;
      for (let o = 0; o < O; o++) sum += Math.exp(z[o] - m);
      loss += m + Math.log(sum) - z[target];
      count++;
      if (arg === target) correct++;
    }
  }
  return { loss, count, correct, logits, state };
}

// ---------------------------------------------------------------------------------
// Running the native engine

interface NativeResult { loss: number; count: number; correct: number; logits: Float32Array; grads: Float32Array; state: Float32Array | null }

function nativeRun(c: Case, params: Float32Array, backward: boolean, drop: boolean): NativeResult {
  const grads = new Float32Array(c.layout.total).fill(NaN); // must be overwritten, padding included
  const net = new (native().Net)(nativeConfig(c.spec, c.layout), params, grads);
  const rows = c.spec.task === 'lm' ? c.B * c.T : c.B;
  const logits = new Float32Array(rows * c.spec.outputSize);
  const state = c.state ? c.state.slice() : null;
  const r = net.run({
    x: c.x, y: c.y, batch: c.B, steps: c.T, state, backward: backward || drop,
    dropoutSeed: drop ? c.dropSeed : 0, logits,
  });
  return { ...r, logits, grads, state };
}

function segmentIndices(layout: Layout): number[] {
  const idx: number[] = [];
  for (const s of layout.segments) for (let i = 0; i < s.size; i++) idx.push(s.offset + i);
  return idx;
}

function assertClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs: number) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= abs + rel * Math.abs(want[i]))) {
      assert.fail(`${what}[${i}]: native ${got[i]} vs reference ${want[i]} (|diff| ${d.toExponential(2)})`);
    }
  }
}

// ---------------------------------------------------------------------------------
// Cases

function cases(): Case[] {
  const out: Case[] = [];
  let seed = 1;
  let raSeed = 101; // the reset-after GRU cases draw their own seeds: the others keep theirs
  const next = (ra: boolean | undefined) => (ra ? raSeed++ : seed++);
  const cells: Array<{ cell: ModelSpec['cell']; activation: ModelSpec['activation']; resetAfter?: boolean }> = [
    { cell: 'rnn', activation: 'tanh' }, { cell: 'rnn', activation: 'relu' },
    { cell: 'lstm', activation: 'tanh' }, { cell: 'gru', activation: 'tanh' },
    { cell: 'gru', activation: 'tanh', resetAfter: true },
  ];
  for (const { cell, activation, resetAfter } of cells)
    for (const layers of [1, 2])
      for (const inputKind of ['tokens', 'vectors'] as const)
        for (const task of ['lm', 'classify'] as const) {
          const s0 = resetAfter ? raSeed : seed;
          const fused = s0 % 2 === 0; // tokens: V <= B·T/2 (fused projection) or V > B·T/2
          const T = fused ? 4 : 3;
          const V = fused ? 4 : 7;
          const H = 3 + (s0 % 3);
          const name = `${cell}${cell === 'rnn' ? `-${activation}` : ''}${resetAfter ? '-ra' : ''} L${layers} ${inputKind} ${task} H${H} T${T}`;
          out.push(makeCase(name, {
            cell, activation, layers, inputKind, task, hidden: H, ...(resetAfter ? { resetAfter } : {}),
            inputSize: inputKind === 'tokens' ? V : 4, embedDim: inputKind === 'tokens' ? 4 : 0,
            outputSize: task === 'lm' ? 6 : 3,
          }, 2, T, next(resetAfter), { ignore: (resetAfter ? raSeed : seed) % 3 === 0 }));
        }
  for (const variant of ['rnn', 'lstm', 'gru', 'gru-ra'] as const) {
    const cell = variant === 'gru-ra' ? 'gru' : variant;
    const ra = variant === 'gru-ra' ? { resetAfter: true } : {};
    // H = 21: full SIMD chunks (16 / 8 lanes) plus a tail in every gate kernel
    out.push(makeCase(`${variant} H21 vectors lm`, {
      cell, ...ra, inputKind: 'vectors', inputSize: 3, embedDim: 0, hidden: 21, outputSize: 4,
    }, 2, 3, next(variant === 'gru-ra')));
    // tied: T 6 takes the fused layer-0 path (V <= B·T/2), T 4 the gather path
    out.push(makeCase(`${variant} tied lm, ignored targets`, {
      cell, ...ra, inputSize: 6, embedDim: 4, hidden: 4, outputSize: 6, tied: true, layers: 2,
    }, 2, cell === 'lstm' ? 4 : 6, next(variant === 'gru-ra'), { ignore: true }));
    out.push(makeCase(`${variant} with initial state`, {
      cell, ...ra, inputSize: 5, embedDim: 3, hidden: 4, outputSize: 5, layers: 2,
    }, 2, 3, next(variant === 'gru-ra'), { state: true }));
    out.push(makeCase(`${variant} dropout tokens lm`, {
      cell, ...ra, inputSize: 5, embedDim: 4, hidden: 4, outputSize: 5, layers: 2, dropout: 0.3,
    }, 2, 4, next(variant === 'gru-ra'), { dropSeed: 7 }));
    out.push(makeCase(`${variant} dropout vectors classify`, {
      cell, ...ra, inputKind: 'vectors', inputSize: 3, embedDim: 0, hidden: 5, outputSize: 3, layers: 2,
      task: 'classify', dropout: 0.4,
    }, 2, 3, next(variant === 'gru-ra'), { dropSeed: 12345 }));
  }
  return out;
}

const ALL = cases();

/** The SIMD levels this CPU runs, best last; every check below runs at each. */
const LEVELS = (['scalar', 'avx2', 'avx512'] as const).slice(0, ['scalar', 'avx2', 'avx512'].indexOf(native().simdDetected()) + 1);

function atEachLevel(fn: (level: string) => void) {
  const addon = native();
  try {
    for (const level of LEVELS) {
      addon.setSimd(level);
      fn(level);
    }
  } finally {
    addon.setSimd('auto');
  }
}

test('(b) forward: logits, loss, count, correct and final state equal the float64 reference', () => {
  atEachLevel((level) => {
    for (const c of ALL) {
      const name = `${c.name} [${level}]`;
      const drop = c.dropSeed >= 0;
      const ref = refRun(c, c.params, drop);
      const got = nativeRun(c, c.params, false, drop);
      assert.equal(got.count, ref.count, `${name}: count`);
      assert.equal(got.correct, ref.correct, `${name}: correct`);
      assert.ok(Math.abs(got.loss - ref.loss) <= 1e-5 * Math.max(1, ref.loss), `${name}: loss ${got.loss} vs ${ref.loss}`);
      assertClose(`${name}: logits`, got.logits, ref.logits, 1e-5, 1e-5);
      if (c.state) assertClose(`${name}: state`, got.state!, ref.state, 1e-5, 1e-5);
    }
  });
});

test('(a1) native gradients equal finite differences of the float64 reference (1e-4 relative)', () => {
  // the reference gradients, once per case
  const wants = ALL.map((c) => {
    const drop = c.dropSeed >= 0;
    const p = Float64Array.from(c.params);
    const mean = (q: Float64Array) => { const r = refRun(c, q, drop); return r.count ? r.loss / r.count : 0; };
    const idx = segmentIndices(c.layout);
    const want = new Float64Array(idx.length);
    const h = 1e-6;
    idx.forEach((k, n) => {
      const v = p[k];
      p[k] = v + h; const up = mean(p);
      p[k] = v - h; const down = mean(p);
      p[k] = v;
      want[n] = (up - down) / (2 * h);
    });
    return { idx, want };
  });
  atEachLevel((level) => {
    ALL.forEach((c, ci) => {
      const name = `${c.name} [${level}]`;
      const { idx, want } = wants[ci];
      const got = nativeRun(c, c.params, true, c.dropSeed >= 0);
      const maxAbs = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbs > 1e-3, `${name}: the reference gradient is all but zero (${maxAbs}); the case tests nothing`);
      const floor = 1e-2 * maxAbs;
      idx.forEach((k, n) => {
        const g = got.grads[k], r = want[n];
        const err = Math.abs(g - r) / Math.max(Math.abs(r), floor);
        if (!(err <= 1e-4)) {
          const seg = c.layout.segments.find((s) => k >= s.offset && k < s.offset + s.size)!;
          assert.fail(`${name}: d/d${seg.name}[${k - seg.offset}] native ${g} vs reference ${r} (relative error ${err.toExponential(2)})`);
        }
      });
      // padding between segments: exactly zero
      const inSeg = new Set(idx);
      for (let k = 0; k < c.layout.total; k++) if (!inSeg.has(k)) assert.equal(got.grads[k], 0, `${name}: padding grads[${k}]`);
    });
  });
});

test('(a2) native gradients equal finite differences of the native float32 loss (eps 1e-2, 2e-2 relative)', () => {
  for (const c of ALL) {
    if (c.spec.activation === 'relu' && c.spec.cell === 'rnn') continue; // kinks within eps
    const drop = c.dropSeed >= 0;
    const got = nativeRun(c, c.params, true, drop);
    const p = c.params.slice();
    // the native loss with the same dropout masks (backward: true keeps the masks on)
    const mean = () => { const r = nativeRun(c, p, drop, drop); return r.loss / r.count; };
    const eps = 1e-2;
    let checked = 0;
    for (const k of segmentIndices(c.layout)) {
      const v = p[k];
      p[k] = v + eps; const up = mean();
      p[k] = v - eps; const down = mean();
      p[k] = v;
      const fd = (up - down) / (2 * eps);
      const g = got.grads[k];
      if (Math.abs(g) < 1e-3 && Math.abs(fd) < 1e-3) continue;
      checked++;
      assert.ok(Math.abs(g - fd) <= 2e-2 * Math.max(Math.abs(g), Math.abs(fd)) + 2e-4,
        `${c.name}: grads[${k}] analytic ${g} vs float32 finite difference ${fd}`);
    }
    assert.ok(checked > 10, `${c.name}: only ${checked} entries were large enough to check`);
  }
});
