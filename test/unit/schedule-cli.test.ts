/** `sparse-rnn schedule`: the JSON of the documented example, the table and plot, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleCommand } from '../../src/cli/schedule.js';
import { SparseRnnError } from '../../src/errors.js';

/** Runs the command with stdout captured. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await scheduleCommand(argv), out };
  } finally {
    process.stdout.write = write;
  }
}

const rejects = (argv: string[], code: string, re: RegExp) =>
  assert.rejects(run(argv), (e: unknown) => {
    assert.ok(e instanceof SparseRnnError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });

test('agp --json: the example from the docs, one object per pruning step', async () => {
  const { code, out } = await run(['--method', 'agp', '--initial', '0.2', '--final', '0.8', '--begin', '100', '--end', '110', '--frequency', '2', '--power', '3', '--json']);
  assert.equal(code, 0);
  // s = 0.8 − 0.6·(1 − p)³ at p = 0, 0.2, 0.4, 0.6, 0.8, 1
  assert.deepEqual(out.trimEnd().split('\n').map((l) => JSON.parse(l)), [
    { step: 100, sparsity: 0.2 },
    { step: 102, sparsity: 0.4928 },
    { step: 104, sparsity: 0.6704 },
    { step: 106, sparsity: 0.7616 },
    { step: 108, sparsity: 0.7952 },
    { step: 110, sparsity: 0.8 },
  ]);
});

test('narang --json: thresholds (or per unit of q with q auto); oneshot: one line', async () => {
  const nar = ['--method', 'narang', '--start', '2000', '--ramp', '3600', '--end', '10600', '--frequency', '100', '--ramp-slope-mult', '2'];
  const withQ = (await run([...nar, '--q', '0.15', '--json'])).out.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(withQ.length, 85);
  assert.deepEqual(Object.keys(withQ[0]), ['step', 'threshold']);
  assert.equal(withQ[0].step, 2100);
  assert.ok(Math.abs(withQ[0].threshold - (1.01 * 30) / 24200) < 1e-12);
  const auto = (await run([...nar, '--json'])).out.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(auto[0]), ['step', 'thresholdPerQ']);
  assert.ok(Math.abs(auto[84].thresholdPerQ * 0.15 - withQ[84].threshold) < 1e-12);
  const one = (await run(['--method', 'oneshot', '--sparsity', '0.8', '--step', '5000', '--json'])).out;
  assert.equal(one, '{"step":5000,"sparsity":0.8}\n');
});

test('human output: summary, aligned table, plot; long schedules thinned', async () => {
  const { out } = await run(['--method', 'agp', '--initial', '0.2', '--final', '0.8', '--begin', '100', '--end', '110', '--frequency', '2']);
  const lines = out.split('\n');
  assert.match(lines[0], /^agp: sparsity 0\.2 → 0\.8 from step 100 to 110, every 2 steps, power 3; mask frozen after step 110$/);
  assert.ok(lines.includes('step  sparsity'));
  assert.ok(lines.includes(' 102    49.28%'));
  assert.ok(lines.includes('sparsity vs step'));
  assert.match(out, /80% \|.*\*/);
  const long = (await run(['--method', 'agp', '--final', '0.9', '--begin', '0', '--end', '100000', '--frequency', '100'])).out;
  assert.match(long, /1001 pruning steps \(1 row in 26 shown; --json lists all\)/);
});

test('--help prints examples', async () => {
  const { code, out } = await run(['--help']);
  assert.equal(code, 0);
  assert.match(out, /examples:\n {2}sparse-rnn schedule --method agp --initial 0\.2 --final 0\.8 --begin 100 --end 110 --frequency 2 --power 3 --json/);
});

test('bad flags and values: one BAD_FLAG line naming the flag and the rule', async () => {
  await rejects(['--method', 'agp', '--final', '0.8', '--begin', '1', '--end', '9', '--frequency', '0'], 'BAD_FLAG', /^--frequency must be > 0 \(got 0\)$/);
  await rejects(['--method', 'agp', '--final', '1.2', '--begin', '1', '--end', '9', '--frequency', '1'], 'BAD_FLAG', /^--final must be in \[0, 1\) \(got 1\.2\)$/);
  await rejects(['--method', 'agp', '--final', '0.5', '--begin', '9', '--end', '3', '--frequency', '1'], 'BAD_FLAG', /^--end must be > --begin 9 \(got 3\)$/);
  await rejects(['--method', 'agp', '--final', 'lots', '--begin', '1', '--end', '9', '--frequency', '1'], 'BAD_FLAG', /^--final must be a number \(got "lots"\)$/);
  await rejects(['--method', 'agp', '--begin', '1', '--end', '9', '--frequency', '1'], 'BAD_FLAG', /^--final is required for --method agp$/);
  await rejects(['--method', 'agp', '--final', '0.5', '--begin', '1', '--end', '9', '--frequency', '1', '--q', '2'], 'BAD_FLAG', /^--q is not a parameter of --method agp/);
  await rejects(['--method', 'cubic'], 'BAD_FLAG', /^--method must be one of agp, narang, oneshot \(got "cubic"\)$/);
  await rejects(['--final', '0.5'], 'BAD_FLAG', /--method is required/);
  await rejects(['--method', 'agp', '--nope'], 'BAD_FLAG', /Unknown option '--nope'/);
  await rejects(['--method', 'narang', '--start', '0', '--ramp', '5', '--end', '10', '--frequency', '100'], 'BAD_FLAG', /^--frequency leaves no pruning step: need a multiple of --frequency strictly between --start 0 and --end 10/);
});
