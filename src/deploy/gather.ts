/**
 * The gather model: a loaded SparseModel rearranged for batch-1 "gather" products,
 * y[r] = Σ_k values[k] · z[colIdx[k]], one output row per gate unit. Built once in
 * TypeScript and shared by both runtimes (the TS loops read it directly; the native
 * addon copies it), so the two can only differ in arithmetic, never in structure.
 *
 * Shape legend: D layer input width (E, inputSize, or H), H hidden, G gates, O head.
 *
 * Per layer:
 *   main  [G·H, D + H]  rows = gate units in TF.js gate order (LSTM i f c o, GRU z r h,
 *                       RNN h); columns = the concatenated input z = [x; h_{t-1}].
 *                       GRU: the h-gate rows hold the x columns only (its recurrent
 *                       part multiplies r ⊙ h, so it cannot join this product).
 *   rec   [H, H]        GRU only: the h-gate's recurrent kernel Uh, over r ⊙ h_{t-1}
 *                       (reset-after GRU: over h_{t-1}, plus recBias, then times r).
 *   bias  [G·H]         (reset-after GRU: the input bias plus the z r recurrent biases)
 *   recBias [H]         reset-after GRU only: the candidate's recurrent bias b_hn.
 * Head: [O, H] (head transposed; or the embedding itself when tied) and bias [O].
 * Exact zeros are dropped (0 · z adds nothing to a finite sum).
 */
import { GATES, isResetAfter, type ModelSpec } from '../model/spec.js';
import type { SparseModel, WeightGroup } from './format.js';

export interface GatherCsr {
  rows: number;
  cols: number;
  rowPtr: Uint32Array;
  /** Uint16Array when cols ≤ 65536, else Uint32Array. */
  colIdx: Uint16Array | Uint32Array;
  values: Float32Array;
  /**
   * int8 files (every source group int8, CSR or dense): the codes [nnz] and one scale per
   * column [cols] — a file row's scale, since file rows are gather columns here — so
   * values[k] = q[k] · colScale[colIdx[k]] and a product is Σ q·(colScale ⊙ z).
   */
  int8?: { q: Int8Array; colScale: Float32Array };
}

export interface GatherLayer {
  inDim: number;
  main: GatherCsr;
  rec: GatherCsr | null;
  bias: Float32Array;
  /** Reset-after GRU: b_hn [H], added to rec's product before the reset gate. */
  recBias: Float32Array | null;
}

export interface GatherModel {
  spec: ModelSpec;
  layers: GatherLayer[];
  head: GatherCsr;
  headBias: Float32Array;
  /** Token input: the embedding as stored (row t = the vector of token t). */
  embedding: WeightGroup | null;
}

/**
 * Collects sources (a group, a column offset, a row map) and builds the CSR in two
 * passes over typed arrays (count, then fill), so a dense H1024 layer (8M entries)
 * costs no per-entry objects. Sources are added in increasing column offset and each
 * is walked in increasing source row, so columns come out sorted within every row.
 */
type Emit = (row: number, col: number, v: number, q: number) => void;

class Builder {
  private readonly sources: ((f: Emit) => void)[] = [];
  /** Column scales while every source so far is a transposed CSR int8 group. */
  private colScale: Float32Array | null;
  constructor(readonly rows: number, readonly cols: number) {
    this.colScale = new Float32Array(cols);
  }
  /** Adds group g ([in, out] natural orientation) transposed: entry (i, j) → row rowOf(j), col colOff + i. */
  addTransposed(g: WeightGroup, colOff: number, rowOf: (j: number) => number): void {
    if (g.int8 && this.colScale) this.colScale.set(g.int8.scales, colOff);
    else this.colScale = null;
    this.sources.push((f) => forEachEntry(g, (i, j, v, q) => {
      const r = rowOf(j);
      if (r >= 0) f(r, colOff + i, v, q);
    }));
  }
  /** Adds group g as is: entry (r, c) → row r, col c. */
  addDirect(g: WeightGroup): void {
    this.colScale = null; // per-row scales of g would be per output row here
    this.sources.push((f) => forEachEntry(g, f));
  }
  build(): GatherCsr {
    const rowPtr = new Uint32Array(this.rows + 1);
    const each = (f: Emit) => {
      for (const s of this.sources) s((r, c, v, q) => { if (v !== 0) f(r, c, v, q); });
    };
    each((r) => rowPtr[r + 1]++);
    for (let r = 0; r < this.rows; r++) rowPtr[r + 1] += rowPtr[r];
    const nnz = rowPtr[this.rows];
    const colIdx = this.cols <= 0x10000 ? new Uint16Array(nnz) : new Uint32Array(nnz);
    const values = new Float32Array(nnz);
    const q = this.colScale ? new Int8Array(nnz) : null;
    const fill = rowPtr.slice(0, this.rows);
    each((r, c, v, code) => {
      const k = fill[r]++;
      colIdx[k] = c;
      values[k] = v;
      if (q) q[k] = code;
    });
    const out: GatherCsr = { rows: this.rows, cols: this.cols, rowPtr, colIdx, values };
    if (q && this.sources.length > 0) out.int8 = { q, colScale: this.colScale! };
    return out;
  }
}

/** Every stored entry: (row, col, value, int8 code or 0). */
function forEachEntry(g: WeightGroup, f: Emit): void {
  if (g.kind === 'dense') {
    const q = g.int8?.q;
    for (let r = 0, k = 0; r < g.rows; r++) for (let c = 0; c < g.cols; c++, k++) f(r, c, g.values[k], q ? q[k] : 0);
  } else {
    const q = g.int8?.q;
    for (let r = 0; r < g.rows; r++) for (let k = g.rowPtr[r]; k < g.rowPtr[r + 1]; k++) f(r, g.colIdx[k], g.values[k], q ? q[k] : 0);
  }
}

/** Dense copy of a vector group (biases). */
function vec(g: WeightGroup): Float32Array {
  if (g.kind === 'dense') return g.values.slice();
  const out = new Float32Array(g.rows * g.cols);
  forEachEntry(g, (r, c, v) => {
    out[r * g.cols + c] = v;
  });
  return out;
}

export function buildGatherModel(model: SparseModel): GatherModel {
  const { spec, groups } = model;
  const G = GATES[spec.cell];
  const H = spec.hidden;
  const layers: GatherLayer[] = [];
  for (let l = 0; l < spec.layers; l++) {
    const ih = groups.get(`rnn.${l}.ih`)!;
    const hh = groups.get(`rnn.${l}.hh`)!;
    const inDim = ih.rows;
    const main = new Builder(G * H, inDim + H);
    main.addTransposed(ih, 0, (j) => j);
    let rec: GatherCsr | null = null;
    if (spec.cell === 'gru') {
      main.addTransposed(hh, inDim, (j) => (j < 2 * H ? j : -1));
      const b = new Builder(H, H);
      b.addTransposed(hh, 0, (j) => (j >= 2 * H ? j - 2 * H : -1));
      rec = b.build();
    } else {
      main.addTransposed(hh, inDim, (j) => j);
    }
    const bias = vec(groups.get(`rnn.${l}.bias`)!);
    let recBias: Float32Array | null = null;
    if (isResetAfter(spec)) {
      // [2, 3H]: input bias; recurrent bias. z r: both enter the same sum; b_hn waits for r.
      recBias = bias.slice(5 * H, 6 * H);
      for (let j = 0; j < 2 * H; j++) bias[j] += bias[3 * H + j];
    }
    layers.push({ inDim, main: main.build(), rec, bias: bias.slice(0, G * H), recBias });
  }
  let head: GatherCsr;
  if (spec.tied) {
    // logits = h · embeddingᵀ: the embedding's rows are already the output rows.
    const emb = groups.get('embedding')!;
    const b = new Builder(emb.rows, emb.cols);
    b.addDirect(emb);
    head = b.build();
  } else {
    const hd = groups.get('head')!;
    const b = new Builder(hd.cols, hd.rows);
    b.addTransposed(hd, 0, (j) => j);
    head = b.build();
  }
  return {
    spec, layers, head, headBias: vec(groups.get('head.bias')!),
    embedding: spec.inputKind === 'tokens' ? groups.get('embedding')! : null,
  };
}

/** Writes row `t` of the embedding into out (dense, zeros where pruned). */
export function embeddingRow(emb: WeightGroup, t: number, out: Float32Array): void {
  if (emb.kind === 'dense') {
    out.set(emb.values.subarray(t * emb.cols, (t + 1) * emb.cols));
    return;
  }
  out.fill(0);
  for (let k = emb.rowPtr[t]; k < emb.rowPtr[t + 1]; k++) out[emb.colIdx[k]] = emb.values[k];
}

/** Stored non-zeros the gather model multiplies per step (layers and head). */
export function gatherNnz(p: GatherModel): number {
  return p.layers.reduce((a, l) => a + l.main.values.length + (l.rec?.values.length ?? 0), 0) + p.head.values.length;
}
