/**
 * The native addon's behaviour beyond the gradient check (test/unit/gradcheck.test.ts):
 *   (c) state carry: one call over T = 4 equals two calls over T = 2 with the state carried;
 *   (d) dropout: deterministic for a seed, different for another, off when backward = false;
 *   (e) bad arguments throw a TypeError / RangeError naming the argument;
 * plus: the exported surface matches src/engine/native.ts, grads are overwritten (never
 * accumulated), the workspace survives changes of batch and steps, thread counts agree,
 * and gemm / the optimizer loops go through the binding with their checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native, type NativeNet, type RunArgs } from '../../src/engine/native.js';
import { defaultSpec, STATE_VECTORS, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout, nativeConfig, type Layout, type NativeConfig } from '../../src/model/layout.js';
import { mulberry32 } from '../helpers/random.js';

const addon = native();


interface Model { spec: ModelSpec; layout: Layout; cfg: NativeConfig; params: Float32Array; grads: Float32Array; net: NativeNet }

function model(partial: Partial<ModelSpec> & Pick<ModelSpec, 'inputSize' | 'outputSize'>, seed = 1): Model {
  const spec = defaultSpec(partial);
  const layout = buildLayout(spec);
  const rnd = mulberry32(seed);
  const params = new Float32Array(layout.total);
  for (const s of layout.segments) for (let i = 0; i < s.size; i++) params[s.offset + i] = (rnd() - 0.5) * 0.8;
  const grads = new Float32Array(layout.total);
  const cfg = nativeConfig(spec, layout);
  return { spec, layout, cfg, params, grads, net: new addon.Net(cfg, params, grads) };
}

function tokens(n: number, V: number, seed: number): Int32Array {
  const rnd = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rnd() * V));
}

/** Columns [t0, t1) of a batch-major (B, T, W) array. */
function steps<A extends Int32Array | Float32Array>(a: A, B: number, T: number, W: number, t0: number, t1: number): A {
  const out = new (a.constructor as { new(n: number): A })(B * (t1 - t0) * W);
  for (let b = 0; b < B; b++) out.set(a.subarray((b * T + t0) * W, (b * T + t1) * W), b * (t1 - t0) * W);
  return out;
}

function assertAllClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])))) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('the addon exports exactly the NativeAddon interface', () => {
  const names = ['simdLevel', 'simdDetected', 'setSimd', 'setThreads', 'getThreads', 'gemm', 'Net', 'sgd', 'adam',
    'sumSquares', 'scale', 'applyMask'];
  assert.deepEqual(Object.keys(addon).sort(), [...names, 'sparseDensity'].sort());
  for (const n of names) assert.equal(typeof (addon as unknown as Record<string, unknown>)[n], 'function', n);
  assert.equal(typeof addon.sparseDensity, 'number');
  assert.ok(['avx512', 'avx2', 'scalar'].includes(addon.simdLevel()));
  assert.ok(['avx512', 'avx2', 'scalar'].includes(addon.simdDetected()));
});

test('(c) state carry: T = 4 in one call equals two calls of T = 2 with the state carried', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const m = model({ cell, inputSize: 7, embedDim: 5, hidden: 6, layers: 2, outputSize: 7 }, 3);
    const B = 3, T = 4, O = 7, S = STATE_VECTORS[cell];
    const x = tokens(B * T, 7, 11), y = tokens(B * T, 7, 12);
    const rnd = mulberry32(5);
    const init = Float32Array.from({ length: 2 * S * B * 6 }, () => rnd() - 0.5);

    const stateA = init.slice(), logitsA = new Float32Array(B * T * O);
    const a = m.net.run({ x, y, batch: B, steps: T, state: stateA, backward: false, dropoutSeed: 0, logits: logitsA });

    const stateB = init.slice();
    const l1 = new Float32Array(B * 2 * O), l2 = new Float32Array(B * 2 * O);
    const b1 = m.net.run({ x: steps(x, B, T, 1, 0, 2), y: steps(y, B, T, 1, 0, 2), batch: B, steps: 2, state: stateB, backward: false, dropoutSeed: 0, logits: l1 });
    const b2 = m.net.run({ x: steps(x, B, T, 1, 2, 4), y: steps(y, B, T, 1, 2, 4), batch: B, steps: 2, state: stateB, backward: false, dropoutSeed: 0, logits: l2 });

    assert.equal(b1.count + b2.count, a.count);
    assert.equal(b1.correct + b2.correct, a.correct);
    assert.ok(Math.abs(b1.loss + b2.loss - a.loss) < 1e-4, `${cell}: loss ${b1.loss + b2.loss} vs ${a.loss}`);
    assertAllClose(`${cell}: final state`, stateB, stateA, 1e-5);
    assertAllClose(`${cell}: logits of steps 0-1`, l1, steps(logitsA, B, T, O, 0, 2), 1e-5);
    assertAllClose(`${cell}: logits of steps 2-3`, l2, steps(logitsA, B, T, O, 2, 4), 1e-5);
    assert.notDeepEqual(stateA, init, `${cell}: the state was not written`);
  }
});

test('state = null starts from zeros (equals an all-zero state)', () => {
  const m = model({ cell: 'lstm', inputSize: 5, embedDim: 4, hidden: 4, outputSize: 5 }, 9);
  const x = tokens(6, 5, 1), y = tokens(6, 5, 2);
  const r0 = m.net.run({ x, y, batch: 2, steps: 3, state: null, backward: false, dropoutSeed: 0 });
  const r1 = m.net.run({ x, y, batch: 2, steps: 3, state: new Float32Array(2 * 2 * 4), backward: false, dropoutSeed: 0 });
  assert.equal(r0.loss, r1.loss);
});

test('(d) dropout: same seed same result, another seed another, none when backward = false', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const part = { cell, inputSize: 8, embedDim: 6, hidden: 6, layers: 2, outputSize: 8 };
    const m = model({ ...part, dropout: 0.5 }, 4);
    const plain = model({ ...part, dropout: 0 }, 4); // same params
    const B = 2, T = 5, x = tokens(B * T, 8, 1), y = tokens(B * T, 8, 2);
    const run = (mm: Model, backward: boolean, seed: number) => {
      const r = mm.net.run({ x, y, batch: B, steps: T, state: null, backward, dropoutSeed: seed });
      return { loss: r.loss, grads: mm.grads.slice() };
    };
    const a = run(m, true, 1), a2 = run(m, true, 1), b = run(m, true, 2);
    assert.equal(a.loss, a2.loss, `${cell}: same seed, same loss`);
    assert.deepEqual(a.grads, a2.grads, `${cell}: same seed, same grads`);
    assert.notEqual(a.loss, b.loss, `${cell}: another seed, another loss`);
    assert.notDeepEqual(a.grads, b.grads, `${cell}: another seed, other grads`);
    const undropped = run(plain, true, 0);
    assert.notEqual(a.loss, undropped.loss, `${cell}: dropout changed nothing`);
    // evaluation never drops, whatever the seed
    const e1 = run(m, false, 1), e2 = run(m, false, 2);
    assert.equal(e1.loss, e2.loss);
    assert.equal(e1.loss, undropped.loss, `${cell}: backward = false must not drop`);
  }
});

test('dropout keeps about 1 - p of the units (inverted: expectation preserved)', () => {
  // vectors → 1 layer; with all-one inputs and identity-like sizes the layer-0 input mask
  // shows in the gradient of Wih rows: count the non-zero input columns per row instead.
  const m = model({ cell: 'rnn', inputKind: 'vectors', inputSize: 64, embedDim: 0, hidden: 2, outputSize: 2, task: 'classify', dropout: 0.25 }, 2);
  const B = 1, T = 1;
  const x = new Float32Array(64).fill(1);
  m.net.run({ x, y: new Int32Array([1]), batch: B, steps: T, state: null, backward: true, dropoutSeed: 99 });
  const ih = m.layout.byName.get('rnn.0.ih')!;
  let kept = 0;
  for (let k = 0; k < 64; k++) if (m.grads[ih.offset + k * 2] !== 0) kept++;
  assert.ok(kept >= 36 && kept <= 60, `kept ${kept} of 64 input units at p = 0.25`);
});

test('grads are overwritten, not accumulated, and padding is zeroed', () => {
  const m = model({ cell: 'gru', inputSize: 6, embedDim: 3, hidden: 5, outputSize: 6 }, 8);
  const x = tokens(8, 6, 3), y = tokens(8, 6, 4);
  const args: RunArgs = { x, y, batch: 2, steps: 4, state: null, backward: true, dropoutSeed: 0 };
  m.net.run(args);
  const first = m.grads.slice();
  m.grads.fill(NaN);
  m.net.run(args);
  assert.deepEqual(m.grads, first);
  // backward = false leaves grads alone
  m.grads.fill(7);
  m.net.run({ ...args, backward: false });
  assert.ok(m.grads.every((v) => v === 7));
  // all targets ignored: count 0, loss 0, grads all zero
  m.net.run({ ...args, y: new Int32Array(8).fill(-1) });
  assert.ok(m.grads.every((v) => v === 0));
});

test('the workspace follows changes of batch and steps (results equal a fresh Net)', () => {
  const part = { cell: 'lstm' as const, inputSize: 5, embedDim: 4, hidden: 4, layers: 2, outputSize: 5 };
  const m = model(part, 6);
  const shapes: Array<[number, number]> = [[2, 3], [3, 5], [1, 2], [2, 3], [4, 1]];
  for (const [B, T] of shapes) {
    const x = tokens(B * T, 5, B * 10 + T), y = tokens(B * T, 5, B * 20 + T);
    const args: RunArgs = { x, y, batch: B, steps: T, state: null, backward: true, dropoutSeed: 0 };
    const r = m.net.run(args);
    const g = m.grads.slice();
    const fresh = model(part, 6);
    const rf = fresh.net.run(args);
    assert.equal(r.loss, rf.loss, `B ${B} T ${T}`);
    assert.deepEqual(g, fresh.grads, `B ${B} T ${T}`);
  }
});

test('2 threads agree with 1 thread', () => {
  const before = addon.getThreads();
  try {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      // two batch sizes, with dropout and a carried state
      for (const B of [8, 20]) {
        const m = model({ cell, inputSize: 40, embedDim: 32, hidden: 48, layers: 2, outputSize: 40, dropout: 0.2 }, 12);
        const T = 6, x = tokens(B * T, 40, 1), y = tokens(B * T, 40, 2);
        const state = new Float32Array(2 * STATE_VECTORS[cell] * B * 48).fill(0.1);
        const args = (s: Float32Array): RunArgs => ({ x, y, batch: B, steps: T, state: s, backward: true, dropoutSeed: 3 });
        addon.setThreads(1);
        const s1 = state.slice();
        const r1 = m.net.run(args(s1));
        const g1 = m.grads.slice();
        addon.setThreads(2);
        assert.equal(addon.getThreads(), 2);
        const s2 = state.slice();
        const r2 = m.net.run(args(s2));
        assert.ok(Math.abs(r1.loss - r2.loss) <= 1e-5 * r1.loss, `${cell} B ${B}: loss ${r1.loss} vs ${r2.loss}`);
        assertAllClose(`${cell} B ${B}: grads`, m.grads, g1, 1e-5);
        assertAllClose(`${cell} B ${B}: state`, s2, s1, 1e-5);
      }
    }
  } finally {
    addon.setThreads(before);
  }
});

test('gemm through the binding equals the naive reference, all transposes, with leading dims', () => {
  const rnd = mulberry32(21);
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const M = 7, N = 9, K = 5, lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
    const A = Float32Array.from({ length: (ta ? K : M) * lda }, () => rnd() - 0.5);
    const B = Float32Array.from({ length: (tb ? N : K) * ldb }, () => rnd() - 0.5);
    const C0 = Float32Array.from({ length: M * ldc }, () => rnd() - 0.5);
    for (const beta of [0, 1]) {
      const fast = C0.slice(), slow = C0.slice();
      addon.gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, fast, ldc, false);
      addon.gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, slow, ldc, true);
      assertAllClose(`gemm ${ta} ${tb} beta ${beta}`, fast, slow, 1e-5);
      // a hand-computed entry: C[1][2]
      let s = beta * C0[1 * ldc + 2];
      for (let k = 0; k < K; k++) s += (ta ? A[k * lda + 1] : A[1 * lda + k]) * (tb ? B[2 * ldb + k] : B[k * ldb + 2]);
      assert.ok(Math.abs(slow[1 * ldc + 2] - s) < 1e-5);
      assert.equal(slow[1 * ldc + N], C0[1 * ldc + N], 'columns past N untouched');
    }
  }
});

test('optimizer loops go through the binding', () => {
  const p = new Float32Array([1, 2, 3, 4]), g = new Float32Array([1, 1, 1, 1]), v = new Float32Array(4);
  addon.sgd(p, g, v, new Uint8Array([1, 1, 0, 1]), 0.5, 0, 0, false);
  assert.deepEqual([...p], [0.5, 1.5, 0, 3.5]);
  assert.equal(addon.sumSquares(new Float32Array([3, 4])), 25);
  const s = new Float32Array([1, -2]);
  addon.scale(s, 0.5);
  assert.deepEqual([...s], [0.5, -1]);
  const q = new Float32Array([1, 2, 3]);
  addon.applyMask(q, new Uint8Array([1, 0, 1]));
  assert.deepEqual([...q], [1, 0, 3]);
  const m = new Float32Array(4), vv = new Float32Array(4), pa = new Float32Array([1, 1, 1, 1]);
  addon.adam(pa, new Float32Array([1, -1, 1, -1]), m, vv, null, 0.1, 0.9, 0.999, 1e-8, 0, 1);
  assertAllClose('adam first step moves by lr', pa, [0.9, 1.1, 0.9, 1.1], 1e-5);
});

test('(e) bad arguments throw a TypeError or RangeError naming the argument', () => {
  const m = model({ cell: 'lstm', inputSize: 5, embedDim: 4, hidden: 3, outputSize: 5 }, 1);
  const ok: RunArgs = { x: tokens(6, 5, 1), y: tokens(6, 5, 2), batch: 2, steps: 3, state: null, backward: true, dropoutSeed: 0 };
  const run = (patch: Record<string, unknown>) => () => m.net.run({ ...ok, ...patch } as RunArgs);
  const bad: Array<[() => unknown, string, RegExp]> = [
    [run({ x: new Float32Array(6) }), 'TypeError', /args\.x .*Int32Array.*got Float32Array/],
    [run({ x: new Int32Array(5) }), 'RangeError', /args\.x must have batch\*steps = 6 elements \(got 5\)/],
    [run({ x: Int32Array.from([0, 1, 2, 5, 0, 0]) }), 'RangeError', /args\.x\[3\] = 5 is not a token id in \[0, 5\)/],
    [run({ x: Int32Array.from([0, 1, -1, 0, 0, 0]) }), 'RangeError', /args\.x\[2\] = -1/],
    [run({ y: Int32Array.from([0, 1, 2, 3, 4, 5]) }), 'RangeError', /args\.y\[5\] = 5 is not a target in \[-1, 5\)/],
    [run({ y: Int32Array.from([0, -2, 0, 0, 0, 0]) }), 'RangeError', /args\.y\[1\] = -2/],
    [run({ y: new Int32Array(2) }), 'RangeError', /args\.y must have batch\*steps = 6/],
    [run({ y: [0, 1, 2, 3, 4, 0] }), 'TypeError', /args\.y must be a Int32Array \(got array\)/],
    [run({ batch: 0 }), 'RangeError', /args\.batch must be an integer from 1/],
    [run({ steps: 2.5 }), 'RangeError', /args\.steps must be an integer/],
    [run({ steps: '3' }), 'TypeError', /args\.steps must be a number \(got string\)/],
    [run({ state: new Float32Array(3) }), 'RangeError', /args\.state must have layers\*S\*batch\*hidden = 12 elements/],
    [run({ logits: new Float32Array(29) }), 'RangeError', /args\.logits must have batch\*steps\*outputSize = 30/],
    [run({ backward: 1 }), 'TypeError', /args\.backward must be a boolean/],
    [run({ dropoutSeed: NaN }), 'RangeError', /args\.dropoutSeed must be a finite number/],
    [() => m.net.run(undefined as unknown as RunArgs), 'TypeError', /Net\.run: args must be an object/],
    [run({ logits: m.params.subarray(0, 30) }), 'RangeError', /args\.logits must not share memory with the params or grads/],
    [run({ state: m.grads.subarray(2, 14) }), 'RangeError', /args\.state must not share memory with the params or grads/],
    [() => new addon.Net(m.cfg, new Float32Array(3), m.grads), 'RangeError', /Net: params must have cfg\.total = \d+ elements \(got 3\)/],
    [() => new addon.Net(m.cfg, m.params, m.params), 'RangeError', /params and grads must be separate/],
    [() => new addon.Net({ ...m.cfg, headBias: m.cfg.total - 2 }, m.params, m.grads), 'RangeError', /cfg\.headBias = \d+ plus its 5 floats runs past cfg\.total/],
    [() => new addon.Net({ ...m.cfg, ih: [m.cfg.total] }, m.params, m.grads), 'RangeError', /cfg\.ih\[0\]/],
    [() => new addon.Net({ ...m.cfg, ih: [] }, m.params, m.grads), 'RangeError', /cfg\.ih must have cfg\.layers = 1 entries/],
    [() => new addon.Net({ ...m.cfg, hh: [m.cfg.ih[0] + 16] }, m.params, m.grads), 'RangeError', /cfg\.hh\[0\] overlaps cfg\.ih\[0\]/],
    [() => new addon.Net({ ...m.cfg, cell: 3 }, m.params, m.grads), 'RangeError', /cfg\.cell must be an integer from 0 to 2/],
    [() => new addon.Net({ ...m.cfg, tied: true }, m.params, m.grads), 'RangeError', /cfg\.tied needs embedDim == hidden/],
    [() => new addon.Net({ ...m.cfg, dropout: 1 }, m.params, m.grads), 'RangeError', /cfg\.dropout must be in \[0, 1\)/],
    [() => new addon.Net({ ...m.cfg, tokens: 'yes' } as unknown as NativeConfig, m.params, m.grads), 'TypeError', /cfg\.tokens must be a boolean/],
    [() => new addon.Net(m.cfg, m.params, new Float64Array(m.cfg.total) as unknown as Float32Array), 'TypeError', /Net: grads must be a Float32Array \(got Float64Array\)/],
    [() => addon.gemm(false, false, 2, 2, 2, new Float32Array(3), 2, new Float32Array(4), 2, 0, new Float32Array(4), 2, false), 'RangeError', /gemm: A must have at least 4 elements/],
    [() => addon.gemm(false, false, 2, 2, 2, new Float32Array(4), 1, new Float32Array(4), 2, 0, new Float32Array(4), 2, false), 'RangeError', /gemm: lda must be >= 2/],
    [() => addon.gemm(false, true, 2, 3, 2, new Float32Array(4), 2, new Float32Array(5), 2, 0, new Float32Array(6), 3, false), 'RangeError', /gemm: B must have at least 6 elements/],
    [() => addon.gemm(false, false, 2, 2, 2, new Float32Array(4), 2, new Float32Array(4), 2, 0.5, new Float32Array(4), 2, false), 'RangeError', /gemm: beta must be 0 or 1/],
    [() => addon.gemm(false, false, 2, 2, 2, new Float32Array(4), 2, new Float32Array(4), 2, 0, new Float32Array(3), 2, false), 'RangeError', /gemm: C must have at least 4/],
    [() => { const buf = new Float32Array(8); addon.gemm(false, false, 2, 2, 2, buf, 2, new Float32Array(4), 2, 0, buf.subarray(2), 2, false); }, 'RangeError', /gemm: C must not share memory/],
    [() => (addon.gemm as unknown as (...a: unknown[]) => void)(false, false, 2), 'TypeError', /gemm: expected 13 arguments \(got 3\)/],
    [() => addon.setThreads(0), 'RangeError', /setThreads: n must be an integer from 1 to 64/],
    [() => addon.setSimd('sse' as 'scalar'), 'RangeError', /setSimd: level must be avx512, avx2, scalar or auto/],
    [() => addon.sgd(new Float32Array(3), new Float32Array(2), new Float32Array(3), null, 0.1, 0, 0, false), 'RangeError', /sgd: grads must have params\.length = 3/],
    [() => addon.sgd(new Float32Array(3), new Float32Array(3), new Float32Array(3), new Uint8Array(2), 0.1, 0, 0, false), 'RangeError', /sgd: mask must have params\.length = 3/],
    [() => addon.adam(new Float32Array(3), new Float32Array(3), new Float32Array(3), new Float32Array(3), null, 0.1, 0.9, 0.999, 1e-8, 0, 0), 'RangeError', /adam: step must be an integer from 1/],
    [() => addon.applyMask(new Float32Array(3), new Float32Array(3) as unknown as Uint8Array), 'TypeError', /applyMask: mask must be a Uint8Array/],
    [() => addon.scale(new Float32Array(3), Infinity), 'RangeError', /scale: s must be a finite number/],
  ];
  for (const [fn, name, message] of bad) assert.throws(fn, (e: Error) => {
    assert.equal(e.name, name, `${message}: got ${e.name}: ${e.message}`);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
  // vectors model: x must be Float32Array of B*T*D
  const v = model({ cell: 'gru', inputKind: 'vectors', inputSize: 3, embedDim: 0, hidden: 2, outputSize: 2, task: 'classify' }, 1);
  assert.throws(() => v.net.run({ x: new Float32Array(17), y: new Int32Array(2), batch: 2, steps: 3, state: null, backward: false, dropoutSeed: 0 }),
    { name: 'RangeError', message: /args\.x must have batch\*steps\*inputSize = 18 elements \(got 17\)/ });
  assert.throws(() => v.net.run({ x: new Float32Array(18), y: new Int32Array(6), batch: 2, steps: 3, state: null, backward: false, dropoutSeed: 0 }),
    { name: 'RangeError', message: /args\.y must have batch \(classify\) = 2/ });
  // after all that, the Net still works
  assert.ok(Number.isFinite(m.net.run(ok).loss));
});
