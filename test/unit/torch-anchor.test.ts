/**
 * bench/torch_anchor.py, the PyTorch side of the benchmarks: it runs from the
 * repository (no file outside it), takes the flags the benchmarks pass, and prints
 * rows with the benchmarks' field names. Needs Debian's python3-torch; without it the
 * test says why and skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { anchorScript, pytorchAvailable, runAnchor } from '../../src/bench/pytorch.js';
import { benchTrain } from '../../src/bench/training.js';

const torch = pytorchAvailable();
const skip = torch.ok ? false : `PyTorch not available: ${torch.why}`;
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

test('the anchor script is the repository\'s own bench/torch_anchor.py', () => {
  if (process.env.SPARSE_RNN_TORCH_ANCHOR) return;
  assert.equal(path.relative(process.cwd(), anchorScript()), path.join('bench', 'torch_anchor.py'));
});

test('train mode: a row with the training benchmark\'s field names and a positive rate', { skip }, () => {
  const cfg = { cell: 'gru' as const, hidden: 8, vocab: 12, layers: 2, batch: 2, steps: 4 };
  const { row, why } = runAnchor({ mode: 'train', ...cfg, threads: 1, repeats: 2 });
  assert.ok(row, why);
  const ours = benchTrain({ ...cfg, threads: 1, repeats: 1 });
  for (const k of ['mode', 'cell', 'hidden', 'threads', 'vocab', 'layers', 'batch', 'steps'] as const)
    assert.equal(row[k], ours[k], `field ${k}`);
  assert.match(String(row.engine), /^pytorch-/);
  assert.ok(Number(row.tokens_per_s) > 0);
});

test('infer mode: a row with step_us for the pruned cell', { skip }, () => {
  const { row, why } = runAnchor({ mode: 'infer', cell: 'lstm', hidden: 16, sparsity: 0.75, threads: 1, repeats: 1 });
  assert.ok(row, why);
  assert.deepEqual(Object.keys(row).sort(), ['cell', 'engine', 'hidden', 'mode', 'sparsity', 'step_us', 'threads']);
  assert.equal(row.sparsity, 0.75);
  assert.ok(Number(row.step_us) > 0);
});

test('a bad flag comes back as a reason, not a row', { skip }, () => {
  const { row, why } = runAnchor({ mode: 'train', cell: 'transformer' });
  assert.equal(row, null);
  assert.match(why, /PyTorch anchor failed/);
});
