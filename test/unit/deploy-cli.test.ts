// The deploy commands end to end on a real checkpoint file: export → generate /
// classify, and their one-line refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSpec } from '../../src/model/spec.js';
import { writeCheckpoint } from '../../src/model/checkpoint.js';
import { SparseRnnError } from '../../src/errors.js';
import { randomPrunedModel } from '../../src/deploy/random.js';
import { readSparseModelFile } from '../../src/deploy/file.js';
import { createRuntime } from '../../src/deploy/runtime.js';
import { exportCommand } from '../../src/cli/export.js';
import { classifyCommand, generateCommand } from '../../src/cli/infer.js';

/** Runs a command with stdout captured. */
async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await f(), out };
  } finally {
    process.stdout.write = write;
  }
}

test('export a run → sparse file; generate and classify from it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-export-'));
  try {
    const lmSpec = defaultSpec({ cell: 'lstm', inputSize: 12, outputSize: 12, hidden: 16, embedDim: 8 });
    const lm = randomPrunedModel(lmSpec, 0.9, 1);
    const run = path.join(dir, 'run-lm');
    writeCheckpoint(path.join(run, 'ckpt', 'last.srnn'), { spec: lmSpec, params: lm.params, mask: lm.mask, extra: {}, step: 5, epoch: 1, batchInEpoch: 0 });
    const ex = await capture(() => exportCommand([run, '--format', 'sparse', '--values', 'fp16', '--json']));
    assert.equal(ex.code, 0);
    const summary = JSON.parse(ex.out);
    assert.equal(summary.file, path.join(run, 'model.srnz'));
    assert.ok(summary.ratio < 0.5, `ratio ${summary.ratio}`);
    const model = readSparseModelFile(summary.file);
    assert.equal(model.values, 'fp16');
    assert.equal(model.extra.step, 5);

    const want = createRuntime(model).generate({ prime: [1, 2], length: 10, seed: 9 }).tokens;
    for (const engine of ['ts', 'native']) {
      if (engine === 'native' && !fs.existsSync('build/Release/sparse_infer.node')) continue;
      const g = await capture(() => generateCommand([summary.file, '--prime-ids', '1,2', '--length', '10', '--seed', '9', '--engine', engine, '--json']));
      assert.deepEqual(JSON.parse(g.out).tokens, want, engine);
    }

    const clsSpec = defaultSpec({ cell: 'gru', inputKind: 'vectors', inputSize: 4, outputSize: 3, hidden: 8, task: 'classify' });
    const cls = randomPrunedModel(clsSpec, 0.5, 2);
    const ck = path.join(dir, 'cls.srnn');
    writeCheckpoint(ck, { spec: clsSpec, params: cls.params, mask: cls.mask, extra: {}, step: 1, epoch: 0, batchInEpoch: 0 });
    const out = path.join(dir, 'out', 'cls.srnz');
    assert.equal((await capture(() => exportCommand([ck, '--values', 'int8', '--out', out]))).code, 0);
    const input = path.join(dir, 'x.json');
    fs.writeFileSync(input, JSON.stringify([[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 1]]));
    const c = await capture(() => classifyCommand([out, '--input', input, '--json', '--engine', 'ts']));
    const r = JSON.parse(c.out);
    const expect = createRuntime(readSparseModelFile(out)).classify(Float32Array.from([0.1, 0.2, 0.3, 0.4, 1, 0, 0, 1]));
    assert.equal(r.label, expect.label);
    assert.equal(r.probs.length, 3);

    // Refusals are SparseRnnErrors with a code.
    const code = async (f: () => Promise<number>, c: string, re: RegExp) =>
      assert.rejects(f, (e: unknown) => e instanceof SparseRnnError && e.code === c && re.test(e.message));
    await code(() => exportCommand([run, '--values', 'fp8']), 'BAD_FLAG', /--values must be one of fp32, fp16, int8/);
    await code(() => exportCommand([path.join(dir, 'nope')]), 'BAD_FILE', /no such run folder/);
    await code(() => generateCommand([summary.file, '--length', '3']), 'BAD_FLAG', /--prime or --prime-ids is required/);
    await code(() => classifyCommand([out, '--input', path.join(dir, 'missing.json')]), 'BAD_DATA', /missing\.json is missing/);
    fs.writeFileSync(path.join(dir, 'bad.srnz'), 'not a model at all, just text padding it out');
    await code(() => generateCommand([path.join(dir, 'bad.srnz'), '--prime-ids', '1']), 'BAD_FILE', /bad magic/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
