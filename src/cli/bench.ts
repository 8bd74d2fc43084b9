/**
 * `sparse-rnn bench train|infer`: one JSON object a line with the anchor script's
 * field names (tokens_per_s, step_us), or a short table.
 */
import { fail } from '../errors.js';
import { parseFlags, num, oneOf, table } from './args.js';
import { benchTrain, type TrainBenchRow } from '../bench/training.js';

export const BENCH_HELP = `usage: sparse-rnn bench train [flags]   |   sparse-rnn bench infer [flags]

train: tokens/s of one training step (forward + backward + SGD with clipping) on
random tokens, the configuration of bench/torch_anchor.py.
  --cell rnn|lstm|gru  --hidden H  --vocab V  --layers L  --batch B  --steps T
  --threads N  --repeats R  --json
  --sparsity S   also train with ih + hh pruned by magnitude to S (0 <= S < 1) and
                 print that row beside the dense one, with its speed-up (groups at
                 density <= 0.25 run on the sparse kernels)
  --prune-head   prune the head to S as well (word models: the head dominates)
infer: batch-1 step latency of dense vs sparse inference (see sparse-rnn bench infer --help).

examples:
  sparse-rnn bench train --cell lstm --hidden 256 --vocab 100 --layers 1 --batch 32 --steps 100 --threads 1 --json
  sparse-rnn bench train --cell lstm --hidden 256 --vocab 10000 --layers 2 --batch 20 --steps 35 --threads 2
  sparse-rnn bench train --cell lstm --sparsity 0.9 --threads 1
  sparse-rnn bench train --vocab 10000 --layers 2 --batch 20 --steps 35 --sparsity 0.9 --prune-head
`;

export async function benchCommand(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === 'infer') {
    const m = await import('./infer.js').catch(() => null);
    if (!m) fail('BAD_FLAG', 'bench infer is not available in this build', 'use `sparse-rnn bench train`');
    return (m as { benchInferCommand: (a: string[]) => Promise<number> }).benchInferCommand(rest);
  }
  if (mode === '--help' || mode === '-h') {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  if (mode === undefined) {
    process.stderr.write(BENCH_HELP);
    return 2;
  }
  if (mode !== 'train') fail('BAD_FLAG', `bench: unknown mode ${JSON.stringify(mode)}`, 'use `bench train` or `bench infer`');
  const { values: v } = parseFlags('bench', rest, {
    cell: { type: 'string' }, hidden: { type: 'string' }, vocab: { type: 'string' }, layers: { type: 'string' },
    batch: { type: 'string' }, steps: { type: 'string' }, threads: { type: 'string' }, repeats: { type: 'string' }, json: { type: 'boolean' },
    sparsity: { type: 'string' }, 'prune-head': { type: 'boolean' },
  }, false);
  if (v.help) { process.stdout.write(BENCH_HELP); return 0; }
  const s = (k: string) => v[k] as string | undefined;
  const opts = {
    cell: oneOf('cell', s('cell'), ['rnn', 'lstm', 'gru'] as const) ?? 'lstm',
    hidden: num('hidden', s('hidden'), { int: true, min: 1, max: 16384 }) ?? 256,
    vocab: num('vocab', s('vocab'), { int: true, min: 2 }) ?? 100,
    layers: num('layers', s('layers'), { int: true, min: 1, max: 4 }) ?? 1,
    batch: num('batch', s('batch'), { int: true, min: 1 }) ?? 32,
    steps: num('steps', s('steps'), { int: true, min: 1 }) ?? 100,
    threads: num('threads', s('threads'), { int: true, min: 1, max: 64 }) ?? 1,
    repeats: num('repeats', s('repeats'), { int: true, min: 1 }) ?? 5,
  };
  const sparsity = num('sparsity', s('sparsity'), { min: 0, lt: 1 }) ?? 0;
  if (v['prune-head'] && !(sparsity > 0)) fail('BAD_FLAG', '--prune-head needs --sparsity S with S > 0', 'add e.g. --sparsity 0.9');
  const dense = benchTrain(opts);
  const rows: (TrainBenchRow & { vs_our_dense?: number })[] = [dense];
  if (sparsity > 0) {
    const sparse = benchTrain({ ...opts, sparsity, pruneHead: !!v['prune-head'] });
    rows.push({ ...sparse, vs_our_dense: +(sparse.tokens_per_s / dense.tokens_per_s).toFixed(3) });
  }
  if (v.json) for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
  else process.stdout.write(table(['engine', 'cell', 'H', 'V', 'L', 'B', 'T', 'threads', 'simd', 'ih+hh sparsity', 'tokens/s', 'vs dense'],
    rows.map((row) => [row.engine, row.cell, row.hidden, row.vocab, row.layers, row.batch, row.steps, row.threads, row.simd,
      `${Math.round(row.sparsity * 100)}%${row.head_pruned ? ' + head' : ''}`, row.tokens_per_s.toLocaleString('en-US'), row.vs_our_dense ? `${row.vs_our_dense.toFixed(2)}×` : '1.00×'])) + '\n');
  return 0;
}
