/**
 * Bring your own model, through the CLI as a user runs it:
 *   a PyTorch LSTM (torch.onnx.export, test/fixtures/onnx/lstm-synthetic-lm.onnx)
 *   → sparse-rnn import --data synthetic-lm → evaluate / inspect
 *   → prune --from … --recipe recipes/agp-both-90-finetune.yaml
 *   → export --format onnx → ONNX Runtime gives the pruned checkpoint's logits,
 *     and the file is smaller than the dense ONNX export;
 *   fine-tuning the import with train --resume; a TF.js folder through import;
 *   refusals as one error line with no run folder left behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmpDir, listFiles } from '../helpers/cli.js';
import { readCheckpoint, resolveCheckpoint } from '../../src/model/checkpoint.js';
import { loadOrt, ortRun, FIXTURES, torchFixture, fixtureBatch } from '../reference/helpers/onnx.js';
import { engineLogits, engineMissing } from '../reference/helpers/engine.js';
import { compare } from '../reference/helpers/compare.js';
import { Rng } from '../../src/data/rng.js';

let tmp = '';
before(() => { tmp = tmpDir('srnn-onnx-cli-'); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ok = (r: ReturnType<typeof cli>, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);

test('PyTorch LSTM → import → prune 90% → export --format onnx → ONNX Runtime gives the pruned model\'s outputs', async (t) => {
  const src = path.join(FIXTURES, 'lstm-synthetic-lm.onnx');
  const dense = path.join(tmp, 'torch-lstm');
  const pruned = path.join(tmp, 'torch-lstm90');
  const imp = cli(['import', src, '--out', dense, '--data', 'synthetic-lm', '--json']);
  ok(imp, 'import');
  const info = JSON.parse(imp.stdout);
  assert.equal(info.format, 'onnx');
  assert.match(info.producer, /pytorch/);
  assert.equal(info.spec.cell, 'lstm');
  assert.deepEqual(listFiles(dense), ['ckpt/last.srnn', 'config.json']);

  const ev = cli(['evaluate', dense, '--json']);
  ok(ev, 'evaluate');
  assert.ok(JSON.parse(ev.stdout).valid.loss > 0);
  ok(cli(['inspect', dense]), 'inspect');

  const pr = cli(['prune', '--from', dense, '--recipe', 'recipes/agp-both-90-finetune.yaml', '--epochs', '2', '--batch', '16', '--bptt', '20', '--out', pruned, '--quiet', '--json']);
  ok(pr, 'prune');
  ok(cli(['inspect', pruned]), 'inspect pruned');
  const ck = readCheckpoint(resolveCheckpoint(pruned));
  for (const name of ['rnn.0.ih', 'rnn.0.hh']) {
    const s = ck.layout.byName.get(name)!;
    let zeros = 0;
    for (let i = 0; i < s.size; i++) if (ck.params[s.offset + i] === 0) zeros++;
    assert.ok(zeros / s.size >= 0.89, `${name} is ${(100 * zeros / s.size).toFixed(1)}% zeros`);
  }

  const ex = cli(['export', pruned, '--format', 'onnx', '--json']);
  ok(ex, 'export onnx');
  const r = JSON.parse(ex.stdout);
  const exDense = cli(['export', pruned, '--format', 'onnx', '--dense-initializers', '--out', path.join(tmp, 'dense.onnx'), '--json']);
  ok(exDense, 'export onnx dense');
  const rd = JSON.parse(exDense.stdout);
  assert.equal(r.file, path.join(pruned, 'model.onnx'));
  assert.equal(r.bytes, fs.statSync(r.file).size);
  assert.equal(rd.bytes, r.dense_onnx_bytes, 'the reported dense size is the dense file\'s');
  assert.ok(r.sparse_initializers >= 2 && r.bytes < rd.bytes, `sparse ${r.bytes} vs dense ${rd.bytes}`);
  t.diagnostic(`ONNX export at 90% of ih + hh: ${r.bytes} bytes vs ${rd.bytes} dense (${(100 * r.bytes / rd.bytes).toFixed(1)}%), ${r.sparse_initializers} sparse initializers`);

  const { ort, why } = await loadOrt();
  if (!ort) return t.skip(why);
  assert.equal(engineMissing(), null);
  const rng = new Rng(3);
  const batch = { x: Int32Array.from({ length: 2 * 12 }, () => rng.int(17)), y: new Int32Array(24), batch: 2, steps: 12 };
  for (const file of [r.file, path.join(tmp, 'dense.onnx')]) {
    const c = compare(await ortRun(ort, fs.readFileSync(file), ck.spec, batch), engineLogits({ spec: ck.spec, layout: ck.layout, batch }, ck.params), { atol: 1e-5, rtol: 1e-5 }, { label: `ort(${path.basename(file)})-vs-checkpoint logits` });
    t.diagnostic(c.line);
    assert.ok(c.ok, c.line);
  }
});

test('PyTorch GRU ×2 (reset-after) → import → export --format onnx (linear_before_reset 1) → ONNX Runtime gives PyTorch\'s logits', async (t) => {
  const f = torchFixture('gru-2-tokens');
  const run = path.join(tmp, 'torch-gru');
  const imp = cli(['import', f.onnx, '--out', run, '--json']);
  ok(imp, 'import');
  assert.equal(JSON.parse(imp.stdout).spec.resetAfter, true);
  const ex = cli(['export', run, '--format', 'onnx', '--json']);
  ok(ex, 'export onnx');
  const { ort, why } = await loadOrt();
  if (!ort) return t.skip(why);
  const ck = readCheckpoint(resolveCheckpoint(run));
  const c = compare(await ortRun(ort, fs.readFileSync(JSON.parse(ex.stdout).file), ck.spec, fixtureBatch(f, ck.spec)), f.logits.data, { atol: 1e-5, rtol: 1e-5 }, { label: 'ort(our export)-vs-torch logits' });
  t.diagnostic(c.line);
  assert.ok(c.ok, c.line);
});

test('an imported model fine-tunes with train --resume; a TF.js folder imports through the same command', () => {
  const run = path.join(tmp, 'tuned');
  ok(cli(['import', path.join(FIXTURES, 'lstm-synthetic-lm.onnx'), '--out', run, '--data', 'synthetic-lm']), 'import');
  const before = readCheckpoint(resolveCheckpoint(run));
  const tr = cli(['train', '--config', path.join(run, 'config.json'), '--out', run, '--resume', '--epochs', '1', '--batch', '16', '--bptt', '20', '--quiet', '--json']);
  ok(tr, 'train --resume');
  const afterCk = readCheckpoint(resolveCheckpoint(run));
  assert.ok(afterCk.step > 0);
  assert.ok(afterCk.params.some((v, i) => v !== before.params[i]), 'the weights moved');
  const tuned = JSON.parse(tr.stdout).valid.loss;
  const untuned = JSON.parse(cli(['evaluate', path.join(tmp, 'torch-lstm'), '--json']).stdout).valid.loss;
  assert.ok(tuned < untuned, `fine-tuning on synthetic-lm lowers the valid loss of the random PyTorch LSTM (${tuned} vs ${untuned})`);

  const tfjs = path.join(tmp, 'tfjs');
  ok(cli(['export', run, '--format', 'tfjs', '--out', tfjs]), 'export tfjs');
  const back = path.join(tmp, 'from-tfjs');
  const imp = cli(['import', tfjs, '--out', back, '--json']);
  ok(imp, 'import tfjs');
  assert.equal(JSON.parse(imp.stdout).format, 'tfjs');
  const ck = readCheckpoint(resolveCheckpoint(back));
  assert.deepEqual(Array.from(ck.params), Array.from(afterCk.params));
  // No data set attached: evaluate needs --data, and takes it.
  const ev = cli(['evaluate', back]);
  assert.equal(ev.code, 1);
  assert.match(ev.stderr, /^error\[BAD_FILE\]: evaluate: the checkpoint does not name its data set \(hint: pass --data NAME/);
  ok(cli(['evaluate', back, '--data', 'synthetic-lm']), 'evaluate --data');
});

test('import refusals: one error line, no run folder written', () => {
  const bad = path.join(tmp, 'bad.onnx');
  fs.writeFileSync(bad, fs.readFileSync(path.join(FIXTURES, 'lstm-1-tokens.onnx')).subarray(0, 700));
  const cases: Array<[string[], RegExp]> = [
    [[bad], /^error\[BAD_FILE\]: .*bad\.onnx/],
    [[path.join(FIXTURES, 'lstm-1-tokens.json')], /^error\[BAD_FILE\]/],
    [[path.join(FIXTURES, 'lstm-1-tokens.onnx'), '--data', 'synthetic-lm'], /^error\[BAD_CONFIG\]: the imported model does not fit data set synthetic-lm \(inputSize 11 vs 17/],
  ];
  for (const [i, [args, re]] of cases.entries()) {
    const out = path.join(tmp, `refused-${i}`);
    const r = cli(['import', ...args, '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.deepEqual(listFiles(out), [], 'nothing written');
  }
  const h = cli(['import', '--help']);
  ok(h, 'help');
  assert.match(h.stdout, /examples:/);
  assert.match(cli(['import', 'x.onnx']).stderr, /^error\[BAD_FLAG\]: import needs --out RUN/);
});
