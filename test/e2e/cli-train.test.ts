// The training pipeline end to end through the CLI: a real run, its files, exact
// resume, and one clear line + non-zero exit for every bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmpDir, listFiles } from '../helpers/cli.js';

const TINY = ['--data', 'synthetic-lm', '--limit', '6000', '--cell', 'lstm', '--hidden', '16', '--batch', '4', '--bptt', '10', '--quiet'];

function oneErrorLine(r: { code: number; stderr: string }, code: string, mention: RegExp) {
  assert.notEqual(r.code, 0, 'exit code must be non-zero');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], new RegExp(`^error\\[${code}\\]: `));
  assert.match(lines[0], mention);
}

test('train: a tiny run writes its folder, learns, and the metrics agree with the files', () => {
  const out = path.join(tmpDir(), 'run');
  const r = cli(['train', ...TINY, '--epochs', '2', '--optimizer', 'adam', '--lr', '0.01', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(listFiles(out), ['ckpt/best.srnn', 'ckpt/last.srnn', 'config.json', 'metrics.jsonl', 'summary.json']);
  const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  // A Markov stream is learnable: validation loss falls below uniform guessing (ln V).
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.ok(rows[1].valid.loss < Math.log(summary.spec.inputSize) * 0.9, `valid loss ${rows[1].valid.loss}`);
  assert.equal(res.valid.loss, rows[1].valid.loss);
  assert.ok(Number.isFinite(res.test.bpc));
  // `evaluate` recomputes the same numbers from the checkpoint.
  const ev = cli(['evaluate', out, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  assert.equal(e.valid.loss, res.valid.loss);
  assert.equal(e.test.loss, res.test.loss);
});

test('train: the same seed gives the same loss curve; resume continues exactly', () => {
  const base = tmpDir();
  const args = [...TINY, '--epochs', '2', '--dropout', '0.1', '--checkpoint-every', '3'];
  const a = cli(['train', ...args, '--out', path.join(base, 'a'), '--json']);
  const b = cli(['train', ...args, '--out', path.join(base, 'b'), '--json']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout.replace(path.join(base, 'b'), path.join(base, 'a')).replace(/"seconds":[0-9.e-]+/, a.stdout.match(/"seconds":[0-9.e-]+/)![0]));
  // Stop after one epoch (max-steps), then resume for the rest: same final metrics.
  const c = path.join(base, 'c');
  const first = cli(['train', ...args, '--out', c, '--max-steps', '100000', '--epochs', '1', '--json']);
  assert.equal(first.code, 0, first.stderr);
  const cfg = JSON.parse(fs.readFileSync(path.join(c, 'config.json'), 'utf8'));
  cfg.epochs = 2;
  fs.writeFileSync(path.join(c, 'config.json'), JSON.stringify(cfg));
  const resumed = cli(['train', '--config', path.join(c, 'config.json'), '--out', c, '--resume', '--quiet', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const ra = JSON.parse(a.stdout.trim());
  const rc = JSON.parse(resumed.stdout.trim());
  assert.equal(rc.valid.loss, ra.valid.loss);
  assert.equal(rc.test.loss, ra.test.loss);
});

test('train: bad input gives one clear line, a non-zero exit and no files', () => {
  const dir = tmpDir();
  const out = path.join(dir, 'x');
  oneErrorLine(cli(['train', '--hidden', '0', '--out', out]), 'BAD_FLAG', /--hidden must be an integer >= 1/);
  oneErrorLine(cli(['train', '--bogus', '--out', out]), 'BAD_FLAG', /bogus/);
  oneErrorLine(cli(['train', '--cell', 'transformer', '--out', out]), 'BAD_FLAG', /--cell must be one of rnn, lstm, gru/);
  oneErrorLine(cli(['train', '--data', path.join(dir, 'nope/'), '--out', out]), 'BAD_DATA', /nope/);
  oneErrorLine(cli(['train', '--config', path.join(dir, 'missing.yaml'), '--out', out]), 'BAD_FILE', /missing\.yaml/);
  oneErrorLine(cli(['train', ...TINY, '--resume', '--out', out]), 'BAD_FILE', /cannot resume/);
  assert.deepEqual(listFiles(out), []);
  oneErrorLine(cli(['nonsense']), 'BAD_FLAG', /unknown command/);
});

test('train: a diverging run (NaN loss) stops with DIVERGED and keeps the last good checkpoint', () => {
  const out = path.join(tmpDir(), 'nan');
  const r = cli(['train', ...TINY, '--epochs', '3', '--optimizer', 'sgd', '--lr', '1e38', '--clip', '0', '--out', out]);
  oneErrorLine(r, 'DIVERGED', /loss became (NaN|Infinity)/);
  for (const f of listFiles(out)) assert.doesNotMatch(f, /tmp/);
});

test('checkpoints: corrupt, truncated and wrong-version files are refused with one line', () => {
  const dir = tmpDir();
  const out = path.join(dir, 'run');
  assert.equal(cli(['train', ...TINY, '--epochs', '1', '--out', out]).code, 0);
  const ck = fs.readFileSync(path.join(out, 'ckpt/last.srnn'));
  const flip = Buffer.from(ck); flip[flip.length >> 1] ^= 0xff;
  const version = Buffer.from(ck); version.writeUInt32LE(99, 8);
  const cases: [string, Buffer, RegExp][] = [
    ['flipped.srnn', flip, /checksum mismatch/],
    ['truncated.srnn', ck.subarray(0, ck.length - 100), /checksum mismatch|truncated/],
    ['version.srnn', version, /version 99 is not supported/],
    ['empty.srnn', Buffer.alloc(0), /bad magic/],
  ];
  for (const [name, bytes, msg] of cases) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    oneErrorLine(cli(['prune', '--from', f, '--recipe', 'recipes/agp-both.yaml', '--out', path.join(dir, 'p')]), 'BAD_FILE', msg);
  }
});

test('train: Ctrl-C (SIGINT) mid-epoch checkpoints, exits 130, and --resume ends where an uninterrupted run ends', async () => {
  const { spawn } = await import('node:child_process');
  const { ROOT } = await import('../helpers/cli.js');
  const base = tmpDir();
  const args = ['--data', 'synthetic-lm', '--limit', '20000', '--cell', 'gru', '--hidden', '24', '--batch', '4', '--bptt', '10', '--epochs', '30', '--checkpoint-every', '50', '--quiet', '--json'];
  // 30 epochs: long enough that the run is still going when SIGINT arrives on a fast machine.
  const ref = cli(['train', ...args, '--out', path.join(base, 'ref')]);
  assert.equal(ref.code, 0, ref.stderr);
  const out = path.join(base, 'int');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), 'train', ...args, '--out', out], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ckpt = path.join(out, 'ckpt/last.srnn');
  while (!fs.existsSync(ckpt) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGINT');
  const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? -1)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /error\[INTERRUPTED\]: stopped at step \d+; checkpoint saved/);
  assert.ok(!fs.existsSync(path.join(out, 'summary.json')), 'an interrupted run has no summary');
  const resumed = cli(['train', '--config', path.join(out, 'config.json'), '--out', out, '--resume', '--quiet', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const a = JSON.parse(ref.stdout.trim()), b = JSON.parse(resumed.stdout.trim());
  assert.equal(b.steps, a.steps);
  assert.equal(b.valid.loss, a.valid.loss);
  assert.equal(b.test.loss, a.test.loss);
});

test('bench train --sparsity [--prune-head]: a dense and a pruned row (anchor field names, speed-up), bad values refused', () => {
  const r = cli(['bench', 'train', '--cell', 'gru', '--hidden', '16', '--vocab', '10', '--batch', '4', '--steps', '5', '--repeats', '1', '--sparsity', '0.9', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((x) => x.sparsity), [0, 0.9]);
  for (const x of rows) {
    assert.equal(x.mode, 'train');
    assert.equal(x.cell, 'gru');
    assert.ok(x.tokens_per_s > 0);
  }
  assert.equal(rows[1].vs_our_dense, +(rows[1].tokens_per_s / rows[0].tokens_per_s).toFixed(3));
  assert.deepEqual(rows.map((x) => x.head_pruned), [false, false]);
  const h = cli(['bench', 'train', '--cell', 'rnn', '--hidden', '16', '--vocab', '10', '--batch', '4', '--steps', '5', '--repeats', '1', '--sparsity', '0.8', '--prune-head', '--json']);
  assert.equal(h.code, 0, h.stderr);
  assert.deepEqual(h.stdout.trim().split('\n').map((l) => JSON.parse(l).head_pruned), [false, true]);
  oneErrorLine(cli(['bench', 'train', '--sparsity', '1']), 'BAD_FLAG', /--sparsity/);
  oneErrorLine(cli(['bench', 'train', '--prune-head']), 'BAD_FLAG', /--prune-head/);
});
