/**
 * `sparse-rnn report STUDY_DIR`: the study's results store → report.html (self-
 * contained) and report.md (+ figures/*.png, *.svg) in STUDY_DIR/report/.
 */
import { fail } from '../errors.js';
import { parseFlags, type Options } from './args.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeReport } from '../report/index.js';
import { openResults } from '../study/pg-store.js';
import { exportStudy } from '../study/export.js';

/** The report of a study in a PostgreSQL store (copied to a temporary SQLite study first). */
export async function reportFromStore(store: string, study: string, out: string, png = true) {
  const results = await openResults(store);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-'));
  try {
    await exportStudy(results, study, tmp);
    return await writeReport(tmp, { out, png });
  } finally {
    await results.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const FLAGS: Options = {
  out: { type: 'string', short: 'o' },
  'no-png': { type: 'boolean' },
  study: { type: 'string', short: 's' },
};

export const REPORT_HELP = `usage: sparse-rnn report STUDY_DIR [--out DIR] [--no-png]
       sparse-rnn report postgres://… --study NAME [--out DIR] [--no-png]

Writes the report of a study (a folder made by sparse-rnn study, holding study.db):
  DIR/report.html   self-contained HTML, figures inline as SVG
  DIR/report.md     Markdown, figures as DIR/figures/*.png (SVG beside each)
Sections: conclusions (computed from the data), metric vs sparsity per cell and
method, ih vs hh vs both, per-gate sparsity, sparsity vs step, training curves,
large-sparse vs small-dense, complexity table, runs. DIR defaults to STUDY_DIR/report.
Works on an unfinished study too (it reports what is stored). A study of a
PostgreSQL store (distributed, see docs/cluster.md) gives the same report; DIR
defaults to studies/NAME/report there.

examples:
  sparse-rnn report studies/quick
  sparse-rnn report postgres://srnn:PW@db:5432/studies --study quick --out report-quick
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('report', argv, FLAGS, true);
  if (values.help) { process.stdout.write(REPORT_HELP); return 0; }
  if (positionals.length !== 1) fail('BAD_FLAG', `report needs one STUDY_DIR (got ${positionals.length})`, 'e.g. sparse-rnn report studies/quick');
  if (/^postgres(ql)?:\/\//i.test(positionals[0])) {
    if (typeof values.study !== 'string') fail('BAD_FLAG', 'a report from PostgreSQL needs --study NAME', 'sparse-rnn status --store URL lists the studies');
    const files = await reportFromStore(positionals[0], values.study, typeof values.out === 'string' ? values.out : path.join('studies', values.study, 'report'), !values['no-png']);
    process.stdout.write(`${files.html}\n${files.markdown}\n`);
    return 0;
  }
  const files = await writeReport(positionals[0], { out: typeof values.out === 'string' ? values.out : undefined, png: !values['no-png'] });
  process.stdout.write(`${files.html}\n${files.markdown}\n`);
  return 0;
}
