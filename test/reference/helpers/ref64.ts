/**
 * A float64 reference forward pass, written straight from the formulas (no TF.js, no
 * engine), and gradients by central finite differences on it. It is the third leg of
 * the parity tests: when the engine and TF.js disagree, this says which one is off.
 *
 * Shapes (batch-major, like the engine): B batch, T steps, V vocab / D features,
 * E embedding, H hidden, G gates, O head width. Weights are read from a flat buffer
 * laid out by src/model/layout.ts (TF.js shapes: kernel [in, G·H], recurrent [H, G·H]).
 *
 * Cells (Keras / TF.js, recurrent activation sigmoid):
 *   rnn : h = act(x·W + h·U + b)
 *   lstm: i, f, c̃, o = σ, σ, tanh, σ of (x·W + h·U + b) split in gate order i f c o;
 *         c = f⊙c + i⊙c̃; h = o⊙tanh(c)
 *   gru : z, r = σ(x·W_zr + h·U_zr + b_zr); h̃ = tanh(x·W_h + (r⊙h)·U_h + b_h);
 *         h = z⊙h + (1 − z)⊙h̃          (reset_after = false, gate order z r h)
 */
import { GATES, type ModelSpec } from '../../../src/model/spec.js';
import type { Layout } from '../../../src/model/layout.js';

export interface Batch {
  /** tokens: Int32Array [B, T]; vectors: Float32Array [B, T, D]. */
  x: Int32Array | Float32Array;
  /** lm: [B, T]; classify: [B]. -1 = ignored. */
  y: Int32Array;
  batch: number;
  steps: number;
}

export interface Forward64 {
  /** lm [B, T, O]; classify [B, O]. */
  logits: Float64Array;
  /** Mean cross-entropy over counted targets (0 when none). */
  loss: number;
  count: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function forward64(spec: ModelSpec, layout: Layout, p: ArrayLike<number>, d: Batch): Forward64 {
  const { batch: B, steps: T } = d;
  const H = spec.hidden;
  const G = GATES[spec.cell];
  const O = spec.outputSize;
  const seg = (name: string) => {
    const s = layout.byName.get(name);
    if (!s) throw new Error(`layout has no segment ${name}`);
    return s.offset;
  };
  // Layer input sequence, [B, T, in].
  let inDim = spec.inputKind === 'tokens' ? spec.embedDim : spec.inputSize;
  let seq = new Float64Array(B * T * inDim);
  if (spec.inputKind === 'tokens') {
    const e = seg('embedding');
    for (let i = 0; i < B * T; i++) {
      const tok = (d.x as Int32Array)[i];
      for (let k = 0; k < inDim; k++) seq[i * inDim + k] = p[e + tok * inDim + k];
    }
  } else {
    for (let i = 0; i < seq.length; i++) seq[i] = d.x[i];
  }
  for (let l = 0; l < spec.layers; l++) {
    const W = seg(`rnn.${l}.ih`);
    const U = seg(`rnn.${l}.hh`);
    const bias = seg(`rnn.${l}.bias`);
    const out = new Float64Array(B * T * H);
    const z = new Float64Array(G * H); // pre-activations of one step, [G·H]
    const rh = new Float64Array(H);
    for (let b = 0; b < B; b++) {
      const h = new Float64Array(H);
      const c = new Float64Array(H);
      for (let t = 0; t < T; t++) {
        const xo = (b * T + t) * inDim;
        for (let j = 0; j < G * H; j++) {
          let s = p[bias + j];
          for (let k = 0; k < inDim; k++) s += seq[xo + k] * p[W + k * G * H + j];
          z[j] = s;
        }
        if (spec.cell === 'gru') {
          // z and r gates see h·U; the candidate sees (r⊙h)·U_h.
          for (let j = 0; j < 2 * H; j++) for (let k = 0; k < H; k++) z[j] += h[k] * p[U + k * G * H + j];
          for (let k = 0; k < H; k++) rh[k] = sigmoid(z[H + k]) * h[k];
          for (let j = 2 * H; j < 3 * H; j++) for (let k = 0; k < H; k++) z[j] += rh[k] * p[U + k * G * H + j];
          for (let k = 0; k < H; k++) {
            const zg = sigmoid(z[k]);
            const cand = Math.tanh(z[2 * H + k]);
            h[k] = zg * h[k] + (1 - zg) * cand;
          }
        } else {
          for (let j = 0; j < G * H; j++) for (let k = 0; k < H; k++) z[j] += h[k] * p[U + k * G * H + j];
          if (spec.cell === 'rnn') {
            for (let k = 0; k < H; k++) h[k] = spec.activation === 'relu' ? Math.max(0, z[k]) : Math.tanh(z[k]);
          } else {
            for (let k = 0; k < H; k++) {
              const ig = sigmoid(z[k]);
              const fg = sigmoid(z[H + k]);
              const cand = Math.tanh(z[2 * H + k]);
              const og = sigmoid(z[3 * H + k]);
              c[k] = fg * c[k] + ig * cand;
              h[k] = og * Math.tanh(c[k]);
            }
          }
        }
        out.set(h, (b * T + t) * H);
      }
    }
    seq = out;
    inDim = H;
  }
  // Head: rows are (b, t) for lm, b (last step) for classify.
  const rows = spec.task === 'lm' ? B * T : B;
  const logits = new Float64Array(rows * O);
  const hb = seg('head.bias');
  const tied = spec.tied;
  const Wh = tied ? seg('embedding') : seg('head');
  for (let r = 0; r < rows; r++) {
    const ho = spec.task === 'lm' ? r * H : (r * T + T - 1) * H;
    for (let o = 0; o < O; o++) {
      let s = p[hb + o];
      // untied head [H, O]; tied: embedding [V, E=H] used transposed.
      for (let k = 0; k < H; k++) s += seq[ho + k] * (tied ? p[Wh + o * H + k] : p[Wh + k * O + o]);
      logits[r * O + o] = s;
    }
  }
  let sum = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const target = d.y[r];
    if (target === -1) continue;
    let m = -Infinity;
    for (let o = 0; o < O; o++) m = Math.max(m, logits[r * O + o]);
    let se = 0;
    for (let o = 0; o < O; o++) se += Math.exp(logits[r * O + o] - m);
    sum += m + Math.log(se) - logits[r * O + target];
    count++;
  }
  return { logits, loss: count ? sum / count : 0, count };
}

/**
 * d(mean loss)/dθ by central differences in float64 at the listed flat indices
 * (default: every index inside a segment). step 1e-5: truncation ~1e-10, rounding ~1e-11.
 * Returns a [layout.total] buffer (0 where not evaluated) and the indices used.
 */
export function gradFD64(
  spec: ModelSpec, layout: Layout, params: ArrayLike<number>, d: Batch,
  indices?: number[], step = 1e-5,
): { grads: Float64Array; indices: number[] } {
  const p = Float64Array.from(params);
  const idx = indices ?? layout.segments.flatMap((s) => [...Array(s.size).keys()].map((i) => s.offset + i));
  const g = new Float64Array(layout.total);
  for (const i of idx) {
    const v = p[i];
    p[i] = v + step;
    const up = forward64(spec, layout, p, d).loss;
    p[i] = v - step;
    const down = forward64(spec, layout, p, d).loss;
    p[i] = v;
    g[i] = (up - down) / (2 * step);
  }
  return { grads: g, indices: idx };
}
