/**
 * The native runtime (Node only): the InferenceRuntime API of runtime.ts backed by
 * build/Release/sparse_infer.node (native/infer). Same gather model, same front half (inputs,
 * embedding, sampling) as the TS engine; only the per-step arithmetic moves to C++.
 *
 * Modes: 'sparse' (CSR gather, AVX-512 / AVX2 / scalar), 'dense' (the same cells on
 * dense kernels with SIMD — our dense baseline), 'naive' (dense triple loops, the
 * reference the fast paths are tested against).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { fail } from '../errors.js';
import type { SparseModel, WeightGroup } from './format.js';
import { RuntimeBase, type InferenceRuntime } from './runtime.js';
import { buildGatherModel, type GatherCsr } from './gather.js';
import { fromHalf, toHalf } from './codec.js';

export type InferIsa = 'avx512' | 'avx2' | 'scalar';
export type NativeMode = 'sparse' | 'dense' | 'naive';

/** What native/infer/binding.cc takes; arrays are copied. */
export interface ModelConfig {
  cell: number; // 0 rnn, 1 lstm, 2 gru
  /** GRU: reset after the candidate's recurrent product (layers then carry recBias). */
  resetAfter: boolean;
  relu: boolean;
  hidden: number;
  outputSize: number;
  mode: NativeMode;
  layers: {
    inDim: number;
    bias: Float32Array; // [G·H] (reset-after GRU: input bias + the z r recurrent biases)
    recBias?: Float32Array; // reset-after GRU: [H] b_hn
    main?: GatherCsr; // sparse: [G·H, D + H]
    rec?: GatherCsr | null; // sparse GRU: [H, H]
    ih?: Float32Array; // dense: [D, G·H]
    hh?: Float32Array; // dense: [H, G·H]
  }[];
  head?: GatherCsr; // sparse: [O, H]
  headW?: Float32Array; // dense: [H, O]
  headBias: Float32Array;
}

interface NativeModel {
  advance(x: Float32Array, state: Float32Array): void;
  logits(state: Float32Array, out: Float32Array): void;
  run(xs: Float32Array, T: number, state: Float32Array, logits: Float32Array | null): void;
  weightBytes(): number;
  advanceBatch(xs: Float32Array, states: Float32Array, B: number): void;
}

export interface InferAddon {
  isaDetected(): InferIsa;
  isaActive(): InferIsa;
  /** Global to the process: forces a path (tests, benchmarks); 'auto' = best detected. */
  setIsa(level: InferIsa | 'auto'): void;
  Model: new (cfg: ModelConfig) => NativeModel;
}

let cached: InferAddon | undefined;

/** Loads build/Release/sparse_infer.node once; a missing build gives one line saying how to build it. */
export function inferAddon(): InferAddon {
  if (cached) return cached;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const roots = [path.resolve(here, '../..'), path.resolve(here, '../../..')];
  const file = roots.map((r) => path.join(r, 'build/Release/sparse_infer.node')).find((f) => fs.existsSync(f));
  if (!file) fail('NATIVE', 'the native inference addon is not built (build/Release/sparse_infer.node is missing)', 'run `npm install` or `npx node-gyp rebuild`');
  cached = createRequire(import.meta.url)(file) as InferAddon;
  return cached;
}

/** True when the addon is built (tests skip native cases otherwise). */
export function hasInferAddon(): boolean {
  try {
    inferAddon();
    return true;
  } catch {
    return false;
  }
}

/** A group as a dense row-major Float32Array of its [rows, cols]. */
function densify(g: WeightGroup): Float32Array {
  if (g.kind === 'dense') return g.values;
  const out = new Float32Array(g.rows * g.cols);
  for (let r = 0; r < g.rows; r++) for (let k = g.rowPtr[r]; k < g.rowPtr[r + 1]; k++) out[r * g.cols + g.colIdx[k]] = g.values[k];
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/** 'auto' keeps halves / int8 codes for products of at least this many non-zeros (512 KiB of fp32 values). */
export const HALF_AUTO_MIN_NNZ = 131072;

/**
 * A CSR for the addon: values as IEEE half bits when every value is exactly a half
 * (fp16 exports; lossless) and `half` is allowed, else fp32.
 */
type PackedCsr = GatherCsr & { valuesHalf?: Uint16Array; valuesInt8?: Int8Array; colScale?: Float32Array };

function packCsr(m: GatherCsr, half: boolean | 'auto', int8: boolean | 'auto'): PackedCsr {
  // auto: only matrices too big for L2 gain (below that the products are compute-bound
  // and the conversion to float costs more than the bytes it saves).
  const big = m.values.length >= HALF_AUTO_MIN_NNZ;
  if (m.int8 && (int8 === true || (int8 === 'auto' && big))) {
    return { ...m, values: new Float32Array(0), valuesInt8: m.int8.q, colScale: m.int8.colScale };
  }
  if (half === false || (half === 'auto' && !big)) return m;
  const h = new Uint16Array(m.values.length);
  for (let k = 0; k < h.length; k++) {
    h[k] = toHalf(m.values[k]);
    if (fromHalf(h[k]) !== m.values[k]) return m;
  }
  return { ...m, values: new Float32Array(0), valuesHalf: h };
}

class NativeRuntime extends RuntimeBase {
  readonly engine: string;
  private readonly m: NativeModel;

  /** True when some sparse product runs on half-precision values. */
  readonly halfValues: boolean;

  /** True when some sparse product runs on int8 codes. */
  readonly int8Values: boolean;

  constructor(model: SparseModel, mode: NativeMode, allowHalf: boolean | 'auto', allowInt8: boolean | 'auto') {
    const gather = buildGatherModel(model);
    super(model, gather);
    const addon = inferAddon();
    const { spec, groups } = model;
    const cfg: ModelConfig = {
      cell: ['rnn', 'lstm', 'gru'].indexOf(spec.cell), resetAfter: gather.layers[0].recBias !== null, relu: spec.activation === 'relu',
      hidden: spec.hidden, outputSize: spec.outputSize, mode, headBias: gather.headBias,
      layers: gather.layers.map((lp, l) => ({
        inDim: lp.inDim, bias: lp.bias, ...(lp.recBias ? { recBias: lp.recBias } : {}),
        ...(mode === 'sparse'
          ? { main: packCsr(lp.main, allowHalf, allowInt8), rec: lp.rec && packCsr(lp.rec, allowHalf, allowInt8) }
          : { ih: densify(groups.get(`rnn.${l}.ih`)!), hh: densify(groups.get(`rnn.${l}.hh`)!) }),
      })),
    };
    if (mode === 'sparse') cfg.head = packCsr(gather.head, allowHalf, allowInt8);
    else if (spec.tied) cfg.headW = transpose(densify(groups.get('embedding')!), spec.outputSize, spec.hidden);
    else cfg.headW = densify(groups.get('head')!);
    this.m = new addon.Model(cfg);
    const packed = cfg.layers.map((l) => l.main as PackedCsr | undefined);
    this.halfValues = mode === 'sparse' && packed.some((m) => m?.valuesHalf);
    this.int8Values = mode === 'sparse' && packed.some((m) => m?.valuesInt8);
    const suffix = this.halfValues ? '-f16' : this.int8Values ? '-i8' : '';
    this.engine = mode === 'naive' ? 'native-naive' : `native-${mode}-${addon.isaActive()}${suffix}`;
  }

  /** Bytes of recurrent weights (biases included) one step reads on the active path. */
  weightBytes(): number {
    return this.m.weightBytes();
  }

  protected advanceVec(x: Float32Array, state: Float32Array): void {
    this.m.advance(x, state);
  }

  protected override advanceBatchVec(xs: Float32Array, states: Float32Array, B: number): void {
    const D = xs.length / B, SL = this.stateSize;
    for (let b0 = 0; b0 < B; b0 += 8) {
      const n = Math.min(8, B - b0);
      this.m.advanceBatch(xs.subarray(b0 * D, (b0 + n) * D), states.subarray(b0 * SL, (b0 + n) * SL), n);
    }
  }

  protected headInto(state: Float32Array, logits: Float32Array): void {
    this.m.logits(state, logits);
  }
}

export interface NativeRuntimeOptions {
  /** 'sparse' (default), 'dense' or 'naive'. */
  mode?: NativeMode;
  /**
   * Keep sparse values as half floats in memory when that is lossless (every value
   * exactly a half, as in an fp16 export): true — whenever lossless; 'auto' (default) —
   * and the product has ≥ HALF_AUTO_MIN_NNZ non-zeros (memory-bound); false — never.
   */
  halfValues?: boolean | 'auto';
  /**
   * int8 files: keep the int8 codes in memory, the per-row scales folded into the
   * product's input (file rows are gather columns): Σ q·(scale ⊙ z). Equal to the decoded
   * model up to float rounding. 'auto' (default): for products of ≥ HALF_AUTO_MIN_NNZ.
   */
  int8Values?: boolean | 'auto';
}

export type NativeInferenceRuntime = InferenceRuntime & { weightBytes(): number };

/** The native runtime (Node only). */
export function createNativeRuntime(model: SparseModel, opts: NativeRuntimeOptions = {}): NativeInferenceRuntime {
  const mode = opts.mode ?? 'sparse';
  if (!['sparse', 'dense', 'naive'].includes(mode)) fail('BAD_FLAG', `native mode must be sparse, dense or naive (got ${JSON.stringify(mode)})`, 'use sparse, dense or naive');
  return new NativeRuntime(model, mode, opts.halfValues ?? 'auto', opts.int8Values ?? 'auto');
}
