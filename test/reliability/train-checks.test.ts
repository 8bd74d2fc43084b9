// Checks at the start of a run: a recipe that ends after the run's last step is named with
// the sparsity the run will reach; a window shorter than one frequency still reaches its
// target; a run resumed from another folder needs no recipe file (config.json holds it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const ew = process.stderr.write.bind(process.stderr);
  const ow = process.stdout.write.bind(process.stdout);
  (process.stderr as { write: unknown }).write = (s: string) => { err.push(String(s)); return true; };
  (process.stdout as { write: unknown }).write = () => true;
  try {
    return { code: await main(argv), err: err.join('') };
  } finally {
    (process.stderr as { write: unknown }).write = ew;
    (process.stdout as { write: unknown }).write = ow;
  }
}
const TINY = ['--data', 'synthetic-lm', '--hidden', '8', '--epochs', '1', '--batch', '4', '--bptt', '10', '--eval-batches', '2', '--quiet'];
const lines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

// One test: main() output is captured in-process, and the test runner reports on stdout too.
test('a note names the sparsity a short run reaches; a short window reaches its target; resume needs no recipe file', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-checks-'));
  try {
    const recipe = JSON.stringify({ pruning: [{ select: 'rnn.*.hh', method: 'agp', finalSparsity: 0.8, beginStep: 0, endStep: 100, frequency: 5, power: 1 }] });
    const r = await run(['train', ...TINY, '--max-steps', '20', '--recipe', recipe, '--out', path.join(d, 'a')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^note: pruning\[0\] \(agp\) ends at step 100, after the run's last step 20: the run will reach sparsity 16\.0% of the target 80\.0%/m);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
  await windowAndResume();
});

async function windowAndResume(): Promise<void> {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-checks-'));
  const cwd = process.cwd();
  try {
    fs.writeFileSync(path.join(d, 'r.yaml'), 'pruning:\n  - { select: rnn.*.hh, method: agp, finalSparsity: 0.9, beginStep: 5, endStep: 10, frequency: 20 }\n');
    process.chdir(d);
    const r = await run(['train', ...TINY, '--max-steps', '12', '--checkpoint-every', '6', '--recipe', 'r.yaml', '--out', 'run']);
    assert.equal(r.code, 0, r.err);
    const ev = lines(path.join(d, 'run', 'prune.jsonl'));
    assert.deepEqual(ev.map((e: { step: number }) => e.step), [5, 10]);
    assert.ok(Math.abs(ev[1].groups[0].sparsity - 0.9) < 0.02, `reached ${ev[1].groups[0].sparsity}`);
    // The recipe file is gone and the command runs elsewhere: --resume still knows the recipe.
    fs.rmSync(path.join(d, 'r.yaml'));
    process.chdir(os.tmpdir());
    const cfg = JSON.parse(fs.readFileSync(path.join(d, 'run', 'config.json'), 'utf8'));
    assert.match(cfg.recipe, /^\{"pruning"/, 'config.json holds the recipe itself');
    const again = await run(['train', '--config', path.join(d, 'run', 'config.json'), '--out', path.join(d, 'run'), '--resume', '--quiet']);
    assert.equal(again.code, 0, again.err);
  } finally {
    process.chdir(cwd);
    fs.rmSync(d, { recursive: true, force: true });
  }
}
