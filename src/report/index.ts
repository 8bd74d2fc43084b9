/**
 * `writeReport(studyDir)`: the study's store → STUDY_DIR/report/
 *   report.html        self-contained (SVG figures inline)
 *   report.md          Markdown, figures as figures/NAME.png (+ figures/NAME.svg)
 * Also called by `sparse-rnn study` when a study ends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFilesAtomic, ioError } from '../util/fs.js';
import { loadStudy, type StudyData } from './data.js';
import { buildReport, type Report } from './build.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { svgToPng } from './png.js';

export { loadStudy, type StudyData } from './data.js';
export { buildReport, type Report, type Section, type Figure } from './build.js';
export { gateFindings } from './analysis.js';
export { conclusions, type Conclusion } from './answers.js';
export {
  methodAnswers, targetAnswers, toleranceAnswers, smallDenseAnswers, calibrationAnswers, speedAnswers, claimAnswers,
} from './questions.js';
export { lineChart, barChart } from './svg.js';
export { svgToPng } from './png.js';

export interface ReportFiles { dir: string; html: string; markdown: string; figures: string[] }

export interface ReportOptions {
  /** Output folder (default STUDY_DIR/report). */
  out?: string;
  /** Skip the PNGs (faster; the Markdown then links the SVGs). */
  png?: boolean;
  /** Timestamp written in the footer (tests pin it). */
  now?: string;
}

export function reportFromData(data: StudyData): Report {
  return buildReport(data);
}

export async function writeReport(studyDir: string, o: ReportOptions = {}): Promise<ReportFiles> {
  const data = loadStudy(studyDir);
  const report = buildReport(data);
  const dir = o.out ?? path.join(studyDir, 'report');
  const figDir = path.join(dir, 'figures');
  const now = o.now ?? new Date().toISOString();
  // Every file of the report is written as one unit (all or nothing), then stale figures are removed.
  const files: { file: string; data: string | Uint8Array }[] = [];
  const figures: string[] = [];
  for (const s of report.sections) {
    for (const f of s.figures) {
      const svgFile = path.join(figDir, `${f.name}.svg`);
      files.push({ file: svgFile, data: f.svg + '\n' });
      figures.push(svgFile);
      if (o.png !== false) {
        const pngFile = path.join(figDir, `${f.name}.png`);
        files.push({ file: pngFile, data: svgToPng(f.svg) });
        figures.push(pngFile);
      }
    }
  }
  let md = renderMarkdown(report, now);
  if (o.png === false) md = md.replace(/\(figures\/([^)]+)\.png\)/g, '(figures/$1.svg)');
  const html = path.join(dir, 'report.html');
  const markdown = path.join(dir, 'report.md');
  files.push({ file: html, data: renderHtml(report, now) }, { file: markdown, data: md });
  writeFilesAtomic(files);
  // Figures of an earlier report that this one no longer has.
  const keep = new Set(figures.map((f) => path.basename(f)));
  try {
    for (const f of fs.readdirSync(figDir)) if (!keep.has(f)) fs.rmSync(path.join(figDir, f), { force: true });
  } catch (e) {
    ioError('clean the folder', figDir, e);
  }
  return { dir, html, markdown, figures };
}
