/**
 * A small SVG plotting module: line charts (lines, markers, 95% interval bands,
 * step lines, horizontal reference lines with bands, linear or log x) and grouped
 * bar charts (with interval whiskers). Axes with "nice" ticks, a title, axis labels
 * and a legend. Output is a standalone <svg> string: inline in HTML, written as a
 * file, or rendered to PNG (png.ts). No network, no fonts fetched: text uses the
 * system sans-serif (DejaVu Sans / Liberation Sans on Debian).
 */

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Tableau 10: distinct, colour-blind friendlier than defaults. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** info: extra label → value pairs for the hover tooltip (cell, method, seeds…). */
export interface Point { x: number; y: number; lo?: number; hi?: number; info?: Record<string, string> }

export interface Series {
  name: string;
  points: Point[];
  color?: string;
  dash?: boolean;
  /** Draw as a step function (value holds until the next x). */
  step?: boolean;
  /** Markers at the points (default true unless step). */
  markers?: boolean;
}

export interface RefLine { name: string; y: number; lo?: number; hi?: number; color?: string }

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  refLines?: RefLine[];
  xLog?: boolean;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Force the y range to include these values (e.g. 0 and 1 for sparsity). */
  yInclude?: number[];
  /** Only whole-number ticks on x (epochs). */
  xInteger?: boolean;
  width?: number;
  height?: number;
}

export interface BarValue { y: number; lo?: number; hi?: number; info?: Record<string, string> }

export interface BarChart {
  title: string;
  xLabel?: string;
  yLabel: string;
  groups: string[];
  series: { name: string; color?: string; values: (BarValue | null)[] }[];
  yFormat?: (v: number) => string;
  yInclude?: number[];
  width?: number;
  height?: number;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The hover tooltip of a mark, as a data-tip attribute: JSON [label, value] pairs (the
 * report's script shows them; other viewers ignore the attribute, and <title> stays).
 */
export function tipAttr(rows: [string, string][]): string {
  return ` data-tip="${esc(JSON.stringify(rows))}"`;
}

const exact = (v: number) => (Number.isFinite(v) ? `${+v.toPrecision(5)}` : '—');

/** Tooltip rows of a value with its interval: "mean ± half" and the interval's ends. */
function valueRows(label: string, v: { y: number; lo?: number; hi?: number }, fmt: (v: number) => string): [string, string][] {
  const hasCi = v.lo !== undefined && v.hi !== undefined && Number.isFinite(v.lo) && Number.isFinite(v.hi);
  if (!hasCi) return [[label, fmt(v.y)]];
  return [[label, `${fmt(v.y)} ± ${fmt((v.hi! - v.lo!) / 2)}`], ['95% interval', `${fmt(v.lo!)} – ${fmt(v.hi!)}`]];
}

const r2 = (v: number) => (Math.round(v * 100) / 100).toString();

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  return out;
}

/** Ticks for a log axis: powers of ten, with 2 and 5 between them when the range is short. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const mults = b - a <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
  }
  return out.length >= 2 ? out : [lo, hi];
}

/** Short number for tick labels: 0.95, 2.3k, 1.2M. */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(4)}`;
}

interface Frame { x0: number; y0: number; w: number; h: number; width: number; height: number }

function frame(width: number, height: number, legendWidth: number, bottom = 48): Frame {
  const left = 64;
  const right = 16 + legendWidth;
  const top = 34;
  return { x0: left, y0: top, w: width - left - right, h: height - top - bottom, width, height };
}

function open(f: Frame, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="${FONT}" font-size="11" role="img" aria-label="${esc(title)}">`,
    `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
    `<text x="${f.width / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold" fill="#222">${esc(title)}</text>`,
  ];
}

function legendWidthFor(names: string[]): number {
  if (!names.length) return 0;
  // ~6.7 px per character of DejaVu Sans at 11 px.
  return Math.min(240, 34 + 6.7 * Math.max(...names.map((n) => n.length)));
}

function legend(f: Frame, items: { name: string; color: string; dash?: boolean; kind: 'line' | 'box' }[]): string[] {
  const out: string[] = [];
  const x = f.x0 + f.w + 12;
  items.forEach((it, i) => {
    const y = f.y0 + 8 + i * 16;
    if (it.kind === 'box') out.push(`<rect x="${x}" y="${y - 6}" width="14" height="10" fill="${it.color}"/>`);
    else out.push(`<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${it.color}" stroke-width="2.5"${it.dash ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(`<text x="${x + 21}" y="${y + 4}" fill="#333">${esc(it.name)}</text>`);
  });
  return out;
}

function axes(f: Frame, xLabel: string, yLabel: string): string[] {
  return [
    `<line x1="${f.x0}" y1="${f.y0 + f.h}" x2="${f.x0 + f.w}" y2="${f.y0 + f.h}" stroke="#444"/>`,
    `<line x1="${f.x0}" y1="${f.y0}" x2="${f.x0}" y2="${f.y0 + f.h}" stroke="#444"/>`,
    `<text x="${f.x0 + f.w / 2}" y="${f.height - 10}" text-anchor="middle" fill="#222">${esc(xLabel)}</text>`,
    `<text transform="translate(14 ${f.y0 + f.h / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(yLabel)}</text>`,
  ];
}

function yAxis(f: Frame, ticks: number[], sy: (v: number) => number, fmt: (v: number) => string): string[] {
  const out: string[] = [];
  for (const t of ticks) {
    const y = r2(sy(t));
    out.push(`<line x1="${f.x0}" y1="${y}" x2="${f.x0 + f.w}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${f.x0 - 4}" y1="${y}" x2="${f.x0}" y2="${y}" stroke="#444"/>`);
    out.push(`<text x="${f.x0 - 7}" y="${+y + 4}" text-anchor="end" fill="#333">${esc(fmt(t))}</text>`);
  }
  return out;
}

function range(values: number[], include: number[] = []): [number, number] {
  const v = [...values, ...include].filter(Number.isFinite);
  if (!v.length) return [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    lo -= d;
    hi += d;
  }
  const pad = (hi - lo) * 0.06;
  const inc = include.filter(Number.isFinite);
  return [inc.length && Math.min(...inc) === lo ? lo : lo - pad, inc.length && Math.max(...inc) === hi ? hi : hi + pad];
}

export function lineChart(c: LineChart): string {
  const width = c.width ?? 520;
  const height = c.height ?? 320;
  const series = c.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length], points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!c.xLog || p.x > 0)).sort((a, b) => a.x - b.x) }));
  const refs = (c.refLines ?? []).filter((r) => Number.isFinite(r.y)).map((r, i) => ({ ...r, color: r.color ?? PALETTE[(series.length + i) % PALETTE.length] }));
  const f = frame(width, height, legendWidthFor([...series.map((s) => s.name), ...refs.map((r) => r.name)]));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = [
    ...series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? NaN, p.hi ?? NaN])),
    ...refs.flatMap((r) => [r.y, r.lo ?? NaN, r.hi ?? NaN]),
  ];
  let [xlo, xhi] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (xlo === xhi) {
    const d = c.xLog ? xlo * 0.5 : xlo === 0 ? 1 : Math.abs(xlo) * 0.1;
    xlo -= d;
    xhi += d;
  }
  let sx: (v: number) => number;
  let xt: number[];
  if (c.xLog) {
    const a = Math.log10(xlo) - 0.05 * (Math.log10(xhi) - Math.log10(xlo));
    const b = Math.log10(xhi) + 0.05 * (Math.log10(xhi) - Math.log10(xlo));
    sx = (v) => f.x0 + ((Math.log10(v) - a) / (b - a)) * f.w;
    xt = logTicks(10 ** a, 10 ** b);
  } else {
    const pad = (xhi - xlo) * 0.04;
    const a = xlo - pad;
    const b = xhi + pad;
    sx = (v) => f.x0 + ((v - a) / (b - a)) * f.w;
    xt = niceTicks(a, b, 6).filter((t) => t >= a && t <= b && (!c.xInteger || Number.isInteger(t)));
  }
  const [ylo, yhi] = range(ys, c.yInclude);
  const sy = (v: number) => f.y0 + f.h - ((v - ylo) / (yhi - ylo)) * f.h;
  const yt = niceTicks(ylo, yhi, 5).filter((t) => t >= ylo - 1e-12 && t <= yhi + 1e-12);
  const xf = c.xFormat ?? shortNumber;
  const yf = c.yFormat ?? shortNumber;

  const out = open(f, c.title);
  out.push(...yAxis(f, yt, sy, yf));
  for (const t of xt) {
    const x = r2(sx(t));
    out.push(`<line x1="${x}" y1="${f.y0 + f.h}" x2="${x}" y2="${f.y0 + f.h + 4}" stroke="#444"/>`);
    out.push(`<text x="${x}" y="${f.y0 + f.h + 16}" text-anchor="middle" fill="#333">${esc(xf(t))}</text>`);
  }
  out.push(...axes(f, c.xLabel, c.yLabel));
  out.push(`<g class="plot-area">`);
  // Markers go on top of every band and line, so each stays visible and hoverable.
  const markers: string[] = [];
  for (const r of refs) {
    if (r.lo !== undefined && r.hi !== undefined && Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
      out.push(`<rect x="${f.x0}" y="${r2(sy(r.hi))}" width="${f.w}" height="${r2(Math.max(0, sy(r.lo) - sy(r.hi)))}" fill="${r.color}" fill-opacity="0.15"/>`);
    }
    out.push(`<line x1="${f.x0}" y1="${r2(sy(r.y))}" x2="${f.x0 + f.w}" y2="${r2(sy(r.y))}" stroke="${r.color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  for (const s of series) {
    const band = s.points.filter((p) => p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo) && Number.isFinite(p.hi));
    if (band.length >= 2) {
      const upper = band.map((p) => `${r2(sx(p.x))},${r2(sy(p.hi!))}`);
      const lower = band.slice().reverse().map((p) => `${r2(sx(p.x))},${r2(sy(p.lo!))}`);
      out.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    } else if (band.length === 1) {
      const p = band[0];
      out.push(`<line x1="${r2(sx(p.x))}" y1="${r2(sy(p.lo!))}" x2="${r2(sx(p.x))}" y2="${r2(sy(p.hi!))}" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    if (s.points.length) {
      let d = `M${r2(sx(s.points[0].x))},${r2(sy(s.points[0].y))}`;
      for (let i = 1; i < s.points.length; i++) {
        const p = s.points[i];
        d += s.step ? ` H${r2(sx(p.x))} V${r2(sy(p.y))}` : ` L${r2(sx(p.x))},${r2(sy(p.y))}`;
      }
      out.push(`<path class="line" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 3"' : ''} stroke-linejoin="round"/>`);
    }
    if (s.markers ?? !s.step) {
      for (const p of s.points) markers.push(`<circle cx="${r2(sx(p.x))}" cy="${r2(sy(p.y))}" r="3" fill="${s.color}"${tipAttr([['series', s.name], [c.xLabel, xf(p.x)], ...valueRows(c.yLabel, p, exact), ...Object.entries(p.info ?? {})])}><title>${esc(`${s.name}: ${xf(p.x)} → ${yf(p.y)}`)}</title></circle>`);
    }
  }
  out.push(...markers, '</g>');
  out.push(...legend(f, [...series.map((s) => ({ name: s.name, color: s.color, dash: s.dash, kind: 'line' as const })), ...refs.map((r) => ({ name: r.name, color: r.color, dash: true, kind: 'line' as const }))]));
  out.push('</svg>');
  return out.join('\n');
}

export function barChart(c: BarChart): string {
  const width = c.width ?? 520;
  const height = c.height ?? 320;
  const series = c.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length] }));
  const lw = legendWidthFor(series.map((s) => s.name));
  const groupWidth = (width - 80 - lw) / Math.max(1, c.groups.length);
  const rotate = c.groups.some((g) => g.length * 6.2 > groupWidth);
  const longest = Math.max(0, ...c.groups.map((g) => g.length));
  const f = frame(width, rotate ? height + Math.round(longest * 3.5) : height, lw, rotate ? 48 + Math.round(longest * 3.5) : 48);
  const vals = series.flatMap((s) => s.values.flatMap((v) => (v ? [v.y, v.lo ?? NaN, v.hi ?? NaN] : [])));
  const [ylo, yhi] = range(vals, [0, ...(c.yInclude ?? [])]);
  const sy = (v: number) => f.y0 + f.h - ((v - ylo) / (yhi - ylo)) * f.h;
  const yf = c.yFormat ?? shortNumber;
  const yt = niceTicks(ylo, yhi, 5).filter((t) => t >= ylo - 1e-12 && t <= yhi + 1e-12);
  const out = open(f, c.title);
  out.push(...yAxis(f, yt, sy, yf));
  const gw = f.w / Math.max(1, c.groups.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  c.groups.forEach((g, gi) => {
    const cx = f.x0 + gw * (gi + 0.5);
    out.push(rotate
      ? `<text transform="translate(${r2(cx)} ${f.y0 + f.h + 10}) rotate(30)" text-anchor="start" fill="#333" font-size="10">${esc(g)}</text>`
      : `<text x="${r2(cx)}" y="${f.y0 + f.h + 16}" text-anchor="middle" fill="#333">${esc(g)}</text>`);
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (!v || !Number.isFinite(v.y)) return;
      const x = f.x0 + gw * gi + gw * 0.1 + bw * si;
      const y0 = sy(Math.max(ylo, Math.min(yhi, 0)));
      const y1 = sy(v.y);
      out.push(`<rect class="bar" x="${r2(x)}" y="${r2(Math.min(y0, y1))}" width="${r2(bw * 0.92)}" height="${r2(Math.abs(y0 - y1))}" fill="${s.color}"${tipAttr([['series', s.name], [c.xLabel || 'group', g], ...valueRows(c.yLabel, v, exact), ...Object.entries(v.info ?? {})])}><title>${esc(`${s.name}, ${g}: ${yf(v.y)}`)}</title></rect>`);
      if (v.lo !== undefined && v.hi !== undefined && Number.isFinite(v.lo) && Number.isFinite(v.hi)) {
        const xm = r2(x + bw * 0.46);
        out.push(`<path class="whisker" d="M${xm},${r2(sy(v.lo))} V${r2(sy(v.hi))} M${r2(+xm - 3)},${r2(sy(v.lo))} h6 M${r2(+xm - 3)},${r2(sy(v.hi))} h6" stroke="#222" stroke-width="1"/>`);
      }
    });
  });
  if (ylo < 0 && yhi > 0) out.push(`<line x1="${f.x0}" y1="${r2(sy(0))}" x2="${f.x0 + f.w}" y2="${r2(sy(0))}" stroke="#444"/>`);
  out.push(...axes(f, c.xLabel ?? '', c.yLabel));
  out.push(...legend(f, series.map((s) => ({ name: s.name, color: s.color, kind: 'box' as const }))));
  out.push('</svg>');
  return out.join('\n');
}
