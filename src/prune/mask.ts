/**
 * Masks and criteria. A mask is a Uint8Array of layout.total (1 kept, 0 pruned)
 * indexed like the parameters; pruning sets mask entries to 0 and the parameters
 * there to exactly 0. Masks only grow: a pruned weight is never brought back, and
 * weights already pruned count toward the sparsity of their group.
 *
 * Magnitude criterion (docs/methods.md §3): of the n items of a pool (weights, blocks
 * or hidden units), keep k = max(round(n·(1 − s)), 1) with the largest score.
 * If fewer than k are still kept, nothing changes. The threshold is found with a
 * quickselect on the kept scores (expected O(n), no sort). Ties at the threshold
 * are broken by position: the items that come first in the pool (group order,
 * then flat index / block index / unit index) are kept.
 *
 * Scores:
 *   weight  |w|
 *   block   r×c tiles of the group's row-major matrix, tiled from its top-left
 *           corner; edge tiles are partial. Score = mean |w| over the tile's
 *           elements (partial tiles: over the elements they have) or max |w|.
 *   unit    hidden unit j of layer l owns column j of every gate block of
 *           rnn.l.ih, rnn.l.hh and rnn.l.bias, row j of rnn.l.hh, and row j of
 *           the next consumer of h_l: rnn.(l+1).ih, or head for the top layer
 *           (nothing when the head is tied to the embedding). Score = L2 norm of
 *           all those weights (each counted once). Pruning a unit zeroes all of
 *           them, so its output h_j stays 0 and it can be removed outright.
 *           A unit counts as kept while any of its own columns is kept.
 *
 * Narang's criterion: every kept weight (or block, by its score) with score < ε is pruned.
 */
import type { ModelSpec } from '../model/spec.js';
import { GATES } from '../model/spec.js';
import type { Layout, Segment } from '../model/layout.js';
import type { WeightGroup } from './groups.js';
import { selectRank } from './quickselect.js';

export type BlockScore = 'mean' | 'max';
export type Granularity =
  | { kind: 'weight' }
  | { kind: 'block'; rows: number; cols: number; score: BlockScore }
  | { kind: 'unit' };

/** Items to keep out of n at sparsity s (docs/methods.md §3). */
export function keepCount(n: number, s: number): number {
  return Math.max(Math.round(n * (1 - s)), 1);
}

/** A growable Float32Array for quickselect, reused between pruning steps. */
export class Scratch {
  private buf = new Float32Array(0);
  get(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(Math.max(n, Math.ceil(this.buf.length * 1.5)));
    return this.buf;
  }
}
const defaultScratch = new Scratch();

// A module constant: reading the global `Infinity` in a hot loop is a property lookup
// V8 does not fold (measured 4× slower on a 262k-weight gather).
const INF = Number.POSITIVE_INFINITY;
/** |w|, NaN ranked as +∞ so NaN weights are kept (the trainer reports divergence). */
const mag = (w: number) => {
  const a = Math.abs(w);
  return a === a ? a : INF;
};

// ---------------------------------------------------------------- weights

/** The bits of a Float32Array: `bits[i] &= -keep` leaves w (keep 1) or exactly +0 (keep 0), NaN-safe. */
const bitsOf = (params: Float32Array) => new Int32Array(params.buffer, params.byteOffset, params.length);

/*
 * The weight loops below are branch-free where the branch would be unpredictable
 * (about half the weights go either way at a large pruning step): the keep bit is
 * computed, written to the mask and used to mask the weight's bits. That makes a
 * pass over 262k weights ~0.3 ms instead of ~2.5 ms.
 */

/** Magnitude pruning of single weights pooled over `groups` (one group = local). */
export function pruneWeightsToSparsity(groups: readonly WeightGroup[], params: Float32Array, mask: Uint8Array, s: number, scratch = defaultScratch): void {
  let n = 0;
  for (const g of groups) n += g.size;
  const k = keepCount(n, s);
  const a = scratch.get(n);
  let m = 0;
  for (const g of groups) m = gatherKept(g, params, mask, a, m);
  if (m <= k) return;
  const { value: t, greater } = selectRank(a, m, m - k);
  let eq = k - greater; // weights equal to t that stay: the first ones
  const bits = bitsOf(params);
  for (const g of groups) eq = pruneBelowRank(g, params, bits, mask, t, eq);
}

/** Appends the kept |w| of a group to a[m..] (written always, advanced when kept); returns the new m. */
function gatherKept(g: WeightGroup, params: Float32Array, mask: Uint8Array, a: Float32Array, m: number): number {
  for (let r = 0; r < g.rows; r++) {
    const base = g.segment.offset + r * g.stride + g.colStart;
    for (let i = base, end = base + g.cols; i < end; i++) {
      a[m] = mag(params[i]);
      m += +(mask[i] !== 0);
    }
  }
  return m;
}

/** Keeps |w| > t, and the first `eq` kept weights equal to t; prunes the rest. Returns eq left. */
function pruneBelowRank(g: WeightGroup, params: Float32Array, bits: Int32Array, mask: Uint8Array, t: number, eq: number): number {
  for (let r = 0; r < g.rows; r++) {
    const base = g.segment.offset + r * g.stride + g.colStart;
    for (let i = base, end = base + g.cols; i < end; i++) {
      const v = mag(params[i]);
      let keep = +(mask[i] !== 0) & +(v > t);
      if (v === t && mask[i] !== 0 && eq > 0) {
        eq--;
        keep = 1;
      }
      mask[i] = keep;
      bits[i] &= -keep;
    }
  }
  return eq;
}

/** Narang: prune every kept weight of `groups` with |w| < eps (NaN weights are kept). */
export function pruneWeightsBelow(groups: readonly WeightGroup[], params: Float32Array, mask: Uint8Array, eps: number): void {
  const bits = bitsOf(params);
  for (const g of groups) {
    for (let r = 0; r < g.rows; r++) {
      const base = g.segment.offset + r * g.stride + g.colStart;
      for (let i = base, end = base + g.cols; i < end; i++) {
        const keep = +(mask[i] !== 0) & +!(Math.abs(params[i]) < eps);
        mask[i] = keep;
        bits[i] &= -keep;
      }
    }
  }
}

/** Kept weights of a group. */
export function countKept(g: WeightGroup, mask: Uint8Array): number {
  let m = 0;
  for (let r = 0; r < g.rows; r++) {
    const base = g.segment.offset + r * g.stride + g.colStart;
    for (let i = base, end = base + g.cols; i < end; i++) m += mask[i];
  }
  return m;
}

/** Fraction of a group's weights that are pruned (mask 0). */
export function weightSparsity(groups: readonly WeightGroup[], mask: Uint8Array): number {
  let n = 0;
  let kept = 0;
  for (const g of groups) {
    n += g.size;
    kept += countKept(g, mask);
  }
  return n === 0 ? 0 : 1 - kept / n;
}

/** Zeroes the parameters wherever the mask is 0 inside `groups`. */
export function applyMask(groups: readonly WeightGroup[], params: Float32Array, mask: Uint8Array): void {
  const bits = bitsOf(params);
  for (const g of groups) {
    for (let r = 0; r < g.rows; r++) {
      const base = g.segment.offset + r * g.stride + g.colStart;
      for (let i = base, end = base + g.cols; i < end; i++) bits[i] &= -(+(mask[i] !== 0));
    }
  }
}

/** |w| of every weight of `groups` (pruned ones as 0), in pool order, in scratch. */
export function gatherMagnitudes(groups: readonly WeightGroup[], params: Float32Array, scratch = defaultScratch): Float32Array {
  let n = 0;
  for (const g of groups) n += g.size;
  const a = scratch.get(n);
  let p = 0;
  for (const g of groups) {
    for (let row = 0; row < g.rows; row++) {
      const base = g.segment.offset + row * g.stride + g.colStart;
      for (let i = base, end = base + g.cols; i < end; i++) a[p++] = mag(params[i]);
    }
  }
  return a.subarray(0, n);
}

/**
 * |w| at ascending rank r (0-based) among all weights of `groups`, pruned ones
 * included as zeros. Used for Narang's q ('auto': the 90th percentile) and for
 * calibration.
 */
export function magnitudeAtRank(groups: readonly WeightGroup[], params: Float32Array, r: number, scratch = defaultScratch): number {
  const a = gatherMagnitudes(groups, params, scratch);
  return selectRank(a, a.length, Math.min(Math.max(r, 0), a.length - 1)).value;
}

/** Nearest-rank percentile of |w| (frac in [0, 1]; 0.9 = the 90th percentile). */
export function magnitudePercentile(groups: readonly WeightGroup[], params: Float32Array, frac: number, scratch = defaultScratch): number {
  let n = 0;
  for (const g of groups) n += g.size;
  return magnitudeAtRank(groups, params, Math.ceil(frac * n) - 1, scratch);
}

// ---------------------------------------------------------------- items (blocks, units)

/** Keeps the k highest-scoring kept items of a pool; calls prune(i) for the others. */
function pruneItems(scores: Float32Array, kept: Uint8Array, k: number, prune: (i: number) => void, scratch: Scratch): void {
  const n = scores.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += kept[i];
  if (m <= k) return;
  const a = scratch.get(m);
  let p = 0;
  for (let i = 0; i < n; i++) if (kept[i]) a[p++] = scores[i];
  const { value: t, greater } = selectRank(a, m, m - k);
  let eq = k - greater;
  for (let i = 0; i < n; i++) {
    if (!kept[i]) continue;
    const v = scores[i];
    if (v > t) continue;
    if (v === t && eq > 0) {
      eq--;
      continue;
    }
    prune(i);
  }
}

// ---------------------------------------------------------------- blocks

interface BlockGrid {
  g: WeightGroup;
  br: number; // block rows
  bc: number; // block cols
  nbr: number; // blocks down
  nbc: number; // blocks across
}

function grid(g: WeightGroup, b: { rows: number; cols: number }): BlockGrid {
  return { g, br: b.rows, bc: b.cols, nbr: Math.ceil(g.rows / b.rows), nbc: Math.ceil(g.cols / b.cols) };
}

/** Scores (mean or max |w|) and kept flags of every block of a group, block-row-major. */
function blockScores(gr: BlockGrid, params: Float32Array, mask: Uint8Array, score: BlockScore, scores: Float32Array, kept: Uint8Array, at: number): void {
  const { g, br, bc, nbr, nbc } = gr;
  const acc = new Float64Array(nbc);
  for (let bi = 0; bi < nbr; bi++) {
    acc.fill(0);
    const r0 = bi * br;
    const r1 = Math.min(g.rows, r0 + br);
    for (let r = r0; r < r1; r++) {
      const base = g.segment.offset + r * g.stride + g.colStart;
      for (let bj = 0; bj < nbc; bj++) {
        const c0 = bj * bc;
        const c1 = Math.min(g.cols, c0 + bc);
        let s = acc[bj];
        let any = 0;
        for (let i = base + c0, end = base + c1; i < end; i++) {
          const v = mask[i] ? mag(params[i]) : 0;
          any |= mask[i];
          s = score === 'max' ? (v > s ? v : s) : s + v;
        }
        acc[bj] = s;
        if (any) kept[at + bi * nbc + bj] = 1;
      }
    }
    for (let bj = 0; bj < nbc; bj++) {
      const c0 = bj * bc;
      const count = (r1 - r0) * (Math.min(g.cols, c0 + bc) - c0);
      scores[at + bi * nbc + bj] = score === 'max' ? acc[bj] : acc[bj] / count;
    }
  }
}

function pruneBlock(gr: BlockGrid, idx: number, params: Float32Array, mask: Uint8Array): void {
  const { g, br, bc, nbc } = gr;
  const bi = Math.floor(idx / nbc);
  const bj = idx - bi * nbc;
  const r1 = Math.min(g.rows, (bi + 1) * br);
  const c0 = bj * bc;
  const c1 = Math.min(g.cols, c0 + bc);
  for (let r = bi * br; r < r1; r++) {
    const base = g.segment.offset + r * g.stride + g.colStart;
    for (let i = base + c0, end = base + c1; i < end; i++) {
      mask[i] = 0;
      params[i] = 0;
    }
  }
}

function blockPool(groups: readonly WeightGroup[], block: { rows: number; cols: number; score: BlockScore }, params: Float32Array, mask: Uint8Array) {
  const grids = groups.map((g) => grid(g, block));
  const starts: number[] = [];
  let n = 0;
  for (const gr of grids) {
    starts.push(n);
    n += gr.nbr * gr.nbc;
  }
  const scores = new Float32Array(n);
  const kept = new Uint8Array(n);
  grids.forEach((gr, i) => blockScores(gr, params, mask, block.score, scores, kept, starts[i]));
  const prune = (item: number) => {
    let gi = grids.length - 1;
    while (starts[gi] > item) gi--;
    pruneBlock(grids[gi], item - starts[gi], params, mask);
  };
  return { n, scores, kept, prune };
}

/** Magnitude pruning of r×c blocks pooled over `groups`: keeps k of the pool's blocks. */
export function pruneBlocksToSparsity(groups: readonly WeightGroup[], block: { rows: number; cols: number; score: BlockScore }, params: Float32Array, mask: Uint8Array, s: number, scratch = defaultScratch): void {
  const pool = blockPool(groups, block, params, mask);
  pruneItems(pool.scores, pool.kept, keepCount(pool.n, s), pool.prune, scratch);
}

/** Narang with blocks: prune every kept block whose score is < eps. */
export function pruneBlocksBelow(groups: readonly WeightGroup[], block: { rows: number; cols: number; score: BlockScore }, params: Float32Array, mask: Uint8Array, eps: number): void {
  const pool = blockPool(groups, block, params, mask);
  for (let i = 0; i < pool.n; i++) if (pool.kept[i] && pool.scores[i] < eps) pool.prune(i);
}

/** Block scores (pruned elements count as 0) of every block of `groups`, pooled. */
export function blockScoresOf(groups: readonly WeightGroup[], block: { rows: number; cols: number; score: BlockScore }, params: Float32Array, mask: Uint8Array): Float32Array {
  return blockPool(groups, block, params, mask).scores;
}

/** Fraction of the blocks of `groups` that are wholly pruned. */
export function blockSparsity(groups: readonly WeightGroup[], block: { rows: number; cols: number; score: BlockScore }, params: Float32Array, mask: Uint8Array): number {
  const pool = blockPool(groups, block, params, mask);
  let kept = 0;
  for (let i = 0; i < pool.n; i++) kept += pool.kept[i];
  return pool.n === 0 ? 0 : 1 - kept / pool.n;
}

// ---------------------------------------------------------------- hidden units

/** The segments that make up the hidden units of layer l. */
export interface UnitSegments {
  layer: number;
  H: number;
  G: number;
  ih: Segment;
  hh: Segment;
  bias: Segment;
  /** rnn.(l+1).ih or head; null when the top layer feeds a tied head. */
  next: Segment | null;
}

export function unitSegments(spec: ModelSpec, layout: Layout, l: number): UnitSegments {
  const get = (n: string) => layout.byName.get(n);
  const ih = get(`rnn.${l}.ih`);
  const hh = get(`rnn.${l}.hh`);
  const bias = get(`rnn.${l}.bias`);
  if (!ih || !hh || !bias) throw new Error(`layer ${l} not in layout`);
  const next = l + 1 < spec.layers ? get(`rnn.${l + 1}.ih`)! : get('head') ?? null;
  return { layer: l, H: spec.hidden, G: GATES[spec.cell], ih, hh, bias, next };
}

/** L2 norms (scores) and kept flags of the H units of a layer, written at `at`. */
function unitScores(u: UnitSegments, params: Float32Array, mask: Uint8Array, scores: Float32Array, kept: Uint8Array, at: number): void {
  const { H, G } = u;
  const GH = G * H;
  const acc = new Float64Array(H);
  const colSq = (seg: Segment, rows: number) => {
    for (let r = 0; r < rows; r++) {
      const base = seg.offset + r * GH;
      for (let g = 0; g < G; g++) {
        const b = base + g * H;
        for (let j = 0; j < H; j++) {
          const w = params[b + j];
          acc[j] += w * w;
          kept[at + j] |= mask[b + j];
        }
      }
    }
  };
  colSq(u.ih, u.ih.shape[0]);
  colSq(u.hh, H);
  colSq(u.bias, 1);
  // Row j of hh, without the G elements (j, g·H + j) already counted in column j.
  for (let j = 0; j < H; j++) {
    const base = u.hh.offset + j * GH;
    let s = 0;
    for (let c = 0; c < GH; c++) s += params[base + c] * params[base + c];
    for (let g = 0; g < G; g++) s -= params[base + g * H + j] * params[base + g * H + j];
    acc[j] += s;
  }
  if (u.next) {
    const cols = u.next.shape[1];
    for (let j = 0; j < H; j++) {
      const base = u.next.offset + j * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += params[base + c] * params[base + c];
      acc[j] += s;
    }
  }
  for (let j = 0; j < H; j++) {
    const v = Math.sqrt(acc[j]);
    scores[at + j] = v === v ? v : INF;
  }
}

/** Zeroes unit j of a layer everywhere it appears (see the file comment). */
export function pruneUnit(u: UnitSegments, j: number, params: Float32Array, mask: Uint8Array): void {
  const { H, G } = u;
  const GH = G * H;
  const zero = (i: number) => {
    mask[i] = 0;
    params[i] = 0;
  };
  const cols = (seg: Segment, rows: number) => {
    for (let r = 0; r < rows; r++) for (let g = 0; g < G; g++) zero(seg.offset + r * GH + g * H + j);
  };
  cols(u.ih, u.ih.shape[0]);
  cols(u.hh, H);
  cols(u.bias, 1);
  for (let c = 0; c < GH; c++) zero(u.hh.offset + j * GH + c);
  if (u.next) {
    const nc = u.next.shape[1];
    for (let c = 0; c < nc; c++) zero(u.next.offset + j * nc + c);
  }
}

function unitPool(units: readonly UnitSegments[], params: Float32Array, mask: Uint8Array) {
  const n = units.reduce((a, u) => a + u.H, 0);
  const scores = new Float32Array(n);
  const kept = new Uint8Array(n);
  units.forEach((u, i) => unitScores(u, params, mask, scores, kept, i * u.H));
  const prune = (item: number) => {
    const H = units[0].H;
    pruneUnit(units[Math.floor(item / H)], item % H, params, mask);
  };
  return { n, scores, kept, prune };
}

/** Magnitude pruning of whole hidden units pooled over `units` (one layer = local). */
export function pruneUnitsToSparsity(units: readonly UnitSegments[], params: Float32Array, mask: Uint8Array, s: number, scratch = defaultScratch): void {
  const pool = unitPool(units, params, mask);
  pruneItems(pool.scores, pool.kept, keepCount(pool.n, s), pool.prune, scratch);
}

/** Fraction of the hidden units of `units` that are pruned (no unit kept any of its own columns). */
export function unitSparsity(units: readonly UnitSegments[], _params: Float32Array, mask: Uint8Array): number {
  let n = 0;
  let kept = 0;
  for (const u of units) {
    const { H, G } = u;
    const alive = new Uint8Array(H);
    for (const seg of [u.ih, u.hh, u.bias]) {
      const rows = seg.shape.length === 2 ? seg.shape[0] : 1;
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < G; g++) {
          const b = seg.offset + r * G * H + g * H;
          for (let j = 0; j < H; j++) alive[j] |= mask[b + j];
        }
      }
    }
    n += H;
    for (let j = 0; j < H; j++) kept += alive[j];
  }
  return n === 0 ? 0 : 1 - kept / n;
}

/** The weight groups a layer's units own (for overlap checks): rnn.l.ih, rnn.l.hh, rnn.l.bias. */
export function unitOwnSegments(u: UnitSegments): Segment[] {
  return [u.ih, u.hh, u.bias];
}
