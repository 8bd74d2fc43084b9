/**
 * The same model run dense, for the page's timing: every weight matrix of the gather
 * model (src/deploy/gather.ts) expanded to a row-major Float32Array with its pruned entries
 * as zeros, and multiplied by plain dense loops (no indices). The step is the TypeScript
 * runtime's own (StepRuntime, src/deploy/runtime.ts): each row is summed in increasing column
 * order, and a pruned entry adds 0·z = 0, so the outputs equal the sparse runtime's.
 */
import type { SparseModel } from '../src/deploy/format.js';
import type { GatherCsr } from '../src/deploy/gather.js';
import { StepRuntime, type InferenceRuntime } from '../src/deploy/runtime.js';

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

class DenseTsRuntime extends StepRuntime<DenseMat> {
  constructor(model: SparseModel) {
    super(model, 'ts-dense', densify, matVec);
  }

  /** Weights held (rows × cols of every matrix), for the page's size line. */
  get weights(): number {
    return this.mats.reduce((a, m) => a + m.main.w.length + (m.rec?.w.length ?? 0), this.headMat.w.length);
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
