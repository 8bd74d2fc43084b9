// Initialisers, LR schedules, metrics and checkpoints: the small parts of training, each against its formula.
import { SparseRnnError } from '../../src/errors.js';
import { parseTrainState, TRAIN_STATE_VERSION, type TrainState } from '../../src/train/state.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { defaultSpec, buildLayout, initParams, orthogonal, Rng, nextLr, initialLrState, metricsFromSums, readCheckpoint, writeCheckpoint } from '../../src/index.js';

test('orthogonal: rows are orthonormal (rows < cols, as for [H, G·H])', () => {
  const r = new Rng(3);
  const rows = 12, cols = 48;
  const w = new Float32Array(rows * cols);
  orthogonal(w, rows, cols, () => r.float());
  for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) {
    let d = 0;
    for (let k = 0; k < cols; k++) d += w[i * cols + k] * w[j * cols + k];
    assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-5, `row ${i}·row ${j} = ${d}`);
  }
});

test('initParams: finite, deterministic by seed, Keras limits, LSTM forget bias on the f block only', () => {
  const spec = defaultSpec({ cell: 'lstm', hidden: 8, inputSize: 11, outputSize: 11, forgetBias: 1 });
  const layout = buildLayout(spec);
  const a = new Float32Array(layout.total), b = new Float32Array(layout.total);
  const ra = new Rng(5), rb = new Rng(5);
  initParams(spec, layout, a, () => ra.float());
  initParams(spec, layout, b, () => rb.float());
  assert.deepEqual(a, b);
  assert.ok(a.every(Number.isFinite));
  const ih = layout.byName.get('rnn.0.ih')!;
  const limit = Math.sqrt(6 / (ih.shape[0] + ih.shape[1]));
  for (let i = ih.offset; i < ih.offset + ih.size; i++) assert.ok(Math.abs(a[i]) <= limit);
  const bias = layout.byName.get('rnn.0.bias')!;
  const bv = a.subarray(bias.offset, bias.offset + bias.size);
  assert.deepEqual([...bv.subarray(0, 8)], new Array(8).fill(0));
  assert.deepEqual([...bv.subarray(8, 16)], new Array(8).fill(1));
  assert.deepEqual([...bv.subarray(16, 32)], new Array(16).fill(0));
});

test('lr schedules: step decay and reduce-on-plateau follow their rules', () => {
  let s = initialLrState(1);
  const step = { kind: 'step' as const, every: 2, gamma: 0.5 };
  const lrs = [1, 2, 3, 4].map((e) => (s = nextLr(step, s, e, 1)).lr);
  assert.deepEqual(lrs, [1, 0.5, 0.5, 0.25]);
  const pl = { kind: 'plateau' as const, factor: 0.1, patience: 1, threshold: 0, minLr: 0.001 };
  s = initialLrState(1);
  const seq = [5, 4, 4, 4, 3, 3, 3].map((v, i) => (s = nextLr(pl, s, i + 1, v)).lr);
  // improve, improve, bad 1 (≤ patience), bad 2 → ×0.1, improve, bad 1, bad 2 → ×0.1 (floored at minLr)
  assert.deepEqual(seq.map((x) => +x.toPrecision(6)), [1, 1, 1, 0.1, 0.1, 0.1, 0.01]);
});

test('metrics: perplexity = e^loss, bpc = loss / ln 2, accuracy = correct / count', () => {
  const s = { loss: 20, count: 10, correct: 7 };
  assert.equal(metricsFromSums(s, 'perplexity').perplexity, Math.exp(2));
  assert.equal(metricsFromSums(s, 'bpc').bpc, 2 / Math.LN2);
  assert.equal(metricsFromSums(s, 'accuracy').accuracy, 0.7);
});

test('checkpoint: round trip of params, mask, extras and training state', () => {
  const spec = defaultSpec({ cell: 'gru', hidden: 4, inputSize: 5, outputSize: 5 });
  const layout = buildLayout(spec);
  const params = new Float32Array(layout.total).map((_, i) => i / 7);
  const mask = new Uint8Array(layout.total).map((_, i) => i % 3 ? 1 : 0);
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ck-')), 'a.srnn');
  const train: TrainState = {
    version: TRAIN_STATE_VERSION, optT: 12, lr: { lr: 0.5, best: Infinity, badEpochs: 0 }, history: [], best: null, metric: 'bpc',
    epochSums: { loss: 1.5, count: 3, correct: 0, units: 30, seconds: 0.25 }, recipe: null,
  };
  writeCheckpoint(f, { spec, params, mask, extra: { 'opt.m': params.map((x) => -x) }, step: 12, epoch: 2, batchInEpoch: 3, train });
  const ck = readCheckpoint(f);
  assert.deepEqual(ck.params, params);
  assert.deepEqual(ck.mask, mask);
  assert.deepEqual(ck.extra['opt.m'], params.map((x) => -x));
  assert.equal(ck.step, 12);
  assert.deepEqual(ck.train, train, 'Infinity (written as null) comes back as Infinity');
  assert.deepEqual(fs.readdirSync(path.dirname(f)), ['a.srnn'], 'no temp files left');
});

test('training state: versioned; version 0 (no version field) reads by its own names; unknown versions and bad fields are refused', () => {
  const v0 = { optT: 3, lr: { lr: 0.1, best: null, badEpochs: 0 }, history: [], best: null, metric: 'perplexity', config: {} };
  const s = parseTrainState(v0, 'x.srnn');
  assert.equal(s.version, TRAIN_STATE_VERSION);
  assert.equal(s.lr.best, Infinity);
  assert.deepEqual(s.epochSums, { loss: 0, count: 0, correct: 0, units: 0, seconds: 0 });
  assert.equal(s.recipe, undefined, 'version 0 did not keep the recipe');
  const bad = (raw: unknown, re: RegExp) => assert.throws(() => parseTrainState(raw, 'x.srnn'), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FILE' && re.test(e.message) && !!e.hint);
  bad({ ...v0, version: 2 }, /training state version 2 is not supported/);
  // A renamed field is a missing field, never a silent default.
  const { optT: _o, ...renamed } = v0;
  bad({ ...renamed, optimizerSteps: 3 }, /train\.optT must be an integer >= 0/);
  bad({ ...v0, history: 'x' }, /train\.history must be a list/);
  bad({ ...v0, version: 1 }, /train\.epochSums must be an object/);
  // CPU time of the epoch in progress: optional (older checkpoints lack it: unknown, not zero), never negative.
  const sums = { loss: 1, count: 2, correct: 0, units: 20, seconds: 0.5 };
  assert.equal(parseTrainState({ ...v0, version: 1, epochSums: sums }, 'x.srnn').epochSums.cpuSeconds, undefined);
  assert.equal(parseTrainState({ ...v0, version: 1, epochSums: { ...sums, cpuSeconds: 0.4 } }, 'x.srnn').epochSums.cpuSeconds, 0.4);
  bad({ ...v0, version: 1, epochSums: { ...sums, cpuSeconds: -1 } }, /train\.epochSums\.cpuSeconds must be a number >= 0/);
});
