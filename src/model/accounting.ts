/**
 * Size and cost accounting: the ONE place where parameters, non-zeros, sparsity,
 * FLOPs and bytes of a (pruned) model are computed. Reports, the CLI and the
 * study read these numbers; they never recompute them.
 *
 * Conventions
 *   non-zeros   with a mask: entries kept (mask 1); without: entries ≠ 0.
 *   sparsity    1 − nonZeros / params, per group, per gate, and in total.
 *   FLOPs       per token, matrix products only: one multiply-add = 2 FLOPs.
 *               rnn.l.ih 2·in·G·H, rnn.l.hh 2·H·G·H, head 2·H·O (dense) and
 *               2·nonZeros (sparse: only kept weights are multiplied). The
 *               embedding is a lookup (0), but a tied head multiplies by
 *               embeddingᵀ: 2·V·E, counted on the embedding row. Biases,
 *               nonlinearities and the softmax are not counted. For the classify
 *               task the head runs once per sequence: its FLOPs are reported per
 *               sequence and left out of the per-token total.
 *   bytes       dense: 4 per parameter (fp32). Sparse: CSR of the matrix as stored
 *               ([rows, cols] row-major; vectors as one row): 4 bytes per kept value
 *               + a column index per kept value in the narrowest unsigned type that
 *               holds cols − 1 (1, 2 or 4 bytes) + rows + 1 row pointers in the
 *               narrowest type that holds nonZeros. A group is counted in whichever
 *               of dense and CSR is smaller (`format`).
 */
import { GATE_NAMES, GATES, type ModelSpec } from './spec.js';
import type { Layout, Segment, SegmentKind } from './layout.js';

export interface GateAccount {
  gate: string;
  params: number;
  nonZeros: number;
  sparsity: number;
}

export interface GroupAccount {
  name: string;
  kind: SegmentKind;
  shape: number[];
  params: number;
  nonZeros: number;
  sparsity: number;
  /** Per gate, for rnn.* groups (TF.js gate order). */
  gates?: GateAccount[];
  /** FLOPs of this group's product, dense and counting only kept weights. */
  flopsDense: number;
  flopsSparse: number;
  /** 'token': per token; 'sequence': once per sequence (classify head); 'none': no product. */
  flopsPer: 'token' | 'sequence' | 'none';
  bytesDense: number;
  /** CSR bytes (see the file comment). */
  bytesCsr: number;
  /** min(bytesDense, bytesCsr), and which one it is. */
  bytesSparse: number;
  format: 'dense' | 'csr';
}

export interface Totals {
  params: number;
  nonZeros: number;
  sparsity: number;
  /** Per token (classify: the head excluded, see flopsPerSequence*). */
  flopsPerTokenDense: number;
  flopsPerTokenSparse: number;
  /** Products run once per sequence (the classify head); 0 for lm. */
  flopsPerSequenceDense: number;
  flopsPerSequenceSparse: number;
  bytesDense: number;
  bytesSparse: number;
  /** bytesDense / bytesSparse and flopsPerTokenDense / flopsPerTokenSparse. */
  compression: number;
  flopReduction: number;
}

export interface UnitAccount {
  layer: number;
  units: number;
  /** Hidden units whose columns in rnn.l.ih, rnn.l.hh and rnn.l.bias are all zero. */
  pruned: number;
}

export interface ModelAccount {
  cell: ModelSpec['cell'];
  groups: GroupAccount[];
  /** Every parameter. */
  total: Totals;
  /** The recurrent kernels only (rnn.*.ih and rnn.*.hh): what the study prunes. */
  recurrent: Totals;
  units: UnitAccount[];
}

const indexBytes = (maxValue: number) => (maxValue <= 0xff ? 1 : maxValue <= 0xffff ? 2 : 4);

/** CSR bytes of a rows × cols matrix with nnz kept values. */
export function csrBytes(rows: number, cols: number, nnz: number): number {
  return 4 * nnz + indexBytes(cols - 1) * nnz + indexBytes(nnz) * (rows + 1);
}

export function accountModel(spec: ModelSpec, layout: Layout, params: Float32Array, mask?: Uint8Array | null): ModelAccount {
  if (params.length !== layout.total) throw new RangeError(`accountModel: params has ${params.length} values, layout.total is ${layout.total}`);
  if (mask && mask.length !== layout.total) throw new RangeError(`accountModel: mask has ${mask.length} entries, layout.total is ${layout.total}`);
  const kept = mask ? (i: number) => mask[i] : (i: number) => (params[i] !== 0 ? 1 : 0);
  const count = (seg: Segment, colStart: number, cols: number) => {
    const rows = seg.shape.length === 2 ? seg.shape[0] : 1;
    const stride = seg.shape.length === 2 ? seg.shape[1] : seg.shape[0];
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const base = seg.offset + r * stride + colStart;
      for (let i = base; i < base + cols; i++) n += kept(i);
    }
    return n;
  };

  const G = GATES[spec.cell];
  const H = spec.hidden;
  const groups: GroupAccount[] = layout.segments.map((seg) => {
    const rows = seg.shape.length === 2 ? seg.shape[0] : 1;
    const cols = seg.shape.length === 2 ? seg.shape[1] : seg.shape[0];
    const nnz = count(seg, 0, cols);
    let flopsPer: GroupAccount['flopsPer'] = 'none';
    if (seg.kind === 'ih' || seg.kind === 'hh') flopsPer = 'token';
    if (seg.kind === 'head' || (seg.kind === 'embedding' && spec.tied)) flopsPer = spec.task === 'classify' ? 'sequence' : 'token';
    const bytesDense = 4 * seg.size;
    const bytesCsr = csrBytes(rows, cols, nnz);
    const acc: GroupAccount = {
      name: seg.name, kind: seg.kind, shape: [...seg.shape],
      params: seg.size, nonZeros: nnz, sparsity: seg.size ? 1 - nnz / seg.size : 0,
      flopsDense: flopsPer === 'none' ? 0 : 2 * seg.size,
      flopsSparse: flopsPer === 'none' ? 0 : 2 * nnz,
      flopsPer,
      bytesDense, bytesCsr,
      bytesSparse: Math.min(bytesDense, bytesCsr),
      format: bytesCsr < bytesDense ? 'csr' : 'dense',
    };
    if (seg.name.startsWith('rnn.')) {
      acc.gates = GATE_NAMES[spec.cell].map((gate, g) => {
        const n = rows * H;
        const z = count(seg, g * H, H);
        return { gate, params: n, nonZeros: z, sparsity: n ? 1 - z / n : 0 };
      });
    }
    return acc;
  });

  const units: UnitAccount[] = [];
  for (let l = 0; l < spec.layers; l++) {
    const segs = ['ih', 'hh', 'bias'].map((k) => layout.byName.get(`rnn.${l}.${k}`)!);
    let pruned = 0;
    for (let j = 0; j < H; j++) {
      let alive = 0;
      for (const seg of segs) {
        const rows = seg.shape.length === 2 ? seg.shape[0] : 1;
        for (let r = 0; r < rows && !alive; r++) for (let g = 0; g < G && !alive; g++) alive = kept(seg.offset + r * G * H + g * H + j);
        if (alive) break;
      }
      if (!alive) pruned++;
    }
    units.push({ layer: l, units: H, pruned });
  }

  return {
    cell: spec.cell,
    groups,
    total: totals(groups),
    recurrent: totals(groups.filter((g) => g.kind === 'ih' || g.kind === 'hh')),
    units,
  };
}

function totals(groups: readonly GroupAccount[]): Totals {
  const sum = (f: (g: GroupAccount) => number) => groups.reduce((a, g) => a + f(g), 0);
  const t = {
    params: sum((g) => g.params),
    nonZeros: sum((g) => g.nonZeros),
    flopsPerTokenDense: sum((g) => (g.flopsPer === 'token' ? g.flopsDense : 0)),
    flopsPerTokenSparse: sum((g) => (g.flopsPer === 'token' ? g.flopsSparse : 0)),
    flopsPerSequenceDense: sum((g) => (g.flopsPer === 'sequence' ? g.flopsDense : 0)),
    flopsPerSequenceSparse: sum((g) => (g.flopsPer === 'sequence' ? g.flopsSparse : 0)),
    bytesDense: sum((g) => g.bytesDense),
    bytesSparse: sum((g) => g.bytesSparse),
  };
  return {
    ...t,
    sparsity: t.params ? 1 - t.nonZeros / t.params : 0,
    compression: t.bytesSparse ? t.bytesDense / t.bytesSparse : 1,
    flopReduction: t.flopsPerTokenSparse ? t.flopsPerTokenDense / t.flopsPerTokenSparse : t.flopsPerTokenDense ? Infinity : 1,
  };
}

// ---------------------------------------------------------------- terminal table

const compact = (n: number) => {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a < 1e4) return String(Math.round(n));
  for (const [v, s] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (a >= v) return `${(n / v).toPrecision(3)}${s}`;
  return String(n);
};
const bytes = (n: number) => {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toPrecision(3)} KiB`;
  return `${(n / 1024 / 1024).toPrecision(3)} MiB`;
};
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** An aligned table for terminals: one row per group, one per gate, then totals. */
export function formatAccountTable(acc: ModelAccount): string {
  const head = ['group', 'shape', 'params', 'non-zeros', 'sparsity', 'FLOP/tok dense', 'FLOP/tok sparse', 'bytes dense', 'bytes sparse'];
  const rows: string[][] = [];
  const flops = (g: GroupAccount, v: number) => (g.flopsPer === 'none' ? '-' : `${compact(v)}${g.flopsPer === 'sequence' ? '/seq' : ''}`);
  for (const g of acc.groups) {
    rows.push([g.name, g.shape.join('×'), compact(g.params), compact(g.nonZeros), pct(g.sparsity), flops(g, g.flopsDense), flops(g, g.flopsSparse),
      bytes(g.bytesDense), `${bytes(g.bytesSparse)}${g.format === 'csr' ? ' csr' : ''}`]);
    for (const gt of g.gates ?? []) {
      if (acc.cell === 'rnn') break;
      rows.push([`  :${gt.gate}`, '', compact(gt.params), compact(gt.nonZeros), pct(gt.sparsity), '', '', '', '']);
    }
  }
  const tot = (name: string, t: Totals) => [name, '', compact(t.params), compact(t.nonZeros), pct(t.sparsity), compact(t.flopsPerTokenDense),
    compact(t.flopsPerTokenSparse), bytes(t.bytesDense), bytes(t.bytesSparse)];
  const sep = head.map(() => '');
  rows.push(sep, tot('recurrent (ih+hh)', acc.recurrent), tot('total', acc.total));
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c < 2 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => (r.every((v) => v === '') ? '' : line(r)))];
  const t = acc.total;
  out.push('', `compression ${t.compression.toFixed(2)}× (bytes), FLOP reduction ${Number.isFinite(t.flopReduction) ? t.flopReduction.toFixed(2) : '∞'}× per token`
    + (t.flopsPerSequenceDense ? `; head per sequence ${compact(t.flopsPerSequenceDense)} → ${compact(t.flopsPerSequenceSparse)} FLOP` : ''));
  out.push(`hidden units pruned: ${acc.units.map((u) => `rnn.${u.layer} ${u.pruned}/${u.units}`).join(', ')}`);
  out.push('FLOPs: matrix products only, multiply-add = 2; bytes sparse: CSR (fp32 values, narrowest indices) or dense, whichever is smaller');
  return out.join('\n');
}
