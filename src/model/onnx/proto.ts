/**
 * ONNX protobuf in and out, through `onnx-proto` (the ONNX 1.10 schema, onnx.proto3,
 * compiled by protobufjs) — no hand-written parser. Reading is defensive: the file's
 * size is checked before it is read, every tensor's element count against its data
 * before anything is allocated, and external data (TensorProto.data_location =
 * EXTERNAL) may only name a file inside the model's folder (symlinks resolved), read
 * only in the byte range it declares. Anything wrong is one BAD_FILE line.
 *
 * Tensor rules from the ONNX spec (onnx/onnx.proto, "TensorProto", "SparseTensorProto"):
 *   raw_data is little endian; dims are int64; a sparse tensor has values [NNZ] and
 *   indices [NNZ] (linearized) or [NNZ, rank], ascending, and the dense shape in dims.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { fail } from '../../errors.js';
import { openRegularFile, readFileLimited } from '../../util/fs.js';
import { checkModelWire } from './wire.js';

const require = createRequire(import.meta.url);
export const onnx: typeof OnnxNamespace = (require('onnx-proto') as { onnx: typeof OnnxNamespace }).onnx;
export type ModelProto = OnnxNamespace.ModelProto;
export type GraphProto = OnnxNamespace.GraphProto;
export type NodeProto = OnnxNamespace.NodeProto;
export type TensorProto = OnnxNamespace.TensorProto;
export type AttributeProto = OnnxNamespace.AttributeProto;
export const DataType = onnx.TensorProto.DataType;

/** Limits checked before reading or allocating (override for tests). */
export interface ReadLimits {
  /** Largest .onnx file read, bytes. */
  maxFileBytes: number;
  /** Largest tensor, elements. */
  maxElements: number;
}
export const DEFAULT_LIMITS: ReadLimits = { maxFileBytes: 1 << 30, maxElements: 1 << 28 };

type LongLike = number | { toNumber(): number; high: number; low: number; unsigned?: boolean };

/** An int64 field as a JS number; refuses anything outside ±2^53. */
export function int(v: LongLike | null | undefined, what: string, where: string): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : v.toNumber();
  if (!Number.isSafeInteger(n)) fail('BAD_FILE', `${where}: ${what} ${String(v)} is not a usable integer`, 'the file is corrupt or not an ONNX model');
  return n;
}

export interface Tensor {
  name: string;
  dims: number[];
  /** Always float32 for FLOAT tensors; integer tensors come back as float64 numbers. */
  data: Float32Array | Float64Array;
  dataType: number;
}

const checkDims = (dims: number[], name: string, where: string, lim: ReadLimits): number => {
  let n = 1;
  for (const d of dims) {
    if (d < 0) fail('BAD_FILE', `${where}: tensor '${name}' has a negative dimension ${d}`, 'the file is corrupt');
    n *= d;
    if (n > lim.maxElements) {
      fail('BAD_FILE', `${where}: tensor '${name}' [${dims.join(', ')}] has more than ${lim.maxElements} elements`, 'the file is corrupt, or the model is far larger than a recurrent model this tool builds');
    }
  }
  return n;
};

/** Where a model's external data lives, and the file it came from (for messages). */
export interface ReadContext {
  where: string;
  /** The model's folder; external data must lie inside it. null: external data refused. */
  dir: string | null;
  limits: ReadLimits;
}

/** Bytes [offset, offset+length) of an external-data file inside ctx.dir. */
function readExternal(t: OnnxNamespace.ITensorProto, need: number, ctx: ReadContext): Uint8Array {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key, e.value]));
  const loc = kv.get('location');
  const bad = (msg: string, hint = 'external data must be a relative path to a file inside the model\'s folder'): never =>
    fail('BAD_FILE', `${ctx.where}: tensor '${t.name}': ${msg}`, hint);
  if (!ctx.dir) bad('has external data, which is not allowed here');
  if (!loc) bad('has external data without a location');
  if (path.isAbsolute(loc!) || loc!.split(/[\\/]/).includes('..')) bad(`external data location ${JSON.stringify(loc)} leaves the model's folder`);
  let base: string;
  let real: string;
  try {
    base = fs.realpathSync(ctx.dir!);
    real = fs.realpathSync(path.join(base, loc!));
  } catch {
    return bad(`external data file ${JSON.stringify(loc)} is missing`, 'copy the .onnx file together with its data files');
  }
  const rel = path.relative(base, real);
  if (rel.startsWith('..') || path.isAbsolute(rel)) bad(`external data location ${JSON.stringify(loc)} resolves outside the model's folder (through a symlink)`);
  const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
  const length = kv.has('length') ? Number(kv.get('length')) : need;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) bad('external data offset or length is not a non-negative integer');
  if (length !== need) bad(`external data length ${length} differs from the ${need} bytes its shape needs`);
  // A FIFO, folder or device is refused without blocking or reading it.
  const { fd, size } = openRegularFile(real, (r) => (r.kind === 'not-regular'
    ? bad(`external data ${JSON.stringify(loc)} is not a regular file`)
    : bad(`external data ${JSON.stringify(loc)} cannot be read (${r.reason})`, 'copy the .onnx file together with its data files')));
  try {
    if (offset + length > size) bad(`external data [${offset}, ${offset + length}) runs past the end of ${JSON.stringify(loc)} (${size} bytes)`, 'the data file is truncated');
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) bad(`external data ${JSON.stringify(loc)} ended early`);
      done += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** A dense TensorProto's values (FLOAT, INT64, INT32 and the smaller ints). */
export function readTensor(t: OnnxNamespace.ITensorProto, ctx: ReadContext): Tensor {
  const name = t.name || '(unnamed)';
  const dims = (t.dims ?? []).map((d) => int(d as LongLike, 'dimension', `${ctx.where}: tensor '${name}'`));
  const n = checkDims(dims, name, ctx.where, ctx.limits);
  const dt = t.dataType ?? 0;
  const width: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.INT64]: 8, [DataType.INT32]: 4, [DataType.INT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.DOUBLE]: 8 };
  const w = width[dt];
  if (!w) fail('BAD_FILE', `${ctx.where}: tensor '${name}' has data type ${onnx.TensorProto.DataType[dt] ?? dt}; float32 weights and integer indices are supported`, 'convert the model to float32');
  let raw: Uint8Array | null = null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) raw = readExternal(t, n * w, ctx);
  else if (t.rawData && t.rawData.length) raw = t.rawData;
  const out = dt === DataType.FLOAT ? new Float32Array(n) : new Float64Array(n);
  if (raw) {
    if (raw.length !== n * w) fail('BAD_FILE', `${ctx.where}: tensor '${name}' [${dims.join(', ')}] has ${raw.length} bytes of data, its shape needs ${n * w}`, 'the file is corrupt or truncated');
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      switch (dt) {
        case DataType.FLOAT: out[i] = dv.getFloat32(4 * i, true); break;
        case DataType.DOUBLE: out[i] = dv.getFloat64(8 * i, true); break;
        case DataType.INT64: out[i] = Number(dv.getBigInt64(8 * i, true)); break;
        case DataType.INT32: out[i] = dv.getInt32(4 * i, true); break;
        case DataType.INT16: out[i] = dv.getInt16(2 * i, true); break;
        case DataType.INT8: out[i] = dv.getInt8(i); break;
        default: out[i] = dv.getUint8(i);
      }
    }
    return { name, dims, data: out, dataType: dt };
  }
  const src: ArrayLike<LongLike> = (
    dt === DataType.FLOAT ? t.floatData : dt === DataType.DOUBLE ? t.doubleData : dt === DataType.INT64 ? t.int64Data as LongLike[] : t.int32Data) ?? [];
  if ((src?.length ?? 0) !== n) fail('BAD_FILE', `${ctx.where}: tensor '${name}' [${dims.join(', ')}] has ${src?.length ?? 0} values, its shape needs ${n}`, 'the file is corrupt or truncated');
  for (let i = 0; i < n; i++) { const v = src[i]; out[i] = typeof v === 'number' ? v : v.toNumber(); }
  return { name, dims, data: out, dataType: dt };
}

/** A SparseTensorProto made dense (values FLOAT; indices [NNZ] linearized or [NNZ, rank]). */
export function readSparseTensor(s: OnnxNamespace.ISparseTensorProto, ctx: ReadContext): Tensor {
  if (!s.values) fail('BAD_FILE', `${ctx.where}: a sparse initializer has no values tensor`, 'the file is corrupt');
  const name = s.values!.name || '(unnamed)';
  const dims = (s.dims ?? []).map((d) => int(d as LongLike, 'dimension', `${ctx.where}: sparse tensor '${name}'`));
  const n = checkDims(dims, name, ctx.where, ctx.limits);
  const values = readTensor(s.values!, ctx);
  if (values.dataType !== DataType.FLOAT) fail('BAD_FILE', `${ctx.where}: sparse tensor '${name}' has non-float values`, 'convert the model to float32');
  const nnz = values.data.length;
  const dense = new Float32Array(n);
  if (nnz === 0) return { name, dims, data: dense, dataType: DataType.FLOAT };
  if (!s.indices) fail('BAD_FILE', `${ctx.where}: sparse tensor '${name}' has values but no indices`, 'the file is corrupt');
  const idx = readTensor(s.indices!, ctx);
  const rank = dims.length;
  const linear = idx.dims.length === 1;
  if (!(linear && idx.dims[0] === nnz) && !(idx.dims.length === 2 && idx.dims[0] === nnz && idx.dims[1] === rank)) {
    fail('BAD_FILE', `${ctx.where}: sparse tensor '${name}': indices [${idx.dims.join(', ')}] do not match ${nnz} values of rank ${rank}`, 'the file is corrupt');
  }
  let prev = -1;
  for (let k = 0; k < nnz; k++) {
    let at = 0;
    if (linear) at = idx.data[k];
    else for (let r = 0; r < rank; r++) {
      const c = idx.data[k * rank + r];
      if (!(c >= 0 && c < dims[r])) fail('BAD_FILE', `${ctx.where}: sparse tensor '${name}': index ${c} out of range on axis ${r} (size ${dims[r]})`, 'the file is corrupt');
      at = at * dims[r] + c;
    }
    if (!(Number.isInteger(at) && at > prev && at < n)) {
      fail('BAD_FILE', `${ctx.where}: sparse tensor '${name}': index ${at} is out of range or not ascending`, 'the file is corrupt');
    }
    dense[at] = values.data[k];
    prev = at;
  }
  return { name, dims, data: dense, dataType: DataType.FLOAT };
}

/**
 * Reads and decodes an .onnx file. It must be a regular file (not a folder, device or
 * FIFO) whose size, checked before reading, is within the limit; a file that is not
 * well-formed protobuf, does not decode, or decodes to something with no graph, is
 * BAD_FILE.
 */
export function readModelFile(file: string, limits: ReadLimits = DEFAULT_LIMITS): ModelProto {
  const buf = readFileLimited(file, {
    maxBytes: limits.maxFileBytes, what: 'ONNX model', hint: 'pass an .onnx file; a model with large weights can keep them as external data next to it',
  });
  return decodeModel(buf, file);
}

/**
 * Decodes ModelProto bytes; `where` names the source in messages. The bytes are first
 * walked for protobuf structure (src/model/onnx/wire.ts), which the decoder does not
 * check.
 */
export function decodeModel(bytes: Uint8Array, where: string): ModelProto {
  checkModelWire(bytes, where);
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail('BAD_FILE', `${where} is not an ONNX model (protobuf decoding failed: ${(e as Error).message.split('\n')[0]})`, 'the file is truncated or corrupt, or not an .onnx file');
  }
  if (!m.graph || !m.graph.node?.length || !int(m.irVersion as LongLike, 'ir_version', where)) {
    fail('BAD_FILE', `${where} is not an ONNX model (no ir_version or no graph nodes)`, 'pass an .onnx file, e.g. one written by torch.onnx.export');
  }
  return m;
}

// ───────────── writing ─────────────

export function floatTensor(name: string, dims: number[], data: Float32Array): OnnxNamespace.TensorProto {
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  return onnx.TensorProto.create({ name, dims, dataType: DataType.FLOAT, rawData: raw });
}

/** Integer tensor as INT64, INT32 or INT16 raw data. */
export function intTensor(name: string, dims: number[], data: ArrayLike<number>, dataType: number = DataType.INT64): OnnxNamespace.TensorProto {
  const w = dataType === DataType.INT64 ? 8 : dataType === DataType.INT32 ? 4 : 2;
  const raw = new Uint8Array(data.length * w);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) {
    if (w === 8) dv.setBigInt64(8 * i, BigInt(data[i]), true);
    else if (w === 4) dv.setInt32(4 * i, data[i], true);
    else dv.setInt16(2 * i, data[i], true);
  }
  return onnx.TensorProto.create({ name, dims, dataType, rawData: raw });
}

export function attrInt(name: string, i: number): OnnxNamespace.AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}
export function attrInts(name: string, ints: number[]): OnnxNamespace.AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
}
export function attrFloat(name: string, f: number): OnnxNamespace.AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
}
export function attrStrings(name: string, strings: string[]): OnnxNamespace.AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRINGS, strings: strings.map((s) => Buffer.from(s, 'utf8')) });
}
export function node(opType: string, name: string, input: string[], output: string[], attribute: OnnxNamespace.AttributeProto[] = []): OnnxNamespace.NodeProto {
  return onnx.NodeProto.create({ opType, name, input, output, attribute });
}
/** A graph input / output: element type and shape (a string is a symbolic dimension). */
export function valueInfo(name: string, elemType: number, shape: Array<number | string>): OnnxNamespace.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}
export function encodeModel(m: OnnxNamespace.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}
