/**
 * Trains, prunes and exports the two models the browser page ships (web/models/):
 *
 *   lm.srnz   a character LSTM on Moby Dick, pruned to 90% of ih + hh
 *   cls.srnz  a sequential-MNIST GRU (28 rows of 28 pixels), pruned to 90% of ih + hh
 *
 * Each is trained dense, then pruned and fine-tuned with recipes/agp-both-90-finetune.yaml
 * (`sparse-rnn prune --from`), then exported as a sparse model file with fp16 values
 * (int8 where fp16 would exceed 150 KiB). web/models/models.json records each model's
 * file size, dense fp32 size, valid/test figures of the exported file and the commands.
 *
 *   npm run demo:models                     train (or reuse finished runs) and export
 *   npm run demo:models -- --fresh          retrain from scratch
 *   npm run demo:models -- --work DIR       run folders under DIR (default .tmp/demo-models)
 *   npm run demo:models -- --out DIR        model files under DIR (default web/models)
 *   npm run demo:models -- --only lm|cls    one of the two
 *
 * Every run is seeded and single-threaded, so the same command writes the same bytes.
 * About 35 minutes on a busy 2-core machine (LM 23, classifier 12; --only runs one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { readCheckpoint, resolveCheckpoint } from '../src/model/checkpoint.js';
import { loadDataset } from '../src/data/index.js';
import { exportQuality } from '../src/deploy/quality.js';
import { sizeReport } from '../src/deploy/size.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { SparseRnnError } from '../src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECIPE = 'recipes/agp-both-90-finetune.yaml';
const MAX_BYTES = 150 * 1024;

/** One demo model: the dense training flags, then the pruning flags. */
export interface DemoModelPlan {
  name: 'lm' | 'cls';
  about: string;
  train: string[];
  prune: string[];
}

export const DEMO_MODELS: DemoModelPlan[] = [
  {
    name: 'lm',
    about: 'character LSTM on Moby Dick',
    train: ['--data', 'moby-dick', '--cell', 'lstm', '--hidden', '256', '--embed', '32', '--epochs', '5', '--batch', '32', '--bptt', '100',
      '--optimizer', 'adam', '--lr', '0.003', '--lr-step', '3', '--lr-gamma', '0.5', '--clip', '5', '--seed', '1'],
    prune: ['--recipe', RECIPE, '--epochs', '3', '--lr', '0.0015', '--lr-step', '2', '--lr-gamma', '0.5', '--seed', '2'],
  },
  {
    name: 'cls',
    about: 'sequential-MNIST GRU (one 28-pixel row per step)',
    train: ['--data', 'mnist', '--cell', 'gru', '--hidden', '128', '--epochs', '4', '--batch', '64', '--optimizer', 'adam', '--lr', '0.002',
      '--lr-step', '3', '--lr-gamma', '0.5', '--clip', '5', '--seed', '1'],
    prune: ['--recipe', RECIPE, '--epochs', '3', '--lr', '0.001', '--lr-step', '2', '--lr-gamma', '0.5', '--seed', '2'],
  },
];

async function cli(argv: string[]): Promise<void> {
  process.stdout.write(`$ sparse-rnn ${argv.join(' ')}\n`);
  const rc = await main(argv);
  if (rc !== 0) throw new Error(`sparse-rnn ${argv[0]} exited with ${rc}`);
}

const done = (run: string) => fs.existsSync(path.join(run, 'summary.json'));

export type { DemoModelInfo } from '../web/demo-config.js';
import type { DemoModelInfo } from '../web/demo-config.js';

async function build(plan: DemoModelPlan, work: string, outDir: string, fresh: boolean): Promise<DemoModelInfo> {
  const dense = path.join(work, `${plan.name}-dense`);
  const pruned = path.join(work, `${plan.name}-90`);
  const trainArgs = ['train', ...plan.train, '--threads', '1', '--quiet', '--out', dense];
  const pruneArgs = ['prune', '--from', dense, ...plan.prune, '--threads', '1', '--quiet', '--out', pruned];
  if (fresh) for (const d of [dense, pruned]) fs.rmSync(d, { recursive: true, force: true });
  if (!done(dense)) { fs.rmSync(dense, { recursive: true, force: true }); await cli(trainArgs); } else process.stdout.write(`reusing ${dense}\n`);
  if (!done(pruned)) { fs.rmSync(pruned, { recursive: true, force: true }); await cli(pruneArgs); } else process.stdout.write(`reusing ${pruned}\n`);

  const ck = readCheckpoint(resolveCheckpoint(pruned));
  const file = path.join(outDir, `${plan.name}.srnz`);
  let values: 'fp16' | 'int8' = 'fp16';
  const exportArgs = (v: string) => ['export', pruned, '--format', 'sparse', '--values', v, '--out', file];
  await cli(exportArgs(values));
  if (fs.statSync(file).size > MAX_BYTES) { values = 'int8'; await cli(exportArgs(values)); }
  const bytes = fs.statSync(file).size;

  // Size and quality of the exported file, on the run's own valid and test splits.
  const cfg = (ck.train as { config: { data: { name: string; level?: 'word' | 'char' }; batch: number; bptt: number; evalBatch?: number } }).config;
  const ds = loadDataset(cfg.data.name, { level: cfg.data.level });
  const q = exportQuality(ck, ds, { batch: ck.spec.task === 'lm' ? cfg.evalBatch || 10 : cfg.batch, bptt: cfg.bptt }).find((r) => r.values === values)!;
  const sz = sizeReport(ck.spec, ck.layout, ck.params, ck.mask);
  let nnz = 0, size = 0;
  for (const g of sz.groups) if (/^rnn\.\d+\.(ih|hh)$/.test(g.name)) { nnz += g.nnz; size += g.size; }
  return {
    file: path.basename(file), about: plan.about, cell: ck.spec.cell, hidden: ck.spec.hidden, values, bytes,
    dense_fp32_bytes: sz.total.denseFp32, sparsity_ih_hh: Math.round((1 - nnz / size) * 10000) / 10000,
    metric: q.metric, valid: q.valid, test: q.test,
    commands: [trainArgs, pruneArgs, exportArgs(values)].map((a) => `sparse-rnn ${a.join(' ')}`.replaceAll(ROOT + path.sep, '')),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
    process.exit(0);
  }
  const opt = (name: string, def: string) => { const i = args.indexOf(name); return i >= 0 && args[i + 1] ? args[i + 1] : def; };
  const work = path.resolve(opt('--work', path.join(ROOT, '.tmp', 'demo-models')));
  const outDir = path.resolve(opt('--out', path.join(ROOT, 'web', 'models')));
  const only = opt('--only', '');
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const infoFile = path.join(outDir, 'models.json');
  if (only && !DEMO_MODELS.some((p) => p.name === only)) {
    process.stderr.write(`error[BAD_FLAG]: --only ${only}: no such demo model (hint: --only lm or --only cls)\n`);
    process.exit(1);
  }
  for (const plan of DEMO_MODELS) {
    if (only && plan.name !== only) continue;
    let built: DemoModelInfo;
    try {
      built = await build(plan, work, outDir, args.includes('--fresh'));
    } catch (e) {
      // The CLI has printed its own error line; anything else is one line here.
      if (e instanceof SparseRnnError) process.stderr.write(e.toLine() + '\n');
      else if (!/exited with/.test((e as Error).message)) process.stderr.write(`error[BUG]: ${(e as Error).message}\n`);
      process.exit(1);
    }
    const info: Record<string, DemoModelInfo> = fs.existsSync(infoFile) ? JSON.parse(fs.readFileSync(infoFile, 'utf8')) : {};
    info[plan.name] = built;
    // Plan order, whatever the file held before: the same models write the same bytes.
    const ordered = Object.fromEntries(DEMO_MODELS.filter((p) => info[p.name]).map((p) => [p.name, info[p.name]]));
    writeFileAtomic(infoFile, JSON.stringify(ordered, null, 2) + '\n');
    const m = info[plan.name];
    process.stdout.write(`${m.file}: ${m.bytes} bytes (${m.values}), dense fp32 ${m.dense_fp32_bytes}, ih+hh ${(100 * m.sparsity_ih_hh).toFixed(1)}% pruned, valid ${m.metric} ${m.valid.toFixed(4)}, test ${m.test.toFixed(4)}\n`);
  }
}
