/**
 * TensorFlow.js Layers models in and out: a folder with model.json (a Sequential
 * topology + weights manifest) and weights.bin (float32, little endian, the weights
 * back to back in manifest order) — what `tf.loadLayersModel(url)` fetches in a
 * browser. Our flat layout already uses TF.js shapes and gate orders
 * (docs/methods.md §2: kernel [in, G·H], recurrent kernel [H, G·H], LSTM i f c o,
 * GRU z r h; reset_after = false, or true for Keras GRUs, whose [2, 3H] bias is our
 * reset-after layout), so each weight is a plain copy.
 *
 * Model:  [Embedding | InputLayer [T, D]] → SimpleRNN | LSTM | GRU × L → Dense
 *   recurrent_activation 'sigmoid' (TF.js defaults to hard_sigmoid: refused on import)
 *   a tied head is exported as a plain Dense whose kernel is embeddingᵀ
 *   our spec rides along in userDefinedMetadata['sparse-rnn'] so import is lossless.
 *
 * No dependency on @tensorflow/tfjs: the JSON is written and read by hand.
 * See docs/tfjs.md for the rules and what is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fail, SparseRnnError } from '../errors.js';
import { GATES, validateSpec, type CellType, type ModelSpec } from './spec.js';
import { buildLayout, type Layout } from './layout.js';
import { writeFilesAtomic, readFileLimited, MAX_BINARY_BYTES, ioReason } from '../util/fs.js';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';
/** Key of our block in model.json's userDefinedMetadata. */
export const TFJS_META_KEY = 'sparse-rnn';
export const TFJS_META_VERSION = 1;

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** Present for quantized weights (refused on import). */
  quantization?: unknown;
  /** 'optimizer' for optimizer state saved by TF.js (skipped on import). */
  group?: string;
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/** The parts of a model.json that we write and read. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: KerasLayer[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: Array<{ paths: string[]; weights: TfjsWeightSpec[] }>;
  userDefinedMetadata?: Record<string, unknown>;
}

/** What model.json's userDefinedMetadata['sparse-rnn'] holds. */
export interface TfjsMeta {
  version: number;
  spec: ModelSpec;
  /** sha256 (hex) of weights.bin: catches a model.json paired with another export's weights. */
  weightsSha256: string;
}

export interface TfjsModel {
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
}

const CLASS: Record<CellType, string> = { rnn: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' };
const KERAS_NAME: Record<CellType, string> = { rnn: 'simple_rnn', lstm: 'lstm', gru: 'gru' };
const G_OF: Record<string, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

// ───────────────────────────── export ─────────────────────────────

function checkModel(spec: ModelSpec, layout: Layout, params: Float32Array): void {
  validateSpec(spec);
  if (spec.resetAfter && spec.cell === 'gru') {
    fail('BAD_CONFIG', 'tfjs export: TF.js has no reset-after GRU (its GRUCell rejects reset_after)', 'export it as a sparse model (--format sparse), or train the default GRU');
  }
  const want = buildLayout(spec);
  const same = want.total === layout.total && want.segments.length === layout.segments.length &&
    want.segments.every((s, i) => s.name === layout.segments[i].name && s.offset === layout.segments[i].offset && s.size === layout.segments[i].size);
  if (!same) fail('BAD_CONFIG', 'tfjs export: the layout does not match the spec', 'build it with buildLayout(spec)');
  if (params.length !== layout.total) {
    fail('BAD_CONFIG', `tfjs export: params has ${params.length} floats, the layout needs ${layout.total}`, 'export from a checkpoint of this model');
  }
}

/** Keras initializer config of a kernel (ih, head) or of the recurrent kernel (hh). */
function initializer(kind: 'kernel' | 'recurrent_kernel', spec: ModelSpec): Record<string, unknown> {
  if (kind === 'recurrent_kernel' && spec.recurrentInit === 'orthogonal') return { class_name: 'Orthogonal', config: { gain: 1, seed: null } };
  if (spec.init === 'glorot') return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };
  const lim = 1 / Math.sqrt(spec.hidden);
  return { class_name: 'RandomUniform', config: { minval: -lim, maxval: lim, seed: null } };
}

/**
 * model.json (as an object) and the bytes of weights.bin. Pure: no files, usable to
 * serve a model from memory (e.g. with tf.io.fromMemory).
 */
export function toTfjsArtifacts(spec: ModelSpec, layout: Layout, params: Float32Array): { modelJson: TfjsModelJson; weightData: Uint8Array } {
  checkModel(spec, layout, params);
  const H = spec.hidden;
  const layers: KerasLayer[] = [];
  const weights: TfjsWeightSpec[] = [];
  const chunks: Float32Array[] = [];
  const seg = (name: string) => {
    const s = layout.byName.get(name)!;
    return params.subarray(s.offset, s.offset + s.size);
  };
  const put = (name: string, shape: number[], data: Float32Array) => {
    weights.push({ name, shape, dtype: 'float32' });
    chunks.push(data);
  };
  if (spec.inputKind === 'tokens') {
    layers.push({
      class_name: 'Embedding',
      config: {
        name: 'embedding', trainable: true, batch_input_shape: [null, null], dtype: 'float32',
        input_dim: spec.inputSize, output_dim: spec.embedDim, input_length: null, mask_zero: false,
        embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
        embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null,
      },
    });
    put('embedding/embeddings', [spec.inputSize, spec.embedDim], seg('embedding'));
  }
  for (let l = 0; l < spec.layers; l++) {
    const name = l === 0 ? KERAS_NAME[spec.cell] : `${KERAS_NAME[spec.cell]}_${l}`;
    const config: Record<string, unknown> = {
      name, trainable: true,
      ...(l === 0 && spec.inputKind === 'vectors' ? { batch_input_shape: [null, null, spec.inputSize], dtype: 'float32' } : {}),
      units: H,
      activation: spec.cell === 'rnn' ? spec.activation : 'tanh',
      ...(spec.cell === 'rnn' ? {} : { recurrent_activation: 'sigmoid' }),
      use_bias: true,
      kernel_initializer: initializer('kernel', spec),
      recurrent_initializer: initializer('recurrent_kernel', spec),
      bias_initializer: { class_name: 'Zeros', config: {} },
      ...(spec.cell === 'lstm' ? { unit_forget_bias: spec.forgetBias === 1 } : {}),
      kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
      kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
      dropout: 0, recurrent_dropout: 0,
      ...(spec.cell === 'rnn' ? {} : { implementation: null }),
      ...(spec.cell === 'gru' ? { reset_after: false } : {}),
      return_sequences: spec.task === 'lm' || l < spec.layers - 1,
      return_state: false, go_backwards: false, stateful: false, unroll: false,
    };
    layers.push({ class_name: CLASS[spec.cell], config });
    const s = layout.byName.get(`rnn.${l}.ih`)!;
    put(`${name}/kernel`, s.shape, seg(`rnn.${l}.ih`));
    put(`${name}/recurrent_kernel`, [H, GATES[spec.cell] * H], seg(`rnn.${l}.hh`));
    put(`${name}/bias`, [GATES[spec.cell] * H], seg(`rnn.${l}.bias`));
  }
  layers.push({
    class_name: 'Dense',
    config: {
      name: 'dense', trainable: true, units: spec.outputSize, activation: 'linear', use_bias: true,
      kernel_initializer: initializer('kernel', spec), bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
  });
  let head: Float32Array;
  if (spec.tied) {
    // TF.js has no tied Dense: the head becomes a plain Dense with kernel = embeddingᵀ, [H, V].
    const emb = seg('embedding');
    const V = spec.inputSize;
    head = new Float32Array(H * V);
    for (let v = 0; v < V; v++) for (let k = 0; k < H; k++) head[k * V + v] = emb[v * H + k];
  } else {
    head = seg('head');
  }
  put('dense/kernel', [H, spec.outputSize], head);
  put('dense/bias', [spec.outputSize], seg('head.bias'));

  const bytes = chunks.reduce((n, c) => n + c.length * 4, 0);
  const weightData = new Uint8Array(bytes);
  const dv = new DataView(weightData.buffer);
  let at = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++, at += 4) dv.setFloat32(at, c[i], true);
  const meta: TfjsMeta = { version: TFJS_META_VERSION, spec: { ...spec }, weightsSha256: sha256(weightData) };
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'sparse-rnn',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sequential', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights }],
    userDefinedMetadata: { [TFJS_META_KEY]: meta },
  };
  return { modelJson, weightData };
}

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/**
 * Writes `dir/model.json` and `dir/weights.bin` (the folder is created). Each file is
 * written to a temp name and renamed; weights.bin goes first, so a failure never
 * leaves a new model.json without its weights. Returns the two paths and their sizes.
 */
export function exportTfjs(spec: ModelSpec, layout: Layout, params: Float32Array, dir: string): { modelJson: string; weightsBin: string; bytes: number } {
  const { modelJson, weightData } = toTfjsArtifacts(spec, layout, params);
  const json = JSON.stringify(modelJson);
  const modelPath = path.join(dir, TFJS_MODEL_FILE);
  const weightsPath = path.join(dir, TFJS_WEIGHTS_FILE);
  // Both files or neither (an IO error names the file): an old model.json never meets new weights.
  writeFilesAtomic([{ file: weightsPath, data: weightData }, { file: modelPath, data: json }]);
  return { modelJson: modelPath, weightsBin: weightsPath, bytes: weightData.length + Buffer.byteLength(json) };
}

// ───────────────────────────── import ─────────────────────────────

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const shapeStr = (s: readonly unknown[]) => `[${s.join(', ')}]`;

/** A readable model: its layers, in order, validated one rule at a time. */
interface Parsed {
  embedding?: { name: string; V: number; E: number };
  /** Declared input width of vector models (InputLayer / batch_input_shape), if any. */
  declaredD?: number;
  cell: CellType;
  activation: 'tanh' | 'relu';
  rnn: Array<{ name: string; units: number; useBias: boolean; returnSequences: boolean; unitForgetBias?: boolean }>;
  /** Keras GRU(reset_after=True) (Keras 2's default; TF.js cannot run it, its converter writes it). */
  resetAfter: boolean;
  dense: { name: string; units: number; useBias: boolean };
}

/** Keras / TF.js spellings of a config key (TF.js writes snake_case; accept camelCase too). */
function get(c: Obj, snake: string): unknown {
  if (snake in c) return c[snake];
  const camel = snake.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
  return c[camel];
}

/** An activation's name, whether serialized as a string or as {class_name, config}. */
function actName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v.class_name === 'string') return v.class_name;
  return undefined;
}
const norm = (a: string | undefined) => (a ?? '').replace(/[_\s]/g, '').toLowerCase();

function inputShapeOf(c: Obj): unknown[] | undefined {
  const s = get(c, 'batch_input_shape') ?? get(c, 'batch_shape');
  if (Array.isArray(s)) return s;
  const i = get(c, 'input_shape');
  return Array.isArray(i) ? [null, ...i] : undefined;
}

function parseTopology(json: Obj, where: string): Parsed {
  const bad = (msg: string, hint?: string): never => fail('BAD_FILE', `${where}: ${msg}`, hint);
  let topo = json.modelTopology;
  if (isObj(topo) && isObj(topo.model_config)) topo = topo.model_config; // Python Keras converter wraps it
  if (!isObj(topo)) bad('has no modelTopology object', 'is this a TF.js Layers model (format "layers-model")?');
  const t = topo as Obj;
  if (t.class_name !== 'Sequential') {
    bad(`model class ${JSON.stringify(t.class_name)} is not supported: only Sequential models can be imported`, 'rebuild it with tf.sequential()');
  }
  const cfg = t.config;
  const layers = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : bad('modelTopology.config has no layers list');
  const SHAPE_RULE = 'expected [InputLayer | Embedding] → SimpleRNN | LSTM | GRU (1 to 4, one kind) → Dense';

  let embedding: Parsed['embedding'];
  let declaredD: number | undefined;
  let cell: CellType | undefined;
  let activation: 'tanh' | 'relu' = 'tanh';
  let resetAfter = false;
  const rnn: Parsed['rnn'] = [];
  let dense: Parsed['dense'] | undefined;

  (layers as unknown[]).forEach((raw, i) => {
    if (!isObj(raw) || typeof raw.class_name !== 'string' || !isObj(raw.config)) bad(`layer ${i} is not a {class_name, config} object`);
    const L = raw as { class_name: string; config: Obj };
    const c = L.config;
    const name = typeof c.name === 'string' ? c.name : `#${i}`;
    const at = `layer '${name}' (${L.class_name})`;
    const rule = (msg: string, hint?: string): never => bad(`${at}: ${msg}`, hint);
    if (dense) rule(`comes after the Dense head; ${SHAPE_RULE}`);
    const shape = inputShapeOf(c);
    switch (L.class_name) {
      case 'InputLayer': {
        if (i !== 0) rule(`must be the first layer; ${SHAPE_RULE}`);
        // [batch, T, D] for vectors; [batch, T] for tokens (read from the Embedding).
        if (shape && shape.length === 3 && typeof shape[2] === 'number') declaredD = shape[2];
        else if (shape && shape.length !== 2) rule(`input shape ${shapeStr(shape)} must be [batch, T, D] or [batch, T]`);
        return;
      }
      case 'Dropout':
        return; // identity at inference; our dropout setting comes from the metadata (docs/tfjs.md)
      case 'Embedding': {
        if (embedding || rnn.length) rule(`must come first (after an optional InputLayer); ${SHAPE_RULE}`);
        if (get(c, 'mask_zero') === true) rule('mask_zero must be false (masking changes the recurrence; our engine ignores padding by target -1 instead)');
        const V = get(c, 'input_dim');
        const E = get(c, 'output_dim');
        if (typeof V !== 'number' || typeof E !== 'number') rule('needs numeric input_dim and output_dim');
        embedding = { name, V: V as number, E: E as number };
        return;
      }
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU': {
        const kind: CellType = L.class_name === 'SimpleRNN' ? 'rnn' : L.class_name === 'LSTM' ? 'lstm' : 'gru';
        if (cell && cell !== kind) rule(`mixes cell kinds (${CLASS[cell]} then ${L.class_name}); our model has one cell type for all layers`);
        cell = kind;
        if (rnn.length && !rnn[rnn.length - 1].returnSequences) rule('follows a recurrent layer with return_sequences false');
        if (!embedding && rnn.length === 0 && shape && shape.length === 3 && typeof shape[2] === 'number') declaredD = shape[2];
        const units = get(c, 'units');
        if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) rule('needs an integer units >= 1');
        if (rnn.length && units !== rnn[0].units) {
          rule(`has ${units} units, the first recurrent layer ${rnn[0].units}; our model uses one hidden size for all layers`);
        }
        const act = norm(actName(get(c, 'activation')) ?? 'tanh');
        if (kind === 'rnn') {
          if (act !== 'tanh' && act !== 'relu') rule(`activation must be tanh or relu (got ${actName(get(c, 'activation'))})`);
          activation = act as 'tanh' | 'relu';
        } else if (act !== 'tanh') {
          rule(`activation must be tanh (got ${actName(get(c, 'activation'))})`);
        }
        if (kind !== 'rnn') {
          const ra = actName(get(c, 'recurrent_activation')) ?? 'hard_sigmoid'; // the TF.js default when absent
          if (norm(ra) === 'hardsigmoid') {
            rule('recurrent_activation must be sigmoid (got hard_sigmoid, the TF.js default)',
              "our engine computes the exact sigmoid; rebuild the layer with recurrentActivation: 'sigmoid' and fine-tune it");
          }
          if (norm(ra) !== 'sigmoid') rule(`recurrent_activation must be sigmoid (got ${ra})`);
        }
        // reset_after: our engine has both GRU variants (ModelSpec.resetAfter); one for all layers.
        const ra = kind === 'gru' && get(c, 'reset_after') === true;
        if (rnn.length && ra !== resetAfter) rule(`has reset_after ${ra}, the first GRU layer ${resetAfter}; our model uses one GRU variant for all layers`);
        resetAfter = ra;
        if (get(c, 'go_backwards') === true) rule('go_backwards must be false (our engine runs forward in time)');
        if (get(c, 'return_state') === true) rule('return_state must be false');
        if (get(c, 'time_major') === true) rule('time_major must be false');
        const useBias = get(c, 'use_bias') !== false;
        const rs = get(c, 'return_sequences') === true;
        const ufb = get(c, 'unit_forget_bias');
        rnn.push({ name, units: units as number, useBias, returnSequences: rs, ...(typeof ufb === 'boolean' ? { unitForgetBias: ufb } : {}) });
        return;
      }
      case 'Dense': {
        if (!rnn.length) rule(`must follow the recurrent layers; ${SHAPE_RULE}`);
        const act = norm(actName(get(c, 'activation')) ?? 'linear');
        if (act !== 'linear' && act !== 'softmax') {
          rule(`activation must be linear or softmax (got ${actName(get(c, 'activation'))}); our head outputs logits for a softmax`);
        }
        const units = get(c, 'units');
        if (typeof units !== 'number' || !Number.isInteger(units)) rule('needs an integer units');
        dense = { name, units: units as number, useBias: get(c, 'use_bias') !== false };
        return;
      }
      case 'Bidirectional':
        return rule('is not supported: our engine runs one direction', 'export a unidirectional model');
      default:
        return rule(`is not supported; ${SHAPE_RULE}`);
    }
  });
  if (!cell) bad(`has no recurrent layer; ${SHAPE_RULE}`);
  if (!dense) bad(`has no Dense head after the recurrent layers; ${SHAPE_RULE}`);
  return { embedding, declaredD, cell: cell!, activation, rnn, dense: dense!, resetAfter };
}

/** Our metadata block, if present and readable; a bad one is refused (it would be lossy to guess). */
function readMeta(json: Obj, where: string): TfjsMeta | undefined {
  const udm = json.userDefinedMetadata;
  if (!isObj(udm) || !(TFJS_META_KEY in udm)) return undefined;
  const m = udm[TFJS_META_KEY];
  if (!isObj(m) || typeof m.version !== 'number' || !isObj(m.spec)) {
    fail('BAD_FILE', `${where}: userDefinedMetadata['${TFJS_META_KEY}'] is malformed`, 'delete that block to import from the topology alone');
  }
  const meta = m as unknown as TfjsMeta;
  if (meta.version !== TFJS_META_VERSION) {
    fail('BAD_FILE', `${where}: userDefinedMetadata['${TFJS_META_KEY}'] has version ${meta.version}, this build reads ${TFJS_META_VERSION}`,
      'upgrade sparse-rnn, or delete that block to import from the topology alone');
  }
  return meta;
}

/**
 * Our model from a parsed model.json and the concatenated bytes of its weight files
 * (manifest order). Pure; `where` names the source in error messages.
 */
export function fromTfjsArtifacts(json: unknown, weightData: Uint8Array, where = TFJS_MODEL_FILE): TfjsModel {
  const bad = (msg: string, hint?: string): never => fail('BAD_FILE', `${where}: ${msg}`, hint);
  if (!isObj(json)) bad('is not a JSON object');
  const j = json as Obj;
  if (j.format !== undefined && j.format !== 'layers-model') {
    bad(`format is ${JSON.stringify(j.format)}, expected "layers-model"`, 'graph models (tf.loadGraphModel) carry no layers to import');
  }
  const p = parseTopology(j, where);
  const meta = readMeta(j, where);

  // Weights: where each lies in weightData, by manifest order.
  const manifest = j.weightsManifest;
  if (!Array.isArray(manifest)) bad('has no weightsManifest list');
  const entries: Array<TfjsWeightSpec & { byteOffset: number; used: boolean }> = [];
  let need = 0;
  for (const group of manifest as unknown[]) {
    if (!isObj(group) || !Array.isArray(group.weights)) bad('weightsManifest entries need a weights list');
    for (const w of (group as Obj).weights as unknown[]) {
      if (!isObj(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        bad('a weightsManifest entry needs a name and an integer shape');
      }
      const ws = w as unknown as TfjsWeightSpec;
      if (ws.quantization !== undefined) bad(`weight '${ws.name}' is quantized; only float32 weights can be imported`, 'export from TF.js without quantization');
      if (ws.dtype !== 'float32') bad(`weight '${ws.name}' has dtype ${ws.dtype}; only float32 weights can be imported`);
      entries.push({ ...ws, byteOffset: need, used: ws.group === 'optimizer' });
      need += ws.shape.reduce((a, b) => a * b, 1) * 4;
    }
  }
  if (weightData.length < need) {
    bad(`weights are truncated: the manifest needs ${need} bytes, the weight files hold ${weightData.length}`, 'copy the whole weights file again or re-export');
  }
  if (weightData.length > need) {
    bad(`weights have ${weightData.length - need} bytes more than the manifest describes (${need})`, 'model.json and its weights come from different models');
  }
  if (meta && typeof meta.weightsSha256 === 'string' && meta.weightsSha256 !== sha256(weightData)) {
    bad('the weights do not match this model.json (checksum differs): they come from two different exports', 're-export the model');
  }

  /** The weight `suffix` of layer `layer` (names like 'lstm/kernel' or 'lstm/lstm_cell/kernel'). */
  const take = (layer: string, cls: string, suffix: string, shape: number[], optional = false): Float32Array | null => {
    const hits = entries.filter((e) => {
      const parts = e.name.replace(/:\d+$/, '').split('/');
      return !e.used && parts[parts.length - 1] === suffix && parts.slice(0, -1).includes(layer);
    });
    if (hits.length === 0) {
      if (optional) return null;
      bad(`layer '${layer}' (${cls}): weight '${suffix}' ${shapeStr(shape)} is missing from the weights manifest`);
    }
    if (hits.length > 1) bad(`layer '${layer}' (${cls}): ${hits.length} weights match '${suffix}' (${hits.map((h) => h.name).join(', ')})`);
    const e = hits[0];
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      bad(`layer '${layer}' (${cls}): ${suffix} has shape ${shapeStr(e.shape)}, expected ${shapeStr(shape)}`);
    }
    e.used = true;
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    const dv = new DataView(weightData.buffer, weightData.byteOffset + e.byteOffset, n * 4);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  };

  const H = p.rnn[0].units;
  const G = G_OF[CLASS[p.cell]];
  const cls = CLASS[p.cell];
  const emb = p.embedding ? take(p.embedding.name, 'Embedding', 'embeddings', [p.embedding.V, p.embedding.E])! : null;
  // The first kernel's rows are the input width; a declared width must agree.
  const k0 = entries.find((e) => !e.used && e.name.replace(/:\d+$/, '').split('/').slice(0, -1).includes(p.rnn[0].name) && /(^|\/)kernel(:\d+)?$/.test(e.name));
  const inDim = p.embedding ? p.embedding.E : p.declaredD ?? k0?.shape[0];
  if (inDim === undefined) bad(`layer '${p.rnn[0].name}' (${cls}): cannot tell the input width (no input shape and no kernel)`);
  if (!p.embedding && p.declaredD !== undefined && k0 && k0.shape[0] !== p.declaredD) {
    bad(`layer '${p.rnn[0].name}' (${cls}): kernel has ${k0.shape[0]} rows, the declared input width is ${p.declaredD}`);
  }
  const rnnW = p.rnn.map((r, l) => ({
    ih: take(r.name, cls, 'kernel', [l === 0 ? inDim! : H, G * H])!,
    hh: take(r.name, cls, 'recurrent_kernel', [H, G * H])!,
    // use_bias false: imported as a zero bias (exact; the bias may then train away from 0).
    // Keras's reset-after GRU keeps [input bias; recurrent bias] as [2, 3H]: our layout too.
    bias: r.useBias ? take(r.name, cls, 'bias', p.resetAfter ? [2, G * H] : [G * H])! : new Float32Array((p.resetAfter ? 2 : 1) * G * H),
  }));
  const O = p.dense.units;
  const headK = take(p.dense.name, 'Dense', 'kernel', [H, O])!;
  const headB = p.dense.useBias ? take(p.dense.name, 'Dense', 'bias', [O])! : new Float32Array(O);
  const unused = entries.filter((e) => !e.used);
  if (unused.length) bad(`weight '${unused[0].name}' belongs to no imported layer${unused.length > 1 ? ` (and ${unused.length - 1} more)` : ''}`);

  // Tied only when our metadata says so AND the Dense kernel still is embeddingᵀ exactly
  // (fine-tuned in TF.js, the two drift apart: then the weights win and it imports untied).
  let tied = false;
  if (meta?.spec.tied && emb && p.embedding && p.embedding.E === H && p.embedding.V === O) {
    tied = true;
    for (let v = 0; v < O && tied; v++) for (let k = 0; k < H; k++) if (headK[k * O + v] !== emb[v * H + k]) { tied = false; break; }
  }
  const ms = meta?.spec;
  const lastRs = p.rnn[p.rnn.length - 1].returnSequences;
  const spec: ModelSpec = {
    cell: p.cell,
    inputKind: p.embedding ? 'tokens' : 'vectors',
    inputSize: p.embedding ? p.embedding.V : inDim!,
    embedDim: p.embedding ? p.embedding.E : 0,
    hidden: H,
    layers: p.rnn.length,
    outputSize: O,
    task: lastRs ? 'lm' : 'classify',
    activation: p.activation,
    // Not in the topology: from our metadata, else the Keras defaults.
    dropout: ms?.dropout ?? 0,
    tied,
    forgetBias: ms?.forgetBias ?? (p.rnn[0].unitForgetBias === false ? 0 : 1),
    init: ms?.init ?? 'glorot',
    recurrentInit: ms?.recurrentInit ?? 'orthogonal',
    ...(p.resetAfter ? { resetAfter: true } : {}),
  };
  try {
    validateSpec(spec);
  } catch (e) {
    if (e instanceof SparseRnnError) bad(`describes a model we cannot build: ${e.message}`, e.hint);
    throw e;
  }
  const layout = buildLayout(spec);
  const params = new Float32Array(layout.total);
  const put = (name: string, data: Float32Array) => params.set(data, layout.byName.get(name)!.offset);
  if (emb) put('embedding', emb);
  rnnW.forEach((w, l) => {
    put(`rnn.${l}.ih`, w.ih);
    put(`rnn.${l}.hh`, w.hh);
    put(`rnn.${l}.bias`, w.bias);
  });
  if (!tied) put('head', headK);
  put('head.bias', headB);
  return { spec, layout, params };
}

/**
 * Reads a TF.js Layers model: `dir` is the folder (with model.json) or the model.json
 * path; weight files are read from the manifest's paths, relative to model.json.
 */
export function importTfjs(dir: string): TfjsModel {
  const modelPath = dir.endsWith('.json') ? dir : path.join(dir, TFJS_MODEL_FILE);
  const base = path.dirname(modelPath);
  const text = readFileLimited(modelPath, { maxBytes: 64 * 1024 * 1024, what: 'TF.js model.json',
    hint: 'point at a folder holding model.json and its weights, e.g. one written by `sparse-rnn export --format tfjs`' }, 'utf8');
  // Weight paths are checked against the real folder (symlinks resolved), not the text.
  let realBase: string;
  try {
    realBase = fs.realpathSync(base);
  } catch (e) {
    return fail('BAD_FILE', `cannot resolve the model folder ${base}: ${ioReason(e)}`, 'check the path');
  }
  let budget = MAX_BINARY_BYTES;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail('BAD_FILE', `${modelPath} is not valid JSON (${(e as Error).message})`, 'the file is corrupt or truncated: re-export it');
  }
  const manifest = isObj(json) ? json.weightsManifest : undefined;
  if (!Array.isArray(manifest)) fail('BAD_FILE', `${modelPath}: has no weightsManifest list`, 'is this a TF.js Layers model (format "layers-model")?');
  const parts: Buffer[] = [];
  for (const group of manifest as unknown[]) {
    const paths = isObj(group) ? group.paths : undefined;
    if (!Array.isArray(paths) || !paths.every((x) => typeof x === 'string')) fail('BAD_FILE', `${modelPath}: weightsManifest entries need a paths list`, 'is this a TF.js Layers model (format "layers-model")? re-export it');
    for (const rel of paths as string[]) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(rel);
      } catch {
        return fail('BAD_FILE', `${modelPath}: weight path ${JSON.stringify(rel)} is not valid percent-encoding`, 'weight paths are URL-encoded file names inside the model folder');
      }
      const leaves = (r: string) => r === '..' || r.startsWith(`..${path.sep}`) || path.isAbsolute(r);
      if (decoded === '' || decoded.includes('\0') || path.isAbsolute(decoded) || leaves(path.relative(base, path.resolve(base, decoded)))) {
        fail('BAD_FILE', `${modelPath}: weight path ${JSON.stringify(rel)} leaves the model folder`, 'weight paths must be relative, inside the folder');
      }
      let real: string;
      try {
        real = fs.realpathSync(path.resolve(base, decoded));
      } catch (e) {
        return fail('BAD_FILE', `${path.resolve(base, decoded)} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${ioReason(e)})`} (named by ${path.basename(modelPath)}'s weightsManifest)`,
          'copy model.json together with its weight files');
      }
      if (leaves(path.relative(realBase, real))) {
        fail('BAD_FILE', `${modelPath}: weight file ${JSON.stringify(rel)} is a link to ${real}, outside the model folder`, 'copy the weight files into the model folder instead of linking them');
      }
      const b = readFileLimited(real, { maxBytes: budget, what: 'TF.js weight file', hint: 'copy model.json together with its weight files' });
      budget -= b.length;
      parts.push(b);
    }
  }
  const all = Buffer.concat(parts);
  return fromTfjsArtifacts(json, new Uint8Array(all.buffer, all.byteOffset, all.byteLength), modelPath);
}
