// Pruning while training, end to end through the CLI: the recipe's target is met,
// masked weights are exactly zero after many SGD-momentum and Adam steps, the mask
// lives in the checkpoint, and an interrupted run resumes to the same mask and metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cli, tmpDir, ROOT } from '../helpers/cli.js';
import { readCheckpoint } from '../../src/model/checkpoint.js';
import { accountModel } from '../../src/model/accounting.js';

const RECIPE = `pruning:
  - select: rnn.*.ih
    method: agp
    finalSparsity: 0.8
    beginEpoch: 1
    endEpoch: 3
    frequency: 20
  - select: rnn.*.hh
    method: narang
    targetSparsity: 0.7
    startEpoch: 1
    rampEpoch: 1.5
    endEpoch: 3
    frequency: 20
`;

function args(dir: string, extra: string[], epochs = 5): string[] {
  const recipe = path.join(dir, 'recipe.yaml');
  fs.writeFileSync(recipe, RECIPE);
  return ['train', '--data', 'synthetic-lm', '--limit', '12000', '--cell', 'lstm', '--hidden', '24', '--batch', '4', '--bptt', '10',
    '--epochs', String(epochs), '--recipe', recipe, '--quiet', '--json', ...extra];
}

function checkMaskedZero(file: string) {
  const ck = readCheckpoint(file);
  assert.ok(ck.mask, 'the checkpoint carries the mask');
  let masked = 0;
  for (let i = 0; i < ck.params.length; i++) if (ck.mask![i] === 0) { masked++; assert.equal(ck.params[i], 0, `param ${i} is masked but ${ck.params[i]}`); }
  assert.ok(masked > 0);
  for (const k of ['opt.m', 'opt.v']) {
    const m = ck.extra[k];
    if (m) for (let i = 0; i < m.length; i++) if (ck.mask![i] === 0) assert.equal(m[i], 0, `${k}[${i}] of a masked weight`);
  }
  return ck;
}

for (const opt of [['--optimizer', 'sgd', '--lr', '0.5', '--momentum', '0.9'], ['--optimizer', 'adam', '--lr', '0.01']]) {
  test(`recipe (AGP on ih, Narang on hh) with ${opt[1]}: targets met, masked weights stay exactly zero`, () => {
    const dir = tmpDir();
    const out = path.join(dir, 'run');
    const r = cli([...args(dir, opt), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const ck = checkMaskedZero(path.join(out, 'ckpt/last.srnn'));
    const acc = accountModel(ck.spec, ck.layout, ck.params, ck.mask);
    const g = (n: string) => acc.groups.find((x) => x.name === n)!;
    assert.ok(Math.abs(g('rnn.0.ih').sparsity - 0.8) < 0.01, `ih ${g('rnn.0.ih').sparsity}`);
    assert.ok(Math.abs(g('rnn.0.hh').sparsity - 0.7) < 0.02, `hh ${g('rnn.0.hh').sparsity}`);
    assert.equal(g('rnn.0.bias').sparsity, 0, 'biases are never pruned unless asked');
    const events = fs.readFileSync(path.join(out, 'prune.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.length > 3);
    assert.ok(events.every((e, i) => i === 0 || e.step > events[i - 1].step));
  });
}

test('recipe: an interrupted run resumes to the same mask, weights and metrics', async () => {
  const dir = tmpDir();
  // Long enough (40 epochs) that the run is still going when the signal arrives on a fast machine.
  const a = cli([...args(dir, ['--optimizer', 'adam', '--lr', '0.01', '--checkpoint-every', '25'], 40), '--out', path.join(dir, 'a')]);
  assert.equal(a.code, 0, a.stderr);
  const out = path.join(dir, 'b');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), ...args(dir, ['--optimizer', 'adam', '--lr', '0.01', '--checkpoint-every', '25'], 40), '--out', out], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Interrupt once pruning has begun (prune.jsonl exists), so the mask and pruner state must survive.
  while (!fs.existsSync(path.join(out, 'prune.jsonl')) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGINT');
  const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? -1)));
  assert.equal(code, 130, stderr);
  const b = cli(['train', '--config', path.join(out, 'config.json'), '--out', out, '--resume', '--quiet', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const ra = JSON.parse(a.stdout.trim()), rb = JSON.parse(b.stdout.trim());
  assert.equal(rb.valid.loss, ra.valid.loss);
  assert.equal(rb.test.loss, ra.test.loss);
  const ca = readCheckpoint(path.join(dir, 'a/ckpt/last.srnn')), cb = readCheckpoint(path.join(out, 'ckpt/last.srnn'));
  assert.deepEqual(cb.mask, ca.mask);
  assert.deepEqual(cb.params, ca.params);
  assert.equal(fs.readFileSync(path.join(out, 'prune.jsonl'), 'utf8'), fs.readFileSync(path.join(dir, 'a/prune.jsonl'), 'utf8'));
});

test('bad recipes: one clear line naming the field, a non-zero exit, no run folder', () => {
  const dir = tmpDir();
  const cases: [string, RegExp][] = [
    ['pruning:\n  - select: rnn.*.ih\n    method: agp\n    finalSparsity: 1\n    beginStep: 1\n    endStep: 10\n    frequency: 1\n', /finalSparsity/],
    ['pruning:\n  - select: rnn.*.ih\n    method: agp\n    finalSparsity: 0.5\n    beginStep: 10\n    endStep: 5\n    frequency: 1\n', /endStep/],
    ['pruning:\n  - select: rnn.*.ih\n    method: agp\n    finalSparsity: 0.5\n    beginStep: 1\n    endStep: 10\n    frequency: 0\n', /frequency/],
    ['pruning:\n  - select: rnn.9.zz\n    method: agp\n    finalSparsity: 0.5\n    beginStep: 1\n    endStep: 10\n    frequency: 1\n', /rnn\.9\.zz/],
    ['pruning:\n  - select: rnn.*.ih\n    method: magic\n', /method/],
  ];
  for (const [i, [text, field]] of cases.entries()) {
    const f = path.join(dir, `bad${i}.yaml`);
    fs.writeFileSync(f, text);
    const out = path.join(dir, `out${i}`);
    const r = cli(['train', '--data', 'synthetic-lm', '--limit', '3000', '--hidden', '8', '--batch', '4', '--bptt', '10', '--recipe', f, '--out', out]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^error\[BAD_RECIPE\]: /);
    assert.match(lines[0], field);
    assert.ok(!fs.existsSync(out), 'nothing is written for a rejected recipe');
  }
});

test('prune --from a trained run, then inspect and export --compare (accuracy of fp32 / fp16 / int8 files)', () => {
  const dir = tmpDir();
  const base = path.join(dir, 'dense');
  const t = cli(['train', '--data', 'synthetic-lm', '--limit', '12000', '--cell', 'gru', '--hidden', '24', '--batch', '4', '--bptt', '10', '--epochs', '2', '--optimizer', 'adam', '--lr', '0.01', '--quiet', '--out', base]);
  assert.equal(t.code, 0, t.stderr);
  const pruned = path.join(dir, 'pruned');
  const p = cli(['prune', '--from', base, '--recipe', 'recipes/agp-both-90-finetune.yaml', '--epochs', '2', '--quiet', '--json', '--out', pruned]);
  assert.equal(p.code, 0, p.stderr);
  const ck = checkMaskedZero(path.join(pruned, 'ckpt/last.srnn'));
  const acc = accountModel(ck.spec, ck.layout, ck.params, ck.mask);
  assert.ok(Math.abs(acc.recurrent.sparsity - 0.9) < 0.005, `recurrent sparsity ${acc.recurrent.sparsity}`);
  const ins = cli(['inspect', pruned, '--json']);
  assert.equal(ins.code, 0, ins.stderr);
  assert.match(ins.stdout, /rnn\.0\.hh/);
  const cmp = cli(['export', pruned, '--compare', '--json']);
  assert.equal(cmp.code, 0, cmp.stderr);
  const rows = cmp.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => r.values), ['checkpoint', 'fp32', 'fp16', 'int8']);
  assert.equal(rows[1].test, rows[0].test, 'an fp32 sparse file is lossless');
  for (const r of rows.slice(2)) assert.ok(Math.abs(r.test / rows[0].test - 1) < 0.01, `${r.values}: ${r.test} vs ${rows[0].test}`);
  assert.ok(rows[2].bytes < rows[1].bytes && rows[3].bytes < rows[2].bytes);
});
