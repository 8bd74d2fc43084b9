/**
 * A study that spans machines, seen from the machine that starts it
 * (`sparse-rnn study SPEC --store postgres://… --queue redis://… --artifacts …`):
 *
 *   1. the plan is recorded in the results store (a different spec under the same
 *      study name is refused);
 *   2. every planned run the store does not hold as finished or failed is enqueued
 *      (job id = `run-` + run id: harmless when queued already; after Redis lost its data
 *      this re-enqueues exactly what is missing);
 *   3. unless detached, progress is followed in the store until every run is
 *      finished or failed; meanwhile runs are re-enqueued now and then (a Redis
 *      that lost its data mid-study), and runs BullMQ failed for good are recorded.
 *
 * studyStatus() is what `sparse-rnn status` prints: finished / running / queued /
 * failed, each running run with its host, worker, epoch and share done, time left.
 */
import { Queue } from 'bullmq';
import { canonicalJson, type RunPlan } from './plan.js';
import type { StudySpec } from './spec.js';
import type { ResultsStore, RunFailure } from './results.js';
import { connectRedis, enqueueRuns, parseQueueUrl, runIdOfJob, timingFromEnv, type QueueTiming } from './queue.js';
import { openArtifacts } from './artifacts.js';
import { formatDuration } from '../util/progress.js';

export interface DistributedOptions {
  queue: string;
  artifacts: string;
  /** Return once the runs are enqueued. */
  detach?: boolean;
  /** Poll period while following, ms (default 2000). */
  pollMs?: number;
  /** Re-enqueue period while following, ms (default 30000). */
  requeueMs?: number;
  timing?: QueueTiming;
  log?: (line: string) => void;
}

export interface DistributedOutcome { total: number; finished: number; failed: RunFailure[]; enqueued: number; seconds: number; detached: boolean }

export async function runDistributedStudy(spec: StudySpec, plans: RunPlan[], results: ResultsStore, o: DistributedOptions): Promise<DistributedOutcome> {
  const t0 = performance.now();
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const timing = o.timing ?? timingFromEnv();
  const target = parseQueueUrl(o.queue);
  // Everything that can reject the input is checked before anything is written.
  await openArtifacts(o.artifacts).check();
  const conn = await connectRedis(target);
  const queue = new Queue(target.name, { connection: conn });
  try {
    await results.openStudy(spec.name, canonicalJson(spec), plans, true);
    const ids = plans.map((p) => p.id);
    const todo = async () => {
      const fin = await results.finishedIds(ids);
      const failed = new Set((await results.failures(ids)).map((f) => f.id));
      return plans.filter((p) => !fin.has(p.id) && !failed.has(p.id));
    };
    const first = await todo();
    await enqueueRuns(queue, spec.name, first, timing);
    log(`study ${spec.name}: ${plans.length} runs, ${plans.length - first.length} finished or failed, ${first.length} enqueued on ${target.where} (queue ${target.name}); results in ${results.where}`);
    if (o.detach) {
      return { total: plans.length, finished: plans.length - first.length, failed: await results.failures(ids), enqueued: first.length, seconds: (performance.now() - t0) / 1000, detached: true };
    }
    let lastLine = '';
    let lastRequeue = Date.now();
    for (;;) {
      const st = await studyStatus(results, spec.name);
      const line = formatStatusLine(st);
      if (line !== lastLine) log(line);
      lastLine = line;
      if (st.finished + st.failed.length >= st.total) {
        return { total: st.total, finished: st.finished, failed: st.failed, enqueued: first.length, seconds: (performance.now() - t0) / 1000, detached: false };
      }
      if (Date.now() - lastRequeue > (o.requeueMs ?? 30_000)) {
        lastRequeue = Date.now();
        await recordQueueFailures(queue, results, ids).catch(() => {});
        await enqueueRuns(queue, spec.name, await todo(), timing).catch((e) => log(`re-enqueue: ${(e as Error).message}`));
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
    }
  } finally {
    await queue.close().catch(() => {});
    conn.disconnect();
  }
}

/** Runs BullMQ failed for good (e.g. found stalled too often) that no worker recorded. */
async function recordQueueFailures(queue: Queue, results: ResultsStore, ids: string[]): Promise<void> {
  const known = new Set((await results.failures(ids)).map((f) => f.id));
  const fin = await results.finishedIds(ids);
  const want = new Set(ids);
  for (const job of await queue.getFailed(0, 1000)) {
    const id = job?.id ? runIdOfJob(job.id) : '';
    if (!id || !want.has(id) || known.has(id) || fin.has(id)) continue;
    await results.recordFailure({ id, attempts: job.attemptsMade, error: job.failedReason ?? 'failed', failedAt: new Date(job.finishedOn ?? Date.now()).toISOString() });
  }
}

export interface RunningRun { id: string; what: string; host: string; worker: string; epoch: number; epochs: number; fraction: number; updatedAt: string; stale: boolean }

export interface StudyStatus {
  study: string;
  total: number;
  finished: number;
  running: RunningRun[];
  queued: number;
  failed: (RunFailure & { what: string })[];
  /** Seconds left, from the mean wall time of finished runs and the workers now busy (null: nothing to go on yet). */
  secondsLeft: number | null;
}

const label = (p: RunPlan) => p.method === 'dense' ? `${p.task} ${p.cell} dense seed ${p.seed}`
  : p.method === 'smallDense' ? `${p.task} ${p.cell} small-dense H${p.hidden} seed ${p.seed}`
  : `${p.task} ${p.cell} ${p.method} ${p.target} ${p.sparsity} seed ${p.seed}`;

/** A heartbeat older than this marks a running run as probably stale (its worker may be gone). */
export const STALE_MS = 60_000;

export async function studyStatus(results: ResultsStore, study: string): Promise<StudyStatus> {
  const plans = await results.plans(study);
  const ids = plans.map((p) => p.id);
  const byId = new Map(plans.map((p) => [p.id, p]));
  const fin = await results.finishedIds(ids);
  const failed = (await results.failures(ids)).map((f) => ({ ...f, what: byId.has(f.id) ? label(byId.get(f.id)!) : f.id }));
  const now = Date.now();
  const running = (await results.progress(ids)).filter((r) => !failed.some((f) => f.id === r.id)).map((r): RunningRun => ({
    id: r.id, what: byId.has(r.id) ? label(byId.get(r.id)!) : r.id, host: r.host, worker: r.worker, epoch: r.epoch, epochs: r.epochs,
    fraction: r.totalSteps > 0 ? Math.min(1, r.step / r.totalSteps) : 0, updatedAt: r.updatedAt, stale: now - Date.parse(r.updatedAt) > STALE_MS,
  }));
  const queued = plans.length - fin.size - failed.length - running.length;
  const wall = await results.wallSeconds();
  const times = ids.filter((id) => wall.has(id)).map((id) => wall.get(id)!);
  const live = running.filter((r) => !r.stale);
  let secondsLeft: number | null = null;
  if (times.length) {
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const work = mean * Math.max(0, queued) + live.reduce((a, r) => a + mean * (1 - r.fraction), 0);
    secondsLeft = work / Math.max(1, live.length);
  }
  return { study, total: plans.length, finished: fin.size, running, queued: Math.max(0, queued), failed, secondsLeft };
}

export function formatStatusLine(s: StudyStatus): string {
  return `${s.study}: ${s.finished}/${s.total} finished, ${s.running.length} running, ${s.queued} queued, ${s.failed.length} failed${s.secondsLeft !== null && s.finished < s.total ? `, about ${formatDuration(s.secondsLeft)} left` : ''}`;
}

export function formatStatus(s: StudyStatus): string {
  const out = [formatStatusLine(s)];
  for (const r of s.running) {
    out.push(`  running  ${r.id}  ${r.what}  on ${r.host} (${r.worker})  epoch ${r.epoch}/${r.epochs}  ${(r.fraction * 100).toFixed(0)}%${r.stale ? `  (no heartbeat since ${r.updatedAt})` : ''}`);
  }
  for (const f of s.failed) out.push(`  failed   ${f.id}  ${f.what}  after ${f.attempts} attempt(s): ${f.error}`);
  return out.join('\n');
}
