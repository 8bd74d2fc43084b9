/**
 * The same model run dense, for the page's timing: every weight matrix of the inference
 * plan (src/deploy/plan.ts) expanded to a row-major Float32Array with its pruned entries
 * as zeros, and multiplied by plain dense loops (no indices). The step arithmetic is the
 * TypeScript runtime's (src/deploy/runtime.ts): each row is summed in increasing column
 * order, and a pruned entry adds 0·z = 0, so the outputs equal the sparse runtime's.
 */
import { STATE_VECTORS } from '../src/model/spec.js';
import type { SparseModel } from '../src/deploy/format.js';
import { buildGatherModel, type GatherCsr } from '../src/deploy/gather.js';
import { RuntimeBase, type InferenceRuntime } from '../src/deploy/runtime.js';

interface DenseMat { rows: number; cols: number; w: Float32Array }

function densify(m: GatherCsr): DenseMat {
  const w = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) for (let k = m.rowPtr[r]; k < m.rowPtr[r + 1]; k++) w[r * m.cols + m.colIdx[k]] = m.values[k];
  return { rows: m.rows, cols: m.cols, w };
}

/** y = W·z (+ bias). */
function matVec(y: Float32Array, m: DenseMat, z: Float32Array, bias: Float32Array | null): void {
  const { rows, cols, w } = m;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[o + c] * z[c];
    y[r] = (bias ? bias[r] : 0) + s;
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

class DenseTsRuntime extends RuntimeBase {
  readonly engine = 'ts-dense';
  private readonly mats: { main: DenseMat; rec: DenseMat | null; recBias: Float32Array | null; bias: Float32Array; inDim: number }[];
  private readonly headMat: DenseMat;
  private readonly z: Float32Array[];
  private readonly pre: Float32Array;
  private readonly rh: Float32Array;
  private readonly tmp: Float32Array;

  constructor(model: SparseModel) {
    super(model, buildGatherModel(model));
    const H = this.spec.hidden;
    this.mats = this.gather.layers.map((l) => ({ main: densify(l.main), rec: l.rec ? densify(l.rec) : null, recBias: l.recBias ?? null, bias: l.bias, inDim: l.inDim }));
    this.headMat = densify(this.gather.head);
    this.z = this.gather.layers.map((l) => new Float32Array(l.inDim + H));
    this.pre = new Float32Array(this.gather.layers[0].main.rows);
    this.rh = new Float32Array(H);
    this.tmp = new Float32Array(H);
  }

  /** Weights held (rows × cols of every matrix), for the page's size line. */
  get weights(): number {
    return this.mats.reduce((a, m) => a + m.main.w.length + (m.rec?.w.length ?? 0), this.headMat.w.length);
  }

  protected advanceVec(x: Float32Array, state: Float32Array): void {
    const { spec } = this;
    const H = spec.hidden;
    const S = STATE_VECTORS[spec.cell];
    let input = x;
    for (let l = 0; l < this.mats.length; l++) {
      const lm = this.mats[l];
      const h = state.subarray(l * S * H, (l * S + 1) * H);
      const z = this.z[l];
      z.set(input, 0);
      z.set(h, lm.inDim);
      const hp = z.subarray(lm.inDim);
      const pre = this.pre;
      matVec(pre, lm.main, z, lm.bias);
      if (spec.cell === 'lstm') {
        const c = state.subarray((l * S + 1) * H, (l * S + 2) * H);
        for (let j = 0; j < H; j++) {
          const cj = sigmoid(pre[H + j]) * c[j] + sigmoid(pre[j]) * Math.tanh(pre[2 * H + j]);
          c[j] = cj;
          h[j] = sigmoid(pre[3 * H + j]) * Math.tanh(cj);
        }
      } else if (lm.recBias) { // reset-after GRU: n = tanh(pre_n + r ⊙ (Uh·h + b_hn))
        matVec(this.tmp, lm.rec!, hp, lm.recBias);
        for (let j = 0; j < H; j++) {
          const zj = sigmoid(pre[j]);
          h[j] = zj * hp[j] + (1 - zj) * Math.tanh(pre[2 * H + j] + sigmoid(pre[H + j]) * this.tmp[j]);
        }
      } else if (spec.cell === 'gru') {
        for (let j = 0; j < H; j++) this.rh[j] = sigmoid(pre[H + j]) * hp[j];
        matVec(this.tmp, lm.rec!, this.rh, null);
        for (let j = 0; j < H; j++) {
          const zj = sigmoid(pre[j]);
          h[j] = zj * hp[j] + (1 - zj) * Math.tanh(pre[2 * H + j] + this.tmp[j]);
        }
      } else if (spec.activation === 'relu') {
        for (let j = 0; j < H; j++) h[j] = Math.max(0, pre[j]);
      } else {
        for (let j = 0; j < H; j++) h[j] = Math.tanh(pre[j]);
      }
      input = h;
    }
  }

  protected headInto(state: Float32Array, logits: Float32Array): void {
    const H = this.spec.hidden;
    const S = STATE_VECTORS[this.spec.cell];
    const top = state.subarray((this.spec.layers - 1) * S * H, ((this.spec.layers - 1) * S + 1) * H);
    matVec(logits, this.headMat, top, this.gather.headBias);
  }
}

/** The model as a dense TypeScript runtime (same API and outputs as createRuntime). */
export function createDenseRuntime(model: SparseModel): InferenceRuntime {
  return new DenseTsRuntime(model);
}

/**
 * Milliseconds per step of `rt` (recurrent step and head, one sequence): steps are run
 * in rounds of at least `minMs`; the median of `rounds` rounds is returned.
 */
export function timePerStep(rt: InferenceRuntime, input: (t: number) => number | Float32Array, rounds = 5, minMs = 60): number {
  const state = rt.initialState();
  const logits = new Float32Array(rt.spec.outputSize);
  const now = () => performance.now();
  let n = 1;
  // Warm up and size a round.
  for (;;) {
    const t0 = now();
    for (let t = 0; t < n; t++) { rt.advance(input(t), state); rt.head(state, logits); }
    if (now() - t0 >= minMs / 4 || n > 1 << 20) break;
    n *= 2;
  }
  n *= 4;
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    state.fill(0);
    const t0 = now();
    for (let t = 0; t < n; t++) { rt.advance(input(t), state); rt.head(state, logits); }
    per.push((now() - t0) / n);
  }
  per.sort((a, b) => a - b);
  return per[rounds >> 1];
}
