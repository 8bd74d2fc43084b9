/**
 * TF.js export / import (src/model/tfjs.ts), checked against TF.js itself:
 *   (a) our model → exportTfjs → tf.loadLayersModel (the IOHandler a browser would be:
 *       model.json + weights fetched as files) → predict == our engine's logits;
 *       and importTfjs(exportTfjs(m)) == m exactly (spec and every bit of params).
 *   (b) a model BUILT in TF.js (tf.sequential, seeded random init) saved as
 *       model.json + weights.bin → importTfjs → our engine's logits == TF.js predict.
 *   (c) what we refuse, each with BAD_FILE and one line naming the layer and the rule.
 * Logit tolerance: |a − b| ≤ 1e-6 + 1e-5·|b| entrywise (helpers/compare.ts). The float64
 * reference (helpers/ref64.ts) is checked too, so (a)/(b) still test the files when the
 * native engine is not built (the engine assertions then fail loudly, last).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportTfjs, importTfjs, toTfjsArtifacts } from '../../src/model/tfjs.js';
import { SparseRnnError } from '../../src/errors.js';
import { Rng } from '../../src/data/rng.js';
import { makeCase, type Case } from './helpers/cases.js';
import { forward64, type Batch } from './helpers/ref64.js';
import { initTf, tf, dirHandler, saveToDir, tfPredict } from './helpers/tf.js';
import { compare } from './helpers/compare.js';
import { engineLogits, engineMissing } from './helpers/engine.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };
let tmp = '';
const missing = engineMissing();

before(async () => {
  await initTf();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparse-rnn-tfjs-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const softmaxRows = (x: Float32Array, O: number) => {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / O; r++) {
    const row = x.subarray(r * O, (r + 1) * O);
    const m = Math.max(...row);
    const e = Array.from(row, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => (out[r * O + i] = v / s));
  }
  return out;
};

/** Asserts every check, engine last; `engine` is called only when the addon is there. */
function assertAll(t: { diagnostic(s: string): void }, name: string, pre: ReturnType<typeof compare>[], engine: () => ReturnType<typeof compare>) {
  for (const c of pre) t.diagnostic(c.line);
  assert.ok(pre.every((c) => c.ok), `${name}:\n${pre.map((c) => c.line).join('\n')}`);
  assert.equal(missing, null, `native engine unavailable: ${missing}`);
  const e = engine();
  t.diagnostic(e.line);
  assert.ok(e.ok, `${name}: ${e.line}`);
}

// ─────────────── (a) ours → TF.js ───────────────

const EXPORTS = [
  { name: 'lstm ×2 tokens/lm', cell: 'lstm', layers: 2, inputKind: 'tokens' },
  { name: 'gru ×2 vectors/classify', cell: 'gru', layers: 2, inputKind: 'vectors' },
  { name: 'rnn relu ×1 vectors/classify', cell: 'rnn', activation: 'relu', layers: 1, inputKind: 'vectors' },
  { name: 'rnn tanh ×2 tokens/lm tied', cell: 'rnn', layers: 2, inputKind: 'tokens', tied: true },
  { name: 'gru ×1 tokens/lm tied', cell: 'gru', layers: 1, inputKind: 'tokens', tied: true },
] as const;

for (const [i, a] of EXPORTS.entries()) {
  test(`tfjs export → tf.loadLayersModel: ${a.name}`, async (t) => {
    const c = makeCase({ ...a, seed: 300 + i });
    const dir = path.join(tmp, `export-${i}`);
    const out = exportTfjs(c.spec, c.layout, c.params, dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'weights.bin'], 'exactly the two files, no temp files left');
    assert.equal(out.modelJson, path.join(dir, 'model.json'));

    const model = await tf.loadLayersModel(dirHandler(dir));
    const meta = model.getUserDefinedMetadata() as Record<string, { spec: unknown }>;
    assert.deepEqual(meta['sparse-rnn'].spec, c.spec, 'our spec rides along in userDefinedMetadata');
    const pred = tfPredict(model, c.spec, c.batch);
    model.dispose();

    const back = importTfjs(dir);
    assert.deepEqual(back.spec, c.spec, 'import restores the spec');
    assert.deepEqual(back.layout.segments, c.layout.segments);
    assert.ok(back.params.every((v, k) => Object.is(v, c.params[k])), 'import restores every parameter bit for bit');

    const f64 = forward64(c.spec, c.layout, c.params, c.batch);
    assertAll(t, a.name, [compare(pred, f64.logits, TOL, { label: 'tfjs-predict-vs-f64' })],
      () => compare(engineLogits(c, c.params), pred, TOL, { label: 'engine-vs-tfjs-predict' }));
  });
}

test('tfjs export: a tied head is a Dense whose kernel is embeddingᵀ', () => {
  const c = makeCase({ name: 'tied', cell: 'lstm', layers: 1, inputKind: 'tokens', tied: true, seed: 310 });
  const { modelJson, weightData } = toTfjsArtifacts(c.spec, c.layout, c.params);
  const names = modelJson.weightsManifest[0].weights.map((w) => `${w.name}${JSON.stringify(w.shape)}`);
  assert.deepEqual(names, ['embedding/embeddings[11,8]', 'lstm/kernel[8,32]', 'lstm/recurrent_kernel[8,32]', 'lstm/bias[32]', 'dense/kernel[8,11]', 'dense/bias[11]']);
  const f = new Float32Array(weightData.buffer.slice(0));
  const emb = c.params.subarray(0, 88);
  const kernelAt = (88 + 256 + 256 + 32); // floats before dense/kernel
  for (let v = 0; v < 11; v++) for (let k = 0; k < 8; k++) assert.equal(f[kernelAt + k * 11 + v], emb[v * 8 + k]);
});

test('tfjs export: re-export replaces both files; a failed export writes no model.json', () => {
  const a = makeCase({ name: 'a', cell: 'gru', layers: 1, inputKind: 'tokens', seed: 320 });
  const b = makeCase({ name: 'b', cell: 'gru', layers: 1, inputKind: 'tokens', seed: 321 });
  const dir = path.join(tmp, 'reexport');
  exportTfjs(a.spec, a.layout, a.params, dir);
  exportTfjs(b.spec, b.layout, b.params, dir);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'weights.bin']);
  assert.ok(importTfjs(dir).params.every((v, k) => Object.is(v, b.params[k])));

  // The folder cannot be created (a file is in the way): one IO error, nothing written.
  const blocker = path.join(tmp, 'blocker');
  fs.writeFileSync(blocker, 'x');
  assert.throws(() => exportTfjs(a.spec, a.layout, a.params, path.join(blocker, 'm')), (e: unknown) =>
    e instanceof SparseRnnError && e.code === 'IO' && /cannot create the folder .*blocker/.test(e.message));
  // model.json's slot is taken by a folder: weights may land, model.json cannot be half-written.
  const dir2 = path.join(tmp, 'slot');
  fs.mkdirSync(path.join(dir2, 'model.json'), { recursive: true });
  assert.throws(() => exportTfjs(a.spec, a.layout, a.params, dir2), (e: unknown) => e instanceof SparseRnnError && e.code === 'IO' && /model\.json/.test(e.message));
  assert.ok(fs.statSync(path.join(dir2, 'model.json')).isDirectory());
  assert.deepEqual(fs.readdirSync(dir2).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
});

// ─────────────── (b) TF.js → ours ───────────────

interface Built { name: string; model: tf.Sequential; inputKind: 'tokens' | 'vectors'; inputSize: number; softmax?: boolean }

function seeded(seed: number) {
  const u = (lim: number, k: number) => tf.initializers.randomUniform({ minval: -lim, maxval: lim, seed: seed * 10 + k });
  return { kernelInitializer: u(0.6, 1), recurrentInitializer: u(0.4, 2), biasInitializer: u(0.3, 3) };
}
function seededDense(seed: number) {
  const { kernelInitializer, biasInitializer } = seeded(seed);
  return { kernelInitializer, biasInitializer };
}

const T_BUILT = 5;
const BUILT: Array<() => Built> = [
  () => {
    const m = tf.sequential({ name: 'lm' });
    m.add(tf.layers.embedding({ inputDim: 13, outputDim: 6, batchInputShape: [null, T_BUILT], embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 9 }) }));
    m.add(tf.layers.lstm({ units: 8, returnSequences: true, recurrentActivation: 'sigmoid', ...seeded(1) }));
    m.add(tf.layers.dropout({ rate: 0.2 }));
    m.add(tf.layers.lstm({ units: 8, returnSequences: true, recurrentActivation: 'sigmoid', ...seeded(2) }));
    m.add(tf.layers.dense({ units: 13, ...seededDense(3) }));
    return { name: 'Embedding → LSTM → Dropout → LSTM → Dense (lm)', model: m, inputKind: 'tokens', inputSize: 13 };
  },
  () => {
    const m = tf.sequential({ name: 'cls' });
    m.add(tf.layers.inputLayer({ inputShape: [T_BUILT, 4] }));
    m.add(tf.layers.gru({ units: 8, recurrentActivation: 'sigmoid', useBias: false, ...seeded(4) }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax', ...seededDense(5) }));
    return { name: 'InputLayer → GRU(use_bias false) → Dense softmax (classify)', model: m, inputKind: 'vectors', inputSize: 4, softmax: true };
  },
  () => {
    const m = tf.sequential({ name: 'rnn' });
    m.add(tf.layers.simpleRNN({ units: 8, activation: 'relu', returnSequences: true, batchInputShape: [null, T_BUILT, 4], ...seeded(6) }));
    m.add(tf.layers.simpleRNN({ units: 8, activation: 'relu', returnSequences: true, ...seeded(7) }));
    m.add(tf.layers.dense({ units: 5, useBias: false, ...seededDense(8) }));
    return { name: 'SimpleRNN relu ×2 → Dense(use_bias false), vectors per step', model: m, inputKind: 'vectors', inputSize: 4 };
  },
];

function batchFor(b: Built, seed: number): Batch {
  const rng = new Rng(seed);
  const B = 3;
  const T = T_BUILT;
  const x = b.inputKind === 'tokens'
    ? Int32Array.from({ length: B * T }, () => rng.int(b.inputSize))
    : Float32Array.from({ length: B * T * b.inputSize }, () => rng.normal());
  return { x, y: new Int32Array(0), batch: B, steps: T };
}

for (const [i, build] of BUILT.entries()) {
  test(`tfjs import of a model built in TF.js (#${i}) predicts the same in our engine`, async (t) => {
    const b = build();
    const dir = path.join(tmp, `built-${i}`);
    await saveToDir(b.model, dir);
    const d = batchFor(b, 400 + i);
    const pred = tfPredict(b.model, b, d);
    b.model.dispose();
    const m = importTfjs(dir);
    const rows = m.spec.task === 'lm' ? d.batch * d.steps : d.batch;
    const c: Case = { name: b.name, spec: m.spec, layout: m.layout, params: m.params, batch: { ...d, y: new Int32Array(rows).fill(-1) } };
    // A softmax Dense predicts probabilities; our head gives the logits before it.
    const view = (lg: ArrayLike<number>) => (b.softmax ? softmaxRows(Float32Array.from(lg), m.spec.outputSize) : Float32Array.from(lg));
    const f64 = forward64(c.spec, c.layout, c.params, c.batch);
    t.diagnostic(`${b.name}: imported as ${m.spec.cell} ×${m.spec.layers} H${m.spec.hidden} ${m.spec.inputKind}/${m.spec.task} O${m.spec.outputSize}`);
    assertAll(t, b.name, [compare(view(f64.logits), pred, TOL, { label: 'f64-vs-tfjs-predict' })],
      () => compare(view(engineLogits(c, c.params)), pred, TOL, { label: 'engine-vs-tfjs-predict' }));
  });
}

// ─────────────── (c) refusals ───────────────

/** Saves a fresh TF.js model, lets `edit` change model.json / weights.bin, returns the folder. */
async function savedModel(name: string, build: () => tf.Sequential, edit?: (json: Record<string, any>, dir: string) => void): Promise<string> {
  const dir = path.join(tmp, `bad-${name}`);
  const model = build();
  await saveToDir(model, dir);
  model.dispose();
  if (edit) {
    const file = path.join(dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(json, dir);
    fs.writeFileSync(file, JSON.stringify(json));
  }
  return dir;
}

const smallLstm = (extra: Record<string, unknown> = {}) => () => {
  const m = tf.sequential();
  m.add(tf.layers.lstm({ units: 4, batchInputShape: [null, 3, 2], recurrentActivation: 'sigmoid', returnSequences: true, ...extra }));
  m.add(tf.layers.dense({ units: 3 }));
  return m;
};

function refuses(dir: string, pattern: RegExp) {
  assert.throws(() => importTfjs(dir), (e: unknown) => {
    assert.ok(e instanceof SparseRnnError, `expected a SparseRnnError, got ${e}`);
    assert.equal(e.code, 'BAD_FILE');
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('tfjs import refuses what it cannot represent, naming the layer and the rule', async () => {
  refuses(path.join(tmp, 'nowhere'), /model\.json is missing/);

  const corrupt = await savedModel('corrupt', smallLstm());
  fs.writeFileSync(path.join(corrupt, 'model.json'), '{"modelTopology": {"class_name": "Seq');
  refuses(corrupt, /model\.json is not valid JSON/);

  const truncated = await savedModel('truncated', smallLstm());
  const wb = path.join(truncated, 'weights.bin');
  fs.writeFileSync(wb, fs.readFileSync(wb).subarray(0, 50));
  refuses(truncated, /weights are truncated: the manifest needs \d+ bytes, the weight files hold 50/);

  const noWeights = await savedModel('noweights', smallLstm());
  fs.rmSync(path.join(noWeights, 'weights.bin'));
  refuses(noWeights, /weights\.bin is missing/);

  const hard = await savedModel('hard', smallLstm({ recurrentActivation: undefined })); // TF.js default: hardSigmoid
  refuses(hard, /layer 'lstm\w*' \(LSTM\): recurrent_activation must be sigmoid \(got hard_sigmoid/);
  try {
    importTfjs(hard);
  } catch (e) {
    assert.match((e as SparseRnnError).hint ?? '', /recurrentActivation: 'sigmoid'/);
  }

  const bidi = await savedModel('bidi', () => {
    const m = tf.sequential();
    m.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }) as tf.RNN, batchInputShape: [null, 3, 2] }));
    m.add(tf.layers.dense({ units: 2 }));
    return m;
  });
  refuses(bidi, /\(Bidirectional\): is not supported: our engine runs one direction/);

  // A Keras GRU(reset_after=True): TF.js cannot build one, so edit a saved GRU's config.
  const resetAfter = await savedModel('resetafter', () => {
    const m = tf.sequential();
    m.add(tf.layers.gru({ units: 4, batchInputShape: [null, 3, 2], recurrentActivation: 'sigmoid' }));
    m.add(tf.layers.dense({ units: 2 }));
    return m;
  }, (j) => { j.modelTopology.config.layers[0].config.reset_after = true; });
  // Our engine has the reset-after GRU (Keras's [2, 3H] bias), so this file is refused only because
  // TF.js wrote a one-row [3H] bias for it.
  refuses(resetAfter, /\(GRU\): bias has shape \[12\], expected \[2, 12\]/);

  const shapes = await savedModel('shapes', smallLstm(), (j) => { j.modelTopology.config.layers[1].config.units = 4; });
  refuses(shapes, /layer 'dense\w*' \(Dense\): kernel has shape \[4, 3\], expected \[4, 4\]/);

  const units = await savedModel('units', () => {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 4, batchInputShape: [null, 3, 2], recurrentActivation: 'sigmoid', returnSequences: true }));
    m.add(tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid' }));
    m.add(tf.layers.dense({ units: 2 }));
    return m;
  });
  refuses(units, /\(LSTM\): has 5 units, the first recurrent layer 4/);

  const sigmoidHead = await savedModel('sigmoidhead', smallLstm(), (j) => { j.modelTopology.config.layers[1].config.activation = 'sigmoid'; });
  refuses(sigmoidHead, /\(Dense\): activation must be linear or softmax \(got sigmoid\)/);

  const backwards = await savedModel('backwards', smallLstm({ goBackwards: true }));
  refuses(backwards, /\(LSTM\): go_backwards must be false/);

  const functional = await savedModel('functional', smallLstm(), (j) => { j.modelTopology.class_name = 'Model'; });
  refuses(functional, /model class "Model" is not supported: only Sequential models/);

  // model.json from one export, weights.bin from another of the same shapes.
  const a = makeCase({ name: 'a', cell: 'lstm', layers: 1, inputKind: 'tokens', seed: 500 });
  const b = makeCase({ name: 'b', cell: 'lstm', layers: 1, inputKind: 'tokens', seed: 501 });
  const mixed = path.join(tmp, 'mixed');
  exportTfjs(a.spec, a.layout, a.params, mixed);
  const other = path.join(tmp, 'other');
  exportTfjs(b.spec, b.layout, b.params, other);
  fs.copyFileSync(path.join(other, 'weights.bin'), path.join(mixed, 'weights.bin'));
  refuses(mixed, /the weights do not match this model\.json \(checksum differs\)/);

  const escape = await savedModel('escape', smallLstm(), (j) => { j.weightsManifest[0].paths = ['../weights.bin']; });
  refuses(escape, /weight path "\.\.\/weights\.bin" leaves the model folder/);
});
