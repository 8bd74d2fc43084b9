// Kill tests: a run SIGKILLed during epoch 1 with the default checkpoint policy (by time
// as well as at epoch ends) resumes to the same per-epoch metrics, test metrics and
// pruning log as the uninterrupted run; prune.jsonl holds each step once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, cli, tmpDir } from '../helpers/cli.js';
import { DEFAULT_TRAIN } from '../../src/train/trainer.js';

const RECIPE = JSON.stringify({ pruning: [{ select: 'rnn.*.hh', method: 'agp', finalSparsity: 0.8, beginStep: 1, endStep: 300, frequency: 1 }] });
// Long enough that epoch 1 outlasts a few time checkpoints on a slow shared machine.
const ARGS = ['--data', 'synthetic-lm', '--cell', 'lstm', '--hidden', '160', '--batch', '4', '--bptt', '10', '--epochs', '2',
  '--max-steps', '560', '--eval-batches', '4', '--recipe', RECIPE, '--quiet'];
const INTERVAL = '0.1'; // seconds; the default is 60 (checked below), shortened so the test is quick

const lines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
/** A metrics row without the fields that depend on wall-clock time. */
const untimed = (r: Record<string, unknown>) => { const { seconds: _s, tokensPerSec: _t, cpuSeconds: _c, ...rest } = r; return rest; };

test('the default checkpoint policy saves by time: a killed run loses at most about a minute', () => {
  assert.equal(DEFAULT_TRAIN.checkpointSeconds, 60);
});

test('SIGKILL during epoch 1, then --resume: per-epoch metrics, test metrics and prune.jsonl equal the uninterrupted run', async () => {
  const dir = tmpDir('srnn-kill-');
  try {
    const ref = path.join(dir, 'ref');
    const r = cli(['train', ...ARGS, '--checkpoint-seconds', INTERVAL, '--out', ref, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const run = path.join(dir, 'run');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), 'train', ...ARGS, '--checkpoint-seconds', INTERVAL, '--out', run],
      { cwd: ROOT, stdio: 'ignore' });
    const last = path.join(run, 'ckpt', 'last.srnn');
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let killedInEpoch1 = false;
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000) {
      if (child.exitCode !== null) break;
      // A time checkpoint exists and epoch 1 has not ended (no metrics row yet), with a prune step after it.
      if (fs.existsSync(last) && !fs.existsSync(path.join(run, 'metrics.jsonl'))) {
        await new Promise((res) => setTimeout(res, 30));
        if (!fs.existsSync(path.join(run, 'metrics.jsonl'))) {
          child.kill('SIGKILL');
          killedInEpoch1 = true;
          break;
        }
      }
      await new Promise((res) => setTimeout(res, 10));
    }
    await exited;
    assert.ok(killedInEpoch1, 'the run was killed during epoch 1, after a time checkpoint');
    assert.ok(!fs.existsSync(path.join(run, 'metrics.jsonl')), 'killed before epoch 1 ended');
    const ck = fs.readFileSync(last);
    const header = JSON.parse(ck.toString('utf8', 16, 16 + ck.readUInt32LE(12)));
    assert.equal(header.epoch, 1, 'the checkpoint is a time checkpoint inside epoch 1');
    assert.ok(header.batchInEpoch > 0 && header.train.epochSums.count > 0, 'it carries the epoch\'s running sums');
    assert.ok(header.train.epochSums.cpuSeconds > 0 && header.train.epochSums.cpuSeconds < 10 * header.train.epochSums.seconds + 1, 'and the CPU time spent so far');
    const before = lines(path.join(run, 'prune.jsonl')).map((e) => e.step as number);
    const res = cli(['train', '--config', path.join(run, 'config.json'), '--out', run, '--resume', '--quiet', '--json']);
    assert.equal(res.code, 0, res.stderr);
    // The recipe came from the run folder (config.json holds its content), not from a file.
    assert.deepEqual(lines(path.join(run, 'metrics.jsonl')).map(untimed), lines(path.join(ref, 'metrics.jsonl')).map(untimed));
    // Every epoch knows its CPU time, the resumed one too (its checkpoint carried the part before the kill).
    for (const e of lines(path.join(run, 'metrics.jsonl'))) assert.ok((e.cpuSeconds as number) > 0, `epoch ${e.epoch as number}: cpuSeconds ${e.cpuSeconds as number}`);
    const a = JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(ref, 'summary.json'), 'utf8'));
    assert.deepEqual(a.test, b.test);
    assert.deepEqual(a.valid, b.valid);
    const steps = lines(path.join(run, 'prune.jsonl')).map((e) => e.step as number);
    assert.equal(new Set(steps).size, steps.length, 'each pruning step once');
    assert.deepEqual(lines(path.join(run, 'prune.jsonl')), lines(path.join(ref, 'prune.jsonl')));
    assert.ok(before.length > 0 && before.length < steps.length, `killed mid-pruning (${before.length} of ${steps.length} steps logged)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
