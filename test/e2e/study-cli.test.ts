// `sparse-rnn study` and `sparse-rnn report` as a user runs them: dry run (the grid
// and the estimated time), a tiny study to its report, and one-line errors that name
// the field or flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmpDir } from '../helpers/cli.js';

const SPEC = `
name: cli-e2e
tasks:
  - name: syn
    data: { name: synthetic-lm, limit: 2000 }
    model: { hidden: 12, embedDim: 8 }
    epochs: 1
    batch: 4
    bptt: 16
cells: [rnn, gru]
methods: [dense, agp, narang]
targets: [hh, both]
sparsities: [0.6]
seeds: [1]
smallDense: true
`;

test('dry run lists the grid and the estimated time, runs nothing', () => {
  const dir = tmpDir('srnn-study-cli-');
  fs.writeFileSync(path.join(dir, 'spec.yaml'), SPEC);
  const out = path.join(dir, 'out');
  const r = cli(['study', path.join(dir, 'spec.yaml'), '--out', out, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  // per cell: dense + 2 methods × 2 targets + 1 small dense
  assert.match(r.stdout, /^12 runs \(12 to run\) → /m);
  assert.match(r.stdout, /^estimated time: \S+ on \d+ workers? /m);
  assert.equal(r.stdout.split('\n').filter((l) => /^\s+[0-9a-f]{12}  syn  /.test(l)).length, 12);
  assert.ok(!fs.existsSync(path.join(out, 'study.db')), 'a dry run writes nothing');
});

test('a tiny study runs to its report; running it again skips every run', () => {
  const dir = tmpDir('srnn-study-cli-');
  fs.writeFileSync(path.join(dir, 'spec.yaml'), SPEC);
  const out = path.join(dir, 'out');
  const r = cli(['study', path.join(dir, 'spec.yaml'), '--out', out, '--workers', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /12\/12 runs finished \(12 now, 0 before\)/);
  assert.match(r.stderr, /study: 12\/12 runs \(100%\)/);
  assert.ok(fs.existsSync(path.join(out, 'report', 'report.html')));
  assert.ok(fs.existsSync(path.join(out, 'report', 'report.md')));
  const again = cli(['study', path.join(dir, 'spec.yaml'), '--out', out, '--no-report']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /12 runs, 12 already finished, 0 to run/);
  const rep = cli(['report', out, '--no-png']);
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal(rep.stdout.trim().split('\n')[0], path.join(out, 'report', 'report.html'));
});

test('errors are one line naming the field or flag', () => {
  const dir = tmpDir('srnn-study-cli-');
  fs.writeFileSync(path.join(dir, 'bad.yaml'), SPEC.replace('epochs: 1', 'epochs: 0'));
  const bad = cli(['study', path.join(dir, 'bad.yaml'), '--dry-run']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error\[BAD_CONFIG\]: tasks\[0\]\.epochs must be an integer >= 1 \(got 0\)/);
  const preset = cli(['study', '--preset', 'slow']);
  assert.equal(preset.code, 2);
  assert.match(preset.stderr, /^error\[BAD_FLAG\]: --preset must be one of quick, paper/);
  const workers = cli(['study', '--workers', '0', '--dry-run']);
  assert.equal(workers.code, 2);
  assert.match(workers.stderr, /--workers must be an integer >= 1/);
  const missing = cli(['report', path.join(dir, 'nothing-here')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error\[BAD_FILE\]: no results store at /);
  const help = cli(['study', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: sparse-rnn study/);
});
