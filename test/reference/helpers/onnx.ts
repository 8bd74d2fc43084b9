/**
 * ONNX test helpers: ONNX Runtime (npm onnxruntime-node, a devDependency: CPU binaries
 * bundled in the package), the PyTorch fixtures of scripts/onnx-fixtures.py, and the
 * mapping from PyTorch's parameter names and gate orders to our flat layout — written
 * here from PyTorch's documentation (nn.RNN/LSTM/GRU: weight_ih_l{k} [G·H, in], LSTM
 * gates i f g o, GRU r z n), independently of src/model/onnx.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import type { ModelSpec } from '../../../src/model/spec.js';
import type { Layout } from '../../../src/model/layout.js';
import type { Batch } from './ref64.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null = null;
let ortWhy = '';

/** ONNX Runtime, or null with the reason (printed by the tests that skip). */
export async function loadOrt(): Promise<{ ort: Ort | null; why: string }> {
  if (!ort && !ortWhy) {
    try {
      ort = (await import('onnxruntime-node')).default as unknown as Ort;
      if (!ort?.InferenceSession) ort = (await import('onnxruntime-node')) as unknown as Ort;
    } catch (e) {
      ortWhy = `onnxruntime-node does not load here (${(e as Error).message.split('\n')[0]}); run npm ci`;
    }
  }
  return { ort, why: ortWhy };
}

/** Runs an ONNX model (bytes) on our batch layout; returns the first output's data. */
export async function ortRun(o: Ort, bytes: Uint8Array, spec: Pick<ModelSpec, 'inputKind' | 'inputSize'>, d: Batch, timeMajor = false): Promise<Float32Array> {
  const s = await o.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const { batch: B, steps: T } = d;
  let x: InstanceType<Ort['Tensor']>;
  if (spec.inputKind === 'tokens') {
    const ids = BigInt64Array.from(Array.from(d.x as Int32Array, (v) => BigInt(v)));
    x = new o.Tensor('int64', ids, [B, T]);
  } else if (timeMajor) {
    const D = spec.inputSize;
    const t = new Float32Array(B * T * D);
    for (let b = 0; b < B; b++) for (let s2 = 0; s2 < T; s2++) for (let k = 0; k < D; k++) t[(s2 * B + b) * D + k] = (d.x as Float32Array)[(b * T + s2) * D + k];
    x = new o.Tensor('float32', t, [T, B, D]);
  } else {
    x = new o.Tensor('float32', d.x as Float32Array, [B, T, spec.inputSize]);
  }
  const out = await s.run({ [s.inputNames[0]]: x });
  const y = out[s.outputNames[0]];
  await s.release?.();
  return y.data as Float32Array;
}

export interface TorchTensor { shape: number[]; data: number[] }
export interface TorchFixture {
  name: string;
  onnx: string;
  x: TorchTensor;
  y: TorchTensor;
  logits: TorchTensor;
  loss: number;
  params: Record<string, TorchTensor>;
  grads: Record<string, TorchTensor>;
}

export const FIXTURES = path.join(ROOT, 'test/fixtures/onnx');

export function torchFixture(name: string): TorchFixture {
  const j = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  return { name, onnx: path.join(FIXTURES, `${name}.onnx`), ...j };
}

export function fixtureBatch(f: TorchFixture, spec: ModelSpec): Batch {
  const [B, T] = f.x.shape;
  return {
    x: spec.inputKind === 'tokens' ? Int32Array.from(f.x.data) : Float32Array.from(f.x.data),
    y: Int32Array.from(f.y.data),
    batch: B,
    steps: T,
  };
}

/** Our gate k (Keras order) is PyTorch gate TORCH_GATE[cell][k]. */
const TORCH_GATE: Record<string, number[]> = { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] };

/**
 * PyTorch tensors (parameters or their gradients) → our flat layout. Biases: one
 * summed bias takes b_ih (+ b_hh for parameters; for gradients d/db_ih = d/db_hh = the
 * gradient of the sum, so `sumBiases` false); the reset-after GRU keeps [b_ih ; b_hh].
 */
export function torchToFlat(t: Record<string, TorchTensor>, spec: ModelSpec, layout: Layout, sumBiases: boolean): Float32Array {
  const out = new Float32Array(layout.total);
  const H = spec.hidden;
  const perm = TORCH_GATE[spec.cell];
  const G = perm.length;
  const seg = (n: string) => layout.byName.get(n)!;
  if (spec.inputKind === 'tokens') out.set(t['embedding.weight'].data, seg('embedding').offset);
  const kernel = (src: TorchTensor, dst: string) => {
    const s = seg(dst);
    const rows = s.shape[0];
    for (let k = 0; k < G; k++) for (let j = 0; j < H; j++) for (let r = 0; r < rows; r++) {
      out[s.offset + r * G * H + k * H + j] = src.data[(perm[k] * H + j) * rows + r];
    }
  };
  const vec = (src: TorchTensor, k: number, j: number) => src.data[perm[k] * H + j];
  for (let l = 0; l < spec.layers; l++) {
    kernel(t[`rnn.weight_ih_l${l}`], `rnn.${l}.ih`);
    kernel(t[`rnn.weight_hh_l${l}`], `rnn.${l}.hh`);
    const b = seg(`rnn.${l}.bias`);
    const bi = t[`rnn.bias_ih_l${l}`];
    const bh = t[`rnn.bias_hh_l${l}`];
    const two = b.size === 2 * G * H;
    for (let k = 0; k < G; k++) for (let j = 0; j < H; j++) {
      if (two) {
        out[b.offset + k * H + j] = vec(bi, k, j);
        out[b.offset + G * H + k * H + j] = vec(bh, k, j);
      } else {
        out[b.offset + k * H + j] = sumBiases ? Math.fround(vec(bi, k, j) + vec(bh, k, j)) : vec(bi, k, j);
      }
    }
  }
  const O = spec.outputSize;
  const hw = t['head.weight'];
  const h = seg('head');
  for (let o = 0; o < O; o++) for (let k = 0; k < H; k++) out[h.offset + k * O + o] = hw.data[o * H + k];
  out.set(t['head.bias'].data, seg('head.bias').offset);
  return out;
}
