/**
 * A worker of a distributed study (`sparse-rnn worker`): takes runs from the BullMQ
 * queue one at a time, trains each in its own working directory with one native
 * thread (trainPlan, the embedded study's path), and commits the finished run to the
 * results store in one transaction.
 *
 *   start     the store holds the run already → done (a stale duplicate job)
 *             the store names a checkpoint → fetch it from the artifact store and
 *             resume from it; otherwise start from scratch
 *   running   every checkpoint the trainer writes is packed with the run's small
 *             files, written to the artifact store under a new name and then
 *             recorded as the run's latest; a heartbeat (host, worker, epoch, step)
 *             goes to the store every couple of seconds for `sparse-rnn status`
 *   finished  record from the run folder → insertRun (idempotent on the run id) →
 *             the job completes; the local folder and the run's bundles are removed
 *   stopping  SIGINT / SIGTERM: the run checkpoints after its current step, the
 *             checkpoint is uploaded and the run goes back to the queue
 *   lock lost the worker froze or lost Redis past its lock: BullMQ has handed the
 *             run to another worker, so this one stops it after the current step
 *             without recording anything (if it finishes first, its insert is a no-op)
 *   failure   the error is thrown to BullMQ, which retries the run up to `attempts`
 *             times; once it is failed for good the error goes to the store
 *
 * `concurrency` N forks N such processes (one run and one native thread each), as
 * the embedded study forks its workers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { Worker, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { SparseRnnError } from '../errors.js';
import { readCheckpoint } from '../model/checkpoint.js';
import { DatasetCache, trainPlan } from './execute.js';
import { ID_VERSION, runId } from './plan.js';
import { recordFromRunDir } from './record.js';
import { openArtifacts, packBundle, unpackBundle, type ArtifactStore } from './artifacts.js';
import { openResults } from './pg-store.js';
import { serviceError } from './urls.js';
import type { ResultsStore } from './results.js';
import { JOB_VERSION, connectRedis, parseQueueUrl, runIdOfJob, timingFromEnv, type JobData, type QueueTiming } from './queue.js';

/** Files of a run folder a bundle carries (besides nothing else: metrics and best.srnn are rebuilt or not needed). */
export const BUNDLE_FILES = ['ckpt/last.srnn', 'prune.jsonl', 'attempts.jsonl', 'config.json'];

export interface DistWorkerOptions {
  store: string;
  queue: string;
  artifacts: string;
  /** Working directory for run folders (default ./sparse-rnn-work). */
  work?: string;
  /** Worker processes (default 1). */
  concurrency?: number;
  /** Name shown by status (default host-pid). */
  name?: string;
  timing?: QueueTiming;
  /** Heartbeat period, ms (default 2000). */
  heartbeatMs?: number;
  log?: (line: string) => void;
  /** Resolves when the worker should stop (besides SIGINT / SIGTERM). */
  until?: Promise<void>;
}

/** An AbortSignal look-alike train() polls after each step. */
class RunFlag {
  stopped = false;
  lost = false;
  get aborted(): boolean { return this.stopped || this.lost; }
  asSignal(): AbortSignal { return this as unknown as AbortSignal; }
}

export async function runDistWorker(o: DistWorkerOptions): Promise<void> {
  const n = o.concurrency ?? 1;
  if (n > 1) return runChildren(o, n);
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const name = o.name ?? `${os.hostname()}-${process.pid}`;
  const timing = o.timing ?? timingFromEnv();
  const work = path.resolve(o.work ?? 'sparse-rnn-work');
  const target = parseQueueUrl(o.queue);
  const artifacts = openArtifacts(o.artifacts);
  fs.mkdirSync(work, { recursive: true });
  await artifacts.check();
  const results = await openResults(o.store);
  let conn;
  try {
    conn = await connectRedis(target);
  } catch (e) {
    await results.close();
    throw e;
  }
  const datasets = new DatasetCache();
  const flags = new Map<string, RunFlag>();
  let stopping = false;

  const processor = async (job: Job<JobData>, token?: string) => {
    const d = job.data;
    const id = runIdOfJob(job.id!);
    if (!d || d.v !== JOB_VERSION || d.idVersion !== ID_VERSION || !d.plan || d.plan.id !== id || runId(d.plan.method, d.plan.train) !== id) {
      throw new UnrecoverableError(`error[BAD_CONFIG]: job ${id} was made by another version of sparse-rnn (job version ${d?.v}, run id version ${d?.idVersion}; this worker knows ${JOB_VERSION} and ${ID_VERSION}) (hint: run the same sparse-rnn version on every machine)`);
    }
    const plan = d.plan;
    if (await results.has(id)) return { inserted: false };
    const runDir = path.join(work, 'runs', id);
    fs.rmSync(runDir, { recursive: true, force: true });
    let resumedFrom = 0;
    const ref = await results.checkpoint(id);
    if (ref) {
      const data = await artifacts.get(ref.key);
      if (data) {
        unpackBundle(data, runDir);
        resumedFrom = ref.step;
      } else {
        log(`[${name}] ${id}: its checkpoint ${ref.key} is missing from ${artifacts.where}; starting it over`);
      }
    }
    const flag = new RunFlag();
    flags.set(id, flag);
    if (stopping) flag.stopped = true;
    const startedAt = new Date().toISOString();
    let epoch = 1;
    let step = resumedFrom;
    const beat = () => results.setProgress({
      id, host: os.hostname(), worker: name, pid: process.pid, epoch, epochs: plan.train.epochs, step, totalSteps: plan.totalSteps,
      resumedFrom, startedAt, updatedAt: new Date().toISOString(),
    }).catch((e) => log(`[${name}] heartbeat: ${(e as Error).message}`));
    let beating: Promise<void> | null = beat();
    let lastBeat = Date.now();

    // Checkpoint uploads: the newest snapshot waits while one uploads; older ones are dropped.
    const last = path.join(runDir, 'ckpt', 'last.srnn');
    let seen = '';
    let pending: { step: number; bytes: Uint8Array } | null = null;
    let uploading: Promise<void> | null = null;
    const upload = (): Promise<void> => {
      uploading ??= (async () => {
        while (pending) {
          const p = pending;
          pending = null;
          const key = `${id}/${String(p.step).padStart(9, '0')}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${Math.random().toString(36).slice(2, 8)}.bundle`;
          try {
            await artifacts.put(key, p.bytes);
            if (!flag.lost) await results.setCheckpoint({ id, step: p.step, key });
          } catch (e) {
            log(`[${name}] ${id}: checkpoint upload failed (${(e as Error).message}); the next one retries`);
          }
        }
      })().finally(() => { uploading = null; });
      return uploading;
    };
    const snapshot = () => {
      const st = fs.statSync(last, { throwIfNoEntry: false });
      if (!st) return;
      const sig = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (sig === seen) return;
      seen = sig;
      const at = readCheckpoint(last).step;
      if (at <= resumedFrom && ref) return;
      pending = { step: at, bytes: packBundle(runDir, BUNDLE_FILES) };
      void upload();
    };

    log(`[${name}] ${id}: ${plan.cell} ${plan.method}${plan.target ? ` ${plan.target} ${plan.sparsity}` : ''} seed ${plan.seed}${resumedFrom ? `, resuming from step ${resumedFrom}` : ''}`);
    try {
      await trainPlan(plan, runDir, resumedFrom > 0, datasets, flag.asSignal(), {
        onStep: (s, _total, e) => {
          step = s;
          epoch = e;
          snapshot();
          if (!beating && !flag.lost && Date.now() - lastBeat > (o.heartbeatMs ?? 2000)) {
            lastBeat = Date.now();
            beating = beat().finally(() => { beating = null; });
          }
        },
      });
    } catch (e) {
      flags.delete(id);
      if (e instanceof SparseRnnError && e.code === 'INTERRUPTED') {
        if (flag.lost) {
          // Its progress row, unless the new holder's heartbeat has taken it over already.
          await beating;
          await results.clearProgress(id, name).catch(() => {});
          log(`[${name}] ${id}: lost its lock (another worker has the run); stopped`);
          throw new Error('lock lost: the run was handed to another worker');
        }
        snapshot();
        await uploading;
        await results.clearProgress(id, name).catch(() => {});
        log(`[${name}] ${id}: stopped at step ${step}; checkpoint saved, run given back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      await uploading;
      await results.clearProgress(id, name).catch(() => {});
      const line = e instanceof SparseRnnError ? e.toLine() : `error[BUG]: ${(e as Error).message}`;
      log(`[${name}] ${id}: ${line}`);
      throw new Error(line);
    }
    flags.delete(id);
    await uploading;
    await beating;
    const record = recordFromRunDir(plan, runDir, resumedFrom);
    const inserted = await results.insertRun(record);
    await results.clearProgress(id, name).catch(() => {});
    fs.rmSync(runDir, { recursive: true, force: true });
    if (inserted) await artifacts.removePrefix(id).catch(() => {});
    log(`[${name}] ${id}: ${inserted ? 'stored' : 'already stored by another worker: nothing changed'} (valid ${record.valid.toFixed(4)}, test ${record.test.toFixed(4)}, ${record.wallSeconds.toFixed(1)} s)`);
    return { inserted };
  };

  const worker = new Worker<JobData>(target.name, processor, {
    connection: conn, concurrency: 1, autorun: false,
    lockDuration: timing.lockMs, stalledInterval: timing.stalledMs, maxStalledCount: timing.maxStalled,
  });
  worker.on('lockRenewalFailed', (ids: string[]) => { for (const id of ids) { const f = flags.get(runIdOfJob(id)); if (f) f.lost = true; } });
  worker.on('error', (e) => log(`[${name}] queue: ${(e as Error).message}`));
  worker.on('failed', (job, err) => {
    if (!job) return;
    void (async () => {
      const state = await job.getState().catch(() => 'unknown');
      if (state !== 'failed') return; // will be retried
      const id = runIdOfJob(job.id!);
      await results.recordFailure({ id, attempts: job.attemptsMade, error: err.message, failedAt: new Date().toISOString() });
      log(`[${name}] ${id}: failed after ${job.attemptsMade} attempt(s): ${err.message}`);
    })().catch((e) => log(`[${name}] recording a failure: ${(e as Error).message}`));
  });

  let closing: Promise<boolean> | null = null;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log(`[${name}] stopping: the current run checkpoints after its step and goes back to the queue`);
    for (const f of flags.values()) f.stopped = true;
    closing = worker.close().then(() => true); // takes no new run from here on
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  log(`[${name}] worker on queue ${target.name} at ${target.where}, store ${results.where}, artifacts ${artifacts.where}`);
  // BullMQ's loop retries Redis errors itself; anything else ending it stops this worker
  // with one line (a rejection left unhandled would end the process with a stack trace).
  let broken: Error | null = null;
  const running = worker.run().catch((e: Error) => {
    broken = e;
    log(`[${name}] queue: ${e.message}; stopping`);
    stop();
  });
  const stopped = new Promise<void>((resolve) => {
    const t = setInterval(() => { if (stopping) { clearInterval(t); resolve(); } }, 100);
    o.until?.then(() => { stop(); });
  });
  await stopped;
  // A graceful close waits for the current run to be given back; with Redis gone it
  // could wait forever, so it is forced after a while.
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([closing ?? worker.close().then(() => true),
    new Promise<boolean>((r) => { timer = setTimeout(() => r(false), Math.max(10_000, timing.lockMs)); })]);
  clearTimeout(timer);
  if (!closed) {
    log(`[${name}] the queue does not answer; closing anyway (the run goes back to the queue once its lock expires)`);
    await Promise.race([worker.close(true).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  } else {
    await running;
  }
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await results.close();
  conn.disconnect();
  log(`[${name}] stopped`);
  if (broken) throw serviceError('Redis', target.where, broken);
}

/** N worker processes of this command, each with one run and one native thread. */
async function runChildren(o: DistWorkerOptions, n: number): Promise<void> {
  const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../cli', `run${path.extname(new URL(import.meta.url).pathname)}`);
  const base = o.name ?? `${os.hostname()}-${process.pid}`;
  const children: ChildProcess[] = [];
  for (let i = 1; i <= n; i++) {
    children.push(fork(bin, ['worker', '--store', o.store, '--queue', o.queue, '--artifacts', o.artifacts,
      '--work', path.join(path.resolve(o.work ?? 'sparse-rnn-work'), `w${i}`), '--name', `${base}-w${i}`], { execArgv: process.execArgv, stdio: 'inherit' }));
  }
  const forward = (sig: NodeJS.Signals) => () => { for (const c of children) c.kill(sig); };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  o.until?.then(onTerm);
  await Promise.all(children.map((c) => new Promise((r) => c.on('exit', r))));
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
}
