/**
 * The native optimizer loops (native/optim.cc) through the addon, against a plain
 * TypeScript reference in double precision written from the formulas of
 * native/optim.h:
 *   SGD:  d = g + wd·p;  v = momentum·v + d;  p -= lr·(nesterov ? d + momentum·v : v)
 *   Adam: d = g + wd·p;  m = b1·m + (1-b1)·d;  v = b2·v + (1-b2)·d²;
 *         p -= lr·(m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 *   mask[i] == 0: p, g and every moment are set to exactly 0.
 * At every SIMD level and at 1 and 2 threads, over several steps, on lengths that
 * are not multiples of the vector width and one long enough to be split over the
 * thread pool.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { native, type SimdName } from '../../src/engine/native.js';
import { mulberry32 } from '../helpers/random.js';

const addon = native();
after(() => {
  addon.setSimd('auto');
  addon.setThreads(1);
});

const rnd = mulberry32(11);
function randomArray(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rnd() * 2 - 1) * scale;
  return a;
}

function levels(): SimdName[] {
  const order: SimdName[] = ['scalar', 'avx2', 'avx512'];
  return order.slice(0, order.indexOf(addon.simdDetected()) + 1);
}

/** 1 in 5 weights pruned, in an irregular pattern. */
function makeMask(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => ((i * 7 + 3) % 5 === 0 ? 0 : 1));
}

interface SgdCfg { lr: number; momentum: number; weightDecay: number; nesterov: boolean }
function sgdRef(p: Float64Array, g: Float64Array, v: Float64Array, mask: Uint8Array | null, c: SgdCfg): void {
  for (let i = 0; i < p.length; i++) {
    if (mask && !mask[i]) {
      p[i] = g[i] = v[i] = 0;
      continue;
    }
    const d = g[i] + c.weightDecay * p[i];
    v[i] = c.momentum * v[i] + d;
    p[i] -= c.lr * (c.nesterov ? d + c.momentum * v[i] : v[i]);
  }
}

interface AdamCfg { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }
function adamRef(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, mask: Uint8Array | null, c: AdamCfg, t: number): void {
  const c1 = 1 - c.beta1 ** t, c2 = 1 - c.beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    if (mask && !mask[i]) {
      p[i] = g[i] = m[i] = v[i] = 0;
      continue;
    }
    const d = g[i] + c.weightDecay * p[i];
    m[i] = c.beta1 * m[i] + (1 - c.beta1) * d;
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * d * d;
    p[i] -= (c.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + c.eps);
  }
}

function maxDiff(a: Float32Array, b: Float64Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

function exactlyZeroWhereMasked(mask: Uint8Array, ...arrays: Float32Array[]): boolean {
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (!mask[i] && !Object.is(a[i], 0)) return false;
  return true;
}

const sizes = [1, 15, 17, 100, 1027];
// > 2^18, the length above which the loops are split over the pool (checked once per test).
const BIG = 270_001;
const STEPS = 4;

for (const level of levels()) {
  for (const threads of [1, 2]) {
    const where = `${level}, ${threads} thread(s)`;

    test(`sgd (momentum, nesterov, weight decay, mask) = TypeScript reference: ${where}`, () => {
      addon.setSimd(level);
      addon.setThreads(threads);
      const cases = sizes.flatMap((n) => [false, true].flatMap((nesterov) => [false, true].map((masked) => ({ n, nesterov, masked }))));
      cases.push({ n: BIG, nesterov: true, masked: true });
      for (const { n, nesterov, masked } of cases) {
        const c: SgdCfg = { lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov };
        const mask = masked ? makeMask(n) : null;
        const p = randomArray(n), v = new Float32Array(n);
        const pr = Float64Array.from(p), vr = new Float64Array(n);
        let g = new Float32Array(n);
        for (let s = 0; s < STEPS; s++) {
          g = randomArray(n);
          const gr = Float64Array.from(g);
          addon.sgd(p, g, v, mask, c.lr, c.momentum, c.weightDecay, c.nesterov);
          sgdRef(pr, gr, vr, mask, c);
        }
        const tag = `n=${n} nesterov=${nesterov} masked=${masked}`;
        assert.ok(maxDiff(p, pr) < 1e-5, `${tag}: params differ by ${maxDiff(p, pr)}`);
        assert.ok(maxDiff(v, vr) < 1e-5, `${tag}: momentum differs by ${maxDiff(v, vr)}`);
        if (mask) assert.ok(exactlyZeroWhereMasked(mask, p, g, v), `${tag}: a masked param/grad/momentum is not exactly 0`);
      }
    });

    test(`adam (bias correction, weight decay, mask) = TypeScript reference: ${where}`, () => {
      addon.setSimd(level);
      addon.setThreads(threads);
      const cases = sizes.flatMap((n) => [false, true].map((masked) => ({ n, masked })));
      cases.push({ n: BIG, masked: true });
      for (const { n, masked } of cases) {
        const c: AdamCfg = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 };
        const mask = masked ? makeMask(n) : null;
        const p = randomArray(n), m = new Float32Array(n), v = new Float32Array(n);
        const pr = Float64Array.from(p), mr = new Float64Array(n), vr = new Float64Array(n);
        let g = new Float32Array(n);
        for (let t = 1; t <= STEPS; t++) {
          g = randomArray(n);
          const gr = Float64Array.from(g);
          addon.adam(p, g, m, v, mask, c.lr, c.beta1, c.beta2, c.eps, c.weightDecay, t);
          adamRef(pr, gr, mr, vr, mask, c, t);
        }
        const tag = `n=${n} masked=${masked}`;
        assert.ok(maxDiff(p, pr) < 1e-5, `${tag}: params differ by ${maxDiff(p, pr)}`);
        assert.ok(maxDiff(m, mr) < 1e-5, `${tag}: first moment differs by ${maxDiff(m, mr)}`);
        assert.ok(maxDiff(v, vr) < 1e-6, `${tag}: second moment differs by ${maxDiff(v, vr)}`);
        if (mask) assert.ok(exactlyZeroWhereMasked(mask, p, g, m, v), `${tag}: a masked entry is not exactly 0`);
      }
    });

    test(`sumSquares (double), scale, applyMask: ${where}`, () => {
      addon.setSimd(level);
      addon.setThreads(threads);
      for (const n of [0, ...sizes, BIG]) {
        const x = randomArray(n, 3);
        let ref = 0;
        for (let i = 0; i < n; i++) ref += x[i] * x[i];
        const s = addon.sumSquares(x);
        assert.ok(Math.abs(s - ref) <= 1e-12 * (ref + 1), `sumSquares n=${n}: ${s} vs ${ref}`);

        const y = x.slice();
        addon.scale(y, -0.75);
        for (let i = 0; i < n; i++) assert.equal(y[i], Math.fround(x[i] * -0.75), `scale n=${n} at ${i}`);

        const mask = makeMask(n), z = x.slice();
        addon.applyMask(z, mask);
        for (let i = 0; i < n; i++) assert.ok(Object.is(z[i], mask[i] ? x[i] : 0), `applyMask n=${n} at ${i}`);
      }
    });
  }
}

test('masked weights stay exactly 0 over many steps of either optimizer, whatever the gradient', () => {
  addon.setSimd('auto');
  addon.setThreads(2);
  const n = 4099, mask = makeMask(n);
  const p = randomArray(n), g = new Float32Array(n), v = new Float32Array(n);
  const q = randomArray(n), h = new Float32Array(n), m1 = new Float32Array(n), m2 = new Float32Array(n);
  for (let step = 1; step <= 200; step++) {
    g.set(randomArray(n, 10));
    h.set(randomArray(n, 10));
    addon.sgd(p, g, v, mask, 0.1, 0.9, 1e-2, step % 2 === 0);
    addon.adam(q, h, m1, m2, mask, 1e-3, 0.9, 0.999, 1e-8, 1e-2, step);
  }
  assert.ok(exactlyZeroWhereMasked(mask, p, g, v), 'sgd: a masked param/grad/momentum is not exactly 0');
  assert.ok(exactlyZeroWhereMasked(mask, q, h, m1, m2), 'adam: a masked param/grad/moment is not exactly 0');
  let live = 0;
  for (let i = 0; i < n; i++) if (mask[i] && p[i] !== 0 && q[i] !== 0) live++;
  assert.ok(live > 0.9 * mask.reduce((a, b) => a + b, 0), 'unmasked weights must keep training');
});
