/**
 * Runs a study's grid on N worker processes (src/study/worker.ts, one native
 * thread each), resumably:
 *
 *   - the plan (every run of the spec) is written to the store; runs already in
 *     `runs` are skipped; the others go to the workers, runs with a checkpoint
 *     (interrupted earlier) first;
 *   - each worker commits its run's row itself, in one transaction at the end of the
 *     run (src/study/store.ts), so a finished run is never lost nor stored twice;
 *   - stopping (Ctrl-C / SIGINT / SIGTERM, or stop()): the runner creates
 *     STUDY_DIR/.stop, every worker checkpoints its run after the current step and
 *     exits; a second Ctrl-C kills the workers at once (they lose at most the steps
 *     since their last checkpoint). Running the study again continues.
 *   - a worker that dies (crash, SIGKILL) loses its run's progress since its last
 *     checkpoint; the run is reported and a new worker takes the next one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { canonicalJson, type RunPlan } from './plan.js';
import { Store } from './store.js';
import { runDirOf } from './execute.js';
import { STOP_FILE, WORKER_ENV, type FromWorker, type ToWorker } from './protocol.js';
import { StudyDisplay, type Status, type WorkerStatus } from './display.js';
import { SparseRnnError } from '../errors.js';
import { appendLine, ensureDir, ioError, writeFileAtomic } from '../util/fs.js';
import type { StudySpec } from './spec.js';

export interface RunStudyOptions {
  /** Study folder: study.db, runs/<id>/, report/. */
  out: string;
  workers: number;
  /** Expected wall seconds per run id (progress and time left); optional. */
  expected?: Map<string, number>;
  /** Handle SIGINT / SIGTERM (the CLI does; tests drive stop() instead). */
  handleSignals?: boolean;
  /** Progress on stderr (default true). */
  progress?: boolean;
  stream?: NodeJS.WriteStream;
  /** Status block period off a terminal, ms. */
  everyMs?: number;
}

export interface StudyOutcome {
  total: number;
  /** Rows in the store for the plan's runs, after this invocation. */
  finished: number;
  /** Runs finished by this invocation. */
  ranNow: number;
  /** Runs skipped because they were already finished. */
  skipped: number;
  failed: { id: string; message: string }[];
  interrupted: boolean;
  seconds: number;
  /**
   * error[IO] lines about the runner's own files (errors.log, the stop file) that could
   * not be written, e.g. on a full disk; the study went on (or stopped) without them.
   */
  ioErrors: string[];
}

/** The log of failed runs in the study folder, one line per failure. */
export const ERRORS_LOG = 'errors.log';

const label = (p: RunPlan) => p.method === 'dense' ? `${p.cell} dense seed ${p.seed}`
  : p.method === 'smallDense' ? `${p.cell} small-dense H${p.hidden} seed ${p.seed}`
  : `${p.cell} ${p.method} ${p.target} ${p.sparsity} seed ${p.seed}`;

/** The worker entry point next to this module (worker.ts under tsx, worker.js once compiled). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `worker${path.extname(here)}`);
}

export class StudyRunner {
  private stopping = false;
  private killed = false;
  private readonly display: StudyDisplay;
  private readonly workers: { name: string; child: ChildProcess; plan?: RunPlan; started?: number; epoch?: number; resumedFrom?: number; idle: boolean }[] = [];
  private queue: RunPlan[] = [];
  private readonly failed: { id: string; message: string }[] = [];
  private readonly ioErrors: string[] = [];
  private ranNow = 0;
  private done = 0;
  private total = 0;
  private readonly t0 = performance.now();
  private spawned = 0;
  /** Actual vs expected seconds of finished runs, per task/cell and overall, to rescale the estimate. */
  private readonly scales = new Map<string, { actual: number; expected: number }>();
  private onAllDone: (() => void) | null = null;

  constructor(private readonly spec: StudySpec, private readonly plans: RunPlan[], private readonly o: RunStudyOptions) {
    this.display = new StudyDisplay(o.stream ?? process.stderr, o.everyMs, o.progress ?? true);
  }

  /** Asks the workers to checkpoint and exit (a second call kills them). */
  stop(): void {
    if (this.stopping) {
      this.killed = true;
      this.display.log('killing the workers (their runs continue from their last checkpoint next time)');
      for (const w of this.workers) w.child.kill('SIGKILL');
      return;
    }
    this.stopping = true;
    this.queue = [];
    if (!this.writeStopFile()) {
      this.killed = true;
      this.display.log('cannot ask the workers to checkpoint (no stop file): killing them (their runs continue from their last checkpoint next time)');
      for (const w of this.workers) w.child.kill('SIGKILL');
      return;
    }
    this.display.log('stopping: each worker checkpoints its run after the current step (Ctrl-C again to kill at once)…');
  }

  /**
   * Creates STUDY_DIR/.stop (atomically: all of it or none). The workers only test that
   * it exists, so when the write fails (a full disk) an empty file, which needs no data
   * block, is tried next. False when neither could be created.
   */
  private writeStopFile(): boolean {
    const file = path.join(this.o.out, STOP_FILE);
    try {
      writeFileAtomic(file, String(process.pid));
      return true;
    } catch (e) {
      this.ioFailure(e);
    }
    try {
      fs.closeSync(fs.openSync(file, 'a'));
      return true;
    } catch {
      return false;
    }
  }

  /** Records an error[IO] line about the runner's own files; the study goes on. */
  private ioFailure(e: unknown): void {
    const line = e instanceof SparseRnnError ? e.toLine() : `error[IO]: ${String((e as Error)?.message ?? e).split('\n')[0]} (hint: check the study folder and the disk)`;
    this.ioErrors.push(line);
    this.display.log(line);
  }

  /** Removes the stop file; one IO error when it cannot be. */
  private removeStopFile(): void {
    const file = path.join(this.o.out, STOP_FILE);
    try {
      fs.rmSync(file, { force: true });
    } catch (e) {
      ioError('remove', file, e);
    }
  }

  async run(): Promise<StudyOutcome> {
    const { out } = this.o;
    ensureDir(out);
    this.removeStopFile();
    const store = Store.open(out);
    let finished: Set<string>;
    try {
      const specJson = canonicalJson(this.spec);
      const old = store.meta('spec');
      if (old !== undefined && old !== specJson) this.display.log(`note: the spec differs from the one this study started with; runs of the new grid that are already stored are kept`);
      store.setMeta('spec', specJson);
      store.setMeta('name', this.spec.name);
      if (store.meta('created') === undefined) store.setMeta('created', new Date().toISOString());
      store.setPlan(this.plans);
      finished = store.finishedIds();
    } finally {
      store.close();
    }
    this.total = this.plans.length;
    const todo = this.plans.filter((p) => !finished.has(p.id));
    const skipped = this.total - todo.length;
    this.done = skipped;
    const started = (p: RunPlan) => fs.existsSync(path.join(runDirOf(out, p.id), 'ckpt', 'last.srnn'));
    this.queue = [...todo.filter(started), ...todo.filter((p) => !started(p))];
    const partial = todo.filter(started).length;
    this.display.log(`study ${this.spec.name}: ${this.total} runs, ${skipped} already finished, ${todo.length} to run${partial ? ` (${partial} continue from a checkpoint)` : ''}; ${Math.min(this.o.workers, todo.length)} workers → ${out}`);

    const onSig = () => this.stop();
    if (this.o.handleSignals) {
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
    }
    const timer = setInterval(() => this.display.draw(this.status()), 250);
    try {
      if (this.queue.length) {
        await new Promise<void>((resolve) => {
          this.onAllDone = resolve;
          for (let i = 0; i < Math.min(this.o.workers, this.queue.length); i++) this.spawn();
        });
      }
    } finally {
      clearInterval(timer);
      if (this.o.handleSignals) {
        process.off('SIGINT', onSig);
        process.off('SIGTERM', onSig);
      }
      try {
        this.removeStopFile();
      } catch (e) {
        this.ioFailure(e); // a stale stop file is removed by the next run of the study
      }
    }
    this.display.draw(this.status(), true);
    this.display.end();
    const check = Store.open(out);
    let inStore: number;
    try {
      const ids = check.finishedIds();
      inStore = this.plans.filter((p) => ids.has(p.id)).length;
    } finally {
      check.close();
    }
    return {
      total: this.total, finished: inStore, ranNow: this.ranNow, skipped, failed: this.failed,
      interrupted: this.stopping || this.killed, seconds: (performance.now() - this.t0) / 1000, ioErrors: this.ioErrors,
    };
  }

  private spawn(): void {
    const name = `w${++this.spawned}`;
    const child = fork(workerFile(), [], {
      env: { ...process.env, [WORKER_ENV]: this.o.out },
      execArgv: process.execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const w: StudyRunner['workers'][number] = { name, child, idle: true };
    this.workers.push(w);
    for (const s of [child.stdout, child.stderr]) {
      if (s) createInterface({ input: s }).on('line', (line) => this.display.log(`[${name}] ${line}`));
    }
    child.on('message', (m: FromWorker) => this.onMessage(w, m));
    child.on('error', (e) => this.display.log(`  ${name}: ${e.message}`)); // e.g. a send to a worker that just exited
    child.on('exit', (code, signal) => this.onExit(w, code, signal));
  }

  private give(w: StudyRunner['workers'][number]): void {
    const next = this.stopping ? undefined : this.queue.shift();
    if (!next) {
      w.idle = true;
      w.plan = undefined;
      if (w.child.connected) w.child.disconnect(); // idle workers exit on disconnect
      return;
    }
    if (!w.child.connected) {
      this.queue.unshift(next);
      return;
    }
    w.idle = false;
    w.plan = next;
    w.started = performance.now();
    w.epoch = undefined;
    w.child.send({ type: 'run', plan: next } satisfies ToWorker);
  }

  private onMessage(w: StudyRunner['workers'][number], m: FromWorker): void {
    const p = w.plan;
    switch (m.type) {
      case 'ready':
        this.give(w);
        break;
      case 'start':
        w.resumedFrom = m.resumedFrom;
        if (p && (m.resumedFrom > 0 || m.recovered)) {
          this.display.log(`  ${w.name}: ${label(p)} ${m.recovered ? 'finished before its row was stored: storing it' : `continues from step ${m.resumedFrom}`}`);
        }
        break;
      case 'epoch':
        w.epoch = m.epoch;
        break;
      case 'done': {
        this.done += 1;
        this.ranNow += m.inserted ? 1 : 0;
        if (p) {
          const exp = this.o.expected?.get(p.id);
          if (exp && w.started !== undefined && !w.resumedFrom) {
            for (const k of [`${p.task}\u0000${p.cell}`, '']) {
              const sc = this.scales.get(k) ?? { actual: 0, expected: 0 };
              sc.actual += (performance.now() - w.started) / 1000;
              sc.expected += exp;
              this.scales.set(k, sc);
            }
          }
          w.plan = undefined;
          const v = Number.isFinite(m.valid) ? m.valid.toFixed(4) : '—';
          const t = Number.isFinite(m.test) ? m.test.toFixed(4) : '—';
          this.display.log(`✓ ${this.done}/${this.total} ${label(p)}: valid ${v}, test ${t} (${m.seconds.toFixed(1)} s)`, this.status());
        }
        w.plan = undefined;
        break;
      }
      case 'interrupted':
        if (p) this.display.log(`  ${w.name}: ${label(p)} stopped; checkpoint saved`);
        w.plan = undefined;
        break;
      case 'busy':
        if (p) this.display.log(`  ${w.name}: ${label(p)} is being run by process ${m.pid}; skipped this time`);
        w.plan = undefined;
        break;
      case 'failed':
        if (p) {
          this.failed.push({ id: p.id, message: m.message });
          this.display.log(`✗ ${label(p)} (${p.id}) failed: ${m.message}`);
          try {
            // One whole line, fsynced, or none (the file is cut back): never half a line.
            appendLine(path.join(this.o.out, ERRORS_LOG), `${new Date().toISOString()} ${p.id} ${label(p)}: ${m.message}`);
          } catch (e) {
            this.ioFailure(e); // the failure is still in the outcome and on the display
          }
        }
        w.plan = undefined;
        break;
    }
  }

  private onExit(w: StudyRunner['workers'][number], code: number | null, signal: NodeJS.Signals | null): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    if (w.plan && !this.stopping) {
      const msg = `worker ${w.name} died (${signal ?? `exit code ${code}`}) during the run; it continues from its last checkpoint next time`;
      this.failed.push({ id: w.plan.id, message: msg });
      this.display.log(`✗ ${label(w.plan)} (${w.plan.id}): ${msg}`);
    }
    // A crashed worker is replaced while there is work left (at most 3 replacements per worker slot).
    if (!this.stopping && this.queue.length && this.spawned < this.o.workers * 4) this.spawn();
    if (this.workers.length === 0) this.onAllDone?.();
  }

  private status(): Status {
    const elapsed = (performance.now() - this.t0) / 1000;
    const ratio = (k: string) => { const sc = this.scales.get(k); return sc && sc.expected > 0 ? sc.actual / sc.expected : undefined; };
    const overall = ratio('') ?? 1;
    const exp = (p: RunPlan) => (this.o.expected?.get(p.id) ?? NaN) * (ratio(`${p.task}\u0000${p.cell}`) ?? overall);
    let left = this.queue.reduce((a, p) => a + exp(p), 0);
    const workers: WorkerStatus[] = this.workers.map((w) => {
      if (!w.plan) return { name: w.name };
      const e = exp(w.plan);
      const ran = w.started !== undefined ? (performance.now() - w.started) / 1000 : 0;
      const resumed = w.resumedFrom ? w.resumedFrom / Math.max(w.plan.totalSteps, 1) : 0;
      const fraction = Number.isFinite(e) && e > 0 ? Math.min(1, resumed + ran / e) : undefined;
      left += Number.isFinite(e) ? Math.max(0, e * (1 - (fraction ?? 0))) : 0;
      return { name: w.name, what: label(w.plan), epoch: w.epoch === undefined ? 1 : w.epoch + 1, epochs: w.plan.train.epochs, fraction };
    });
    const n = Math.max(1, Math.min(this.o.workers, this.workers.length || this.o.workers));
    return {
      done: this.done, total: this.total, failed: this.failed.length, elapsed, left: left / n, workers,
      note: this.stopping ? 'stopping' : undefined,
    };
  }
}

export function runStudy(spec: StudySpec, plans: RunPlan[], o: RunStudyOptions): Promise<StudyOutcome> {
  return new StudyRunner(spec, plans, o).run();
}
