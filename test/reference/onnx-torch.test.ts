/**
 * PyTorch → ONNX → our engine. The fixtures in test/fixtures/onnx/ are written by
 * scripts/onnx-fixtures.py with Debian's PyTorch (torch.onnx.export, opset 14): for
 * nn.RNN (tanh), nn.LSTM and nn.GRU × 1 and 2 layers × token (Embedding → lm head on
 * every step) and vector (→ classifier on the last step) input, the .onnx file and
 * PyTorch's logits, mean cross-entropy and every parameter's gradient.
 *
 *   (a) importOnnx(file) gives PyTorch's parameters (mapped here independently, from
 *       PyTorch's documented layout) and our engine's logits equal PyTorch's within 1e-5;
 *   (c) our engine's loss and gradients equal PyTorch's within 1e-4 relative
 *       (|a − b| ≤ 1e-6 + 1e-4·|b|, helpers/compare.ts).
 * PyTorch's GRU is the reset-after variant (ONNX linear_before_reset = 1): it imports as
 * the engine's reset-after GRU (ModelSpec.resetAfter), whose gradients are checked here
 * against PyTorch's (and by finite differences in test/unit/gradcheck.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/model/onnx/import.js';
import { compare } from './helpers/compare.js';
import { runEngine, engineLogits, engineMissing } from './helpers/engine.js';
import { torchFixture, fixtureBatch, torchToFlat } from './helpers/onnx.js';

const LOGITS = { atol: 1e-5, rtol: 1e-5 };
const GRADS = { atol: 1e-6, rtol: 1e-4 };
const missing = engineMissing();

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  for (const layers of [1, 2]) {
    for (const input of ['tokens', 'vectors'] as const) {
      const name = `${cell}-${layers}-${input}`;
      test(`PyTorch ${name}: import, logits, loss and gradients`, (t) => {
        assert.equal(missing, null, `native engine unavailable: ${missing}`);
        const f = torchFixture(name);
        const m = importOnnx(f.onnx);
        assert.equal(m.spec.cell, cell);
        assert.equal(m.spec.layers, layers);
        assert.equal(m.spec.inputKind, input);
        assert.equal(m.spec.task, input === 'tokens' ? 'lm' : 'classify');
        assert.match(m.producer, /pytorch/);
        if (cell === 'gru') assert.equal((m.spec as { resetAfter?: boolean }).resetAfter, true);

        // The importer's weights are PyTorch's, gate by gate (our mapping, written independently).
        const want = torchToFlat(f.params, m.spec, m.layout, true);
        const p = compare(m.params, want, { atol: 1e-7, rtol: 1e-7 }, { label: 'imported params', layout: m.layout });
        t.diagnostic(p.line);
        assert.ok(p.ok, p.line);

        const d = fixtureBatch(f, m.spec);
        const logits = compare(engineLogits({ spec: m.spec, layout: m.layout, batch: d }, m.params), f.logits.data, LOGITS, { label: 'engine-vs-torch logits' });
        t.diagnostic(logits.line);
        assert.ok(logits.ok, logits.line);

        const e = runEngine({ name, spec: m.spec, layout: m.layout, params: m.params, batch: d });
        const loss = compare([e.loss], [f.loss], GRADS, { label: 'engine-vs-torch loss' });
        const g = compare(e.grads, torchToFlat(f.grads, m.spec, m.layout, false), GRADS, { label: 'engine-vs-torch grads', layout: m.layout });
        t.diagnostic(loss.line);
        t.diagnostic(g.line);
        assert.ok(loss.ok, loss.line);
        assert.ok(g.ok, g.line);
      });
    }
  }
}
