/**
 * The report as one self-contained HTML file: inline SVG figures, inline CSS and one
 * inline script, no external resources (it opens offline and from an e-mail attachment).
 * The script (REPORT_SCRIPT) makes it explorable: hovering a point or bar shows its
 * values (the marks' data-tip attributes, svg.ts), and every table sorts by a click on a
 * column header and filters by the words typed above it. Without scripts the page is
 * the same report, with the values in each mark's <title>.
 */
import { esc } from './svg.js';
import type { Report, Table } from './build.js';

const CSS = `
body { font-family: DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif; margin: 0 auto; max-width: 1180px; padding: 24px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 1.2em 0 0; }
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
#tip { position: fixed; display: none; pointer-events: none; z-index: 10; background: #fff; border: 1px solid #bbb; border-radius: 4px; box-shadow: 0 2px 8px rgba(0,0,0,0.18); padding: 4px 6px; font-size: 0.8em; }
#tip table { margin: 0; font-size: 1em; }
#tip td { border: 0; padding: 0 6px 0 0; }
#tip td:first-child { color: #666; }
polygon.band, path.whisker { pointer-events: none; }
circle[data-tip] { stroke: transparent; stroke-width: 8px; cursor: pointer; }
circle[data-tip].hover { r: 5px; stroke: #222; stroke-width: 1px; }
rect.bar.hover { stroke: #222; stroke-width: 1px; }
.table-tools { margin-top: 10px; font-size: 0.85em; color: #555; }
.table-tools input { width: 22em; }
table.data th { cursor: pointer; user-select: none; }
table.data th[aria-sort=ascending]::after { content: ' \\25B2'; }
table.data th[aria-sort=descending]::after { content: ' \\25BC'; }
`;

/** The report's only script: tooltips for [data-tip] marks, sortable and filterable tables. Plain ES2017, no imports. */
export const REPORT_SCRIPT = String.raw`(() => {
  const tip = document.createElement('div');
  tip.id = 'tip';
  tip.setAttribute('role', 'tooltip');
  document.body.appendChild(tip);
  let current = null;
  const place = (e) => {
    let x = e.clientX + 14, y = e.clientY + 14;
    if (x + tip.offsetWidth > innerWidth - 8) x = e.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > innerHeight - 8) y = e.clientY - tip.offsetHeight - 14;
    tip.style.left = Math.max(0, x) + 'px';
    tip.style.top = Math.max(0, y) + 'px';
  };
  const markOf = (t) => (t && t.closest ? t.closest('[data-tip]') : null);
  document.addEventListener('mouseover', (e) => {
    const el = markOf(e.target);
    if (!el || el === current) return;
    if (current) current.classList.remove('hover');
    current = el;
    let rows = [];
    try { rows = JSON.parse(el.getAttribute('data-tip')); } catch (err) { return; }
    const t = document.createElement('table');
    for (const [k, v] of rows) {
      const tr = t.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }
    tip.replaceChildren(t);
    tip.style.display = 'block';
    el.classList.add('hover');
    place(e);
  });
  document.addEventListener('mousemove', (e) => { if (current) place(e); });
  document.addEventListener('mouseout', (e) => {
    if (!current || markOf(e.relatedTarget) === current) return;
    current.classList.remove('hover');
    current = null;
    tip.style.display = 'none';
  });
  // "0.1234 ± 0.01", "90%", "−1.5%", "12,345", "2m 05s" → a number to sort by (NaN: not a number).
  const num = (s) => {
    const t = s.trim().replace(/\u2212/g, '-').replace(/,/g, '');
    const d = t.match(/^(?:(\d+)h\s*)?(?:(\d+)m\s*)?(?:([\d.]+)s)?$/);
    if (d && t) return 3600 * (+d[1] || 0) + 60 * (+d[2] || 0) + (+d[3] || 0);
    return parseFloat(t.replace(/^\+/, ''));
  };
  for (const table of document.querySelectorAll('table.data')) {
    const body = table.tBodies[0];
    const heads = [...table.tHead.rows[0].cells];
    heads.forEach((th, i) => {
      th.title = 'sort';
      th.addEventListener('click', () => {
        const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        const numeric = th.hasAttribute('data-num');
        const rows = [...body.rows];
        rows.sort((a, b) => {
          const x = a.cells[i].textContent, y = b.cells[i].textContent;
          if (numeric) {
            const p = num(x), q = num(y);
            if (isNaN(p) || isNaN(q)) return isNaN(p) === isNaN(q) ? 0 : isNaN(p) ? 1 : -1;
            return (p - q) * dir;
          }
          return x.localeCompare(y, undefined, { numeric: true }) * dir;
        });
        body.append(...rows);
        for (const h of heads) h.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      });
    });
    const tools = table.parentElement.previousElementSibling;
    const input = tools && tools.querySelector('input.filter');
    const count = tools && tools.querySelector('.count');
    if (!input) continue;
    const all = body.rows.length;
    const filter = () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const r of body.rows) {
        const text = r.textContent.toLowerCase();
        r.hidden = !words.every((w) => text.includes(w));
        if (!r.hidden) shown++;
      }
      count.textContent = shown + ' of ' + all + ' rows';
    };
    input.addEventListener('input', filter);
    filter();
  }
})();`;

/** Escaped text in which Markdown links to a section of the page, [words](#id), become links. */
export function inline(s: string): string {
  return esc(s).replace(/\[([^\]]+)\]\(#([A-Za-z0-9_-]+)\)/g, '<a href="#$2">$1</a>');
}

function table(t: Table): string {
  const th = t.header.map((h, i) => `<th${t.numeric?.[i] ? ' data-num' : ''}>${esc(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${t.numeric?.[i] ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  const tools = '<div class="table-tools"><input type="search" class="filter" placeholder="filter rows: words that must all appear" aria-label="filter rows"> <span class="count"></span> · click a column header to sort</div>';
  return `${t.title ? `<h3>${esc(t.title)}</h3>` : ''}${tools}<div class="table-wrap"><table class="data"><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
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
    if (s.bullets) parts.push(s.bullets.length ? `<ul class="conclusions">${s.bullets.map((b) => `<li>${inline(b)}</li>`).join('')}</ul>` : '<p>Not enough finished runs for conclusions yet.</p>');
    if (s.figures.length) {
      parts.push('<div class="grid">');
      for (const f of s.figures) parts.push(`<figure id="fig-${f.name}">${f.svg}<figcaption>${esc(f.caption)}</figcaption></figure>`);
      parts.push('</div>');
    } else if (!s.tables.length && !s.bullets) parts.push('<p>No runs for this part of the study.</p>');
    for (const t of s.tables) parts.push(table(t));
    parts.push('</section>');
  }
  parts.push(`<footer>Written by sparse-rnn report on ${esc(generatedAt)} from the study's results store.</footer>`, `<script>${REPORT_SCRIPT}</script>`, '</body></html>');
  return parts.join('\n') + '\n';
}
