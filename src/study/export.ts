/**
 * A study in any results store → a study folder on the embedded (SQLite) store, so
 * that `sparse-rnn report` writes the same report for a PostgreSQL study as for a
 * local one: the very same report code reads the very same tables.
 */
import { SqliteResults, type ResultsStore } from './results.js';
import { fail } from '../errors.js';

export async function exportStudy(from: ResultsStore, study: string, dir: string): Promise<{ runs: number }> {
  const spec = await from.studySpec(study);
  if (spec === undefined) fail('BAD_FLAG', `the store ${from.where} holds no study named ${JSON.stringify(study)}`, 'sparse-rnn status --store … lists the studies it holds');
  const plans = await from.plans(study);
  const to = SqliteResults.open(dir);
  let runs = 0;
  try {
    await to.openStudy(study, spec, plans, false);
    for (const id of await from.finishedIds(plans.map((p) => p.id))) {
      const r = await from.getRun(id);
      if (r && await to.insertRun(r)) runs++;
    }
    for (const f of await from.failures(plans.map((p) => p.id))) await to.recordFailure(f);
  } finally {
    await to.close();
  }
  return { runs };
}
