/**
 * Seeded models and batches for the reference tests. Weights are drawn large enough
 * that every nonlinearity works off its linear part (pre-activations of order 1),
 * and biases are non-zero so their gradients are checked too.
 */
import { Rng } from '../../../src/data/rng.js';
import { defaultSpec, type ModelSpec } from '../../../src/model/spec.js';
import { buildLayout, type Layout } from '../../../src/model/layout.js';
import type { Batch } from './ref64.js';

export interface Case {
  name: string;
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
  batch: Batch;
}

export interface CaseArgs {
  name: string;
  cell: ModelSpec['cell'];
  layers: number;
  inputKind: ModelSpec['inputKind'];
  activation?: ModelSpec['activation'];
  tied?: boolean;
  hidden?: number;
  /** Vocabulary (tokens) or feature width (vectors). */
  inputSize?: number;
  outputSize?: number;
  batch?: number;
  steps?: number;
  /** Put -1 (ignored) targets in. */
  ignore?: boolean;
  seed: number;
}

export function makeCase(a: CaseArgs): Case {
  const tokens = a.inputKind === 'tokens';
  const H = a.hidden ?? 8;
  const spec = defaultSpec({
    cell: a.cell,
    layers: a.layers,
    inputKind: a.inputKind,
    inputSize: a.inputSize ?? (tokens ? 11 : 6),
    embedDim: tokens ? H : 0,
    hidden: H,
    outputSize: a.outputSize ?? (tokens ? (a.inputSize ?? 11) : 4),
    task: tokens ? 'lm' : 'classify',
    activation: a.activation ?? 'tanh',
    tied: a.tied ?? false,
  });
  const layout = buildLayout(spec);
  const rng = new Rng(a.seed);
  const u = (lim: number) => (2 * rng.float() - 1) * lim;
  const params = new Float32Array(layout.total);
  for (const s of layout.segments) {
    const fanIn = s.shape.length === 2 ? s.shape[0] : 1;
    const lim =
      s.kind === 'embedding' ? 0.8
      : s.kind === 'bias' ? 0.5
      : s.kind === 'hh' ? 1.2 / Math.sqrt(H)
      : 1.5 / Math.sqrt(fanIn);
    for (let i = 0; i < s.size; i++) params[s.offset + i] = u(lim);
  }
  const B = a.batch ?? 3;
  const T = a.steps ?? 5;
  const x = tokens
    ? Int32Array.from({ length: B * T }, () => rng.int(spec.inputSize))
    : Float32Array.from({ length: B * T * spec.inputSize }, () => rng.normal());
  const y = Int32Array.from({ length: spec.task === 'lm' ? B * T : B }, () => rng.int(spec.outputSize));
  if (a.ignore) {
    y[0] = -1;
    if (y.length > 3) y[y.length - 2] = -1;
  }
  return { name: a.name, spec, layout, params, batch: { x, y, batch: B, steps: T } };
}
