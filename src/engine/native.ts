/**
 * The typed face of the C++ addon (build/Release/sparse_rnn.node). Everything the
 * native core exposes is declared here; the rest of the library goes through
 * src/engine/net.ts and src/train/optim.ts, never through the raw addon.
 *
 * Shape legend: B batch, T time steps, D vector input width, V vocabulary,
 * E embedding width, H hidden, G gates (1 rnn, 4 lstm, 3 gru), L layers,
 * S state vectors per layer (2 for lstm: h then c; else 1), O head width.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import type { NativeConfig } from '../model/layout.js';
import { fail, addonCall } from '../errors.js';

export type SimdName = 'avx512' | 'avx2' | 'scalar';

export interface RunArgs {
  /** tokens: Int32Array [B, T] of ids in [0, V); vectors: Float32Array [B, T, D]. Batch-major. */
  x: Int32Array | Float32Array;
  /** lm: Int32Array [B, T]; classify: Int32Array [B]. A target of -1 is ignored (padding). */
  y: Int32Array;
  batch: number;
  steps: number;
  /**
   * [L, S, B, H] initial state, overwritten in place with the final state (truncated
   * BPTT: no gradient flows into it). null: start from zeros, final state dropped.
   */
  state: Float32Array | null;
  /** true: overwrite the grads buffer with d(mean loss over counted targets)/dθ. */
  backward: boolean;
  /** Seeds the dropout masks of this call (used only when backward and dropout > 0). */
  dropoutSeed: number;
  /** Optional output: lm [B, T, O]; classify [B, O]. */
  logits?: Float32Array;
}

export interface RunResult {
  /** Sum of cross-entropy (nats) over the counted targets. */
  loss: number;
  /** Targets counted (y != -1). */
  count: number;
  /** Counted targets whose argmax logit equals the target. */
  correct: number;
}

export interface NativeNet {
  run(args: RunArgs): RunResult;
  /**
   * Sparse-aware training: mask [total] (1 kept, 0 pruned; pruned params must be 0),
   * kept by reference and read at every run (change it in place and the next run
   * follows); null = dense. A recurrent or input kernel, or an untied head, at
   * density <= `sparseDensity` then runs on sparse kernels (docs/engine.md), and the
   * grads of such groups are 0 at pruned positions.
   */
  setMask(mask: Uint8Array | null): void;
}

export interface NativeAddon {
  /** Density (kept / size) at or below which a masked ih / hh kernel or head trains on the sparse kernels. */
  readonly sparseDensity: number;
  simdLevel(): SimdName;
  simdDetected(): SimdName;
  /** Force a path (tests, benchmarks); 'auto' = best detected. Throws if unsupported. */
  setSimd(level: SimdName | 'auto'): void;
  setThreads(n: number): void;
  getThreads(): number;
  /** See native/gemm.h. naive=true runs the reference triple loop. */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
       A: Float32Array, lda: number, B: Float32Array, ldb: number,
       beta: number, C: Float32Array, ldc: number, naive: boolean): void;
  /** params and grads are [total] buffers laid out by src/model/layout.ts; kept by reference. */
  Net: new (cfg: NativeConfig, params: Float32Array, grads: Float32Array) => NativeNet;
  sgd(params: Float32Array, grads: Float32Array, mom: Float32Array, mask: Uint8Array | null,
      lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  adam(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, mask: Uint8Array | null,
       lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  sumSquares(x: Float32Array): number;
  scale(x: Float32Array, s: number): void;
  applyMask(params: Float32Array, mask: Uint8Array): void;
}

let cached: NativeAddon | undefined;

/** Loads the addon once; a missing build gives one line saying how to build it. */
export function native(): NativeAddon {
  if (cached) return cached;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/engine → repo root, or dist/src/engine → repo root
  const roots = [path.resolve(here, '../..'), path.resolve(here, '../../..')];
  const file = roots.map((r) => path.join(r, 'build/Release/sparse_rnn.node')).find((f) => fs.existsSync(f));
  if (!file) fail('NATIVE', 'the native core is not built (build/Release/sparse_rnn.node is missing)', 'run `npm install` or `npx node-gyp rebuild`');
  const require = createRequire(import.meta.url);
  cached = markErrors(require(file) as NativeAddon);
  return cached;
}

/**
 * The addon with every function (and every Net method) marked: an error it throws
 * is still the same RangeError / TypeError, tagged so the CLI prints it as NATIVE.
 */
function markErrors(raw: NativeAddon): NativeAddon {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(raw) as (keyof NativeAddon)[]) {
    const v = raw[k] as unknown;
    if (k === 'Net') continue;
    out[k] = typeof v === 'function' ? (...a: unknown[]) => addonCall(() => (v as (...x: unknown[]) => unknown).apply(raw, a)) : v;
  }
  const RawNet = raw.Net;
  out.Net = function Net(cfg: NativeConfig, params: Float32Array, grads: Float32Array): NativeNet {
    const n = addonCall(() => new RawNet(cfg, params, grads));
    return {
      run: (args: RunArgs) => addonCall(() => n.run(args)),
      setMask: (mask: Uint8Array | null) => addonCall(() => n.setMask(mask)),
    };
  };
  return out as unknown as NativeAddon;
}
