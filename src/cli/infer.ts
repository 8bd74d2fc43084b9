/**
 * Inference commands, thin shells over src/deploy:
 *   sparse-rnn bench infer   batch-1 step latency, ours vs PyTorch (benchInferCommand)
 *   sparse-rnn generate      sample text from a char / word LM file (generateCommand)
 *   sparse-rnn classify      classify a sequence with a classifier file (classifyCommand)
 */
import fs from 'node:fs';
import { fail } from '../errors.js';
import { readFileLimited } from '../util/fs.js';
import { parseFlags, num, oneOf, table } from './args.js';
import { benchInfer, BENCH_ENGINES, type BenchEngine } from '../bench/inference.js';
import { pytorchAvailable } from '../bench/pytorch.js';
import { readSparseModelFile } from '../deploy/file.js';
import { createRuntime, type InferenceRuntime } from '../deploy/runtime.js';
import { createNativeRuntime } from '../deploy/native-runtime.js';
import type { SparseModel } from '../deploy/format.js';

export const BENCH_INFER_HELP = `usage: sparse-rnn bench infer [flags]

Batch-1 latency of one recurrent step (input width = hidden, random weights, ih and
hh pruned by magnitude), for our engines and PyTorch (bench/torch_anchor.py,
run in the same process tree when /usr/bin/python3 can import torch):
  native-dense        our dense kernels (SIMD), the same cell math
  native-sparse       CSR gather fused with the gates, fp32 values
  native-sparse-f16   the same on an fp16 export (half values in memory, lossless)
  native-sparse-i8    the same on an int8 export (int8 codes, scales folded into the input)
  ts-sparse           the pure TypeScript runtime (what the browser runs)
  pytorch             torch.nn.LSTMCell / GRUCell / RNNCell, dense weights with zeros

flags:
  --cell rnn|lstm|gru     (lstm)
  --hidden H              (1024)
  --sparsity S            fraction of ih / hh weights removed, in [0, 1) (0.9)
  --threads N             PyTorch threads; our runtimes use one (1)
  --engines a,b,...       subset of the engines above (all)
  --batch B               our engines step B sequences at once; step_us is per step
                          of all B (PyTorch stays batch 1) (1)
  --json                  one JSON object a line (torch_anchor.py field names)

example:
  sparse-rnn bench infer --cell lstm --hidden 1024 --sparsity 0.9 --threads 1 --json
`;

export async function benchInferCommand(argv: string[]): Promise<number> {
  const { values: flags } = parseFlags('bench infer', argv, {
    cell: { type: 'string' }, hidden: { type: 'string' }, sparsity: { type: 'string' }, threads: { type: 'string' },
    engines: { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' },
  }, false);
  const v = flags as Record<string, string | undefined> & { help?: boolean; json?: boolean };
  if (v.help) {
    process.stdout.write(BENCH_INFER_HELP);
    return 0;
  }
  const engines = v.engines?.split(',').map((e) => oneOf('engines', e.trim(), BENCH_ENGINES) as BenchEngine);
  const rows = await benchInfer({
    cell: oneOf('cell', v.cell, ['rnn', 'lstm', 'gru'] as const) ?? 'lstm',
    hidden: num('hidden', v.hidden, { int: true, min: 1, max: 16384 }) ?? 1024,
    sparsity: num('sparsity', v.sparsity, { min: 0, lt: 1 }) ?? 0.9,
    threads: num('threads', v.threads, { int: true, min: 1, max: 64 }) ?? 1,
    seed: num('seed', v.seed, { int: true, min: 0 }) ?? 1,
    batch: num('batch', v.batch, { int: true, min: 1, max: 64 }) ?? 1,
    ...(engines ? { engines } : {}),
  });
  if (v.json) {
    for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  process.stdout.write(table(['engine', 'cell', 'H', 'sparsity', 'threads', 'batch', 'step µs', 'vs PyTorch', 'vs our dense'],
    rows.map((r) => [r.engine, r.cell, r.hidden, r.sparsity, r.threads, r.batch ?? 1, r.step_us ?? 'n/a',
      r.vs_pytorch !== undefined ? `${r.vs_pytorch}x` : '', r.vs_our_dense !== undefined ? `${r.vs_our_dense}x` : ''])) + '\n');
  const torch = pytorchAvailable();
  if (!torch.ok && (!engines || engines.includes('pytorch'))) process.stdout.write(`PyTorch not available: ${torch.why}\n`);
  return 0;
}

function loadRuntime(file: string, engine: string | undefined): InferenceRuntime {
  const model: SparseModel = readSparseModelFile(file);
  const e = oneOf('engine', engine, ['ts', 'native'] as const) ?? 'native';
  return e === 'ts' ? createRuntime(model) : createNativeRuntime(model);
}

export const GENERATE_HELP = `usage: sparse-rnn generate MODEL.srnz [flags]

Samples tokens from a language model file (sparse-rnn export RUN --format sparse).
  --prime TEXT | --prime-ids 1,2,3   start (text needs a vocabulary in the file)
  --length N            tokens to generate (200)
  --temperature T       0 = greedy (1)
  --top-k K             keep the K most likely tokens, 0 = all (0)
  --seed S              same seed, same model → same tokens in Node and the browser (1)
  --engine ts|native    (native)
  --json                {"tokens": [...], "text": "..."}
`;

export async function generateCommand(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseFlags('generate', argv, {
    prime: { type: 'string' }, 'prime-ids': { type: 'string' }, length: { type: 'string' }, temperature: { type: 'string' },
    'top-k': { type: 'string' }, seed: { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' },
  });
  const v = flags as Record<string, string | undefined> & { help?: boolean; json?: boolean };
  if (v.help) {
    process.stdout.write(GENERATE_HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('BAD_FLAG', 'generate: expected one model file', 'sparse-rnn generate model.srnz --prime "The "');
  const rt = loadRuntime(positionals[0], v.engine);
  if (rt.spec.task !== 'lm') fail('BAD_CONFIG', `generate: ${positionals[0]} is a classifier, not a language model`, 'use `sparse-rnn classify` for classifiers');
  const ids = v['prime-ids']?.split(',').map((t) => num('prime-ids', t.trim(), { int: true, min: 0 })!);
  const prime = ids ?? v.prime ?? fail('BAD_FLAG', 'generate: --prime or --prime-ids is required', 'try --prime "The "');
  if (ids) {
    const V = rt.spec.inputSize;
    const out = ids.find((t) => t >= V);
    if (out !== undefined) fail('BAD_FLAG', `--prime-ids: ${out} is not a token id of this model (0 to ${V - 1})`, `give ids below the vocabulary size ${V}`);
  }
  const out = rt.generate({
    prime,
    length: num('length', v.length, { int: true, min: 0, max: 1_000_000 }) ?? 200,
    temperature: num('temperature', v.temperature, { min: 0 }) ?? 1,
    topK: num('top-k', v['top-k'], { int: true, min: 0 }) ?? 0,
    seed: num('seed', v.seed, { int: true, min: 0 }) ?? 1,
  });
  process.stdout.write(v.json ? JSON.stringify(out) + '\n' : (out.text ?? out.tokens.join(' ')) + '\n');
  return 0;
}

export const CLASSIFY_HELP = `usage: sparse-rnn classify MODEL.srnz --input FILE [flags]

Classifies one sequence with a classifier file. FILE: JSON — an array of numbers
(T·D features, or token ids for token input) or an array of T arrays of D numbers.
  --engine ts|native    (native)
  --json                {"label": k, "name": "...", "probs": [...]}
`;

export async function classifyCommand(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseFlags('classify', argv, {
    input: { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' },
  });
  const v = flags as Record<string, string | undefined> & { help?: boolean; json?: boolean };
  if (v.help) {
    process.stdout.write(CLASSIFY_HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('BAD_FLAG', 'classify: expected one model file', 'sparse-rnn classify model.srnz --input digit.json');
  const file = v.input ?? fail('BAD_FLAG', 'classify: --input FILE is required', 'a JSON array of numbers');
  let data: unknown;
  const text = readFileLimited(file, { maxBytes: 64 * 1024 * 1024, what: 'input file', code: 'BAD_DATA', hint: 'a JSON array of numbers' }, 'utf8');
  try {
    data = JSON.parse(text);
  } catch {
    fail('BAD_DATA', `classify: ${file} is not a readable JSON file`, 'a JSON array of numbers');
  }
  const flat = Array.isArray(data) ? (data as unknown[]).flat(1) : [];
  if (flat.length === 0 || !flat.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail('BAD_DATA', `classify: ${file} must hold a non-empty array of finite numbers`, 'e.g. [[0.1, 0.2, …], …]: one row per time step');
  }
  const rt = loadRuntime(positionals[0], v.engine);
  if (rt.spec.task !== 'classify') fail('BAD_CONFIG', `classify: ${positionals[0]} is a language model, not a classifier`, 'use `sparse-rnn generate` for language models');
  if (rt.spec.inputKind === 'vectors') {
    const w = rt.spec.inputSize;
    const rows = Array.isArray(data) ? (data as unknown[]) : [];
    if (rows.some(Array.isArray)) {
      rows.forEach((r, i) => {
        if (!Array.isArray(r) || r.length !== w) fail('BAD_DATA', `classify: row ${i} of ${file} has ${Array.isArray(r) ? r.length : 'no'} values; the model reads rows of ${w}`, `give one row of ${w} numbers per time step`);
      });
    } else if (flat.length % w !== 0) {
      fail('BAD_DATA', `classify: ${file} holds ${flat.length} numbers, not a whole number of rows of ${w}`, `give one row of ${w} numbers per time step`);
    }
  } else if (!flat.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < rt.spec.inputSize)) {
    fail('BAD_DATA', `classify: ${file} must hold token ids from 0 to ${rt.spec.inputSize - 1}`, 'give the ids of the sequence');
  }
  const seq = rt.spec.inputKind === 'tokens' ? (flat as number[]) : Float32Array.from(flat as number[]);
  const r = rt.classify(seq);
  if (v.json) process.stdout.write(JSON.stringify({ label: r.label, name: r.name, probs: Array.from(r.probs) }) + '\n');
  else process.stdout.write(`${r.name ?? r.label}  (p = ${r.probs[r.label].toFixed(4)})\n`);
  return 0;
}
