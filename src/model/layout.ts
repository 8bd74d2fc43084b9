/**
 * One flat layout of named, shaped segments. Parameters, gradients, optimizer
 * moments and pruning masks are all arrays of `layout.total` elements indexed the
 * same way, so the optimizer and masking are flat loops and every weight group is
 * a typed-array view. This file is the single source of truth for offsets: the
 * native core receives them from here (`nativeConfig`), never recomputes them.
 *
 * Segments (TF.js / Keras shapes, row-major):
 *   embedding      [V, E]        tokens input only
 *   rnn.{l}.ih     [in_l, G·H]   input-to-hidden kernel; in_0 = E or D, in_l = H
 *   rnn.{l}.hh     [H, G·H]      hidden-to-hidden (recurrent) kernel
 *   rnn.{l}.bias   [G·H], or [2, G·H] for the reset-after GRU: input bias; recurrent
 *                  bias (Keras reset_after=True's bias, so conversion is a copy)
 *   head           [H, O]        absent when tied (the head then uses embedding^T)
 *   head.bias      [O]
 * Offsets are aligned to 16 floats (64 bytes) for SIMD loads.
 */
import { GATES, isResetAfter, type ModelSpec } from './spec.js';

/**
 * What a segment holds. `ih` and `hh` are a layer's input-to-hidden and
 * hidden-to-hidden kernels; "recurrent weights" elsewhere (accountModel().recurrent,
 * recurrentSparsity, magnitudePruneRecurrent) always means ih + hh of every layer.
 */
export type SegmentKind = 'embedding' | 'ih' | 'hh' | 'bias' | 'head';

export interface Segment {
  name: string;
  kind: SegmentKind;
  offset: number;
  /** Row-major shape; rows × cols for matrices, [n] for vectors. */
  shape: number[];
  size: number;
  /** Recurrent layer index for rnn.* segments. */
  layer?: number;
}

export interface Layout {
  segments: Segment[];
  byName: Map<string, Segment>;
  /** Elements in the flat buffer, padding included. */
  total: number;
}

const ALIGN = 16;

export function buildLayout(spec: ModelSpec): Layout {
  const segments: Segment[] = [];
  let offset = 0;
  const add = (name: string, kind: SegmentKind, shape: number[], layer?: number) => {
    const size = shape.reduce((a, b) => a * b, 1);
    segments.push({ name, kind, offset, shape, size, ...(layer === undefined ? {} : { layer }) });
    offset += Math.ceil(size / ALIGN) * ALIGN;
  };
  const G = GATES[spec.cell];
  const H = spec.hidden;
  if (spec.inputKind === 'tokens') add('embedding', 'embedding', [spec.inputSize, spec.embedDim]);
  for (let l = 0; l < spec.layers; l++) {
    const inDim = l === 0 ? (spec.inputKind === 'tokens' ? spec.embedDim : spec.inputSize) : H;
    add(`rnn.${l}.ih`, 'ih', [inDim, G * H], l);
    add(`rnn.${l}.hh`, 'hh', [H, G * H], l);
    add(`rnn.${l}.bias`, 'bias', isResetAfter(spec) ? [2, G * H] : [G * H], l);
  }
  if (!spec.tied) add('head', 'head', [H, spec.outputSize]);
  add('head.bias', 'bias', [spec.outputSize]);
  return { segments, byName: new Map(segments.map((s) => [s.name, s])), total: offset };
}

/** A view of one segment of a flat buffer (params, grads, moments or mask). */
export function view<T extends Float32Array | Uint8Array>(buf: T, seg: Segment): T {
  return buf.subarray(seg.offset, seg.offset + seg.size) as T;
}

/** What the native core needs: the spec's numbers and every offset (-1 = absent). */
export interface NativeConfig {
  cell: number; // 0 rnn, 1 lstm, 2 gru
  /** GRU: reset after the candidate's recurrent product; bias segments are then (2, G·H). */
  resetAfter: boolean;
  tokens: boolean;
  inputSize: number;
  embedDim: number;
  hidden: number;
  layers: number;
  outputSize: number;
  classify: boolean;
  relu: boolean;
  tied: boolean;
  dropout: number;
  total: number;
  embedding: number;
  ih: number[];
  hh: number[];
  bias: number[];
  head: number;
  headBias: number;
}

export function nativeConfig(spec: ModelSpec, layout: Layout): NativeConfig {
  const off = (n: string) => layout.byName.get(n)?.offset ?? -1;
  const layers = [...Array(spec.layers).keys()];
  return {
    cell: ['rnn', 'lstm', 'gru'].indexOf(spec.cell),
    resetAfter: isResetAfter(spec),
    tokens: spec.inputKind === 'tokens',
    inputSize: spec.inputSize,
    embedDim: spec.embedDim,
    hidden: spec.hidden,
    layers: spec.layers,
    outputSize: spec.outputSize,
    classify: spec.task === 'classify',
    relu: spec.activation === 'relu',
    tied: spec.tied,
    dropout: spec.dropout,
    total: layout.total,
    embedding: off('embedding'),
    ih: layers.map((l) => off(`rnn.${l}.ih`)),
    hh: layers.map((l) => off(`rnn.${l}.hh`)),
    bias: layers.map((l) => off(`rnn.${l}.bias`)),
    head: off('head'),
    headBias: off('head.bias'),
  };
}
