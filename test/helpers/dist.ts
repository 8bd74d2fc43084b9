// Helpers of the distributed-study tests: CLI processes in their own working
// directories, polling the results store, and the embedded reference study.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ROOT } from './cli.js';

const require = createRequire(import.meta.url);
export const CLI = path.join(ROOT, 'src/cli/run.ts');
/** tsx by absolute URL: the processes run in directories outside the repository. */
export const TSX = pathToFileURL(require.resolve('tsx')).href;

export interface Proc { child: ChildProcess; out: () => string; exited: Promise<number | null> }

/** `detached`: the process gets a session of its own (see study-faults.test.ts: a frozen worker). */
export function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, o: { detached?: boolean } = {}): Proc {
  fs.mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: o.detached });
  let text = '';
  child.stdout!.on('data', (d) => { text += d; });
  child.stderr!.on('data', (d) => { text += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  return { child, out: () => text, exited };
}

export function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Polls `check` until it returns a value (not undefined), or fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The parts of a stored run that must not depend on where or when it ran. */
export function deterministic(r: import('../../src/study/store.js').RunRecord) {
  return {
    id: r.id, valid: r.valid, test: r.test, validLoss: r.validLoss, testLoss: r.testLoss, recurrentSparsity: r.recurrentSparsity,
    recurrent: r.recurrent, total: r.total, steps: r.steps, config: r.config,
    // The training loss of an epoch a run resumed in averages only the steps after the resume (also embedded).
    epochs: r.epochs.map((e) => ({ epoch: e.epoch, step: e.step, lr: e.lr, validLoss: e.validLoss, validMetric: e.validMetric, sparsity: e.sparsity })),
    groups: r.groups, gates: r.gates, pruneSteps: r.pruneSteps,
  };
}
