/**
 * The report as one self-contained HTML file: inline SVG figures, inline CSS, no
 * scripts, no external resources (it opens offline and from an e-mail attachment).
 */
import { esc } from './svg.js';
import type { Report, Table } from './build.js';

const CSS = `
body { font-family: DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif; margin: 0 auto; max-width: 1180px; padding: 24px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
nav a { margin-right: 12px; }
.facts { color: #444; font-size: 0.95em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; margin-top: 4px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; white-space: nowrap; }
th { background: #f6f6f6; text-align: left; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.conclusions li { margin-bottom: 6px; }
footer { margin-top: 3em; color: #777; font-size: 0.8em; }
`;

function table(t: Table): string {
  const th = t.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${t.numeric?.[i] ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

export function renderHtml(r: Report, generatedAt: string): string {
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(r.title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${esc(r.title)}</h1>`,
    `<div class="facts">${r.facts.map((f) => `<p>${esc(f)}</p>`).join('')}</div>`,
    `<nav>${r.sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('')}</nav>`,
  ];
  for (const s of r.sections) {
    parts.push(`<section id="${s.id}"><h2>${esc(s.title)}</h2>`, `<p>${esc(s.intro)}</p>`);
    if (s.bullets) parts.push(s.bullets.length ? `<ul class="conclusions">${s.bullets.map((b) => `<li>${esc(b)}</li>`).join('')}</ul>` : '<p>Not enough finished runs for conclusions yet.</p>');
    if (s.figures.length) {
      parts.push('<div class="grid">');
      for (const f of s.figures) parts.push(`<figure id="fig-${f.name}">${f.svg}<figcaption>${esc(f.caption)}</figcaption></figure>`);
      parts.push('</div>');
    } else if (!s.tables.length && !s.bullets) parts.push('<p>No runs for this part of the study.</p>');
    for (const t of s.tables) parts.push(table(t));
    parts.push('</section>');
  }
  parts.push(`<footer>Written by sparse-rnn report on ${esc(generatedAt)} from the study's results store.</footer>`, '</body></html>');
  return parts.join('\n') + '\n';
}
