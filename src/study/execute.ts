/**
 * One run of a study, start to committed row, in the calling process:
 *
 *   runs/<id>/summary.json exists   → the run finished but its row was not committed
 *                                     (killed in between): commit it, no training
 *   runs/<id>/ckpt/last.srnn exists → train(resume: true) from that checkpoint
 *   otherwise                       → train from scratch
 *   then                            → record from the folder → Store.insertRun (one transaction)
 *
 * A lock file runs/<id>.lock (holding the pid) keeps two processes off one run
 * folder, e.g. a worker orphaned by a killed runner still finishing its step while
 * the study is started again; a lock whose pid is gone is taken over.
 *
 * An abort (Ctrl-C, the runner stopping) makes train() checkpoint and throw
 * INTERRUPTED; the time spent is appended to attempts.jsonl so the row's wall time
 * covers every attempt that ended cleanly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SparseRnnError } from '../errors.js';
import { readCheckpoint } from '../model/checkpoint.js';
import { train, type EpochRow } from '../train/trainer.js';
import type { MetricName } from '../train/metrics.js';
import type { PruneEvent } from '../prune/pruner.js';
import { loadDataset } from '../data/index.js';
import type { Dataset } from '../data/dataset.js';
import { appendLine, createFileExclusive, ensureDir, readFileLimited } from '../util/fs.js';
import type { RunPlan } from './plan.js';
import { ATTEMPTS_FILE, recordFromRunDir } from './record.js';
import type { RunRecord, Store } from './store.js';

export const RUNS_DIR = 'runs';

export function runDirOf(studyDir: string, id: string): string {
  return path.join(studyDir, RUNS_DIR, id);
}

/** Loaded data sets, kept for the life of a worker (every run of a task shares one). */
export class DatasetCache {
  private readonly map = new Map<string, Dataset>();
  get(d: RunPlan['train']['data']): Dataset {
    const key = JSON.stringify([d.name, d.level ?? null, d.limit ?? null]);
    let ds = this.map.get(key);
    if (!ds) {
      ds = loadDataset(d.name, { level: d.level, limit: d.limit });
      this.map.set(key, ds);
    }
    return ds;
  }
}

export interface RunHooks {
  onStart?: (info: { resumedFrom: number; recovered: boolean }) => void;
  onEpoch?: (row: EpochRow, metric: MetricName) => void;
  onPrune?: (e: PruneEvent) => void;
  onStep?: (step: number, totalSteps: number, epoch: number) => void;
}

/**
 * Trains one planned run in runDir (from scratch, or from runDir/ckpt/last.srnn when
 * `resume`): the one training path of every study, embedded (worker.ts) and
 * distributed (dist-worker.ts) alike, with one native thread (plan.train.threads),
 * so a run gives the same numbers bit for bit wherever it runs. An interrupted
 * attempt appends its time to attempts.jsonl (the record's wall time covers it).
 */
export async function trainPlan(plan: RunPlan, runDir: string, resume: boolean, datasets: DatasetCache, signal: AbortSignal | undefined, hooks: RunHooks = {}): Promise<void> {
  const t0 = performance.now();
  try {
    await train(plan.train, {
      out: runDir, resume, signal, dataset: datasets.get(plan.train.data),
      onEpoch: hooks.onEpoch, onPrune: hooks.onPrune, onStep: hooks.onStep,
    });
  } catch (e) {
    if (e instanceof SparseRnnError && e.code === 'INTERRUPTED') {
      appendLine(path.join(runDir, ATTEMPTS_FILE), JSON.stringify({ seconds: (performance.now() - t0) / 1000, stoppedAt: new Date().toISOString() }));
    }
    throw e;
  }
}

export interface RunOutcome { record: RunRecord; inserted: boolean }

/** The run is held by another live process (pid). */
export class RunBusyError extends Error {
  constructor(readonly id: string, readonly pid: number) {
    super(`run ${id} is being run by process ${pid}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed worker whose parent died too stays a zombie where PID 1 does not reap
  // (containers): signal 0 still reaches it, but it holds nothing. Linux says so in
  // /proc/<pid>/stat (state after the command name: Z zombie, X dead).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux): trust the signal
  }
}

/** Takes runs/<id>.lock for this process; returns its release function. */
export function lockRun(studyDir: string, id: string): () => void {
  const file = path.join(studyDir, RUNS_DIR, `${id}.lock`);
  ensureDir(path.dirname(file));
  for (let attempt = 0; attempt < 3; attempt++) {
    // Whole or absent (a full disk gives an IO error, not an empty lock).
    if (createFileExclusive(file, String(process.pid))) return () => fs.rmSync(file, { force: true });
    let held: string;
    try {
      held = readFileLimited(file, { maxBytes: 64, what: 'run lock', hint: 'remove it when no study is running' }, 'utf8');
    } catch (e) {
      if (e instanceof SparseRnnError && / is missing$/.test(e.message)) continue; // released meanwhile
      throw e;
    }
    const pid = Number(held.trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new RunBusyError(id, pid);
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new RunBusyError(id, -1);
}

/** The step of a run folder's last checkpoint, or null when there is none (or it is unreadable). */
function checkpointStep(file: string): number | null {
  if (!fs.existsSync(file)) return null;
  try {
    return readCheckpoint(file).step;
  } catch {
    return null;
  }
}

export async function executeRun(plan: RunPlan, studyDir: string, store: Store, datasets: DatasetCache, signal?: AbortSignal, hooks: RunHooks = {}): Promise<RunOutcome> {
  const release = lockRun(studyDir, plan.id);
  try {
    return await executeLocked(plan, studyDir, store, datasets, signal, hooks);
  } finally {
    release();
  }
}

async function executeLocked(plan: RunPlan, studyDir: string, store: Store, datasets: DatasetCache, signal: AbortSignal | undefined, hooks: RunHooks): Promise<RunOutcome> {
  if (store.has(plan.id)) {
    // Finished by another process since this one was handed the run.
    const runDir = runDirOf(studyDir, plan.id);
    return { record: recordFromRunDir(plan, runDir, 0), inserted: false };
  }
  const runDir = runDirOf(studyDir, plan.id);
  const last = path.join(runDir, 'ckpt', 'last.srnn');
  const summary = path.join(runDir, 'summary.json');
  let resumedFrom = 0;
  if (fs.existsSync(summary)) {
    hooks.onStart?.({ resumedFrom: 0, recovered: true });
  } else {
    const at = checkpointStep(last);
    if (at === null && fs.existsSync(runDir)) {
      // Killed before its first checkpoint (or left an unreadable one): start clean.
      fs.rmSync(runDir, { recursive: true, force: true });
    }
    resumedFrom = at ?? 0;
    hooks.onStart?.({ resumedFrom, recovered: false });
    await trainPlan(plan, runDir, at !== null, datasets, signal, hooks);
  }
  const record = recordFromRunDir(plan, runDir, resumedFrom);
  const inserted = store.insertRun(record);
  return { record, inserted };
}
