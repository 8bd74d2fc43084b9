/**
 * The dense reference: one step of the model straight from the flat params and the
 * layout (TF.js orientation, no gather model, no sparsity), in double precision. Every
 * runtime is tested against this ("the dense model on the same params").
 *
 *   state  [L, S, H]   (updated in place)     x  token id or [D]     returns logits [O]
 */
import { GATES, isResetAfter, STATE_VECTORS, type ModelSpec } from '../model/spec.js';
import type { Layout } from '../model/layout.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

export function denseReferenceStep(spec: ModelSpec, layout: Layout, params: Float32Array,
  input: number | Float32Array, state: Float32Array): Float64Array {
  const seg = (name: string) => {
    const s = layout.byName.get(name)!;
    return params.subarray(s.offset, s.offset + s.size);
  };
  const H = spec.hidden;
  const G = GATES[spec.cell];
  const S = STATE_VECTORS[spec.cell];
  let x: Float64Array;
  if (typeof input === 'number') {
    const E = spec.embedDim;
    x = Float64Array.from(seg('embedding').subarray(input * E, (input + 1) * E));
  } else x = Float64Array.from(input);
  for (let l = 0; l < spec.layers; l++) {
    const Wi = seg(`rnn.${l}.ih`); // [D, G·H]
    const Wh = seg(`rnn.${l}.hh`); // [H, G·H]
    const b = seg(`rnn.${l}.bias`);
    const D = x.length;
    const h = state.subarray(l * S * H, (l * S + 1) * H);
    const hp = Float64Array.from(h);
    const a = new Float64Array(G * H); // x·Wi + b, plus h·Wh except the GRU candidate
    for (let j = 0; j < G * H; j++) a[j] = b[j];
    for (let i = 0; i < D; i++) for (let j = 0; j < G * H; j++) a[j] += x[i] * Wi[i * G * H + j];
    const recCols = spec.cell === 'gru' ? 2 * H : G * H;
    for (let i = 0; i < H; i++) for (let j = 0; j < recCols; j++) a[j] += hp[i] * Wh[i * G * H + j];
    const out = new Float64Array(H);
    if (spec.cell === 'lstm') {
      const c = state.subarray((l * S + 1) * H, (l * S + 2) * H);
      for (let j = 0; j < H; j++) {
        const cj = sig(a[H + j]) * c[j] + sig(a[j]) * Math.tanh(a[2 * H + j]);
        c[j] = cj;
        out[j] = sig(a[3 * H + j]) * Math.tanh(cj);
      }
    } else if (isResetAfter(spec)) {
      // bias [2, G·H]: input bias (in a); recurrent bias: z r join the sum, b_hn waits for r
      const GH = G * H;
      for (let j = 0; j < H; j++) {
        let un = b[GH + 2 * H + j];
        for (let i = 0; i < H; i++) un += hp[i] * Wh[i * GH + 2 * H + j];
        const zj = sig(a[j] + b[GH + j]), rj = sig(a[H + j] + b[GH + H + j]);
        out[j] = zj * hp[j] + (1 - zj) * Math.tanh(a[2 * H + j] + rj * un);
      }
    } else if (spec.cell === 'gru') {
      const rh = new Float64Array(H);
      for (let j = 0; j < H; j++) rh[j] = sig(a[H + j]) * hp[j];
      const n = a.slice(2 * H);
      for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) n[j] += rh[i] * Wh[i * G * H + 2 * H + j];
      for (let j = 0; j < H; j++) {
        const zj = sig(a[j]);
        out[j] = zj * hp[j] + (1 - zj) * Math.tanh(n[j]);
      }
    } else {
      for (let j = 0; j < H; j++) out[j] = spec.activation === 'relu' ? Math.max(0, a[j]) : Math.tanh(a[j]);
    }
    h.set(out);
    x = out;
  }
  const O = spec.outputSize;
  const logits = new Float64Array(O);
  const hb = seg('head.bias');
  for (let o = 0; o < O; o++) logits[o] = hb[o];
  if (spec.tied) {
    const emb = seg('embedding'); // [V, E], E = H
    for (let o = 0; o < O; o++) for (let i = 0; i < H; i++) logits[o] += x[i] * emb[o * H + i];
  } else {
    const W = seg('head'); // [H, O]
    for (let i = 0; i < H; i++) for (let o = 0; o < O; o++) logits[o] += x[i] * W[i * O + o];
  }
  return logits;
}
