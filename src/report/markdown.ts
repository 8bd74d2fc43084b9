/**
 * The report as Markdown: figures as PNG files beside it (figures/NAME.png, with
 * the SVG next to each), tables as pipe tables.
 */
import type { Report, Table } from './build.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(t: Table): string {
  const head = `| ${t.header.map(cell).join(' | ')} |`;
  const rule = `| ${t.header.map((_, i) => (t.numeric?.[i] ? '---:' : '---')).join(' | ')} |`;
  return [...(t.title ? [`**${t.title}**`, ''] : []), head, rule, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: Report, generatedAt: string, figureDir = 'figures'): string {
  const out: string[] = [`# ${r.title}`, '', ...r.facts.map((f) => `${f}  `), ''];
  out.push(r.sections.map((s) => `[${s.title}](#${s.id})`).join(' · '), '');
  for (const s of r.sections) {
    out.push(`<a id="${s.id}"></a>`, '', `## ${s.title}`, '', s.intro, '');
    if (s.bullets) out.push(...(s.bullets.length ? s.bullets.map((b) => `- ${b}`) : ['Not enough finished runs for conclusions yet.']), '');
    for (const f of s.figures) {
      out.push(`![${f.title}](${figureDir}/${f.name}.png)`, '', `*${f.caption}* ([SVG](${figureDir}/${f.name}.svg))`, '');
    }
    for (const t of s.tables) out.push(table(t), '');
  }
  out.push(`---`, `Written by sparse-rnn report on ${generatedAt} from the study's results store.`, '');
  return out.join('\n');
}
