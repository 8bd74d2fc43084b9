/**
 * Sparse-aware training throughput (docs/engine.md "Sparse-aware training"): the char
 * models (H256 V100 B32 T100, embedding 256) trained dense and with ih + hh of every
 * layer magnitude-pruned to 80 % and 90 % (mask set on the Net, so groups at density
 * <= addon.sparseDensity (0.25) run on the sparse kernels), side by side in one run. Each step
 * is benchStep (src/bench/training.ts, the step of `sparse-rnn bench train`):
 * Net.run (forward + backward) + masked SGD; the figure is the best of `repeats`
 * timed rounds of `steps` steps, the rounds of the configurations interleaved (the
 * machine is shared), each round after one untimed step (training runs one model
 * at a time: its caches are warm), after 2 warm-up steps.
 * PyTorch's dense figure (bench/anchor.ts) is printed when PyTorch is available.
 *
 *   npx tsx bench/sparse-train.ts [--only lstm] [--threads 1,2] [--repeats 5] [--steps 3] [--sparsity 0,0.8,0.9] [--layers 1]
 */
import { parseArgs } from 'node:util';
import type { CellType } from '../src/model/spec.js';
import { native } from '../src/engine/native.js';
import { benchStep } from '../src/bench/training.js';
import { table } from '../src/cli/args.js';
import { runAnchor, torchUnavailable } from './anchor.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, threads: { type: 'string' }, repeats: { type: 'string' }, steps: { type: 'string' }, sparsity: { type: 'string' }, layers: { type: 'string' }, json: { type: 'boolean' } } });
const repeats = Number(values.repeats ?? 5);
const stepsPerRound = Number(values.steps ?? 3);
const threadList = (values.threads ?? '1,2').split(',').map(Number);
const sparsities = (values.sparsity ?? '0,0.8,0.9').split(',').map(Number);
const cells = (['lstm', 'gru', 'rnn'] as CellType[]).filter((c) => !values.only || values.only.split(',').includes(c));
const H = 256, V = 100, B = 32, T = 100;
const layers = Number(values.layers ?? 1);  // ≥ 2: the upper layers' ih products are R-row SparseLinear products

/** Tokens/s per sparsity: rounds interleaved across the configurations (fair under load), best round each. */
function measure(cell: CellType, threads: number): number[] {
  native().setThreads(threads);
  const steps = sparsities.map((sparsity) => benchStep({ cell, hidden: H, vocab: V, layers, batch: B, steps: T, sparsity }));
  for (const step of steps) for (let i = 0; i < 2; i++) step();
  const best = steps.map(() => Infinity);
  for (let r = 0; r < repeats; r++)
    steps.forEach((step, k) => {
      step(); // untimed: the other configurations' rounds evicted this one's caches
      const t0 = performance.now();
      for (let i = 0; i < stepsPerRound; i++) step();
      best[k] = Math.min(best[k], (performance.now() - t0) / 1000 / stepsPerRound);
    });
  return best.map((b) => Math.round((B * T) / b));
}

const why = torchUnavailable();
if (why) process.stderr.write(`PyTorch figures skipped: ${why}\n`);
const rows: (string | number)[][] = [];
for (const cell of cells)
  for (const threads of threadList) {
    const torch = why ? null : runAnchor({ mode: 'train', cell, hidden: H, vocab: V, layers, batch: B, steps: T, threads, repeats });
    const tt = torch ? Number(torch.tokens_per_s) : NaN;
    const toks = measure(cell, threads);
    const dense = sparsities.includes(0) ? toks[sparsities.indexOf(0)] : NaN;
    for (const [k, sp] of sparsities.entries()) {
      const tok = toks[k];
      const speedup = Number.isFinite(dense) ? tok / dense : NaN;
      if (values.json) process.stdout.write(JSON.stringify({ cell, threads, sparsity: sp, tokens_per_s: tok, speedup_vs_dense: +speedup.toFixed(3), pytorch_dense_tokens_per_s: Number.isFinite(tt) ? tt : null, simd: native().simdLevel() }) + '\n');
      rows.push([layers > 1 ? `char ${cell} ×${layers}` : `char ${cell}`, threads, `${Math.round(sp * 100)}%`, tok.toLocaleString('en-US'), Number.isFinite(speedup) ? `${speedup.toFixed(2)}×` : 'n/a', Number.isFinite(tt) ? tt.toLocaleString('en-US') : 'n/a']);
    }
  }
process.stdout.write('\n' + table(['config', 'threads', 'ih+hh sparsity', 'tok/s', 'vs dense', 'PyTorch dense tok/s'], rows) + '\n');
process.stdout.write(`simd ${native().simdLevel()}; best of ${repeats} rounds of ${stepsPerRound} steps\n`);
if (why) process.stdout.write(`(PyTorch: ${why})\n`);
