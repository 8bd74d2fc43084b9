/**
 * Training throughput against PyTorch (bench/torch_anchor.py), same configurations,
 * same run: char RNN/LSTM/GRU H256 V100 B32 T100 and word LSTM×2 H256 V10k B20 T35
 * (docs/benchmarks.md), at 1 and 2 threads. Prints a table and one JSON line per row.
 *
 *   npx tsx bench/train.ts [--repeats 5] [--only lstm] [--threads 1,2]
 */
import { parseArgs } from 'node:util';
import { benchTrain, BENCH_CONFIGS } from '../src/bench/training.js';
import { table } from '../src/cli/args.js';
import { runAnchor, torchUnavailable } from './anchor.js';

const { values } = parseArgs({ options: { repeats: { type: 'string' }, only: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' } } });
const repeats = Number(values.repeats ?? 5);
const threadList = (values.threads ?? '1,2').split(',').map(Number);
const configs = BENCH_CONFIGS.filter((c) => !values.only || c.name.includes(values.only));

const why = torchUnavailable();
if (why) process.stderr.write(`PyTorch figures skipped: ${why}\n`);
const rows: (string | number)[][] = [];
for (const c of configs) {
  for (const threads of threadList) {
    const ours = benchTrain({ ...c, threads, repeats });
    const torch = runAnchor({ mode: 'train', cell: c.cell, hidden: c.hidden, vocab: c.vocab, layers: c.layers, batch: c.batch, steps: c.steps, threads, repeats });
    const t = torch ? Number(torch.tokens_per_s) : NaN;
    const ratio = Number.isFinite(t) ? ours.tokens_per_s / t : NaN;
    if (values.json) process.stdout.write(JSON.stringify({ ...ours, pytorch_tokens_per_s: torch ? t : null, ratio: Number.isFinite(ratio) ? +ratio.toFixed(3) : null }) + '\n');
    rows.push([c.name, threads, ours.simd, ours.tokens_per_s.toLocaleString('en-US'), torch ? t.toLocaleString('en-US') : 'n/a', Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a']);
  }
}
process.stdout.write('\n' + table(['config', 'threads', 'simd', 'sparse-rnn tok/s', 'PyTorch tok/s', 'ratio'], rows) + '\n');
if (why) process.stdout.write(`(PyTorch: ${why})\n`);
