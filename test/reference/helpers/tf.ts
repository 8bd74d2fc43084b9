/**
 * TF.js (pure-JS CPU backend) as the independent reference: the same model built from
 * tf.layers with the SAME weights, its logits, its mean masked cross-entropy and the
 * gradient of that loss w.r.t. every weight, scattered into our flat layout.
 *
 * TF.js choices that matter (docs/methods.md §2):
 *   - LSTM/GRU recurrentActivation defaults to hardSigmoid in TF.js: we set 'sigmoid'.
 *   - LSTM unitForgetBias false (it only changes init; our weights are set anyway).
 *   - GRU is reset_after = false (TF.js has no other), gates z, r, h.
 *   - Tied head: TF.js has no tied Dense, so logits = h·Eᵀ + b is written by hand with
 *     the embedding's own variable, and its gradient gets both contributions.
 *
 * Also here: what a browser would do with an exported model (an IOHandler built from
 * model.json + the weight files, fetched independently of src/model/tfjs.ts) and the
 * reverse (a TF.js model saved to model.json + weights.bin by a custom save handler).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../../src/model/spec.js';
import type { Layout } from '../../../src/model/layout.js';
import type { Batch } from './ref64.js';

let ready: Promise<void> | undefined;

/** CPU backend, and the one-time "install tfjs-node" hint swallowed (it is harmless). */
export function initTf(): Promise<void> {
  ready ??= (async () => {
    await tf.setBackend('cpu');
    const warn = console.warn;
    console.warn = (...a: unknown[]) => {
      if (!String(a[0]).includes('running TensorFlow.js in Node.js')) warn(...a);
    };
    try {
      tf.tensor([0]).dispose(); // first write on the backend prints the hint
    } finally {
      console.warn = warn;
    }
  })();
  return ready;
}

export { tf };

/** Our segment name of each weight a layer owns, in the layer's weight order. */
interface Built {
  model: tf.Sequential;
  /** [TF.js variable, our segment name]; the tied head bias is a free variable. */
  vars: Array<[tf.Variable, string]>;
  /** Tied: the head bias variable (the head is hand-written). */
  headBias?: tf.Variable;
  embedding?: tf.Variable;
}

const segView = (spec: ModelSpec, layout: Layout, params: Float32Array, name: string): tf.Tensor => {
  const s = layout.byName.get(name);
  if (!s) throw new Error(`layout has no segment ${name} (${spec.cell})`);
  return tf.tensor(params.slice(s.offset, s.offset + s.size), s.shape, 'float32');
};

const ZEROS = 'zeros' as const;

/**
 * tf.sequential: [Embedding] → recurrent × L → [Dense] (Dense omitted when tied).
 * The last recurrent layer returns sequences for lm, the last step for classify.
 */
export function buildTfModel(spec: ModelSpec, layout: Layout, params: Float32Array, steps: number): Built {
  const model = tf.sequential();
  const named: Array<[tf.layers.Layer, string[]]> = [];
  if (spec.inputKind === 'tokens') {
    const emb = tf.layers.embedding({
      inputDim: spec.inputSize, outputDim: spec.embedDim, batchInputShape: [null, steps], embeddingsInitializer: ZEROS,
    });
    model.add(emb);
    named.push([emb, ['embedding']]);
  }
  for (let l = 0; l < spec.layers; l++) {
    const common = {
      units: spec.hidden,
      // Weights are overwritten below; TF.js's Orthogonal init (a QR) would cost seconds at H 64.
      kernelInitializer: ZEROS, recurrentInitializer: ZEROS, biasInitializer: ZEROS,
      returnSequences: spec.task === 'lm' || l < spec.layers - 1,
      ...(l === 0 && spec.inputKind === 'vectors' ? { batchInputShape: [null, steps, spec.inputSize] } : {}),
    };
    const layer =
      spec.cell === 'rnn' ? tf.layers.simpleRNN({ ...common, activation: spec.activation })
      : spec.cell === 'lstm' ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: false })
      : tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
    model.add(layer);
    named.push([layer, [`rnn.${l}.ih`, `rnn.${l}.hh`, `rnn.${l}.bias`]]);
  }
  if (!spec.tied) {
    const dense = tf.layers.dense({ units: spec.outputSize, kernelInitializer: ZEROS });
    model.add(dense);
    named.push([dense, ['head', 'head.bias']]);
  }
  const vars: Array<[tf.Variable, string]> = [];
  for (const [layer, names] of named) {
    if (layer.weights.length !== names.length) throw new Error(`${layer.name}: ${layer.weights.length} weights, expected ${names.length}`);
    layer.setWeights(names.map((n) => segView(spec, layout, params, n)));
    // LayerVariable.read() is the tf.Variable itself: what variableGrads differentiates.
    layer.weights.forEach((w, i) => vars.push([w.read() as tf.Variable, names[i]]));
  }
  const built: Built = { model, vars };
  if (spec.tied) {
    built.embedding = vars.find(([, n]) => n === 'embedding')![0];
    built.headBias = tf.variable(segView(spec, layout, params, 'head.bias'));
    vars.push([built.headBias, 'head.bias']);
  }
  return built;
}

function inputTensor(spec: ModelSpec, d: Batch): tf.Tensor {
  return spec.inputKind === 'tokens'
    ? tf.tensor2d(d.x as Int32Array, [d.batch, d.steps], 'int32')
    : tf.tensor3d(d.x as Float32Array, [d.batch, d.steps, spec.inputSize]);
}

/** Logits: lm [B, T, O], classify [B, O]. */
function logitsOf(spec: ModelSpec, b: Built, x: tf.Tensor): tf.Tensor {
  const out = b.model.apply(x, { training: true }) as tf.Tensor;
  if (!spec.tied) return out;
  // h·Eᵀ + b with the embedding's own variable: the tied gradient has both terms.
  const [B, T, H] = out.shape;
  const flat = tf.add(tf.matMul(tf.reshape(out, [B * T, H!]), b.embedding!, false, true), b.headBias!);
  return tf.reshape(flat, [B, T!, spec.outputSize]);
}

/** Mean softmax cross-entropy over targets != -1; logits [N, O], labels [N]. */
export function maskedMeanCE(logits2d: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const O = logits2d.shape[1];
  const mask = tf.tensor1d(Array.from(labels, (v) => (v === -1 ? 0 : 1)));
  const count = Math.max(1, labels.reduce((n, v) => n + (v === -1 ? 0 : 1), 0));
  const onehot = tf.oneHot(tf.tensor1d(Array.from(labels, (v) => Math.max(v, 0)), 'int32'), O);
  const lse = tf.logSumExp(logits2d, 1);
  const picked = tf.sum(tf.mul(logits2d, onehot), 1);
  return tf.div(tf.sum(tf.mul(tf.sub(lse, picked), mask)), count) as tf.Scalar;
}

export interface TfResult {
  logits: Float32Array;
  loss: number;
  /** [layout.total]: d(mean loss)/dθ in our layout, 0 in padding. */
  grads: Float32Array;
}

export function tfLossAndGrads(spec: ModelSpec, layout: Layout, params: Float32Array, d: Batch): TfResult {
  const built = buildTfModel(spec, layout, params, d.steps);
  try {
    return tf.tidy(() => {
      const x = inputTensor(spec, d);
      const lossOf = () => {
        const lg = logitsOf(spec, built, x);
        return maskedMeanCE(tf.reshape(lg, [-1, spec.outputSize]) as tf.Tensor2D, d.y);
      };
      const logits = logitsOf(spec, built, x).dataSync() as Float32Array;
      const { value, grads } = tf.variableGrads(lossOf, built.vars.map(([v]) => v));
      const out = new Float32Array(layout.total);
      for (const [v, name] of built.vars) {
        const s = layout.byName.get(name)!;
        const g = grads[v.name];
        if (!g) throw new Error(`TF.js gave no gradient for ${name}`);
        out.set(g.dataSync() as Float32Array, s.offset);
      }
      return { logits: Float32Array.from(logits), loss: value.dataSync()[0], grads: out };
    });
  } finally {
    built.model.dispose();
    built.headBias?.dispose();
  }
}

/** Predict with a TF.js LayersModel (inference), as a flat Float32Array. */
export function tfPredict(model: tf.LayersModel, spec: Pick<ModelSpec, 'inputKind' | 'inputSize'>, d: Batch): Float32Array {
  return tf.tidy(() => {
    const x = spec.inputKind === 'tokens'
      ? tf.tensor2d(d.x as Int32Array, [d.batch, d.steps], 'int32')
      : tf.tensor3d(d.x as Float32Array, [d.batch, d.steps, spec.inputSize]);
    return Float32Array.from((model.predict(x) as tf.Tensor).dataSync() as Float32Array);
  });
}

/**
 * What a browser does with an exported directory: fetch model.json, then every path of
 * the weights manifest, concatenated in manifest order. Independent of our importer.
 */
export function dirHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const parts: Buffer[] = [];
      for (const group of json.weightsManifest as tf.io.WeightsManifestConfig) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(parts);
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

/** Saves a TF.js model as model.json + weights.bin, exactly like tfjs-node's file:// handler. */
export async function saveToDir(model: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save({
    save: async (a: tf.io.ModelArtifacts) => {
      const data = a.weightData!;
      const bytes = Array.isArray(data) ? Buffer.concat(data.map((d) => Buffer.from(d))) : Buffer.from(data);
      fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
        modelTopology: a.modelTopology,
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
}
