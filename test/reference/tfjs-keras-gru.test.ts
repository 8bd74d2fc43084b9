/**
 * A Keras GRU(reset_after=True) — Keras 2's default GRU, which the TF.js converter writes
 * but TF.js itself cannot run — imports through a TF.js Layers folder as the engine's
 * reset-after GRU. The weights are PyTorch's (test/fixtures/onnx, scripts/onnx-fixtures.py),
 * laid out the way Keras stores them (kernel [in, 3H] and recurrent_kernel [H, 3H] with gates
 * z, r, h; bias [2, 3H] = [input bias; recurrent bias]), written into model.json here by
 * hand; the imported model's logits must equal PyTorch's within 1e-5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importTfjs } from '../../src/model/tfjs.js';
import { importOnnx } from '../../src/model/onnx/import.js';
import type { ModelSpec } from '../../src/model/spec.js';
import type { Layout } from '../../src/model/layout.js';
import { compare } from './helpers/compare.js';
import { engineLogits, engineMissing } from './helpers/engine.js';
import { torchFixture, fixtureBatch, torchToFlat } from './helpers/onnx.js';

/** A Keras-style Sequential model.json + weights.bin for a reset-after GRU, from our flat params. */
function writeKerasFolder(dir: string, spec: ModelSpec, layout: Layout, flat: Float32Array): void {
  const H = spec.hidden;
  const layers: unknown[] = [];
  const weights: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const chunks: Float32Array[] = [];
  const put = (name: string, seg: string) => {
    const s = layout.byName.get(seg)!;
    weights.push({ name, shape: [...s.shape], dtype: 'float32' });
    chunks.push(flat.subarray(s.offset, s.offset + s.size));
  };
  if (spec.inputKind === 'tokens') {
    layers.push({ class_name: 'Embedding', config: { name: 'embedding', batch_input_shape: [null, null], input_dim: spec.inputSize, output_dim: spec.embedDim, mask_zero: false } });
    put('embedding/embeddings', 'embedding');
  }
  for (let l = 0; l < spec.layers; l++) {
    const name = l ? `gru_${l}` : 'gru';
    layers.push({
      class_name: 'GRU',
      config: {
        name, units: H, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true,
        return_sequences: spec.task === 'lm' || l < spec.layers - 1, return_state: false, go_backwards: false, stateful: false,
        ...(l === 0 && spec.inputKind === 'vectors' ? { batch_input_shape: [null, null, spec.inputSize] } : {}),
      },
    });
    put(`${name}/gru_cell/kernel`, `rnn.${l}.ih`);
    put(`${name}/gru_cell/recurrent_kernel`, `rnn.${l}.hh`);
    put(`${name}/gru_cell/bias`, `rnn.${l}.bias`);
  }
  layers.push({ class_name: 'Dense', config: { name: 'dense', units: spec.outputSize, activation: 'linear', use_bias: true } });
  put('dense/kernel', 'head');
  put('dense/bias', 'head.bias');
  const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model', generatedBy: 'keras v2 (by hand, for this test)', convertedBy: 'this test',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: { name: 'sequential', layers } } },
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  }));
}

for (const name of ['gru-1-tokens', 'gru-2-vectors']) {
  test(`Keras GRU(reset_after=True) via TF.js import: ${name} equals PyTorch`, (t) => {
    const missing = engineMissing();
    assert.equal(missing, null, `native engine unavailable: ${missing}`);
    const f = torchFixture(name);
    const ref = importOnnx(f.onnx); // only for the model's shape; the weights come from PyTorch's tensors
    assert.equal(ref.spec.resetAfter, true);
    const flat = torchToFlat(f.params, ref.spec, ref.layout, true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-keras-gru-'));
    writeKerasFolder(dir, ref.spec, ref.layout, flat);

    const m = importTfjs(dir);
    assert.equal(m.spec.cell, 'gru');
    assert.equal(m.spec.resetAfter, true);
    assert.equal(m.spec.layers, ref.spec.layers);
    assert.deepEqual(Array.from(m.params), Array.from(flat), 'weights copied as Keras stores them');
    const logits = compare(engineLogits({ spec: m.spec, layout: m.layout, batch: fixtureBatch(f, m.spec) }, m.params), f.logits.data,
      { atol: 1e-5, rtol: 1e-5 }, { label: 'keras-gru-vs-torch logits' });
    t.diagnostic(logits.line);
    assert.ok(logits.ok, logits.line);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
