/**
 * `sparse-rnn status`: where the studies in a results store stand. A thin shell over
 * studyStatus (src/study/distributed.ts).
 */
import { fail } from '../errors.js';
import { parseFlags, type Options } from './args.js';
import { openResults } from '../study/pg-store.js';
import { formatStatus, studyStatus, type StudyStatus } from '../study/distributed.js';
import { serviceFlag } from './worker.js';

const FLAGS: Options = {
  store: { type: 'string' },
  study: { type: 'string', short: 's' },
  json: { type: 'boolean' },
};

export const STATUS_HELP = `usage: sparse-rnn status --store postgres://…|STUDY_DIR [--study NAME] [--json]

How far the studies in a results store are: runs finished / running / queued /
failed, each running run with its host, worker, epoch and share done, each failed
run with its error, and the time left. Without --study, every study in the store.
Passwords are never printed.

  --store WHERE   PostgreSQL URL (or $SPARSE_RNN_STORE), or an embedded study folder
  --study NAME    one study
  --json          machine-readable: an array of statuses

examples:
  sparse-rnn status --store postgres://srnn:PW@db:5432/studies
  sparse-rnn status --store postgres://srnn:PW@db:5432/studies --study quick --json
`;

/** The status of every study (or one) in a store. */
export async function storeStatus(store: string, study?: string): Promise<StudyStatus[]> {
  const results = await openResults(store, { existing: true });
  try {
    const names = study ? [study] : (await results.studies()).map((s) => s.name);
    if (study && !(await results.studies()).some((s) => s.name === study)) {
      fail('BAD_FLAG', `the store ${results.where} holds no study named ${JSON.stringify(study)}`, 'run sparse-rnn status without --study to list them');
    }
    const out: StudyStatus[] = [];
    for (const n of names) out.push(await studyStatus(results, n));
    return out;
  } finally {
    await results.close();
  }
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('status', argv, FLAGS, false);
  if (values.help) { process.stdout.write(STATUS_HELP); return 0; }
  if (positionals.length) fail('BAD_FLAG', `status takes no positional arguments (got ${positionals.join(' ')})`, 'see sparse-rnn status --help');
  const st = await storeStatus(serviceFlag(values, 'store', 'SPARSE_RNN_STORE', 'postgres://USER:PASSWORD@HOST:5432/DB'), typeof values.study === 'string' ? values.study : undefined);
  if (values.json) process.stdout.write(JSON.stringify(st, null, 2) + '\n');
  else process.stdout.write((st.length ? st.map(formatStatus).join('\n\n') : 'no studies in this store') + '\n');
  return 0;
}
