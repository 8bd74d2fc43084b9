/**
 * Initialisers. Keras defaults (glorot-uniform kernels, orthogonal recurrent
 * kernels, zero biases, LSTM forget bias 1) or PyTorch's uniform(±1/√H); the
 * embedding is uniform(±0.05) like Keras, the head glorot. Deterministic from `uniform`,
 * a seeded generator of [0, 1) numbers.
 */
import { GATES, type ModelSpec } from './spec.js';
import type { Layout, Segment } from './layout.js';

export type Uniform = () => number;

function fillUniform(a: Float32Array, limit: number, u: Uniform): void {
  for (let i = 0; i < a.length; i++) a[i] = (2 * u() - 1) * limit;
}

function normal(u: Uniform): number {
  // Box–Muller; 1 − u() keeps the log argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Rows of a [rows, cols] matrix made orthonormal (rows ≤ cols), as Keras' Orthogonal does. */
export function orthogonal(out: Float32Array, rows: number, cols: number, u: Uniform): void {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = normal(u);
  const r = Math.min(rows, cols);
  // Modified Gram–Schmidt over the first min(rows, cols) rows; extra rows (rows > cols) stay normalised noise.
  for (let i = 0; i < rows; i++) {
    const ri = i * cols;
    if (i < r) {
      for (let j = 0; j < i; j++) {
        const rj = j * cols;
        let d = 0;
        for (let k = 0; k < cols; k++) d += m[ri + k] * m[rj + k];
        for (let k = 0; k < cols; k++) m[ri + k] -= d * m[rj + k];
      }
    }
    let n = 0;
    for (let k = 0; k < cols; k++) n += m[ri + k] * m[ri + k];
    n = Math.sqrt(n) || 1;
    // Normalise in place too: later rows are projected against these unit rows.
    for (let k = 0; k < cols; k++) out[ri + k] = m[ri + k] /= n;
  }
}

export function initParams(spec: ModelSpec, layout: Layout, params: Float32Array, u: Uniform): void {
  params.fill(0);
  const H = spec.hidden;
  const G = GATES[spec.cell];
  const at = (s: Segment) => params.subarray(s.offset, s.offset + s.size);
  for (const s of layout.segments) {
    const w = at(s);
    const [rows, cols] = s.shape.length === 2 ? s.shape : [1, s.shape[0]];
    switch (s.kind) {
      case 'embedding':
        fillUniform(w, 0.05, u);
        break;
      case 'ih':
      case 'head':
        fillUniform(w, spec.init === 'glorot' ? Math.sqrt(6 / (rows + cols)) : 1 / Math.sqrt(H), u);
        break;
      case 'hh':
        if (spec.recurrentInit === 'orthogonal') orthogonal(w, rows, cols, u);
        else fillUniform(w, spec.init === 'glorot' ? Math.sqrt(6 / (rows + cols)) : 1 / Math.sqrt(H), u);
        break;
      case 'bias':
        if (spec.init === 'uniform' && s.name !== 'head.bias') fillUniform(w, 1 / Math.sqrt(H), u);
        if (spec.cell === 'lstm' && s.name.startsWith('rnn.') && G === 4) {
          // Gate order i, f, c, o: the forget block is columns H..2H.
          for (let j = H; j < 2 * H; j++) w[j] = spec.forgetBias;
        }
        break;
    }
  }
}
