// The README's reference results are copied by hand from committed reports. Every measured
// figure in a "### Reference results" section (a mean ± interval, a ratio like 2.06×, a
// percentage with a decimal) must appear verbatim in a report.md that the section links to,
// so a re-snapshotted study whose report moved cannot leave stale numbers in the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const FIGURE = /[+−-]?\d+\.\d+ ± \d+\.\d+|\d+\.\d+×|[+−-]?\d+\.\d+%/g;

/** The README sections headed `### Reference results…`, each up to the next heading. */
function referenceSections(readme: string): { title: string; body: string }[] {
  const parts = readme.split(/^(?=#{1,3} )/m);
  return parts
    .filter((p) => p.startsWith('### Reference results'))
    .map((p) => ({ title: p.slice(0, p.indexOf('\n')), body: p }));
}

/** Figures of `body` that appear in none of `reports`. */
function unfoundFigures(body: string, reports: string[]): string[] {
  const figures = [...new Set(body.match(FIGURE) ?? [])];
  return figures.filter((f) => !reports.some((r) => r.includes(f)));
}

test('a figure missing from the linked report is found (the check can fail)', () => {
  const report = '| AGP | 2.311 ± 0.013 (+2.5%) | 1.44× |';
  assert.deepEqual(unfoundFigures('AGP reads 2.311 ± 0.013 (+2.5%), 1.44× dense', [report]), []);
  assert.deepEqual(unfoundFigures('AGP reads 2.311 ± 0.014 (+2.6%), 1.45× dense', [report]), ['2.311 ± 0.014', '+2.6%', '1.45×']);
});

test('every figure of the README reference results is in a committed report it links to', () => {
  const sections = referenceSections(fs.readFileSync('README.md', 'utf8'));
  assert.ok(sections.length >= 2, 'the README has its reference results sections');
  for (const { title, body } of sections) {
    const links = [...body.matchAll(/\]\((docs\/results\/[^)]+\/report\.md)\)/g)].map((m) => m[1]!);
    assert.ok(links.length > 0, `${title}: links no report.md`);
    const reports = links.map((l) => fs.readFileSync(path.normalize(l), 'utf8'));
    const figures = body.match(FIGURE) ?? [];
    assert.ok(figures.length >= 10, `${title}: only ${figures.length} figures found; has the format changed?`);
    assert.deepEqual(unfoundFigures(body, reports), [], `${title}: figures not in ${links.join(', ')}`);
  }
});
