/**
 * `sparse-rnn worker`: one machine's share of a distributed study. A thin shell over
 * src/study/dist-worker.ts.
 */
import { fail } from '../errors.js';
import { parseFlags, num, type Options } from './args.js';
import { runDistWorker } from '../study/dist-worker.js';

const FLAGS: Options = {
  store: { type: 'string' },
  queue: { type: 'string' },
  artifacts: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  work: { type: 'string' },
  name: { type: 'string' },
};

export const WORKER_HELP = `usage: sparse-rnn worker --store postgres://… --queue redis://… --artifacts DIR|s3://bucket/prefix [--concurrency N]

Takes runs of distributed studies from the queue and trains them, one run and one
native thread per worker process, until stopped. Start it on any number of machines;
every finished run is committed to the results store once. A run whose worker dies
or freezes is handed to another worker (after the queue lock expires, 30 s by
default) and continues from its last checkpoint in the artifact store. Ctrl-C (or
SIGTERM) finishes the current step, uploads a checkpoint and gives the run back.

  --store URL        PostgreSQL results store (or $SPARSE_RNN_STORE)
  --queue URL        Redis of the run queue, redis://[:PASSWORD@]HOST:PORT[/DB][?name=QUEUE]
                     (rediss:// for TLS; or $SPARSE_RNN_QUEUE)
  --artifacts WHERE  checkpoint store: a directory every worker can reach, or
                     s3://bucket/prefix (AWS_* environment; or $SPARSE_RNN_ARTIFACTS)
  --concurrency N    worker processes on this machine (default 1; e.g. one per core)
  --work DIR         local folder for the runs in progress (default ./sparse-rnn-work)
  --name NAME        shown by sparse-rnn status (default HOST-PID)

Timing (environment): SPARSE_RNN_LOCK_MS (30000), SPARSE_RNN_STALLED_MS (30000),
SPARSE_RNN_MAX_STALLED (3), SPARSE_RNN_ATTEMPTS (3; set where the study is started).

examples:
  sparse-rnn worker --store postgres://srnn:PW@db:5432/studies --queue redis://q:6379 --artifacts /nfs/srnn --concurrency 2
  SPARSE_RNN_STORE=postgres://… SPARSE_RNN_QUEUE=redis://… SPARSE_RNN_ARTIFACTS=s3://bucket/srnn sparse-rnn worker
`;

/** --flag, else the environment variable, else an error naming both. */
export function serviceFlag(values: Record<string, unknown>, flag: string, env: string, example: string): string {
  const v = typeof values[flag] === 'string' ? (values[flag] as string) : process.env[env];
  if (!v) fail('BAD_FLAG', `--${flag} is required`, `give --${flag} ${example} or set ${env}`);
  return v;
}

export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('worker', argv, FLAGS, false);
  if (values.help) { process.stdout.write(WORKER_HELP); return 0; }
  if (positionals.length) fail('BAD_FLAG', `worker takes no positional arguments (got ${positionals.join(' ')})`, 'see sparse-rnn worker --help');
  await runDistWorker({
    store: serviceFlag(values, 'store', 'SPARSE_RNN_STORE', 'postgres://USER:PASSWORD@HOST:5432/DB'),
    queue: serviceFlag(values, 'queue', 'SPARSE_RNN_QUEUE', 'redis://HOST:6379'),
    artifacts: serviceFlag(values, 'artifacts', 'SPARSE_RNN_ARTIFACTS', '/shared/dir'),
    concurrency: num('concurrency', values.concurrency as string | undefined, { int: true, min: 1, max: 256 }) ?? 1,
    work: typeof values.work === 'string' ? values.work : undefined,
    name: typeof values.name === 'string' ? values.name : undefined,
  });
  // Stopped: leave even if a dead server's reconnect timer still holds the event loop.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  return 0;
}
