// The standalone C++ kernel tests (native/tests/): sgemm and sgemm_packed against the
// naive reference, the sparse kernels (training and inference) against theirs,
// activations, thread pool, optimizer loops — every SIMD level × 1/2 threads. Compiled here with g++ (what `npm install` already needs) and run once each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-native-'));
const common = ['-O2', '-std=c++17', '-pthread', '-Inative', 'native/simd.cc', 'native/threadpool.cc'];

for (const [name, sources] of [
  ['test_kernels', ['native/gemm.cc', 'native/tests/test_kernels.cc']],
  ['test_optim', ['native/optim.cc', 'native/tests/test_optim.cc']],
  ['test_sparse', ['native/sparse.cc', 'native/tests/test_sparse.cc']],
  ['test_infer', ['native/infer/kernels.cc', 'native/infer/model.cc', 'native/tests/test_infer.cc']],
] as const) {
  test(`native/tests/${name}.cc passes every check`, () => {
    const exe = path.join(dir, name);
    const cc = spawnSync('g++', [...common, ...sources, '-o', exe], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(cc.status, 0, `g++ failed:\n${cc.stderr}`);
    const r = spawnSync(exe, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    assert.equal(r.status, 0, `${name} failed:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
    assert.match(summary, /^\d+ checks, 0 failures$/);
  });
}
