// Inference runtimes against the dense reference (dense math on the same params),
// every engine and ISA, plus the API contract: step purity, run = steps, sampling
// determinism, classification, input checks, and the size target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSpec, type ModelSpec } from '../../src/model/spec.js';
import { SparseRnnError } from '../../src/errors.js';
import { readSparseModel, toDenseParams, writeSparseModel, type ValueType } from '../../src/deploy/format.js';
import { randomPrunedModel } from '../../src/deploy/random.js';
import { createRuntime, type InferenceRuntime } from '../../src/deploy/runtime.js';
import { createNativeRuntime, hasInferAddon, inferAddon, type InferIsa } from '../../src/deploy/native-runtime.js';
import { denseReferenceStep } from '../../src/deploy/reference.js';
import { sizeReport } from '../../src/deploy/size.js';
import { softmax } from '../../src/deploy/sample.js';

const NATIVE = hasInferAddon();
const ISAS: InferIsa[] = NATIVE ? (['avx512', 'avx2', 'scalar'] as const).filter((l) => {
  const order = ['scalar', 'avx2', 'avx512'];
  return order.indexOf(l) <= order.indexOf(inferAddon().isaDetected());
}) : [];

/** hidden 32: sizes multiple of 16 (AVX-512 window-ELL path); hidden 20: CSR path. */
function specs(): ModelSpec[] {
  const out: ModelSpec[] = [];
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    out.push(defaultSpec({ cell, inputSize: 48, outputSize: 48, hidden: 32, embedDim: 24, layers: 2 }));
    out.push(defaultSpec({ cell, inputSize: 37, outputSize: 37, hidden: 20, embedDim: 20, tied: true }));
    out.push(defaultSpec({ cell, inputKind: 'vectors', inputSize: 9, outputSize: 10, hidden: 32, task: 'classify', activation: cell === 'rnn' ? 'relu' : 'tanh' }));
  }
  // the reset-after GRU: window-ELL and CSR sizes, tokens and vectors
  out.push(defaultSpec({ cell: 'gru', resetAfter: true, inputSize: 48, outputSize: 48, hidden: 32, embedDim: 24, layers: 2 }));
  out.push(defaultSpec({ cell: 'gru', resetAfter: true, inputKind: 'vectors', inputSize: 9, outputSize: 10, hidden: 20, task: 'classify' }));
  return out;
}

const load = (spec: ModelSpec, sparsity: number, values: ValueType = 'fp32', seed = 3) => {
  const m = randomPrunedModel(spec, sparsity, seed);
  return readSparseModel(writeSparseModel(spec, m.layout, m.params, m.mask, { values }));
};

const inputs = (spec: ModelSpec, T: number): (number | Float32Array)[] =>
  Array.from({ length: T }, (_, t) => spec.inputKind === 'tokens' ? (t * 7 + 3) % spec.inputSize
    : Float32Array.from({ length: spec.inputSize }, (_, i) => Math.sin(t + 0.7 * i)));

function engines(model: ReturnType<typeof load>): InferenceRuntime[] {
  const out: InferenceRuntime[] = [createRuntime(model)];
  if (NATIVE) {
    out.push(createNativeRuntime(model), createNativeRuntime(model, { halfValues: true, int8Values: true }),
      createNativeRuntime(model, { mode: 'dense' }), createNativeRuntime(model, { mode: 'naive' }));
  }
  return out;
}

test('every engine equals the dense reference within 1e-5 (all cells, tied, vectors, 2 layers, each ISA)', (t) => {
  if (!NATIVE) t.diagnostic('native addon not built: TypeScript engine only');
  for (const isa of ISAS.length ? ISAS : ['none']) {
    if (NATIVE) inferAddon().setIsa(isa as InferIsa);
    for (const spec of specs()) {
      for (const values of ['fp32', 'fp16', 'int8'] as const) {
        const model = load(spec, 0.8, values);
        const { params } = toDenseParams(model);
        const rts = engines(model);
        const states = rts.map((r) => r.initialState());
        const ref = rts[0].initialState();
        for (const x of inputs(spec, 6)) {
          const want = denseReferenceStep(spec, model.layout, params, x, ref);
          rts.forEach((rt, k) => {
            const got = rt.step(x, states[k]);
            states[k] = got.state;
            for (let i = 0; i < want.length; i++) {
              assert.ok(Math.abs(got.logits[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
                `${rt.engine} ${spec.cell} ${values} logit ${i}: ${got.logits[i]} vs ${want[i]}`);
            }
          });
        }
        rts.forEach((rt, k) => states[k].forEach((v, i) => assert.ok(Math.abs(v - ref[i]) <= 1e-5, `${rt.engine} state`)));
      }
    }
  }
  if (NATIVE) inferAddon().setIsa('auto');
});

test('fp16 / int8 models run on half values / int8 codes in the native sparse path; fp32 does not', { skip: !NATIVE && 'native addon not built' }, () => {
  const spec = specs()[0];
  assert.match(createNativeRuntime(load(spec, 0.9, 'fp16'), { halfValues: true }).engine, /-f16$/);
  assert.doesNotMatch(createNativeRuntime(load(spec, 0.9, 'fp16')).engine, /-f16$/, "'auto': small products stay fp32");
  assert.doesNotMatch(createNativeRuntime(load(spec, 0.9, 'fp32'), { halfValues: true }).engine, /-f16$/);
  assert.doesNotMatch(createNativeRuntime(load(spec, 0.9, 'fp16'), { halfValues: false }).engine, /-f16$/);
  assert.match(createNativeRuntime(load(spec, 0.9, 'int8'), { int8Values: true }).engine, /-i8$/);
  assert.doesNotMatch(createNativeRuntime(load(spec, 0.9, 'int8')).engine, /-i8$/, "'auto': small products stay fp32");
  // 'auto' switches on for a product of ≥ 131072 non-zeros (H 256 LSTM, 50%: 262144).
  const big = defaultSpec({ cell: 'lstm', inputKind: 'vectors', inputSize: 256, hidden: 256, outputSize: 2, task: 'classify' });
  assert.match(createNativeRuntime(load(big, 0.5, 'fp16')).engine, /-f16$/);
  assert.match(createNativeRuntime(load(big, 0.5, 'int8')).engine, /-i8$/);
});

test('step leaves its input state alone; run equals repeated steps', () => {
  for (const spec of specs().slice(0, 3)) {
    const model = load(spec, 0.5);
    for (const rt of engines(model)) {
      const s0 = rt.initialState();
      s0.fill(0.1);
      const copy = s0.slice();
      const xs = inputs(spec, 4);
      let s = s0;
      const logits: number[] = [];
      for (const x of xs) {
        const r = rt.step(x, s);
        s = r.state;
        logits.push(...r.logits);
      }
      assert.deepEqual(s0, copy, `${rt.engine}: step mutated its input state`);
      const seq = spec.inputKind === 'tokens' ? (xs as number[]) : (xs as Float32Array[]);
      const run = rt.run(seq, s0);
      assert.deepEqual(Array.from(run.logits), logits.map(Math.fround));
      assert.deepEqual(run.state, s);
    }
  }
});

test('generate: same seed → same tokens in TS and native; another seed differs; greedy = argmax chain', () => {
  const spec = defaultSpec({ cell: 'lstm', inputSize: 30, outputSize: 30, hidden: 32, embedDim: 16 });
  const model = load(spec, 0.9, 'fp16');
  const rts = engines(model);
  const opts = { prime: [1, 2, 3], length: 40, temperature: 1, topK: 0, seed: 42 };
  const a = rts[0].generate(opts);
  assert.equal(a.tokens.length, 40);
  assert.deepEqual(rts[0].generate(opts), a, 'deterministic');
  for (const rt of rts.slice(1)) assert.deepEqual(rt.generate(opts).tokens, a.tokens, rt.engine);
  assert.notDeepEqual(rts[0].generate({ ...opts, seed: 43 }).tokens, a.tokens);
  const k3 = rts[0].generate({ ...opts, topK: 3, temperature: 0.7 });
  assert.ok(k3.tokens.every((t) => t >= 0 && t < 30));
  // Greedy: each token is the argmax of the logits after feeding the previous ones.
  const g = rts[0].generate({ prime: [5], length: 8, temperature: 0 });
  let st = rts[0].initialState();
  let r = rts[0].step(5, st);
  for (const tok of g.tokens) {
    const best = r.logits.indexOf(Math.max(...r.logits));
    assert.equal(tok, best);
    st = r.state;
    r = rts[0].step(tok, st);
  }
});

test('generate with a vocabulary encodes and decodes text', () => {
  const vocab = [...' abcdefghij'];
  const spec = defaultSpec({ cell: 'gru', inputSize: vocab.length, outputSize: vocab.length, hidden: 16, embedDim: 8 });
  const m = randomPrunedModel(spec, 0.8, 9);
  const model = readSparseModel(writeSparseModel(spec, m.layout, m.params, m.mask, { extra: { vocab } }));
  const out = createRuntime(model).generate({ prime: 'bad cab', length: 12, seed: 3 });
  assert.equal(out.text?.length, 12);
  assert.ok([...out.text!].every((ch) => vocab.includes(ch)));
  assert.throws(() => createRuntime(model).generate({ prime: 'xyz', length: 2 }), /not in the model's vocabulary/);
});

test('classify: label = argmax of the last-step dense reference; probs are a softmax', () => {
  const spec = specs()[2];
  const model = load(spec, 0.7, 'int8');
  const { params } = toDenseParams(model);
  const xs = inputs(spec, 5) as Float32Array[];
  const ref = createRuntime(model).initialState();
  let want: Float64Array = new Float64Array();
  for (const x of xs) want = denseReferenceStep(spec, model.layout, params, x, ref);
  const flat = new Float32Array(xs.length * spec.inputSize);
  xs.forEach((x, t) => flat.set(x, t * spec.inputSize));
  for (const rt of engines(model)) {
    const c = rt.classify(flat);
    assert.equal(c.label, Array.from(want).indexOf(Math.max(...want)), rt.engine);
    assert.ok(Math.abs(c.probs.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.deepEqual(c.probs, softmax(c.logits));
    assert.deepEqual(rt.classify(xs).probs, c.probs, 'list of vectors = flat');
  }
});

test('bad inputs are one-line BAD_DATA / BAD_CONFIG errors', () => {
  const tok = createRuntime(load(specs()[0], 0.5));
  const vec = createRuntime(load(specs()[2], 0.5));
  const code = (f: () => unknown, c: string, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof SparseRnnError && e.code === c && re.test(e.message));
  code(() => tok.step(48), 'BAD_DATA', /token id in \[0, 48\)/);
  code(() => tok.step(1.5), 'BAD_DATA', /token id/);
  code(() => vec.step(new Float32Array(3)), 'BAD_DATA', /Float32Array of 9 features/);
  code(() => vec.step(new Float32Array(9), new Float32Array(2)), 'BAD_DATA', /state must be a Float32Array of 64/);
  code(() => vec.run(new Float32Array(10)), 'BAD_DATA', /multiple of 9/);
  code(() => vec.generate({ prime: [1], length: 3 }), 'BAD_CONFIG', /token language model/);
  code(() => tok.generate({ prime: [], length: 3 }), 'BAD_FLAG', /at least one token/);
  code(() => tok.generate({ prime: [1], length: 3, temperature: -1 }), 'BAD_FLAG', /temperature/);
  code(() => tok.generate({ prime: 'abc', length: 3 }), 'BAD_CONFIG', /no vocabulary/);
});

test('size target: 90%-sparse LSTM H256 with fp16 values is <= 12% of dense fp32', () => {
  const spec = defaultSpec({ cell: 'lstm', inputKind: 'vectors', inputSize: 256, hidden: 256, outputSize: 256, task: 'classify' });
  const m = randomPrunedModel(spec, 0.9, 1);
  const r = sizeReport(spec, m.layout, m.params, m.mask);
  const ratio = r.total.sparse.fp16 / r.total.denseFp32;
  assert.ok(ratio <= 0.12, `fp16 file is ${(100 * ratio).toFixed(1)}% of dense`);
  assert.ok(r.total.sparse.int8 < r.total.sparse.fp16 && r.total.sparse.fp16 < r.total.sparse.fp32);
  // Unpruned groups (biases) are not smaller; the sparse fp32 file beats dense gzip.
  assert.ok(r.total.sparse.fp32 < r.total.denseGzip * 1.5);
  assert.equal(r.groups.find((g) => g.name === 'rnn.0.hh')!.nnz, Math.round(256 * 1024 * 0.1));
});

/** Batched kernels may sum in another order than single ones: equal to float rounding. */
function close(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('small batch: stepBatch and classifyBatch (mixed lengths, > 8 sequences) equal one-by-one, every engine and ISA', () => {
  for (const isa of ISAS.length ? ISAS : ['none']) {
    if (NATIVE) inferAddon().setIsa(isa as InferIsa);
    for (const spec of [specs()[0], specs()[2], specs()[5], specs()[8]]) {
      const model = load(spec, 0.85, 'fp16');
      const seqs = Array.from({ length: 10 }, (_, b) => inputs(spec, 2 + (b % 4)).slice(b % 2)) as (number | Float32Array)[][];
      for (const rt of engines(model)) {
        const one = seqs.map((q) => {
          let st = rt.initialState();
          for (const x of q) st = rt.step(x, st).state;
          return st;
        });
        const firsts = seqs.map((q) => q[0]);
        const batch = rt.stepBatch(firsts, one);
        firsts.forEach((x, b) => {
          const r = rt.step(x, one[b]);
          close(batch.states[b], r.state, `${rt.engine} stepBatch state ${b}`);
          close(batch.logits[b], r.logits, `${rt.engine} stepBatch logits ${b}`);
        });
        if (spec.task === 'classify') {
          const seqArgs = seqs.map((q) => q as Float32Array[]);
          const got = rt.classifyBatch(seqArgs);
          seqArgs.forEach((q, b) => close(got[b].probs, rt.classify(q).probs, `${rt.engine} classifyBatch ${b}`));
        }
      }
    }
  }
  if (NATIVE) inferAddon().setIsa('auto');
});
