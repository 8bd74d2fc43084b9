/**
 * An ONNX model → our model. What imports is one chain from the graph's one data input
 * to its output:
 *
 *   [Gather(embedding initializer [V, E], x)]            tokens; else float vectors
 *   → RNN | LSTM | GRU × 1–4 (one cell kind, one hidden size; forward, default activations
 *     (RNN Tanh or Relu), no clip, no peepholes, no sequence_lens, zero initial state)
 *   → [Gather / Slice of the last step (index -1), or the last layer's Y_h]  → a classifier
 *   → MatMul(W [H, O]) [+ Add(b [O])] | Gemm(h, W, b; transB 0 or 1, alpha = beta = 1)
 *
 * with layout ops on the way (Transpose, Squeeze, Unsqueeze, Reshape, Flatten, Identity,
 * Dropout, Cast) — what torch.onnx.export writes for nn.Embedding → nn.RNN/LSTM/GRU →
 * nn.Linear (batch_first or not), and what `toOnnx` writes. Shape arithmetic off the
 * chain (Shape, Gather, Concat, ConstantOfShape, Slice, … feeding the zero initial
 * state) is allowed. Anything else is one UNSUPPORTED line naming the node, its op and
 * the attribute or input at fault. Weights may be initializers, sparse initializers,
 * Constant nodes or external data inside the model's folder (see proto.ts).
 *
 * Biases: ONNX has Wb and Rb per gate; our RNN / LSTM / TF.js GRU have one bias, so the
 * two are summed (exact up to float rounding: ONNX adds them to the same pre-activation;
 * for GRU linear_before_reset = 0 too, where Rbh is added outside the reset). PyTorch's
 * GRU (linear_before_reset = 1) needs the engine's reset-after GRU, whose bias keeps
 * both rows ([input ; recurrent], Keras reset_after=True).
 */
import path from 'node:path';
import { fail, SparseRnnError } from '../../errors.js';
import { defaultSpec, validateSpec, type CellType, type ModelSpec } from '../spec.js';
import { buildLayout, type Layout } from '../layout.js';
import { DataType, DEFAULT_LIMITS, int, onnx, readModelFile, readSparseTensor, readTensor, type ModelProto, type ReadContext, type ReadLimits, type Tensor } from './proto.js';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { fromOnnxMatrix, fromOnnxVector } from './gates.js';
import { ONNX_META_KEY, ONNX_META_VERSION } from './export.js';

export interface OnnxModel {
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
  /** producer_name (and version) of the file, e.g. "pytorch 1.13.1". */
  producer: string;
}

/** Whether this build's engine has the reset-after GRU (ModelSpec.resetAfter). */
export function engineHasResetAfter(): boolean {
  // The flat layout gives such a GRU's bias two rows [input ; recurrent] exactly when the build has it.
  const spec = { ...defaultSpec({ cell: 'gru', inputKind: 'vectors', inputSize: 2, embedDim: 0, hidden: 1, outputSize: 2, task: 'classify' }), resetAfter: true } as ModelSpec;
  return buildLayout(spec).byName.get('rnn.0.bias')!.size === 2 * 3;
}

const CELL: Record<string, CellType> = { RNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const GATES_OF: Record<CellType, number> = { rnn: 1, lstm: 4, gru: 3 };
/** Layout-only ops passed through on the chain (data is their first input). */
const PASS = new Set(['Identity', 'Dropout', 'Cast', 'Transpose', 'Squeeze', 'Unsqueeze', 'Reshape', 'Flatten']);
/** Ops allowed off the chain: shape arithmetic and constants (e.g. torch's zero initial state). */
const SHAPE_OPS = new Set(['Shape', 'Constant', 'ConstantOfShape', 'Gather', 'Concat', 'Slice', 'Unsqueeze', 'Squeeze', 'Cast', 'Expand', 'Reshape', 'Identity', 'Transpose', 'Size']);
const DEFAULT_ACTS: Record<CellType, string[]> = { rnn: ['tanh'], lstm: ['sigmoid', 'tanh', 'tanh'], gru: ['sigmoid', 'tanh'] };

type Attr = OnnxNamespace.IAttributeProto;
type NodeProto = OnnxNamespace.INodeProto;

export function fromOnnxModel(m: ModelProto, ctx: ReadContext): OnnxModel {
  const where = ctx.where;
  const g = m.graph!;
  const gnodes = g.node ?? [];
  const bad = (msg: string, hint?: string): never => fail('BAD_FILE', `${where}: ${msg}`, hint);
  const nodeName = (n: NodeProto) => `node '${n.name || n.output?.[0] || '?'}' (${n.opType})`;
  const unsupported = (n: NodeProto, msg: string, hint?: string): never => fail('UNSUPPORTED', `${where}: ${nodeName(n)}: ${msg}`, hint);

  const opset = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = opset ? int(opset.version as never, 'opset version', where) : 0;
  if (version < 7) bad(`uses ONNX opset ${version || 'none'}; opset 7 or later is needed (the recurrent ops' current semantics)`, 're-export with a newer opset, e.g. torch.onnx.export(..., opset_version=14)');
  for (const n of gnodes) {
    if (n.domain && n.domain !== 'ai.onnx') unsupported(n, `op domain '${n.domain}' is not supported (standard ONNX ops only)`);
  }

  // Constants: initializers, sparse initializers, Constant nodes — read on demand.
  const constSrc = new Map<string, () => Tensor>();
  for (const t of g.initializer ?? []) constSrc.set(t.name ?? '', () => readTensor(t, ctx));
  for (const s of g.sparseInitializer ?? []) if (s.values?.name) constSrc.set(s.values.name, () => readSparseTensor(s, ctx));
  const attr = (n: NodeProto, name: string): Attr | undefined => n.attribute?.find((a) => a.name === name);
  for (const n of gnodes) {
    if (n.opType !== 'Constant' || !n.output?.[0]) continue;
    const a = n.attribute?.[0];
    if (!a) continue;
    const out = n.output[0];
    if (a.name === 'value' && a.t) constSrc.set(out, () => readTensor(a.t!, ctx));
    else if (a.name === 'sparse_value' && a.sparseTensor) constSrc.set(out, () => readSparseTensor(a.sparseTensor!, ctx));
    else if (a.name === 'value_float') constSrc.set(out, () => ({ name: out, dims: [], data: Float32Array.of(a.f ?? 0), dataType: DataType.FLOAT }));
    else if (a.name === 'value_floats') constSrc.set(out, () => ({ name: out, dims: [a.floats!.length], data: Float32Array.from(a.floats!), dataType: DataType.FLOAT }));
    else if (a.name === 'value_int') constSrc.set(out, () => ({ name: out, dims: [], data: Float64Array.of(int(a.i as never, 'value_int', where)), dataType: DataType.INT64 }));
    else if (a.name === 'value_ints') constSrc.set(out, () => ({ name: out, dims: [a.ints!.length], data: Float64Array.from(a.ints!, (v) => int(v as never, 'value_ints', where)), dataType: DataType.INT64 }));
  }
  const cache = new Map<string, Tensor>();
  const isConst = (name: string) => constSrc.has(name);
  const constant = (name: string): Tensor => {
    let t = cache.get(name);
    if (!t) { t = constSrc.get(name)!(); cache.set(name, t); }
    return t;
  };

  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of gnodes) {
    for (const o of n.output ?? []) if (o) producer.set(o, n);
    for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  /** Consumers that carry the data on (Shape only reads the shape). */
  const dataConsumers = (v: string) => (consumers.get(v) ?? []).filter((n) => n.opType !== 'Shape' && n.opType !== 'Size');
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const inputs = (g.input ?? []).map((i) => i.name ?? '').filter((name) => !isConst(name));
  if (inputs.length !== 1) {
    bad(`has ${inputs.length} graph inputs (${inputs.join(', ') || 'none'}) besides its weights; exactly one (the token ids or the input vectors) can be imported`,
      'export the model with its initial state left at zero (no h0 / c0 inputs)');
  }

  const aInt = (n: NodeProto, name: string, def: number) => { const a = attr(n, name); return a ? int(a.i as never, name, where) : def; };
  const aFloat = (n: NodeProto, name: string, def: number) => { const a = attr(n, name); return a ? a.f ?? 0 : def; };
  const aStr = (n: NodeProto, name: string) => { const a = attr(n, name); return a?.s ? Buffer.from(a.s).toString('utf8') : undefined; };
  const aStrs = (n: NodeProto, name: string) => attr(n, name)?.strings?.map((s) => Buffer.from(s).toString('utf8'));
  const aInts = (n: NodeProto, name: string) => attr(n, name)?.ints?.map((v) => int(v as never, name, where));

  /** A value that is zero everywhere: a zero constant, or ConstantOfShape(0) reshaped / sliced. */
  const isZero = (v: string, depth = 0): boolean => {
    if (depth > 32) return false;
    if (isConst(v)) return constant(v).data.every((x) => x === 0);
    const p = producer.get(v);
    if (!p) return false;
    if (p.opType === 'ConstantOfShape') {
      const a = attr(p, 'value');
      return !a?.t || readTensor(a.t, ctx).data.every((x) => x === 0);
    }
    if (['Slice', 'Expand', 'Reshape', 'Unsqueeze', 'Squeeze', 'Identity', 'Tile', 'Cast', 'Transpose'].includes(p.opType ?? '')) return isZero(p.input![0], depth + 1);
    return false;
  };

  interface Layer { node: NodeProto; W: Tensor; R: Tensor; B: Float32Array | null; inDim: number; resetAfter: boolean }
  let emb: Tensor | undefined;
  let embName = '';
  const layers: Layer[] = [];
  let cell: CellType | undefined;
  let relu = false;
  let H = 0;
  let lastStep = false;
  let head: { W: Float32Array; O: number; source: string; transposedConst: boolean; bias: Float32Array | null } | undefined;
  type Stage = 'input' | 'embedded' | 'rnn' | 'matmul' | 'done';
  let stage: Stage = 'input';
  const visited = new Set<NodeProto>();

  /** A head weight: a constant, or Transpose(perm [1, 0]) of one (a tied head). */
  const headWeight = (name: string): { t: Tensor; transposed: boolean; source: string } | undefined => {
    if (isConst(name)) return { t: constant(name), transposed: false, source: name };
    const p = producer.get(name);
    if (p?.opType === 'Transpose' && isConst(p.input![0])) {
      const perm = aInts(p, 'perm') ?? [1, 0];
      if (perm.length === 2 && perm[0] === 1 && perm[1] === 0) { visited.add(p); return { t: constant(p.input![0]), transposed: true, source: p.input![0] }; }
    }
    return undefined;
  };

  const recurrent = (n: NodeProto) => {
    const kind: CellType = CELL[n.opType ?? ''];
    if (cell && cell !== kind) unsupported(n, `mixes cell kinds (${cell.toUpperCase()} then ${n.opType}); our model has one cell type for all layers`);
    cell = kind;
    const dir = aStr(n, 'direction') ?? 'forward';
    if (dir !== 'forward') unsupported(n, `attribute direction = "${dir}" is not supported (our engine runs one direction, forward)`, 'export a unidirectional model (bidirectional=False)');
    if (attr(n, 'clip')) unsupported(n, `attribute clip = ${aFloat(n, 'clip', 0)} is not supported (our cells do not clip)`);
    for (const a of ['activation_alpha', 'activation_beta']) if (attr(n, a)) unsupported(n, `attribute ${a} is not supported`);
    if (aInt(n, 'input_forget', 0) !== 0) unsupported(n, 'attribute input_forget = 1 (coupled input and forget gates) is not supported');
    const acts = (aStrs(n, 'activations') ?? []).map((s) => s.toLowerCase());
    if (acts.length) {
      const ok = kind === 'rnn' ? acts.length === 1 && (acts[0] === 'tanh' || acts[0] === 'relu') : acts.join() === DEFAULT_ACTS[kind].join();
      if (!ok) unsupported(n, `attribute activations = [${acts.join(', ')}] is not supported (${kind === 'rnn' ? 'Tanh or Relu' : `[${DEFAULT_ACTS[kind].join(', ')}]`})`);
      if (kind === 'rnn') {
        if (layers.length && relu !== (acts[0] === 'relu')) unsupported(n, 'mixes Tanh and Relu layers; our model has one activation');
        relu = acts[0] === 'relu';
      }
    } else if (kind === 'rnn' && relu && layers.length) unsupported(n, 'mixes Tanh and Relu layers; our model has one activation');
    const inp = n.input ?? [];
    const opt = (i: number) => (inp[i] ?? '') !== '';
    if (opt(4)) unsupported(n, `input sequence_lens ('${inp[4]}') is not supported: every sequence runs its full length`, 'export without packed sequences');
    if (opt(5) && !isZero(inp[5])) unsupported(n, `input initial_h ('${inp[5]}') is not a zero constant`, 'export the model with its initial state left at zero');
    if (kind === 'lstm' && opt(6) && !isZero(inp[6])) unsupported(n, `input initial_c ('${inp[6]}') is not a zero constant`, 'export the model with its initial state left at zero');
    if (kind === 'lstm' && opt(7)) unsupported(n, `input P ('${inp[7]}', peepholes) is not supported`);
    for (const i of [1, 2, 3]) if (opt(i) && !isConst(inp[i])) unsupported(n, `input ${['', 'W', 'R', 'B'][i]} ('${inp[i]}') is computed in the graph; weights must be initializers or constants`);
    if (!opt(1) || !opt(2)) unsupported(n, 'has no W or R input');
    const G = GATES_OF[kind];
    const hs = aInt(n, 'hidden_size', 0);
    const W = constant(inp[1]);
    const R = constant(inp[2]);
    if (W.dims.length !== 3 || R.dims.length !== 3) unsupported(n, `W [${W.dims.join(', ')}] and R [${R.dims.join(', ')}] must be 3-D`);
    if (W.dims[0] !== 1) unsupported(n, `W has ${W.dims[0]} directions; one (forward) is supported`);
    const h = hs || R.dims[2];
    if (W.dims[1] !== G * h || R.dims[0] !== 1 || R.dims[1] !== G * h || R.dims[2] !== h) {
      unsupported(n, `W [${W.dims.join(', ')}] / R [${R.dims.join(', ')}] do not fit hidden_size ${h} × ${G} gates`);
    }
    if (H && h !== H) unsupported(n, `attribute hidden_size = ${h} differs from the first layer's ${H}; our model uses one hidden size for all layers`);
    H = h;
    let B: Float32Array | null = null;
    if (opt(3)) {
      const bt = constant(inp[3]);
      if (bt.data.length !== 2 * G * h) unsupported(n, `B [${bt.dims.join(', ')}] must hold 2 × ${G} × ${h} values`);
      B = Float32Array.from(bt.data);
    }
    const lbr = kind === 'gru' ? aInt(n, 'linear_before_reset', 0) : 0;
    if (lbr !== 0 && !engineHasResetAfter()) {
      unsupported(n, 'attribute linear_before_reset = 1 (PyTorch\'s GRU: reset applied after the recurrent product) needs the engine\'s reset-after GRU (ModelSpec.resetAfter), which this build does not have',
        'import an LSTM or RNN, or a GRU with linear_before_reset = 0');
    }
    if (layers.length && layers[0].resetAfter !== (lbr !== 0)) unsupported(n, 'mixes linear_before_reset values across layers');
    layers.push({ node: n, W, R, B, inDim: W.dims[2], resetAfter: lbr !== 0 });
  };

  let v = inputs[0];
  for (let guard = 0; guard <= gnodes.length; guard++) {
    const cons = dataConsumers(v).filter((n) => !visited.has(n));
    if (cons.length === 0) {
      if (outputs.has(v)) break;
      bad(`value '${v}' leads nowhere: the chain from the input does not reach a graph output`);
    }
    if (cons.length > 1) unsupported(cons[1], `value '${v}' feeds ${cons.length} nodes (${cons.map((c) => `'${c.name}'`).join(', ')}); a single chain input → recurrent layers → head can be imported`);
    const n = cons[0];
    visited.add(n);
    const first = (n.input ?? [])[0] === v;
    const out = (n.output ?? [])[0];
    const op = n.opType ?? '';
    if (stage === 'done' && !PASS.has(op)) {
      if (op === 'Softmax' || op === 'LogSoftmax') unsupported(n, 'a softmax after the head is not supported: the model must output logits', 'export the logits (drop the final softmax); probabilities are a softmax away');
      unsupported(n, `op ${op} after the head is not supported`);
    }
    if (PASS.has(op)) {
      if (!first) unsupported(n, `the data enters as input ${(n.input ?? []).indexOf(v)}, not as the data input`);
      if (op === 'Cast') {
        const to = aInt(n, 'to', 0);
        const ok = stage === 'input' ? [DataType.INT64, DataType.INT32, DataType.FLOAT].includes(to) : to === DataType.FLOAT;
        if (!ok) unsupported(n, `attribute to = ${onnx.TensorProto.DataType[to] ?? to} is not supported`);
      }
      v = out;
      continue;
    }
    switch (op) {
      case 'Gather': {
        if (stage === 'input' && (n.input ?? [])[1] === v && isConst(n.input![0])) {
          if (aInt(n, 'axis', 0) !== 0) unsupported(n, `attribute axis = ${aInt(n, 'axis', 0)}: an embedding lookup gathers rows (axis 0)`);
          emb = constant(n.input![0]);
          embName = n.input![0];
          if (emb.dims.length !== 2) unsupported(n, `embedding '${embName}' [${emb.dims.join(', ')}] must be 2-D [vocabulary, width]`);
          stage = 'embedded';
        } else if (stage === 'rnn' && first && isConst(n.input![1])) {
          const idx = constant(n.input![1]);
          if (idx.data.length !== 1 || idx.data[0] !== -1) unsupported(n, `selects step(s) [${Array.from(idx.data).slice(0, 4).join(', ')}] of the sequence; only the last step (index -1) can be imported`);
          lastStep = true;
        } else unsupported(n, `is not an embedding lookup (Gather of a constant [V, E] by the input ids) nor a selection of the last step`);
        v = out;
        break;
      }
      case 'Slice': {
        const ins = n.input ?? [];
        if (!(stage === 'rnn' && first && ins.slice(1).every((i) => !i || isConst(i)))) unsupported(n, 'only a constant slice of the last step is supported on the data path');
        const starts = constant(ins[1]).data;
        if (starts.length !== 1 || starts[0] !== -1) unsupported(n, `input starts = [${Array.from(starts).join(', ')}]: only the last step (starts -1) can be imported`);
        lastStep = true;
        v = out;
        break;
      }
      case 'RNN':
      case 'LSTM':
      case 'GRU': {
        if (stage === 'matmul') unsupported(n, 'a recurrent layer after the head is not supported');
        if (!first) unsupported(n, `the data enters as input ${(n.input ?? []).indexOf(v)}, not X`);
        if (lastStep) unsupported(n, 'follows a selection of one time step; only the last layer may be read at its last step');
        recurrent(n);
        stage = 'rnn';
        const [y, yh, yc] = n.output ?? [];
        const usedY = !!y && dataConsumers(y).length > 0;
        const usedH = !!yh && dataConsumers(yh).length > 0;
        if (yc && dataConsumers(yc).length) unsupported(n, `output Y_c ('${yc}') is used; the cell state is internal in our model`);
        if (usedY && usedH) unsupported(n, `both outputs Y ('${y}') and Y_h ('${yh}') are used; a single chain can be imported`);
        if (usedH) { lastStep = true; v = yh; } else v = y;
        break;
      }
      case 'MatMul':
      case 'Gemm': {
        if (stage !== 'rnn') unsupported(n, 'a matrix product is supported only as the head, after the recurrent layers');
        if (!first) unsupported(n, `the data enters as input ${(n.input ?? []).indexOf(v)}; the head must compute h · W`);
        const hw = headWeight(n.input![1]);
        if (!hw) unsupported(n, `input B ('${n.input![1]}') is computed in the graph; the head weight must be an initializer or constant`);
        let transB = hw!.transposed ? 1 : 0;
        if (op === 'Gemm') {
          if (aInt(n, 'transA', 0) !== 0) unsupported(n, 'attribute transA = 1 is not supported');
          if (aFloat(n, 'alpha', 1) !== 1 || aFloat(n, 'beta', 1) !== 1) unsupported(n, `attributes alpha = ${aFloat(n, 'alpha', 1)}, beta = ${aFloat(n, 'beta', 1)}: only 1 is supported`);
          transB ^= aInt(n, 'transB', 0);
        }
        const t = hw!.t;
        if (t.dims.length !== 2) unsupported(n, `head weight [${t.dims.join(', ')}] must be 2-D`);
        const [r, c] = t.dims;
        const O = transB ? r : c;
        const rows = transB ? c : r;
        if (rows !== H) unsupported(n, `head weight [${t.dims.join(', ')}] does not take the ${H} hidden units`);
        const W = new Float32Array(H * O); // ours: [H, O]
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) W[transB ? j * O + i : i * O + j] = t.data[i * c + j];
        head = { W, O, source: hw!.source, transposedConst: transB === 1, bias: null };
        if (op === 'Gemm' && (n.input ?? [])[2]) {
          const cName = n.input![2];
          if (!isConst(cName)) unsupported(n, `input C ('${cName}') is computed in the graph; the head bias must be a constant`);
          const b = constant(cName);
          if (b.data.length !== O) unsupported(n, `input C [${b.dims.join(', ')}] must hold ${O} values (one per output)`);
          head.bias = Float32Array.from(b.data);
        }
        stage = op === 'Gemm' ? 'done' : 'matmul';
        v = out;
        break;
      }
      case 'Add': {
        if (stage !== 'matmul') unsupported(n, 'an Add is supported only as the head\'s bias, right after its MatMul');
        const other = (n.input ?? []).find((i) => i !== v) ?? '';
        if (!isConst(other)) unsupported(n, `input '${other}' is computed in the graph; the head bias must be a constant`);
        const b = constant(other);
        if (b.data.length !== head!.O) unsupported(n, `bias '${other}' [${b.dims.join(', ')}] must hold ${head!.O} values (one per output)`);
        head!.bias = Float32Array.from(b.data);
        stage = 'done';
        v = out;
        break;
      }
      default:
        unsupported(n, `op ${op} is not supported on the path from the input to the output`, 'see docs/onnx.md for what imports');
    }
  }
  if (!outputs.has(v)) bad(`the chain from the input ends at '${v}', which is not a graph output`);
  if (!layers.length) bad('has no RNN, LSTM or GRU node on the path from the input to the output', 'export a recurrent model (nn.RNN, nn.LSTM or nn.GRU)');
  if (!head) bad('has no head (MatMul or Gemm with a constant weight) after the recurrent layers', 'end the model with a linear layer');
  for (const n of gnodes) {
    if (visited.has(n) || n.opType === 'Constant') continue;
    if (!SHAPE_OPS.has(n.opType ?? '')) unsupported(n, `op ${n.opType} is not supported`, 'see docs/onnx.md for what imports');
  }

  // Our model.
  const meta = readMeta(m, where);
  const L = layers.length;
  const G = GATES_OF[cell!];
  const resetAfter = layers[0].resetAfter;
  const inputKind = emb ? 'tokens' : 'vectors';
  const D = layers[0].inDim;
  if (emb && emb.dims[1] !== D) unsupported(layers[0].node, `input W takes ${D} features, the embedding '${embName}' gives ${emb.dims[1]}`);
  layers.forEach((l, i) => { if (i > 0 && l.inDim !== H) unsupported(l.node, `input W takes ${l.inDim} features, the layer below gives ${H}`); });
  const O = head!.O;
  let tied = false;
  if (emb && head!.source === embName && head!.transposedConst && emb.dims[1] === H && emb.dims[0] === O) tied = true;
  const ms = meta?.spec;
  const fromTorch = /pytorch/i.test(m.producerName ?? '');
  const spec: ModelSpec = {
    cell: cell!,
    inputKind,
    inputSize: emb ? emb.dims[0] : D,
    embedDim: emb ? emb.dims[1] : 0,
    hidden: H,
    layers: L,
    outputSize: O,
    task: lastStep ? 'classify' : 'lm',
    activation: relu ? 'relu' : 'tanh',
    dropout: ms?.dropout ?? 0,
    tied,
    forgetBias: ms?.forgetBias ?? (fromTorch ? 0 : 1),
    init: ms?.init ?? (fromTorch ? 'uniform' : 'glorot'),
    recurrentInit: ms?.recurrentInit ?? (fromTorch ? 'same' : 'orthogonal'),
    ...(resetAfter ? { resetAfter: true } : {}),
  };
  try {
    validateSpec(spec);
  } catch (e) {
    if (e instanceof SparseRnnError) fail('UNSUPPORTED', `${where}: describes a model we cannot build: ${e.message}`, e.hint);
    throw e;
  }
  const layout = buildLayout(spec);
  const params = new Float32Array(layout.total);
  const put = (name: string, data: ArrayLike<number>) => {
    const s = layout.byName.get(name)!;
    if (s.size !== data.length) bad(`internal: ${name} has ${data.length} values, the layout needs ${s.size}`);
    params.set(data, s.offset);
  };
  if (emb) put('embedding', emb.data);
  layers.forEach((l, i) => {
    put(`rnn.${i}.ih`, fromOnnxMatrix(l.W.data, l.inDim, cell!, H));
    put(`rnn.${i}.hh`, fromOnnxMatrix(l.R.data, H, cell!, H));
    const GH = G * H;
    const wb = l.B ? fromOnnxVector(l.B, cell!, H, 0) : new Float32Array(GH);
    const rb = l.B ? fromOnnxVector(l.B, cell!, H, GH) : new Float32Array(GH);
    if (resetAfter) {
      const both = new Float32Array(2 * GH);
      both.set(wb, 0);
      both.set(rb, GH);
      put(`rnn.${i}.bias`, both);
    } else {
      put(`rnn.${i}.bias`, wb.map((x, k) => x + rb[k]));
    }
  });
  if (!tied) put('head', head!.W);
  put('head.bias', head!.bias ?? new Float32Array(O));
  return { spec, layout, params, producer: [m.producerName, m.producerVersion].filter(Boolean).join(' ') || 'unknown' };
}

function readMeta(m: ModelProto, where: string): { version: number; spec: Partial<ModelSpec> } | undefined {
  const p = (m.metadataProps ?? []).find((kv) => kv.key === ONNX_META_KEY);
  if (!p) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(p.value ?? '');
  } catch {
    return fail('BAD_FILE', `${where}: metadata_props['${ONNX_META_KEY}'] is not JSON`, 'delete that entry to import from the graph alone');
  }
  const o = v as { version?: unknown; spec?: unknown };
  if (!o || typeof o !== 'object' || o.version !== ONNX_META_VERSION || !o.spec || typeof o.spec !== 'object') {
    fail('BAD_FILE', `${where}: metadata_props['${ONNX_META_KEY}'] is malformed or of another version`, 'delete that entry to import from the graph alone');
  }
  return o as { version: number; spec: Partial<ModelSpec> };
}

/**
 * Reads an .onnx file (external data only from inside its folder) and imports it.
 * `limits` caps the file size and the size of any tensor, checked before reading.
 */
export function importOnnx(file: string, limits: ReadLimits = DEFAULT_LIMITS): OnnxModel {
  const m = readModelFile(file, limits);
  return fromOnnxModel(m, { where: file, dir: path.dirname(path.resolve(file)), limits });
}
