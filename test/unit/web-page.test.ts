// The browser page's pure parts, in Node: the MNIST-style normalisation of a drawing
// (web/digit.ts), the dense runtime used for the page's timing (web/dense.ts: same
// outputs as the sparse runtime), and the dictionary-word rate (web/words.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../src/data/mnist.js';
import { defaultSpec } from '../../src/model/spec.js';
import { randomPrunedModel } from '../../src/deploy/random.js';
import { readSparseModel, writeSparseModel } from '../../src/deploy/format.js';
import { createRuntime } from '../../src/deploy/runtime.js';
import { mnistFromInk, inkFromRgba } from '../../web/digit.js';
import { createDenseRuntime, timePerStep } from '../../web/dense.js';
import { dictionaryRate } from '../../web/words.js';

const mass = (px: Float32Array) => {
  let m = 0, x = 0, y = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  px.forEach((v, i) => {
    const r = Math.floor(i / 28), c = i % 28;
    m += v; x += v * c; y += v * r;
    if (v > 0.05) { x0 = Math.min(x0, c); x1 = Math.max(x1, c); y0 = Math.min(y0, r); y1 = Math.max(y1, r); }
  });
  return { cx: x / m, cy: y / m, w: x1 - x0 + 1, h: y1 - y0 + 1 };
};

test('mnistFromInk: a small off-centre drawing is scaled to a 20-pixel box and centred by mass', () => {
  // A filled 30 × 60 rectangle in the top-left corner of a 280 × 280 pad.
  const W = 280, ink = new Float32Array(W * W);
  for (let y = 10; y < 70; y++) for (let x = 5; x < 35; x++) ink[y * W + x] = 1;
  const px = mnistFromInk(ink, W, W);
  const m = mass(px);
  assert.equal(m.h, 20, 'the long side becomes 20 pixels');
  assert.equal(m.w, 10, 'the aspect ratio is kept');
  assert.ok(Math.abs(m.cx - 14) <= 0.5 && Math.abs(m.cy - 14) <= 0.5, `centre of mass ${m.cx}, ${m.cy}`);
  assert.ok(px.every((v) => v >= 0 && v <= 1));
  assert.deepEqual(Array.from(mnistFromInk(new Float32Array(W * W), W, W)), new Array(784).fill(0), 'an empty pad reads as zeros');
});

test('mnistFromInk: an MNIST digit scaled up 10× comes back close to itself', () => {
  const test = loadMnist({ limit: 20 }).test;
  for (let i = 0; i < 20; i++) {
    const src = test.x.subarray(i * 784, (i + 1) * 784);
    const W = 280, ink = new Float32Array(W * W);
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) ink[y * W + x] = src[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
    const back = mnistFromInk(ink, W, W);
    let dot = 0, a = 0, b = 0;
    for (let k = 0; k < 784; k++) { dot += src[k] * back[k]; a += src[k] ** 2; b += back[k] ** 2; }
    const cos = dot / Math.sqrt(a * b);
    assert.ok(cos > 0.85, `digit ${i}: cosine ${cos.toFixed(3)}`);
  }
});

test('inkFromRgba: dark on white is ink, white and transparent are paper', () => {
  const rgba = Uint8ClampedArray.from([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 128, 128, 128, 255]);
  const ink = inkFromRgba(rgba, 4);
  assert.equal(ink[0], 1);
  assert.equal(ink[1], 0);
  assert.equal(ink[2], 0);
  assert.ok(Math.abs(ink[3] - 0.498) < 0.01);
});

test('dense runtime: same logits as the sparse runtime (LSTM tokens fp16, GRU vectors int8, 2-layer RNN, reset-after GRU)', () => {
  const cases = [
    { spec: defaultSpec({ cell: 'lstm', inputSize: 30, outputSize: 30, hidden: 48, embedDim: 16 }), values: 'fp16' as const },
    { spec: defaultSpec({ cell: 'gru', inputKind: 'vectors', inputSize: 28, outputSize: 10, hidden: 40, task: 'classify' }), values: 'int8' as const },
    { spec: defaultSpec({ cell: 'rnn', inputSize: 20, outputSize: 20, hidden: 32, layers: 2 }), values: 'fp32' as const },
    { spec: defaultSpec({ cell: 'gru', inputSize: 20, outputSize: 20, hidden: 24, resetAfter: true }), values: 'fp16' as const },
  ];
  for (const [i, c] of cases.entries()) {
    const r = randomPrunedModel(c.spec, 0.9, 5 + i);
    const m = readSparseModel(writeSparseModel(c.spec, r.layout, r.params, r.mask, { values: c.values }));
    const sparse = createRuntime(m), dense = createDenseRuntime(m);
    assert.equal(dense.engine, 'ts-dense');
    const seq = c.spec.inputKind === 'tokens' ? [1, 5, 2, 7, 3, 0, 4] : Float32Array.from({ length: 7 * 28 }, (_, k) => Math.sin(k));
    const a = sparse.run(seq), b = dense.run(seq);
    assert.deepEqual(b.logits, a.logits, `${c.spec.cell}: the same logits`);
    assert.deepEqual(b.state, a.state);
    assert.ok(timePerStep(dense, () => (c.spec.inputKind === 'tokens' ? 1 : new Float32Array(28)), 3, 5) > 0);
  }
});

test('dictionaryRate: known words over all words, the cut-off last word left out', () => {
  const dict = new Set(['the', 'whale', 'sea']);
  assert.deepEqual(dictionaryRate('The whale, the sqx sea', dict), { words: 4, known: 3, rate: 0.75 });
  assert.deepEqual(dictionaryRate('the sea.', dict), { words: 2, known: 2, rate: 1 });
  assert.equal(dictionaryRate('', dict).rate, 0);
});
