/**
 * What the runner and its worker processes say to each other (see worker.ts), and
 * the stop flag a worker polls while train() blocks its event loop.
 */
import fs from 'node:fs';
import type { RunPlan } from './plan.js';

export type ToWorker = { type: 'run'; plan: RunPlan } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'start'; id: string; resumedFrom: number; recovered: boolean }
  | { type: 'epoch'; id: string; epoch: number; step: number; valid: number | null }
  | { type: 'prune'; id: string; step: number }
  | { type: 'done'; id: string; inserted: boolean; valid: number; test: number; seconds: number }
  | { type: 'interrupted'; id: string }
  | { type: 'busy'; id: string; pid: number }
  | { type: 'failed'; id: string; code: string; message: string };

export const WORKER_ENV = 'SPARSE_RNN_STUDY_DIR';
export const STOP_FILE = '.stop';

/** An AbortSignal look-alike that train() can poll while it blocks the event loop. */
export class StopFlag {
  private stopped = false;
  private checkedAt = 0;
  private readonly ppid = process.ppid;
  constructor(private readonly stopFile: string) {}
  stop(): void {
    this.stopped = true;
  }
  get aborted(): boolean {
    if (this.stopped) return true;
    const now = Date.now();
    if (now - this.checkedAt < 100) return false;
    this.checkedAt = now;
    if (process.ppid !== this.ppid || fs.existsSync(this.stopFile)) this.stopped = true;
    return this.stopped;
  }
  asSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }
}

