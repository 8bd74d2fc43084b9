/**
 * `sparse-rnn export RUN --format sparse|tfjs`: a thin shell over src/deploy (sparse
 * model file) and src/model/tfjs.ts (TF.js Layers model).
 */
import path from 'node:path';
import { fail } from '../errors.js';
import { parseFlags, oneOf, table } from './args.js';
import { readCheckpoint, resolveCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { SPARSE_EXT, VALUE_TYPES, type ValueType } from '../deploy/format.js';
import { writeSparseModelFile } from '../deploy/file.js';
import { sizeReport, pct } from '../deploy/size.js';

export const EXPORT_HELP = `usage: sparse-rnn export RUN [flags]

RUN is a run folder (its ckpt/last.srnn) or a checkpoint file.
  --format sparse|tfjs|onnx sparse: one .srnz file (CSR weights, docs/deploy.md) (sparse)
                            tfjs: model.json + weights.bin for tf.loadLayersModel
                            onnx: one .onnx file (opset 14, RNN/LSTM/GRU ops, docs/onnx.md)
  --sparse-initializers     onnx: every weight matrix as a sparse initializer (default:
                            those at least 50% zeros)
  --dense-initializers      onnx: no sparse initializers
  --values fp32|fp16|int8   sparse: value type of the weights (fp16)
  --out FILE|DIR            (RUN/model.srnz, or RUN/tfjs/)
  --json                    one JSON line: file, bytes, dense bytes, ratio
  --compare                 evaluate the checkpoint and its fp32 / fp16 / int8 sparse
                            files on the run's valid and test splits, beside their sizes

examples:
  sparse-rnn export runs/lstm-agp --format sparse --values fp16
  sparse-rnn export runs/lstm-agp --compare
  sparse-rnn export runs/lstm-agp --format onnx --out lstm.onnx
  sparse-rnn generate runs/lstm-agp/model.srnz --prime "The " --length 200 --seed 1
`;

/** JSON-safe extras for the model file: the vocabulary of a token LM, when the data set can be reloaded. */
async function extrasOf(ck: Checkpoint): Promise<{ extra: Record<string, unknown>; note?: string }> {
  const cfg = (ck.train as { config?: { data?: { name?: string; level?: 'word' | 'char'; limit?: number } } } | undefined)?.config;
  if (ck.spec.inputKind !== 'tokens' || !cfg?.data?.name) return { extra: {} };
  try {
    const { loadDataset } = await import('../data/index.js');
    const ds = loadDataset(cfg.data.name, { level: cfg.data.level, limit: cfg.data.limit }) as { vocab?: { tokens: readonly string[] } };
    const tokens = ds.vocab?.tokens;
    if (tokens && tokens.length === ck.spec.inputSize) return { extra: { vocab: [...tokens], data: cfg.data.name } };
    return { extra: {}, note: 'vocabulary size differs from the model; exported without one' };
  } catch (e) {
    return { extra: {}, note: `data set ${cfg.data.name} not loadable (${(e as Error).message.split('\n')[0]}); exported without a vocabulary` };
  }
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseFlags('export', argv, {
    format: { type: 'string' }, values: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, compare: { type: 'boolean' },
    'sparse-initializers': { type: 'boolean' }, 'dense-initializers': { type: 'boolean' },
  });
  const v = flags as Record<string, string | undefined> & { help?: boolean; json?: boolean };
  if (v.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('BAD_FLAG', 'export: expected one run folder or checkpoint', 'sparse-rnn export runs/NAME --format sparse');
  const format = oneOf('format', v.format, ['sparse', 'tfjs', 'onnx'] as const) ?? 'sparse';
  const values = oneOf('values', v.values, VALUE_TYPES) ?? 'fp16';
  const run = positionals[0];
  const file = resolveCheckpoint(run);
  const ck = readCheckpoint(file);
  const runDir = file === run ? path.dirname(file) : run;
  if (v.compare) return compareValues(ck, !!v.json);
  if ((v['sparse-initializers'] || v['dense-initializers']) && format !== 'onnx') fail('BAD_FLAG', 'export: --sparse-initializers / --dense-initializers apply to --format onnx only', 'add --format onnx, or drop the initializer flag');
  if (format === 'onnx') {
    if (v.values !== undefined) fail('BAD_FLAG', 'export: --values applies to --format sparse only', 'ONNX weights are fp32');
    if (v['sparse-initializers'] && v['dense-initializers']) fail('BAD_FLAG', 'export: --sparse-initializers and --dense-initializers exclude each other', 'give one of them');
    const { exportOnnx } = await import('../model/onnx/export.js');
    const initializers = v['sparse-initializers'] ? 'sparse' : v['dense-initializers'] ? 'dense' : 'auto';
    const r = exportOnnx(ck.spec, ck.layout, ck.params, v.out ?? path.join(runDir, 'model.onnx'), { initializers });
    const ratio = Math.round((r.bytes / r.denseBytes) * 10000) / 10000;
    if (v.json) process.stdout.write(JSON.stringify({ format, file: r.file, bytes: r.bytes, dense_onnx_bytes: r.denseBytes, ratio, sparse_initializers: r.sparseTensors }) + '\n');
    else process.stdout.write(`wrote ${r.file}: ${r.bytes} bytes, ${pct(r.bytes, r.denseBytes)} of the dense ONNX file (${r.denseBytes} bytes); ${r.sparseTensors} of ${r.tensors.length} tensors as sparse initializers\n`);
    return 0;
  }
  if (format === 'tfjs') {
    if (v.values !== undefined) fail('BAD_FLAG', 'export: --values applies to --format sparse only', 'TF.js weights are fp32');
    const { exportTfjs } = await import('../model/tfjs.js');
    const out = exportTfjs(ck.spec, ck.layout, ck.params, v.out ?? path.join(runDir, 'tfjs'));
    process.stdout.write(v.json ? JSON.stringify({ format, ...out }) + '\n' : `wrote ${out.modelJson} and ${out.weightsBin} (${out.bytes} bytes)\n`);
    return 0;
  }
  const out = v.out ?? path.join(runDir, `model${SPARSE_EXT}`);
  const { extra, note } = await extrasOf(ck);
  const bytes = writeSparseModelFile(out, ck.spec, ck.layout, ck.params, ck.mask, { values: values as ValueType, extra: { ...extra, step: ck.step } });
  const dense = sizeReport(ck.spec, ck.layout, ck.params, ck.mask).total;
  const summary = {
    format, file: out, values, bytes: bytes.length, dense_fp32_bytes: dense.denseFp32, dense_gzip_bytes: dense.denseGzip,
    ratio: Math.round((bytes.length / dense.denseFp32) * 10000) / 10000, density: Math.round((dense.nnz / dense.size) * 10000) / 10000,
    ...(note ? { note } : {}),
  };
  if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    process.stdout.write(`wrote ${out}: ${bytes.length} bytes, ${pct(bytes.length, dense.denseFp32)} of dense fp32 (${dense.denseFp32} bytes; gzip ${pct(dense.denseGzip, dense.denseFp32)}), ${values} values\n`);
    if (note) process.stdout.write(`note: ${note}\n`);
  }
  return 0;
}

/** `--compare`: accuracy and size of the checkpoint and of its fp32 / fp16 / int8 sparse files. */
async function compareValues(ck: Checkpoint, json: boolean): Promise<number> {
  const cfg = (ck.train as { config?: { data?: { name?: string; level?: 'word' | 'char'; limit?: number }; batch?: number; bptt?: number; evalBatch?: number } } | undefined)?.config;
  if (!cfg?.data?.name) fail('BAD_FILE', 'export --compare: the checkpoint does not name its data set', 'use a checkpoint written by sparse-rnn train');
  const { loadDataset } = await import('../data/index.js');
  const { exportQuality } = await import('../deploy/quality.js');
  const ds = loadDataset(cfg.data.name, { level: cfg.data.level, limit: cfg.data.limit });
  const rows = exportQuality(ck, ds, { batch: ck.spec.task === 'lm' ? cfg.evalBatch || 10 : cfg.batch ?? 64, bptt: cfg.bptt ?? 100 });
  const base = rows[0];
  if (json) for (const r of rows) process.stdout.write(JSON.stringify({ ...r, ratio: +(r.bytes / base.bytes).toFixed(4) }) + '\n');
  else {
    const fmt = (x: number) => (base.metric === 'accuracy' ? `${(100 * x).toFixed(2)}%` : x.toFixed(4));
    process.stdout.write(table(['weights', 'bytes', 'of dense fp32', `valid ${base.metric}`, `test ${base.metric}`, 'test change'],
      rows.map((r) => [r.values === 'checkpoint' ? 'checkpoint (dense fp32)' : `sparse ${r.values}`, r.bytes.toLocaleString('en-US'),
        pct(r.bytes, base.bytes), fmt(r.valid), fmt(r.test), `${r.test >= base.test ? '+' : ''}${(100 * (r.test / base.test - 1)).toFixed(3)}%`])) + '\n');
  }
  return 0;
}
