/**
 * Gate orders and weight layouts between our flat layout (TF.js / Keras) and ONNX.
 *
 *   ours (src/model/layout.ts): ih [in, G·H], hh [H, G·H], columns by gate in Keras order
 *     LSTM i, f, c, o;  GRU z, r, h;  RNN one gate.
 *   ONNX (operator spec, RNN / LSTM / GRU): W [dirs, G·H, in], R [dirs, G·H, H] (rows by
 *     gate), B [dirs, 2·G·H] = [Wb ; Rb];  LSTM gates i, o, f, c;  GRU z, r, h.
 *
 * ONNX_GATE[cell][k] is the ONNX position of our k-th gate.
 */
import type { CellType } from '../spec.js';

export const ONNX_OP: Record<CellType, 'RNN' | 'LSTM' | 'GRU'> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };
export const ONNX_GATE: Record<CellType, readonly number[]> = { rnn: [0], lstm: [0, 2, 3, 1], gru: [0, 1, 2] };

/** ours [rows, G·H] (Keras gate columns) → ONNX [G·H, rows] (ONNX gate rows). */
export function toOnnxMatrix(ours: Float32Array, rows: number, cell: CellType, H: number): Float32Array {
  const perm = ONNX_GATE[cell];
  const G = perm.length;
  const out = new Float32Array(G * H * rows);
  for (let k = 0; k < G; k++) {
    const og = perm[k];
    for (let j = 0; j < H; j++) {
      const src = k * H + j;
      const dst = (og * H + j) * rows;
      for (let r = 0; r < rows; r++) out[dst + r] = ours[r * G * H + src];
    }
  }
  return out;
}

/** ONNX [G·H, rows] → ours [rows, G·H]. */
export function fromOnnxMatrix(w: ArrayLike<number>, rows: number, cell: CellType, H: number): Float32Array {
  const perm = ONNX_GATE[cell];
  const G = perm.length;
  const out = new Float32Array(G * H * rows);
  for (let k = 0; k < G; k++) {
    const og = perm[k];
    for (let j = 0; j < H; j++) {
      const dst = k * H + j;
      const src = (og * H + j) * rows;
      for (let r = 0; r < rows; r++) out[r * G * H + dst] = w[src + r];
    }
  }
  return out;
}

/** A bias vector [G·H]: ours (Keras order) → ONNX order. */
export function toOnnxVector(ours: ArrayLike<number>, cell: CellType, H: number): Float32Array {
  const perm = ONNX_GATE[cell];
  const out = new Float32Array(perm.length * H);
  perm.forEach((og, k) => { for (let j = 0; j < H; j++) out[og * H + j] = ours[k * H + j]; });
  return out;
}

/** A bias vector [G·H]: ONNX order → ours (Keras order). */
export function fromOnnxVector(v: ArrayLike<number>, cell: CellType, H: number, offset = 0): Float32Array {
  const perm = ONNX_GATE[cell];
  const out = new Float32Array(perm.length * H);
  perm.forEach((og, k) => { for (let j = 0; j < H; j++) out[k * H + j] = v[offset + og * H + j]; });
  return out;
}
