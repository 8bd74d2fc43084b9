/**
 * Our ONNX export, run by ONNX Runtime (npm onnxruntime-node, CPU):
 *   (b) for RNN (tanh, and relu once), LSTM, GRU (ours = ONNX linear_before_reset 0; the
 *       reset-after GRU = linear_before_reset 1) × 1 and 2 layers ×
 *       token / vector input: ONNX Runtime's logits equal our engine's within 1e-5, dense
 *       and 90% pruned (the pruned file has sparse initializers and is smaller);
 *       importOnnx(toOnnx(m)) gives m back bit for bit.
 *   ONNX's own ops beyond what we write: the same graphs with every bias B = [Wb ; Rb]
 *   non-zero, and a hand-built time-major graph (LSTM → Y_h → Gemm transB), imported and
 *   run by our engine, equal ONNX Runtime's outputs within 1e-5.
 * Skips, saying why, only where onnxruntime-node does not load (npm ci installs it).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { toOnnx } from '../../src/model/onnx/export.js';
import { fromOnnxModel } from '../../src/model/onnx/import.js';
import { decodeModel, encodeModel, floatTensor, intTensor, node, valueInfo, attrInt, DataType, DEFAULT_LIMITS, type ModelProto } from '../../src/model/onnx/proto.js';
import { defaultSpec, GATES, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout } from '../../src/model/layout.js';
import { Rng } from '../../src/data/rng.js';
import { makeCase, type Case } from './helpers/cases.js';
import { compare } from './helpers/compare.js';
import { engineLogits, engineMissing } from './helpers/engine.js';
import { loadOrt, ortRun } from './helpers/onnx.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };
type Ort = NonNullable<Awaited<ReturnType<typeof loadOrt>>['ort']>;
let ort: Ort | null = null;
let why = '';
const missing = engineMissing();
before(async () => ({ ort, why } = await loadOrt()));

interface Variant { cell: ModelSpec['cell']; resetAfter?: boolean; activation?: 'tanh' | 'relu'; layers: number; inputKind: 'tokens' | 'vectors'; tied?: boolean }

function variants(): Variant[] {
  const out: Variant[] = [];
  for (const cell of ['rnn', 'lstm', 'gru'] as const) for (const layers of [1, 2]) for (const inputKind of ['tokens', 'vectors'] as const) {
    out.push({ cell, layers, inputKind });
    if (cell === 'gru') out.push({ cell, layers, inputKind, resetAfter: true });
  }
  out.push({ cell: 'rnn', activation: 'relu', layers: 2, inputKind: 'vectors' });
  out.push({ cell: 'lstm', layers: 1, inputKind: 'tokens', tied: true });
  return out;
}
const label = (v: Variant) => `${v.cell}${v.resetAfter ? ' reset-after' : ''}${v.activation === 'relu' ? ' relu' : ''} ×${v.layers} ${v.inputKind}${v.tied ? ' tied' : ''}`;

/** A seeded model (helpers/cases.ts), rebuilt with the reset-after GRU's two-row bias when asked. */
function modelCase(v: Variant, seed: number): Case {
  const c = makeCase({ name: label(v), cell: v.cell, layers: v.layers, inputKind: v.inputKind, activation: v.activation, tied: v.tied, seed });
  if (!v.resetAfter) return c;
  const spec = defaultSpec({ ...c.spec, resetAfter: true } as ModelSpec);
  const layout = buildLayout(spec);
  const rng = new Rng(seed + 1);
  const params = new Float32Array(layout.total);
  for (const s of layout.segments) for (let i = 0; i < s.size; i++) params[s.offset + i] = (2 * rng.float() - 1) * (s.kind === 'bias' ? 0.5 : 0.6);
  return { ...c, spec, layout, params };
}

/** Zeroes the 90% smallest-magnitude entries of every weight matrix (as magnitude pruning would). */
function prune90(c: Case): Float32Array {
  const p = Float32Array.from(c.params);
  for (const s of c.layout.segments) {
    if (s.kind === 'bias') continue;
    const v = p.subarray(s.offset, s.offset + s.size);
    const k = Math.floor(0.9 * v.length);
    const order = [...v.keys()].sort((a, b) => Math.abs(v[a]) - Math.abs(v[b]));
    for (let i = 0; i < k; i++) v[order[i]] = 0;
  }
  return p;
}

const ctx = (where: string) => ({ where, dir: null, limits: DEFAULT_LIMITS });

for (const [i, v] of variants().entries()) {
  test(`ONNX export → ONNX Runtime == engine: ${label(v)}, dense and 90% pruned`, async (t) => {
    if (!ort) return t.skip(why);
    assert.equal(missing, null, `native engine unavailable: ${missing}`);
    const c = modelCase(v, 900 + i);
    const sizes: number[] = [];
    for (const [kind, params] of [['dense', c.params], ['pruned 90%', prune90(c)]] as const) {
      const out = toOnnx(c.spec, c.layout, params);
      const sparse = out.tensors.filter((x) => x.sparse).length;
      assert.equal(sparse > 0, kind !== 'dense', `${kind}: sparse initializers ${sparse}`);
      const got = await ortRun(ort, out.bytes, c.spec, c.batch);
      const r = compare(got, engineLogits(c, params), TOL, { label: `${kind} ort-vs-engine logits` });
      t.diagnostic(`${r.line}; ${out.bytes.length} bytes, ${sparse} sparse initializers`);
      assert.ok(r.ok, r.line);
      // Our own file imports back exactly.
      const back = fromOnnxModel(decodeModel(out.bytes, 'export'), ctx('export'));
      assert.deepEqual(back.spec, c.spec);
      assert.ok(back.params.every((x, k) => Object.is(x, params[k]) || (x === 0 && params[k] === 0)), 'params round-trip bit for bit');
      sizes.push(out.bytes.length);
    }
    assert.ok(sizes[1] < sizes[0], `the 90%-pruned file (${sizes[1]} bytes) is smaller than the dense one (${sizes[0]})`);
  });
}

/** Sets every recurrent node's B to random non-zero [Wb ; Rb]. */
function randomBiases(m: ModelProto, seed: number): void {
  const rng = new Rng(seed);
  const g = m.graph!;
  g.initializer = g.initializer.map((t) => (/^rnn\.\d+\.B$/.test(t.name) ? floatTensor(t.name, t.dims.map(Number), Float32Array.from({ length: t.dims.map(Number).reduce((a, b) => a * b, 1) }, () => rng.float() - 0.5)) : t)) as typeof g.initializer;
}

for (const [i, v] of variants().entries()) {
  test(`ONNX ops with Wb and Rb both non-zero → import → engine == ONNX Runtime: ${label(v)}`, async (t) => {
    if (!ort) return t.skip(why);
    assert.equal(missing, null, `native engine unavailable: ${missing}`);
    const c = modelCase(v, 700 + i);
    const m = decodeModel(toOnnx(c.spec, c.layout, c.params).bytes, 'built');
    randomBiases(m, 50 + i);
    const bytes = encodeModel(m);
    const imported = fromOnnxModel(decodeModel(bytes, 'built'), ctx('built'));
    const r = compare(engineLogits({ ...c, spec: imported.spec, layout: imported.layout }, imported.params), await ortRun(ort, bytes, c.spec, c.batch), TOL, { label: 'engine-vs-ort logits' });
    t.diagnostic(r.line);
    assert.ok(r.ok, r.line);
  });
}

test('a hand-built time-major ONNX LSTM ×2 (Y_h → Squeeze → Gemm transB=1, all biases non-zero) imports as a classifier equal to ONNX Runtime', async (t) => {
  if (!ort) return t.skip(why);
  assert.equal(missing, null, `native engine unavailable: ${missing}`);
  const rng = new Rng(4242);
  const H = 7;
  const D = 5;
  const O = 3;
  const G = GATES.lstm;
  const r = (n: number, s = 0.5) => Float32Array.from({ length: n }, () => (2 * rng.float() - 1) * s);
  const inits = [
    floatTensor('W0', [1, G * H, D], r(G * H * D)), floatTensor('R0', [1, G * H, H], r(G * H * H)), floatTensor('B0', [1, 2 * G * H], r(2 * G * H)),
    floatTensor('W1', [1, G * H, H], r(G * H * H)), floatTensor('R1', [1, G * H, H], r(G * H * H)), floatTensor('B1', [1, 2 * G * H], r(2 * G * H)),
    floatTensor('fc.w', [O, H], r(O * H, 1)), floatTensor('fc.b', [O], r(O)), intTensor('ax1', [1], [1]), intTensor('ax0', [1], [0]),
  ];
  const bytes = encodeModel({
    irVersion: 7, opsetImport: [{ domain: '', version: 14 }], producerName: 'hand-built',
    graph: {
      name: 'g',
      node: [
        node('LSTM', 'l0', ['x', 'W0', 'R0', 'B0'], ['y0', ''], [attrInt('hidden_size', H)]),
        node('Squeeze', 's0', ['y0', 'ax1'], ['h0']),
        node('LSTM', 'l1', ['h0', 'W1', 'R1', 'B1'], ['', 'yh1'], [attrInt('hidden_size', H)]),
        node('Squeeze', 's1', ['yh1', 'ax0'], ['last']),
        node('Gemm', 'fc', ['last', 'fc.w', 'fc.b'], ['logits'], [attrInt('transB', 1)]),
      ],
      initializer: inits,
      input: [valueInfo('x', DataType.FLOAT, ['time', 'batch', D])],
      output: [valueInfo('logits', DataType.FLOAT, ['batch', O])],
    },
  });
  const m = fromOnnxModel(decodeModel(bytes, 'hand-built'), ctx('hand-built'));
  assert.equal(m.spec.task, 'classify');
  assert.equal(m.spec.layers, 2);
  const B = 4;
  const T = 6;
  const batch = { x: Float32Array.from({ length: B * T * D }, () => rng.normal()), y: new Int32Array(B), batch: B, steps: T };
  const res = compare(engineLogits({ spec: m.spec, layout: m.layout, batch }, m.params), await ortRun(ort, bytes, m.spec, batch, true), TOL, { label: 'engine-vs-ort logits' });
  t.diagnostic(res.line);
  assert.ok(res.ok, res.line);
});
