/**
 * Dispatch of a distributed study's runs: BullMQ (npm `bullmq`) on Redis. Redis only
 * hands runs out; the results store (PostgreSQL) is the truth.
 *
 *   one job per run, job id = `run-` + run id: adding a run that is queued, running or failed
 *   is a no-op, so enqueueing a study twice is harmless, and after Redis lost its
 *   data `sparse-rnn study … --queue …` re-enqueues every run the store lacks;
 *   job data = { v: JOB_VERSION, idVersion, study, plan }: a worker refuses a job
 *   whose version it does not know;
 *   a worker holds a lock on its job, renewed every lockMs/2; a worker that dies,
 *   freezes or loses the network stops renewing, and BullMQ's stalled-job check
 *   hands the run to another worker (docs: BullMQ "Stalled Jobs");
 *   a run that throws is retried `attempts` times, then stays failed (recorded in
 *   the results store with its error).
 */
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { fail } from '../errors.js';
import { ID_VERSION, type RunPlan } from './plan.js';
import { maskUrl, serviceError } from './urls.js';

export const JOB_VERSION = 1;
export const DEFAULT_QUEUE = 'sparse-rnn';

export interface JobData { v: number; idVersion: number; study: string; plan: RunPlan }

/**
 * A run's BullMQ job id: its run id behind a fixed prefix. BullMQ refuses job ids that read
 * as integers, and a run id (12 hex digits) is all decimal digits about once in 280 runs
 * (the quick preset has one), so the bare run id cannot be the job id.
 */
export const JOB_PREFIX = 'run-';
export const jobIdOf = (runId: string): string => `${JOB_PREFIX}${runId}`;
/** The run id of a job id (a job id without the prefix is taken as it is). */
export const runIdOfJob = (jobId: string): string => (jobId.startsWith(JOB_PREFIX) ? jobId.slice(JOB_PREFIX.length) : jobId);

/** Timing of the dead-worker detection; the defaults are BullMQ's, tests shorten them. */
export interface QueueTiming {
  /** Lock on a running job, ms (renewed every half of it). */
  lockMs: number;
  /** How often workers look for stalled jobs, ms. */
  stalledMs: number;
  /** Times a run may be found stalled (its worker died) before it fails. */
  maxStalled: number;
  /** Attempts of a run that throws before it ends as failed. */
  attempts: number;
}

export const DEFAULT_TIMING: QueueTiming = { lockMs: 30_000, stalledMs: 30_000, maxStalled: 3, attempts: 3 };

/** Timing from the environment (SPARSE_RNN_LOCK_MS, SPARSE_RNN_STALLED_MS, SPARSE_RNN_MAX_STALLED, SPARSE_RNN_ATTEMPTS). */
export function timingFromEnv(env: NodeJS.ProcessEnv = process.env): QueueTiming {
  const int = (k: string, d: number) => {
    const v = env[k];
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) fail('BAD_FLAG', `${k} must be a positive integer (got ${JSON.stringify(v)})`, 'unset it to use the default');
    return n;
  };
  return {
    lockMs: int('SPARSE_RNN_LOCK_MS', DEFAULT_TIMING.lockMs), stalledMs: int('SPARSE_RNN_STALLED_MS', DEFAULT_TIMING.stalledMs),
    maxStalled: int('SPARSE_RNN_MAX_STALLED', DEFAULT_TIMING.maxStalled), attempts: int('SPARSE_RNN_ATTEMPTS', DEFAULT_TIMING.attempts),
  };
}

export interface QueueTarget { url: string; name: string; where: string }

/** --queue redis://[:PASSWORD@]HOST:PORT[/DB][?name=QUEUE] → connection URL and queue name. */
export function parseQueueUrl(s: string): QueueTarget {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return fail('BAD_FLAG', `--queue ${maskUrl(s)} is not a URL`, 'give redis://HOST:PORT (rediss:// for TLS)');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') fail('BAD_FLAG', `--queue ${maskUrl(s)}: not a redis:// URL`, 'give redis://HOST:PORT (rediss:// for TLS)');
  const name = u.searchParams.get('name') ?? DEFAULT_QUEUE;
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(name)) fail('BAD_FLAG', `--queue: queue name ${JSON.stringify(name)} must be letters, digits, - and _`, 'e.g. redis://host:6379?name=my-studies');
  u.searchParams.delete('name');
  return { url: u.toString(), name, where: maskUrl(s) };
}

/** A Redis connection for BullMQ (blocking commands never time out; reconnects forever). */
export function redisConnection(t: QueueTarget): Redis {
  const r = new Redis(t.url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: true, retryStrategy: (n) => Math.min(200 * n, 2000) });
  r.on('error', () => {}); // reconnects on its own; a first connect failure is reported by connectRedis
  return r;
}

/** Connects and pings, failing with one line when Redis is unreachable or refuses the login. */
export async function connectRedis(t: QueueTarget, timeoutMs = 5000): Promise<Redis> {
  const r = redisConnection(t);
  let timer: NodeJS.Timeout | undefined;
  let onError: ((e: Error) => void) | undefined;
  try {
    await Promise.race([
      (async () => { await r.connect(); await r.ping(); })(),
      // The first connection error (refused, unknown host, wrong password) fails at once.
      new Promise((_, reject) => { onError = reject; r.once('error', onError); }),
      new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs); }),
    ]);
  } catch (e) {
    r.disconnect();
    throw serviceError('Redis', t.where, e);
  } finally {
    clearTimeout(timer);
    if (onError) r.off('error', onError);
  }
  return r;
}

/** Adds a job per run (job id = jobIdOf(run id); existing ids are left alone). */
export async function enqueueRuns(queue: Queue, study: string, plans: readonly RunPlan[], timing: QueueTiming): Promise<void> {
  for (let i = 0; i < plans.length; i += 200) {
    await queue.addBulk(plans.slice(i, i + 200).map((plan) => ({
      name: 'run',
      data: { v: JOB_VERSION, idVersion: ID_VERSION, study, plan } satisfies JobData,
      opts: { jobId: jobIdOf(plan.id), attempts: timing.attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: true, removeOnFail: false },
    })));
  }
}
