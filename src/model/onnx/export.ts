/**
 * Our model → an ONNX model (opset 14, IR version 7) built from standard operators only:
 *
 *   x  int64 [batch, time] (tokens) | float [batch, time, D] (vectors)
 *   → Gather(embedding, x)                         tokens only
 *   → Transpose [1, 0, 2]                          to time-major (ONNX recurrent layout 0)
 *   → RNN | LSTM | GRU × L, each followed by Squeeze(axis 1) of Y [T, 1, B, H]
 *   lm:       → Transpose [1, 0, 2] → MatMul(head [H, O]) → Add(head.bias) → logits [B, T, O]
 *   classify: Y_h of the last layer → Squeeze(axis 0) → Gemm(head, head.bias) → logits [B, O]
 *
 * Our GRU (reset gate before the recurrent product, TF.js) is ONNX GRU with
 * linear_before_reset = 0; the reset-after GRU (PyTorch, Keras reset_after=True) is
 * linear_before_reset = 1 with its two biases as Wb and Rb. A tied head is
 * Transpose(embedding). Weight matrices at least 50% zeros (pruned) are written as
 * sparse initializers (GraphProto.sparse_initializer: values + linearized indices)
 * unless told otherwise; biases stay dense. Our spec rides along in metadata_props
 * ('sparse-rnn') so that an import of our own file is lossless.
 */
import { fail } from '../../errors.js';
import { GATES, validateSpec, type ModelSpec } from '../spec.js';
import { buildLayout, type Layout } from '../layout.js';
import { DataType, attrInt, attrInts, attrStrings, encodeModel, floatTensor, intTensor, node, onnx, valueInfo } from './proto.js';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { ONNX_OP, toOnnxMatrix, toOnnxVector } from './gates.js';
import { writeFileAtomic } from '../../util/fs.js';

export const ONNX_OPSET = 14;
export const ONNX_IR_VERSION = 7;
export const ONNX_META_KEY = 'sparse-rnn';
export const ONNX_META_VERSION = 1;
/** Weight matrices at least this sparse become sparse initializers in 'auto' mode. */
export const SPARSE_INITIALIZER_MIN_SPARSITY = 0.5;

export type InitializerMode = 'auto' | 'sparse' | 'dense';

export interface OnnxExportOptions {
  /** auto: sparse when ≥ 50% zeros; sparse: every weight matrix; dense: none. */
  initializers?: InitializerMode;
}

export interface OnnxTensorInfo { name: string; dims: number[]; nnz: number; sparse: boolean }

export interface OnnxExport {
  bytes: Uint8Array;
  tensors: OnnxTensorInfo[];
}

/** Whether this spec has the reset-after GRU (PyTorch's; ModelSpec.resetAfter). */
export function isResetAfter(spec: ModelSpec): boolean {
  return spec.cell === 'gru' && (spec as ModelSpec & { resetAfter?: boolean }).resetAfter === true;
}

export function toOnnx(spec: ModelSpec, layout: Layout, params: Float32Array, opts: OnnxExportOptions = {}): OnnxExport {
  validateSpec(spec);
  const want = buildLayout(spec);
  if (want.total !== layout.total || params.length !== layout.total) {
    fail('BAD_CONFIG', 'onnx export: the parameters do not match the spec\'s layout', 'build it with buildLayout(spec)');
  }
  const mode = opts.initializers ?? 'auto';
  const H = spec.hidden;
  const G = GATES[spec.cell];
  const seg = (name: string) => {
    const s = layout.byName.get(name)!;
    return params.subarray(s.offset, s.offset + s.size);
  };
  const initializers: OnnxNamespace.ITensorProto[] = [];
  const sparseInitializers: OnnxNamespace.ISparseTensorProto[] = [];
  const tensors: OnnxTensorInfo[] = [];
  /** A weight matrix: dense or sparse by the mode and its zeros. */
  const weight = (name: string, dims: number[], data: Float32Array) => {
    let nnz = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
    const sparse = mode === 'sparse' || (mode === 'auto' && data.length > 0 && 1 - nnz / data.length >= SPARSE_INITIALIZER_MIN_SPARSITY);
    tensors.push({ name, dims, nnz, sparse });
    if (!sparse) {
      initializers.push(floatTensor(name, dims, data));
      return;
    }
    const values = new Float32Array(nnz);
    const idx = new Array<number>(nnz);
    for (let i = 0, k = 0; i < data.length; i++) if (data[i] !== 0) { values[k] = data[i]; idx[k++] = i; }
    // Linearized indices [NNZ] (ONNX SparseTensorProto format (b)), the narrowest integer type that holds them.
    const itype = data.length <= 0x7fff ? DataType.INT16 : data.length <= 0x7fffffff ? DataType.INT32 : DataType.INT64;
    sparseInitializers.push(onnx.SparseTensorProto.create({
      values: floatTensor(name, [nnz], values),
      indices: intTensor(`${name}.indices`, [nnz], idx, itype),
      dims,
    }));
  };
  const dense = (name: string, dims: number[], data: Float32Array) => {
    initializers.push(floatTensor(name, dims, data));
    tensors.push({ name, dims, nnz: data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0), sparse: false });
  };
  const consts = (name: string, values: number[]) => initializers.push(intTensor(name, [values.length], values));

  const nodes: OnnxNamespace.INodeProto[] = [];
  const tokens = spec.inputKind === 'tokens';
  let x = 'x';
  if (tokens) {
    weight('embedding', [spec.inputSize, spec.embedDim], seg('embedding'));
    nodes.push(node('Gather', 'embedding', ['embedding', 'x'], ['embedded']));
    x = 'embedded';
  }
  nodes.push(node('Transpose', 'to_time_major', [x], ['x_tbd'], [attrInts('perm', [1, 0, 2])]));
  consts('axis1', [1]);
  let cur = 'x_tbd';
  const op = ONNX_OP[spec.cell];
  const resetAfter = isResetAfter(spec);
  for (let l = 0; l < spec.layers; l++) {
    const ih = layout.byName.get(`rnn.${l}.ih`)!;
    const rows = ih.shape[0];
    weight(`rnn.${l}.W`, [1, G * H, rows], toOnnxMatrix(seg(`rnn.${l}.ih`), rows, spec.cell, H));
    weight(`rnn.${l}.R`, [1, G * H, H], toOnnxMatrix(seg(`rnn.${l}.hh`), H, spec.cell, H));
    const bias = seg(`rnn.${l}.bias`);
    const b = new Float32Array(2 * G * H);
    if (bias.length === 2 * G * H) {
      // reset-after GRU: [input bias ; recurrent bias] = ONNX [Wb ; Rb]
      b.set(toOnnxVector(bias.subarray(0, G * H), spec.cell, H), 0);
      b.set(toOnnxVector(bias.subarray(G * H), spec.cell, H), G * H);
    } else {
      b.set(toOnnxVector(bias, spec.cell, H), 0); // one bias: Wb = ours, Rb = 0
    }
    dense(`rnn.${l}.B`, [1, 2 * G * H], b);
    const attrs = [attrInt('hidden_size', H)];
    if (spec.cell === 'rnn') attrs.push(attrStrings('activations', [spec.activation === 'relu' ? 'Relu' : 'Tanh']));
    if (spec.cell === 'gru') attrs.push(attrInt('linear_before_reset', resetAfter ? 1 : 0));
    // A classifier reads the last layer's Y_h only (its Y is left unnamed: an unused optional output).
    const yOnlyH = spec.task === 'classify' && l === spec.layers - 1;
    nodes.push(node(op, `rnn.${l}`, [cur, `rnn.${l}.W`, `rnn.${l}.R`, `rnn.${l}.B`], [yOnlyH ? '' : `rnn.${l}.Y`, `rnn.${l}.Y_h`], attrs));
    if (!yOnlyH) nodes.push(node('Squeeze', `rnn.${l}.squeeze`, [`rnn.${l}.Y`, 'axis1'], [`rnn.${l}.out`]));
    cur = `rnn.${l}.out`;
  }
  let headW = 'head';
  if (spec.tied) {
    nodes.push(node('Transpose', 'tied_head', ['embedding'], ['head.tied'], [attrInts('perm', [1, 0])]));
    headW = 'head.tied';
  } else {
    weight('head', [H, spec.outputSize], seg('head'));
  }
  dense('head.bias', [spec.outputSize], seg('head.bias'));
  if (spec.task === 'lm') {
    nodes.push(node('Transpose', 'to_batch_major', [cur], ['h_btd'], [attrInts('perm', [1, 0, 2])]));
    nodes.push(node('MatMul', 'head', ['h_btd', headW], ['head.out']));
    nodes.push(node('Add', 'head.add_bias', ['head.out', 'head.bias'], ['logits']));
  } else {
    consts('axis0', [0]);
    nodes.push(node('Squeeze', 'last_step', [`rnn.${spec.layers - 1}.Y_h`, 'axis0'], ['h_last']));
    nodes.push(node('Gemm', 'head', ['h_last', headW, 'head.bias'], ['logits']));
  }
  const graph: OnnxNamespace.IGraphProto = {
    name: `sparse-rnn ${spec.cell}`,
    node: nodes,
    initializer: initializers,
    sparseInitializer: sparseInitializers,
    input: [tokens ? valueInfo('x', DataType.INT64, ['batch', 'time']) : valueInfo('x', DataType.FLOAT, ['batch', 'time', spec.inputSize])],
    output: [valueInfo('logits', DataType.FLOAT, spec.task === 'lm' ? ['batch', 'time', spec.outputSize] : ['batch', spec.outputSize])],
  };
  const bytes = encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'sparse-rnn',
    producerVersion: '0.1.0',
    graph,
    metadataProps: [{ key: ONNX_META_KEY, value: JSON.stringify({ version: ONNX_META_VERSION, spec }) }],
  });
  return { bytes, tensors };
}

export interface OnnxFileReport {
  file: string;
  bytes: number;
  /** The same model with every initializer dense (what a dense export weighs). */
  denseBytes: number;
  sparseTensors: number;
  tensors: OnnxTensorInfo[];
}

/** Writes the ONNX model to `file` (atomically) and reports its size beside the dense file's. */
export function exportOnnx(spec: ModelSpec, layout: Layout, params: Float32Array, file: string, opts: OnnxExportOptions = {}): OnnxFileReport {
  const out = toOnnx(spec, layout, params, opts);
  const denseBytes = (opts.initializers ?? 'auto') === 'dense' || out.tensors.every((t) => !t.sparse)
    ? out.bytes.length : toOnnx(spec, layout, params, { initializers: 'dense' }).bytes.length;
  try {
    writeFileAtomic(file, out.bytes);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    fail('BAD_FILE', `onnx export: cannot write ${file} (${err.code ?? err.message})`, 'check that the folder is writable and the disk has space');
  }
  return { file, bytes: out.bytes.length, denseBytes, sparseTensors: out.tensors.filter((t) => t.sparse).length, tensors: out.tensors };
}
