/**
 * Parity of our engine with TF.js (and of both with a float64 reference).
 *
 * For each case the same weights go into (1) our engine, (2) a tf.layers model on the
 * pure-JS CPU backend, (3) test/reference/helpers/ref64.ts in float64 with gradients by
 * central differences. Compared (helpers/compare.ts: |a − b| ≤ atol + rtol·|b| entrywise):
 *   engine vs TF.js  logits, mean loss, and d(mean loss)/dθ over the whole flat buffer
 *                    (padding included, where both must be 0)             — the contract
 *   TF.js  vs f64    logits and gradients (all weights; a sample for the medium case)
 *                    — proves the TF.js side of the harness is the model we mean
 *   engine vs f64    reported only, to say which side is off when the contract fails.
 *
 * Provenance: every expected value is computed here, in this run, from the seeds below.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { makeCase, type CaseArgs, type Case } from './helpers/cases.js';
import { forward64, gradFD64 } from './helpers/ref64.js';
import { initTf, tfLossAndGrads } from './helpers/tf.js';
import { compare, type Tolerance } from './helpers/compare.js';
import { engineMissing, runEngine } from './helpers/engine.js';
import { native, type SimdName } from '../../src/engine/native.js';
import { Rng } from '../../src/data/rng.js';

/** Both sides are float32; the float64 FD reference is good to ~1e-9. */
const TOL: Tolerance = { atol: 1e-6, rtol: 1e-4 };

const CASES: CaseArgs[] = [];
let seed = 100;
for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  for (const layers of [1, 2]) {
    for (const inputKind of ['tokens', 'vectors'] as const) {
      CASES.push({
        name: `${cell} ×${layers} ${inputKind === 'tokens' ? 'tokens/lm' : 'vectors/classify'}`,
        cell, layers, inputKind, seed: seed++,
        // Ignored targets once per task kind.
        ignore: (cell === 'gru' && layers === 2 && inputKind === 'tokens') || (cell === 'lstm' && layers === 1 && inputKind === 'vectors'),
      });
    }
  }
}
CASES.push({ name: 'rnn relu ×2 tokens/lm', cell: 'rnn', activation: 'relu', layers: 2, inputKind: 'tokens', seed: seed++ });
CASES.push({ name: 'lstm ×2 tokens/lm tied', cell: 'lstm', layers: 2, inputKind: 'tokens', tied: true, ignore: true, seed: seed++ });
const MEDIUM: CaseArgs[] = [
  {
    name: 'lstm ×2 tokens/lm medium (H 64, V 50, B 4, T 12)',
    cell: 'lstm', layers: 2, inputKind: 'tokens', hidden: 64, inputSize: 50, batch: 4, steps: 12, seed: seed++,
  },
  {
    name: 'gru ×1 vectors/classify medium (H 64, D 20, B 4, T 12)',
    cell: 'gru', layers: 1, inputKind: 'vectors', hidden: 64, inputSize: 20, outputSize: 7, batch: 4, steps: 12, seed: seed++,
  },
];
CASES.push(...MEDIUM);

/** Finite differences on every weight of small models, on a fixed sample of medium ones. */
function fdIndices(c: Case): number[] | undefined {
  if (c.spec.hidden <= 16) return undefined;
  const rng = new Rng(7);
  // 4 entries from every segment, so each weight group is probed (a forward costs ~30 ms here).
  return c.layout.segments.flatMap((s) => Array.from({ length: 4 }, () => s.offset + rng.int(s.size)));
}

const missing = engineMissing();

before(async () => {
  await initTf();
});

for (const args of CASES) {
  test(`tfjs parity: ${args.name}`, (t) => {
    const c = makeCase(args);
    const ref = tfLossAndGrads(c.spec, c.layout, c.params, c.batch);

    // The harness first: TF.js against the float64 formulas.
    const f64 = forward64(c.spec, c.layout, c.params, c.batch);
    const fd = gradFD64(c.spec, c.layout, c.params, c.batch, fdIndices(c));
    const harness = [
      compare(ref.logits, f64.logits, TOL, { label: 'tfjs-vs-f64 logits' }),
      compare(ref.grads, fd.grads, TOL, { label: 'tfjs-vs-f64 grads', layout: c.layout, indices: fd.indices }),
    ];
    for (const h of harness) t.diagnostic(h.line);
    assert.ok(harness.every((h) => h.ok), `the TF.js reference disagrees with float64:\n${harness.map((h) => h.line).join('\n')}`);

    // The contract: the engine against TF.js.
    assert.equal(missing, null, `native engine unavailable: ${missing}`);
    const eng = runEngine(c);
    const counted = c.batch.y.reduce((n, v) => n + (v === -1 ? 0 : 1), 0);
    const rows = c.spec.task === 'lm' ? c.batch.batch * c.batch.steps : c.batch.batch;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      if (c.batch.y[r] === -1) continue;
      const row = ref.logits.subarray(r * c.spec.outputSize, (r + 1) * c.spec.outputSize);
      if (row.indexOf(Math.max(...row)) === c.batch.y[r]) correct++;
    }
    const checks = [
      compare(eng.logits, ref.logits, TOL, { label: 'engine-vs-tfjs logits' }),
      compare([eng.loss], [ref.loss], TOL, { label: 'engine-vs-tfjs loss' }),
      compare(eng.grads, ref.grads, TOL, { label: 'engine-vs-tfjs grads', layout: c.layout }),
    ];
    for (const ch of checks) t.diagnostic(ch.line);
    const triage = [
      compare(eng.logits, f64.logits, TOL, { label: 'engine-vs-f64 logits' }),
      compare(eng.grads, fd.grads, TOL, { label: 'engine-vs-f64 grads', layout: c.layout, indices: fd.indices }),
    ];
    const report = [...checks, ...triage].map((ch) => ch.line).join('\n');
    assert.equal(eng.count, counted, `engine counted ${eng.count} targets, ${counted} are != -1`);
    assert.equal(eng.correct, correct, `engine says ${eng.correct} argmax hits, TF.js logits give ${correct}`);
    assert.ok(checks.every((ch) => ch.ok), `engine disagrees with TF.js (${args.name}):\n${report}`);
  });
}

// The same contract on every kernel path this CPU has (scalar, AVX2, AVX-512) and with
// the thread pool on: the default run above uses one path and one thread.
for (const args of MEDIUM) {
  test(`tfjs parity on every SIMD path, 1 and 2 threads: ${args.name}`, (t) => {
    assert.equal(missing, null, `native engine unavailable: ${missing}`);
    const c = makeCase(args);
    const ref = tfLossAndGrads(c.spec, c.layout, c.params, c.batch);
    const addon = native();
    const order: SimdName[] = ['scalar', 'avx2', 'avx512'];
    const levels = order.slice(0, order.indexOf(addon.simdDetected()) + 1);
    const threads = addon.getThreads();
    const bad: string[] = [];
    try {
      for (const level of levels) {
        for (const n of [1, 2]) {
          addon.setSimd(level);
          addon.setThreads(n);
          const eng = runEngine(c);
          for (const ch of [
            compare(eng.logits, ref.logits, TOL, { label: `${level}/${n}t engine-vs-tfjs logits` }),
            compare(eng.grads, ref.grads, TOL, { label: `${level}/${n}t engine-vs-tfjs grads`, layout: c.layout }),
          ]) {
            t.diagnostic(ch.line);
            if (!ch.ok) bad.push(ch.line);
          }
        }
      }
    } finally {
      addon.setSimd('auto');
      addon.setThreads(threads);
    }
    assert.deepEqual(bad, [], `engine disagrees with TF.js on some paths (${args.name}):\n${bad.join('\n')}`);
  });
}
