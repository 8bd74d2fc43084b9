/**
 * Inference latency sweep: batch-1 recurrent step, ours (native dense, native sparse
 * fp32 / fp16, TypeScript sparse) beside PyTorch (bench/torch_anchor.py, same
 * run), over cells × hidden sizes × sparsities. Random weights pruned by magnitude.
 *
 *   node --import tsx bench/infer.ts                       full sweep (~6 min on 2 cores)
 *   node --import tsx bench/infer.ts --cells lstm --hidden 1024 --sparsity 0,0.9
 *   node --import tsx bench/infer.ts --json > rows.jsonl    one JSON object a row
 *   node --import tsx bench/infer.ts --size --cells lstm --hidden 256,1024 --sparsity 0.9
 *                                                          file sizes instead of latency
 *
 * µs columns are our medians of batch means; "vs pytorch" divides the anchor's plain
 * mean by our plain mean (see src/bench/inference.ts). PyTorch runs bench/torch_anchor.py
 * (or the script $SPARSE_RNN_TORCH_ANCHOR names).
 */
import { parseArgs } from 'node:util';
import { benchInfer, pytorchAvailable, anchorScript, BENCH_ENGINES, type BenchEngine, type BenchInferRow } from '../src/bench/index.js';
import { defaultSpec, type CellType } from '../src/model/spec.js';
import { randomPrunedModel } from '../src/deploy/random.js';
import { sizeReport, formatSizeReport, pct } from '../src/deploy/size.js';

const { values: v } = parseArgs({
  options: {
    cells: { type: 'string', default: 'lstm,gru,rnn' },
    hidden: { type: 'string', default: '256,512,1024' },
    sparsity: { type: 'string', default: '0,0.5,0.8,0.9,0.95' },
    engines: { type: 'string', default: BENCH_ENGINES.join(',') },
    json: { type: 'boolean', default: false },
    size: { type: 'boolean', default: false },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const cells = list(v.cells!) as CellType[];
const hiddens = list(v.hidden!).map(Number);
const sparsities = list(v.sparsity!).map(Number);
const engines = list(v.engines!) as BenchEngine[];

if (v.size) {
  // Whole-model sizes: an LM-free stack (vector input = H, 10-way head), ih / hh / head pruned.
  for (const cell of cells) for (const hidden of hiddens) for (const sparsity of sparsities) {
    const spec = defaultSpec({ cell, inputKind: 'vectors', inputSize: hidden, outputSize: 10, hidden, task: 'classify' });
    const m = randomPrunedModel(spec, sparsity, 1);
    const r = sizeReport(spec, m.layout, m.params, m.mask);
    if (v.json) {
      process.stdout.write(JSON.stringify({ cell, hidden, sparsity, ...r.total }) + '\n');
      continue;
    }
    const t = r.total;
    process.stdout.write(`\n${cell} H${hidden} sparsity ${sparsity}: fp16 file ${pct(t.sparse.fp16, t.denseFp32)} of dense fp32` +
      ` (int8 ${pct(t.sparse.int8, t.denseFp32)}, fp32 ${pct(t.sparse.fp32, t.denseFp32)}, dense gzip ${pct(t.denseGzip, t.denseFp32)})\n`);
    process.stdout.write(formatSizeReport(r) + '\n');
  }
  process.exit(0);
}

const torch = pytorchAvailable();
const say = (line: string) => process.stderr.write(line + '\n');
if (engines.includes('pytorch')) {
  say(torch.ok ? `PyTorch anchor: ${anchorScript()} (measured in this run)`
    : `PyTorch NOT available — ${torch.why}; PyTorch columns and ratios are empty`);
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? `${(a / b).toFixed(1)}x` : '');
const header = ['cell', 'H', 'sparsity', 'dense µs', 'sparse µs', 'sparse f16 µs', 'sparse i8 µs', 'ts µs', 'pytorch µs', 'f16 vs pytorch', 'f16 vs dense', 'fp32 vs dense', 'i8 vs dense'];
if (!v.json) process.stdout.write(header.join(' | ') + '\n' + header.map(() => '---').join(' | ') + '\n');

for (const cell of cells) {
  for (const hidden of hiddens) {
    for (const sparsity of sparsities) {
      const rows: BenchInferRow[] = await benchInfer({ cell, hidden, sparsity, threads: 1, engines });
      if (v.json) {
        for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
        continue;
      }
      const us = (pred: (e: string) => boolean) => rows.find((r) => pred(r.engine))?.step_us;
      const mean = (pred: (e: string) => boolean) => rows.find((r) => pred(r.engine))?.step_us_mean;
      const dense = us((e) => e.includes('native-dense'));
      const sparse = us((e) => e.includes('native-sparse') && !e.endsWith('-f16') && !e.endsWith('-i8'));
      const f16 = us((e) => e.includes('native-sparse') && e.endsWith('-f16'));
      const i8 = us((e) => e.includes('native-sparse') && e.endsWith('-i8'));
      const ts = us((e) => e === 'sparse-rnn-ts');
      const pt = us((e) => e.startsWith('pytorch'));
      process.stdout.write([cell, hidden, sparsity, fmt(dense), fmt(sparse), fmt(f16), fmt(i8), fmt(ts), fmt(pt),
        ratio(pt, mean((e) => e.includes('native-sparse') && e.endsWith('-f16'))), ratio(dense, f16), ratio(dense, sparse), ratio(dense, i8)].join(' | ') + '\n');
    }
  }
}
