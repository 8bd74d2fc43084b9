// The reset-after GRU (ModelSpec.resetAfter) across the toolkit: spec rules, the
// [2, 3H] bias in the layout and the accounting, the engine's forward against the
// deploy dense reference, the .srnz version it needs, the TF.js export refusing it,
// and a tiny CLI run with per-gate pruning (sparse-aware training). Its gradients are
// checked against float64 finite differences in gradcheck.test.ts, its sparse
// kernels in sparse-train.test.ts, its inference runtimes in deploy-runtime.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { defaultSpec, isResetAfter, sameSpec, validateSpec, type ModelSpec } from '../../src/model/spec.js';
import { buildLayout, nativeConfig } from '../../src/model/layout.js';
import { accountModel } from '../../src/model/accounting.js';
import { native } from '../../src/engine/native.js';
import { denseReferenceStep } from '../../src/deploy/reference.js';
import { formatVersionFor, readSparseModel, writeSparseModel } from '../../src/deploy/format.js';
import { crc32 } from '../../src/deploy/codec.js';
import { randomPrunedModel } from '../../src/deploy/random.js';
import { toTfjsArtifacts } from '../../src/model/tfjs.js';
import { SparseRnnError } from '../../src/errors.js';
import { parseStudySpec } from '../../src/study/spec.js';
import { expandStudy } from '../../src/study/plan.js';
import { loadDataset } from '../../src/data/index.js';
import { specFor } from '../../src/train/trainer.js';
import { mulberry32 } from '../helpers/random.js';
import { cli, tmpDir } from '../helpers/cli.js';

const ra = (over: Partial<ModelSpec> = {}) =>
  defaultSpec({ cell: 'gru', resetAfter: true, inputSize: 11, outputSize: 11, hidden: 6, embedDim: 5, layers: 2, ...over });

const badConfig = (fn: () => unknown, mention: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_CONFIG' && mention.test(e.message));

test('spec: resetAfter is a boolean GRU option; absent equals false', () => {
  assert.ok(isResetAfter(ra()));
  assert.ok(!isResetAfter(ra({ resetAfter: false })));
  badConfig(() => ra({ cell: 'lstm' }), /resetAfter is a GRU option/);
  badConfig(() => validateSpec({ ...ra(), resetAfter: 'yes' as unknown as boolean }), /resetAfter must be true or false/);
  const plain = defaultSpec({ cell: 'gru', inputSize: 11, outputSize: 11, hidden: 6 });
  assert.ok(sameSpec(plain, { ...plain, resetAfter: false }));
  assert.ok(!sameSpec(plain, { ...plain, resetAfter: true }));
});

test('layout: the bias is [2, 3H] (input; recurrent), kernels as the default GRU; accounting counts both rows per gate', () => {
  const spec = ra();
  const layout = buildLayout(spec);
  const H = spec.hidden;
  assert.deepEqual(layout.byName.get('rnn.1.bias')!.shape, [2, 3 * H]);
  assert.deepEqual(layout.byName.get('rnn.0.hh')!.shape, [H, 3 * H]);
  assert.equal(nativeConfig(spec, layout).resetAfter, true);
  const params = new Float32Array(layout.total).fill(1);
  const bias = layout.byName.get('rnn.0.bias')!;
  // zero the recurrent bias of gate r (row 1, columns H..2H)
  params.fill(0, bias.offset + 3 * H + H, bias.offset + 3 * H + 2 * H);
  const acc = accountModel(spec, layout, params);
  const g = acc.groups.find((x) => x.name === 'rnn.0.bias')!;
  assert.deepEqual(g.gates!.map((x) => [x.gate, x.params, x.nonZeros]), [['z', 2 * H, 2 * H], ['r', 2 * H, H], ['h', 2 * H, 2 * H]]);
});

test('engine forward equals the deploy dense reference step by step (tokens lm, 2 layers)', () => {
  const spec = ra();
  const layout = buildLayout(spec);
  const rnd = mulberry32(5);
  const params = Float32Array.from({ length: layout.total }, () => (rnd() - 0.5) * 1.2);
  const T = 7;
  const x = Int32Array.from({ length: T }, (_, t) => (t * 4 + 1) % spec.inputSize);
  const logits = new Float32Array(T * spec.outputSize);
  const net = new (native().Net)(nativeConfig(spec, layout), params, new Float32Array(layout.total));
  net.run({ x, y: new Int32Array(T), batch: 1, steps: T, state: null, backward: false, dropoutSeed: 0, logits });
  const state = new Float32Array(spec.layers * spec.hidden);
  for (let t = 0; t < T; t++) {
    const want = denseReferenceStep(spec, layout, params, x[t], state);
    for (let o = 0; o < spec.outputSize; o++) {
      const got = logits[t * spec.outputSize + o];
      assert.ok(Math.abs(got - want[o]) <= 1e-5 * Math.max(1, Math.abs(want[o])), `step ${t} logit ${o}: ${got} vs ${want[o]}`);
    }
  }
});

test('.srnz: written as version 2 (biases dense fp32, exact under int8); other models stay version 1; a version-1 file cannot claim it', () => {
  const spec = ra();
  const m = randomPrunedModel(spec, 0.7, 2);
  const bytes = writeSparseModel(spec, m.layout, m.params, m.mask, { values: 'int8' });
  assert.equal(new DataView(bytes.buffer).getUint32(8, true), 2);
  const back = readSparseModel(bytes);
  assert.ok(isResetAfter(back.spec));
  const bias = back.groups.get('rnn.0.bias')!;
  const seg = m.layout.byName.get('rnn.0.bias')!;
  assert.equal(bias.kind, 'dense');
  assert.deepEqual([bias.rows, bias.cols], [2, 3 * spec.hidden]);
  assert.deepEqual(Array.from(bias.values), Array.from(m.params.subarray(seg.offset, seg.offset + seg.size)));
  const plain = defaultSpec({ cell: 'gru', inputSize: 11, outputSize: 11, hidden: 6 });
  assert.equal(formatVersionFor(plain), 1);
  const p = randomPrunedModel(plain, 0.5, 2);
  assert.equal(new DataView(writeSparseModel(plain, p.layout, p.params, p.mask).buffer).getUint32(8, true), 1);
  // the same reset-after file relabelled version 1 (checksum fixed) is refused
  const v1 = bytes.slice();
  const dv = new DataView(v1.buffer);
  dv.setUint32(8, 1, true);
  dv.setUint32(v1.length - 4, crc32(v1, 0, v1.length - 4), true);
  assert.throws(() => readSparseModel(v1), /reset-after GRU needs format version 2/);
});

test('TF.js export refuses the reset-after GRU (TF.js has none) with one BAD_CONFIG line', () => {
  const spec = ra();
  const layout = buildLayout(spec);
  badConfig(() => toTfjsArtifacts(spec, layout, new Float32Array(layout.total)), /TF.js has no reset-after GRU/);
});

test('CLI: train --reset-after learns with per-gate pruning (sparse-aware training), evaluates, exports and generates (TS = native); --reset-after on an LSTM is BAD_CONFIG', () => {
  const dir = tmpDir();
  const recipe = path.join(dir, 'gates.yaml');
  fs.writeFileSync(recipe, [
    'pruning:',
    '  - select: [rnn.*.hh:z, rnn.*.hh:h, rnn.*.ih]',
    '    method: agp', '    finalSparsity: 0.9', '    beginEpoch: 0', '    endEpoch: 1', '    frequencyEpochs: 0.25',
    '  - select: rnn.*.hh:r',
    '    method: agp', '    finalSparsity: 0.5', '    beginEpoch: 0', '    endEpoch: 1', '    frequencyEpochs: 0.25',
  ].join('\n'));
  const out = path.join(dir, 'run');
  const r = cli(['train', '--data', 'synthetic-lm', '--limit', '6000', '--cell', 'gru', '--reset-after', '--hidden', '16',
    '--batch', '4', '--bptt', '10', '--epochs', '2', '--optimizer', 'adam', '--lr', '0.01', '--recipe', recipe, '--out', out, '--quiet', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.spec.resetAfter, true);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(res.valid.loss < Math.log(summary.spec.inputSize) * 0.9, `valid loss ${res.valid.loss}`);
  // the checkpoint reloads as the reset-after GRU; its export runs in both runtimes, the same tokens
  const ev = cli(['evaluate', out, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  // (to float rounding: the trainer's evaluation runs the pruned groups on the sparse kernels)
  assert.ok(Math.abs(JSON.parse(ev.stdout).valid.loss - res.valid.loss) <= 1e-6 * res.valid.loss, ev.stdout);
  const model = path.join(dir, 'm.srnz');
  const ex = cli(['export', out, '--format', 'sparse', '--out', model]);
  assert.equal(ex.code, 0, ex.stderr);
  const gen = (engine: string) => cli(['generate', model, '--prime-ids', '1,2,3', '--length', '20', '--engine', engine, '--json']);
  const [ts, nat] = [gen('ts'), gen('native')];
  assert.equal(ts.code, 0, ts.stderr);
  assert.equal(nat.code, 0, nat.stderr);
  assert.deepEqual(JSON.parse(ts.stdout).tokens, JSON.parse(nat.stdout).tokens);
  const lstm = cli(['train', '--data', 'synthetic-lm', '--limit', '6000', '--cell', 'lstm', '--reset-after', '--hidden', '8', '--quiet']);
  assert.notEqual(lstm.code, 0);
  assert.match(lstm.stderr.trim(), /^error\[BAD_CONFIG\]: model\.resetAfter is a GRU option \(cell is lstm\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('study: model.resetAfter makes the gru runs reset-after; other cells and studies without it are unchanged', () => {
  const ds = loadDataset('synthetic-lm', { limit: 4000 });
  const raw = {
    name: 'ra', tasks: [{ name: 'syn', data: { name: 'synthetic-lm', limit: 4000 }, model: { hidden: 16, embedDim: 8 }, epochs: 1, batch: 8, bptt: 20 }],
    cells: ['lstm', 'gru'], methods: ['dense', 'agp'], targets: ['hh'], sparsities: [0.9], seeds: [1],
  };
  const plain = expandStudy(parseStudySpec(raw), () => ds);
  const withRa = expandStudy(parseStudySpec({ ...raw, tasks: [{ ...raw.tasks[0], model: { hidden: 16, embedDim: 8, resetAfter: true } }] }), () => ds);
  assert.ok(plain.every((p) => p.train.model.resetAfter === undefined), 'a study without the option: specs as before');
  for (const p of withRa) {
    const s = specFor(p.train, ds);
    assert.equal(isResetAfter(s), p.cell === 'gru', `${p.id}`);
  }
  assert.ok(withRa.some((p) => p.cell === 'gru') && withRa.some((p) => p.cell === 'lstm'));
  assert.throws(() => parseStudySpec({ ...raw, tasks: [{ ...raw.tasks[0], model: { hidden: 16, resetAfter: 1 } }] }), /resetAfter must be true or false/);
});
