/**
 * The one comparison every reference test uses, stated precisely:
 *
 *   entry i passes  ⇔  |a_i − b_i| ≤ atol + rtol·|b_i|        (b = the reference)
 *   a buffer passes ⇔  every compared entry passes (and no NaN / Inf on either side)
 *
 * The report gives the worst entry by `ratio = |a − b| / (atol + rtol·|b|)` (≤ 1 passes),
 * named by layout segment and row/column when a layout is given, and for reading
 * `rel = max_i |a_i − b_i| / max(|b_i|, 1e-3·max_j |b_j|)` — the relative error with a
 * floor so that entries near zero do not dominate it.
 */
import type { Layout } from '../../../src/model/layout.js';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Comparison {
  ok: boolean;
  /** Entries compared. */
  n: number;
  maxAbs: number;
  rel: number;
  worst: { index: number; where: string; a: number; b: number; ratio: number };
  /** One line for a failure message or a diagnostic. */
  line: string;
}

/** Where flat index i lies: "rnn.0.hh[3,17]" or "logits[42]" or "padding@123". */
export function locate(i: number, layout?: Layout, label = 'x'): string {
  if (!layout) return `${label}[${i}]`;
  for (const s of layout.segments) {
    if (i >= s.offset && i < s.offset + s.size) {
      const k = i - s.offset;
      return s.shape.length === 2 ? `${s.name}[${Math.floor(k / s.shape[1])},${k % s.shape[1]}]` : `${s.name}[${k}]`;
    }
  }
  return `padding@${i}`;
}

export function compare(
  a: ArrayLike<number>, b: ArrayLike<number>, tol: Tolerance,
  opts: { layout?: Layout; label?: string; indices?: number[] } = {},
): Comparison {
  if (a.length !== b.length) throw new Error(`compare: lengths differ (${a.length} vs ${b.length})`);
  const idx = opts.indices ?? [...Array(a.length).keys()];
  let maxB = 0;
  for (const i of idx) maxB = Math.max(maxB, Math.abs(b[i]));
  const floor = Math.max(1e-3 * maxB, Number.MIN_VALUE);
  let ok = true;
  let maxAbs = 0;
  let rel = 0;
  let worst = { index: -1, where: '', a: 0, b: 0, ratio: -1 };
  for (const i of idx) {
    const ai = a[i];
    const bi = b[i];
    const diff = Math.abs(ai - bi);
    // NaN compares false everywhere: make it the worst entry explicitly.
    const ratio = Number.isFinite(ai) && Number.isFinite(bi) ? diff / (tol.atol + tol.rtol * Math.abs(bi)) : Infinity;
    if (!(ratio <= 1)) ok = false;
    if (Number.isFinite(diff)) {
      maxAbs = Math.max(maxAbs, diff);
      rel = Math.max(rel, diff / Math.max(Math.abs(bi), floor));
    } else {
      maxAbs = rel = Infinity;
    }
    if (ratio > worst.ratio) worst = { index: i, where: '', a: ai, b: bi, ratio };
  }
  worst.where = worst.index < 0 ? '-' : locate(worst.index, opts.layout, opts.label);
  const f = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));
  const line =
    `${opts.label ?? 'x'}: ${ok ? 'ok' : 'MISMATCH'} n=${idx.length} rel=${f(rel)} maxAbs=${f(maxAbs)} ` +
    `worst ${worst.where}: got ${worst.a} want ${worst.b} (ratio ${f(worst.ratio)}, atol ${tol.atol}, rtol ${tol.rtol})`;
  return { ok, n: idx.length, maxAbs, rel, worst, line };
}
