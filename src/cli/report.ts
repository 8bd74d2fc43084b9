/**
 * `sparse-rnn report STUDY_DIR`: the study's results store → report.html (self-
 * contained) and report.md (+ figures/*.png, *.svg) in STUDY_DIR/report/.
 */
import { fail } from '../errors.js';
import { parseFlags, type Options } from './args.js';
import { writeReport } from '../report/index.js';

const FLAGS: Options = {
  out: { type: 'string', short: 'o' },
  'no-png': { type: 'boolean' },
};

export const REPORT_HELP = `usage: sparse-rnn report STUDY_DIR [--out DIR] [--no-png]

Writes the report of a study (a folder made by sparse-rnn study, holding study.db):
  DIR/report.html   self-contained HTML, figures inline as SVG
  DIR/report.md     Markdown, figures as DIR/figures/*.png (SVG beside each)
Sections: conclusions (computed from the data), metric vs sparsity per cell and
method, ih vs hh vs both, per-gate sparsity, sparsity vs step, training curves,
large-sparse vs small-dense, complexity table, runs. DIR defaults to STUDY_DIR/report.
Works on an unfinished study too (it reports what is stored).

examples:
  sparse-rnn report studies/quick
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('report', argv, FLAGS, true);
  if (values.help) { process.stdout.write(REPORT_HELP); return 0; }
  if (positionals.length !== 1) fail('BAD_FLAG', `report needs one STUDY_DIR (got ${positionals.length})`, 'e.g. sparse-rnn report studies/quick');
  const files = await writeReport(positionals[0], { out: typeof values.out === 'string' ? values.out : undefined, png: !values['no-png'] });
  process.stdout.write(`${files.html}\n${files.markdown}\n`);
  return 0;
}
