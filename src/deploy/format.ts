/**
 * The sparse model file (.srnz): what `sparse-rnn export --format sparse` writes and
 * what the inference runtimes (TypeScript, native, browser) load. No Node APIs here:
 * the same loader runs in a page. docs/deploy.md has the byte table; in short
 * (little endian, every section starts 4-byte aligned):
 *
 *   0   8  magic "SRNNSPRS"
 *   8   4  u32 format version: 1, or 2 when the model needs it (SPARSE_FORMAT_VERSION:
 *          the reset-after GRU, whose bias is [2, 3H]); both are read
 *   12  4  u32 file length in bytes, checksum included
 *   16  4  u32 metadata length m (a multiple of 4)
 *   20  4  u32 section count n
 *   24  m  metadata: UTF-8 JSON { spec, values, producer, extra? }, space padded
 *   …      n sections, one per layout segment (see below)
 *   end-4  u32 CRC-32 of every byte before it
 *
 * Section (16-byte head, then the name, then the arrays):
 *   0  u8  kind: 1 CSR matrix, 2 dense
 *   1  u8  value type: 0 fp32, 1 fp16, 2 int8 (per-row fp32 scale)
 *   2  u8  index type (CSR): 0 u8, 1 u16, 2 u32 — the narrowest that holds cols − 1 —
 *          or 3 gaps: u32 byte count, then per row the LEB128 of c − prev − 1 (prev = −1
 *          at a row start); the writer picks whichever is smaller
 *   3  u8  name length k (1…255), name bytes follow the head, zero padded to 4
 *   4  u32 rows   8 u32 cols   12 u32 nnz (CSR) or rows·cols (dense)
 *   CSR:   rowPtr (rows+1)×u32 · colIdx nnz×index (or u32 n + n gap bytes), pad ·
 *          [int8: scales rows×f32] · values nnz×value, pad
 *   dense: [int8: scales rows×f32] · values rows·cols×value, pad
 *
 * Matrices keep the layout's orientation ([in, G·H] kernels, [V, E] embedding,
 * [H, O] head); biases are dense fp32: 1×n, or 2×3H for the reset-after GRU (input
 * bias; recurrent bias). The loader trusts nothing: every
 * length is checked against the bytes that remain before anything is allocated.
 */
import { fail } from '../errors.js';
import { isResetAfter, validateSpec, type ModelSpec } from '../model/spec.js';
import { buildLayout, type Layout, type Segment } from '../model/layout.js';
import { crc32, fromHalf, int8Scale, quantInt8, toHalf } from './codec.js';

export const SPARSE_MAGIC = 'SRNNSPRS';
/** The newest version written and read. Version 1 files (every model but the reset-after GRU) are still written as 1. */
export const SPARSE_FORMAT_VERSION = 2;
/** The version a model's file is written with: the oldest that can express it. */
export const formatVersionFor = (spec: ModelSpec): number => (isResetAfter(spec) ? 2 : 1);
export const SPARSE_EXT = '.srnz';

export type ValueType = 'fp32' | 'fp16' | 'int8';
export const VALUE_TYPES: readonly ValueType[] = ['fp32', 'fp16', 'int8'];
const VALUE_WIDTH = [4, 2, 1];
const INDEX_WIDTH = [1, 2, 4];
/** Index type 3: u32 byte count, then per row LEB128 gaps between successive columns. */
const IDX_GAPS = 3;
const KIND_CSR = 1;
const KIND_DENSE = 2;

/** Caps that keep a hostile file from asking for absurd work before its bytes are checked. */
const MAX_META_BYTES = 1 << 20;
const MAX_LAYOUT_FLOATS = 1 << 28; // 1 GiB of fp32 when rebuilt dense

export interface CsrMatrix {
  kind: 'csr';
  rows: number;
  cols: number;
  /** [rows + 1], rowPtr[0] = 0, non-decreasing, rowPtr[rows] = nnz. */
  rowPtr: Uint32Array;
  /** [nnz] column of each kept value, strictly increasing within a row. */
  colIdx: Uint8Array | Uint16Array | Uint32Array;
  /** [nnz] decoded values (fp16 / int8 widened to fp32 exactly as stored). */
  values: Float32Array;
  /** int8 files: the stored codes [nnz] and per-row scales [rows]; values[k] = q[k] · scales[row]. */
  int8?: { q: Int8Array; scales: Float32Array };
}

export interface DenseMatrix {
  kind: 'dense';
  rows: number;
  cols: number;
  /** [rows · cols] row-major, decoded. */
  values: Float32Array;
  /** int8 files: the stored codes [rows · cols] and per-row scales [rows]. */
  int8?: { q: Int8Array; scales: Float32Array };
}

export type WeightGroup = CsrMatrix | DenseMatrix;

export interface SparseModel {
  spec: ModelSpec;
  layout: Layout;
  /** Value type of the matrices (vectors are always fp32). */
  values: ValueType;
  /** Segment name → decoded group, in layout order. */
  groups: Map<string, WeightGroup>;
  /** Free-form JSON from the writer (vocabulary, class labels, provenance). */
  extra: Record<string, unknown>;
  /** Bytes of each section in the file, by segment name (size accounting). */
  sectionBytes: Map<string, number>;
}

export interface WriteOptions {
  values?: ValueType;
  /**
   * 'auto' (default): a matrix is written CSR unless its dense encoding is smaller
   * (an unpruned embedding, say); 'csr': every matrix CSR.
   */
  storage?: 'auto' | 'csr';
  /** JSON-safe extras kept in the metadata (e.g. { vocab: [...chars], labels: [...] }). */
  extra?: Record<string, unknown>;
}

// ---------------------------------------------------------------- writer

interface EncodedSection { name: string; bytes: Uint8Array }

/**
 * Encodes a model: params [layout.total] (pruned entries exactly 0); mask [layout.total]
 * (1 kept) or null, in which case the non-zeros of params are the structure.
 */
export function writeSparseModel(spec: ModelSpec, layout: Layout, params: Float32Array,
  mask: Uint8Array | null, opts: WriteOptions = {}): Uint8Array {
  const values = opts.values ?? 'fp32';
  if (!VALUE_TYPES.includes(values)) fail('BAD_FLAG', `values must be fp32, fp16 or int8 (got ${JSON.stringify(values)})`, 'try --values fp16');
  if (params.length !== layout.total) fail('BAD_CONFIG', `params has ${params.length} values, the layout needs ${layout.total}`, 'pass the params of this model (layout.total floats)');
  if (mask && mask.length !== layout.total) fail('BAD_CONFIG', `mask has ${mask.length} entries, the layout needs ${layout.total}`, 'pass the mask of this model (layout.total entries) or null');
  const sections = layout.segments.map((seg) => encodeSegment(seg, params, mask, values, opts.storage ?? 'auto'));
  const metaObj = { spec, values, producer: 'sparse-rnn', extra: opts.extra ?? {} };
  const metaRaw = new TextEncoder().encode(JSON.stringify(metaObj));
  const metaLen = pad4(metaRaw.length);
  if (metaLen > MAX_META_BYTES) fail('BAD_CONFIG', `model metadata is ${metaLen} bytes, the format allows ${MAX_META_BYTES}`, 'drop large extras (vocabulary) from the export');
  const total = 24 + metaLen + sections.reduce((a, s) => a + s.bytes.length, 0) + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = SPARSE_MAGIC.charCodeAt(i);
  dv.setUint32(8, formatVersionFor(spec), true);
  dv.setUint32(12, total, true);
  dv.setUint32(16, metaLen, true);
  dv.setUint32(20, sections.length, true);
  out.fill(0x20, 24, 24 + metaLen);
  out.set(metaRaw, 24);
  let pos = 24 + metaLen;
  for (const s of sections) {
    out.set(s.bytes, pos);
    pos += s.bytes.length;
  }
  dv.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

function encodeSegment(seg: Segment, params: Float32Array, mask: Uint8Array | null,
  values: ValueType, storage: 'auto' | 'csr'): EncodedSection {
  const w = params.subarray(seg.offset, seg.offset + seg.size);
  const m = mask ? mask.subarray(seg.offset, seg.offset + seg.size) : null;
  if (seg.shape.length === 1) return { name: seg.name, bytes: encodeDense(seg.name, 1, seg.size, w, 'fp32') };
  if (seg.kind === 'bias') return { name: seg.name, bytes: encodeDense(seg.name, seg.shape[0], seg.shape[1], w, 'fp32') };
  const [rows, cols] = seg.shape;
  const rowPtr = new Uint32Array(rows + 1);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (m ? m[i] !== 0 : w[i] !== 0) nnz++;
    }
    rowPtr[r + 1] = nnz;
  }
  const colIdx = new Uint32Array(nnz);
  const vals = new Float32Array(nnz);
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (m ? m[i] !== 0 : w[i] !== 0) {
        colIdx[k] = c;
        vals[k++] = w[i];
      }
    }
  }
  // Index encoding: the narrowest fixed width, or LEB128 gaps when that is smaller.
  const fixedType = cols <= 0x100 ? 0 : cols <= 0x10000 ? 1 : 2;
  const gaps = encodeGaps(rowPtr, colIdx, rows);
  const idxType = 4 + gaps.length < nnz * INDEX_WIDTH[fixedType] ? IDX_GAPS : fixedType;
  const idxBytes = idxType === IDX_GAPS ? 4 + pad4(gaps.length) : pad4(nnz * INDEX_WIDTH[idxType]);
  const vt = VALUE_TYPES.indexOf(values);
  const csrBytes = (rows + 1) * 4 + idxBytes + (vt === 2 ? rows * 4 : 0) + pad4(nnz * VALUE_WIDTH[vt]);
  const denseBytes = (vt === 2 ? rows * 4 : 0) + pad4(rows * cols * VALUE_WIDTH[vt]);
  if (storage === 'auto' && denseBytes <= csrBytes) return { name: seg.name, bytes: encodeDense(seg.name, rows, cols, w, values) };
  const head = sectionHead(seg.name, KIND_CSR, vt, idxType, rows, cols, nnz);
  const buf = new Uint8Array(head.length + csrBytes);
  const dv = new DataView(buf.buffer);
  buf.set(head, 0);
  let p = head.length;
  for (let r = 0; r <= rows; r++, p += 4) dv.setUint32(p, rowPtr[r], true);
  if (idxType === IDX_GAPS) {
    dv.setUint32(p, gaps.length, true);
    buf.set(gaps, p + 4);
  } else {
    for (let k = 0; k < nnz; k++) {
      if (idxType === 0) buf[p + k] = colIdx[k];
      else if (idxType === 1) dv.setUint16(p + 2 * k, colIdx[k], true);
      else dv.setUint32(p + 4 * k, colIdx[k], true);
    }
  }
  p += idxBytes;
  p = writeValues(buf, dv, p, vals, rows, (r) => [rowPtr[r], rowPtr[r + 1]], vt);
  return { name: seg.name, bytes: buf };
}

/** Per row, each column as the LEB128 of its gap to the previous one (c − prev − 1; prev = −1 at a row start). */
function encodeGaps(rowPtr: Uint32Array, colIdx: Uint32Array, rows: number): Uint8Array {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let prev = -1;
    for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
      let g = colIdx[k] - prev - 1;
      prev = colIdx[k];
      while (g >= 0x80) {
        out.push((g & 0x7f) | 0x80);
        g = Math.floor(g / 128);
      }
      out.push(g);
    }
  }
  return Uint8Array.from(out);
}

function encodeDense(name: string, rows: number, cols: number, w: Float32Array, values: ValueType): Uint8Array {
  const vt = VALUE_TYPES.indexOf(values);
  const head = sectionHead(name, KIND_DENSE, vt, 0, rows, cols, rows * cols);
  const buf = new Uint8Array(head.length + (vt === 2 ? rows * 4 : 0) + pad4(rows * cols * VALUE_WIDTH[vt]));
  buf.set(head, 0);
  writeValues(buf, new DataView(buf.buffer), head.length, w, rows, (r) => [r * cols, (r + 1) * cols], vt);
  return buf;
}

/** Writes [int8: per-row scales] then the values; returns the padded end. */
function writeValues(buf: Uint8Array, dv: DataView, p: number, vals: Float32Array, rows: number,
  range: (r: number) => [number, number], vt: number): number {
  const n = vals.length;
  if (vt === 0) for (let k = 0; k < n; k++) dv.setFloat32(p + 4 * k, vals[k], true);
  else if (vt === 1) for (let k = 0; k < n; k++) dv.setUint16(p + 2 * k, toHalf(vals[k]), true);
  else {
    const scales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const [a, b] = range(r);
      scales[r] = int8Scale(vals.subarray(a, b)); // rounded to fp32: reader and writer agree
      dv.setFloat32(p + 4 * r, scales[r], true);
    }
    p += rows * 4;
    for (let r = 0; r < rows; r++) {
      const [a, b] = range(r);
      for (let k = a; k < b; k++) dv.setInt8(p + k, quantInt8(vals[k], scales[r]));
    }
  }
  return p + pad4(n * VALUE_WIDTH[vt]);
}

function sectionHead(name: string, kind: number, vt: number, it: number, rows: number, cols: number, n: number): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const head = new Uint8Array(16 + pad4(nameBytes.length));
  const dv = new DataView(head.buffer);
  head[0] = kind;
  head[1] = vt;
  head[2] = it;
  head[3] = nameBytes.length;
  dv.setUint32(4, rows, true);
  dv.setUint32(8, cols, true);
  dv.setUint32(12, n, true);
  head.set(nameBytes, 16);
  return head;
}

const pad4 = (n: number) => Math.ceil(n / 4) * 4;

// ---------------------------------------------------------------- reader

/** Parses and validates a sparse model file; any defect → BAD_FILE naming it. */
export function readSparseModel(bytes: Uint8Array, source = 'sparse model'): SparseModel {
  const bad = (what: string): never =>
    fail('BAD_FILE', `${source}: ${what}`, 'the file is corrupt or not a sparse-rnn model; export it again with `sparse-rnn export RUN --format sparse`');
  if (!(bytes instanceof Uint8Array)) bad('expected the file bytes (Uint8Array)');
  const len = bytes.length;
  if (len < 28) bad(`file is ${len} bytes, too short for the 28-byte header and checksum`);
  for (let i = 0; i < 8; i++) if (bytes[i] !== SPARSE_MAGIC.charCodeAt(i)) bad('not a sparse-rnn model (bad magic)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version < 1 || version > SPARSE_FORMAT_VERSION) {
    fail('BAD_FILE', `${source}: format version ${version} is not supported (this build reads versions 1 to ${SPARSE_FORMAT_VERSION})`, 'export the model again with this sparse-rnn version');
  }
  const declared = dv.getUint32(12, true);
  if (declared > len) bad(`truncated: the header declares ${declared} bytes, the file has ${len}`);
  if (declared < len) bad(`${len - declared} unexpected bytes after the declared end (${declared} bytes)`);
  const stored = dv.getUint32(len - 4, true);
  const actual = crc32(bytes, 0, len - 4);
  if (stored !== actual) bad(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupted`);

  const end = len - 4;
  const metaLen = dv.getUint32(16, true);
  const nSections = dv.getUint32(20, true);
  if (metaLen > MAX_META_BYTES) bad(`metadata length ${metaLen} exceeds the ${MAX_META_BYTES}-byte cap`);
  if (24 + metaLen > end) bad(`metadata length ${metaLen} runs past the end of the file`);
  let meta: { spec?: ModelSpec; values?: ValueType; extra?: Record<string, unknown> };
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(24, 24 + metaLen)));
  } catch {
    return bad('metadata is not valid UTF-8 JSON');
  }
  if (!meta || typeof meta !== 'object') bad('metadata is not a JSON object');
  let spec: ModelSpec;
  try {
    spec = validateSpec({ ...(meta.spec as ModelSpec) });
  } catch (e) {
    return bad(`model spec is invalid: ${(e as Error).message}`);
  }
  if (version < formatVersionFor(spec)) bad(`a reset-after GRU needs format version 2 (the file says ${version})`);
  if (!VALUE_TYPES.includes(meta.values as ValueType)) bad(`metadata.values must be fp32, fp16 or int8 (got ${JSON.stringify(meta.values)})`);
  const extra = meta.extra && typeof meta.extra === 'object' && !Array.isArray(meta.extra) ? meta.extra : {};
  const layout = buildLayout(spec);
  if (layout.total > MAX_LAYOUT_FLOATS) bad(`model needs ${layout.total} parameters, above the ${MAX_LAYOUT_FLOATS} cap`);
  if (nSections !== layout.segments.length) bad(`declares ${nSections} sections, the spec has ${layout.segments.length} weight groups`);

  const groups = new Map<string, WeightGroup>();
  const sectionBytes = new Map<string, number>();
  let p = 24 + metaLen;
  for (let s = 0; s < nSections; s++) {
    const start = p;
    const where = `section ${s}`;
    if (p + 16 > end) bad(`${where}: header runs past the end of the file`);
    const kind = bytes[p], vt = bytes[p + 1], it = bytes[p + 2], nameLen = bytes[p + 3];
    const rows = dv.getUint32(p + 4, true), cols = dv.getUint32(p + 8, true), n = dv.getUint32(p + 12, true);
    p += 16;
    if (nameLen === 0 || p + pad4(nameLen) > end) bad(`${where}: name length ${nameLen} is zero or runs past the end of the file`);
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(p, p + nameLen));
    } catch {
      return bad(`${where}: name is not UTF-8`);
    }
    p += pad4(nameLen);
    const seg = layout.byName.get(name) ?? bad(`${where}: "${name}" is not a weight group of this spec`);
    if (groups.has(name)) bad(`section "${name}" appears twice`);
    const label = `section "${name}"`;
    if (kind !== KIND_CSR && kind !== KIND_DENSE) bad(`${label}: unknown kind ${kind} (1 CSR, 2 dense)`);
    if (vt > 2) bad(`${label}: unknown value type ${vt} (0 fp32, 1 fp16, 2 int8)`);
    const [wantRows, wantCols] = seg.shape.length === 1 ? [1, seg.size] : seg.shape;
    if (rows !== wantRows || cols !== wantCols) bad(`${label}: shape ${rows}x${cols} does not match the spec's ${wantRows}x${wantCols}`);
    const vw = VALUE_WIDTH[vt];
    const need = (bytesNeeded: number, what: string) => {
      if (p + bytesNeeded > end) bad(`${label}: ${what} needs ${bytesNeeded} bytes, only ${end - p} remain`);
    };
    if (kind === KIND_DENSE) {
      if (n !== rows * cols) bad(`${label}: dense count ${n} is not rows x cols = ${rows * cols}`);
      const scales = vt === 2 ? readScales(rows) : null;
      need(pad4(n * vw), 'values');
      const values = decodeValues(p, n, vt, scales, (k) => Math.floor(k / cols));
      const int8 = vt === 2 ? { q: new Int8Array(bytes.buffer.slice(bytes.byteOffset + p, bytes.byteOffset + p + n)), scales: scales! } : undefined;
      p += pad4(n * vw);
      groups.set(name, { kind: 'dense', rows, cols, values, ...(int8 ? { int8 } : {}) });
    } else {
      if (seg.shape.length === 1) bad(`${label}: a vector must be stored dense`);
      if (it > 3) bad(`${label}: unknown index type ${it} (0 u8, 1 u16, 2 u32, 3 gaps)`);
      if (n > rows * cols) bad(`${label}: nnz ${n} exceeds rows x cols = ${rows * cols}`);
      if (it === 0 && cols > 0x100 || it === 1 && cols > 0x10000) bad(`${label}: index type ${['u8', 'u16', 'u32'][it]} cannot address ${cols} columns`);
      need((rows + 1) * 4, 'row pointers');
      const rowPtr = new Uint32Array(rows + 1);
      for (let r = 0; r <= rows; r++) rowPtr[r] = dv.getUint32(p + 4 * r, true);
      p += (rows + 1) * 4;
      if (rowPtr[0] !== 0) bad(`${label}: row pointer 0 is ${rowPtr[0]}, must be 0`);
      for (let r = 0; r < rows; r++) {
        if (rowPtr[r + 1] < rowPtr[r]) bad(`${label}: row pointers not monotone at row ${r} (${rowPtr[r]} then ${rowPtr[r + 1]})`);
        if (rowPtr[r + 1] > n) bad(`${label}: row pointer ${r + 1} is ${rowPtr[r + 1]}, above nnz ${n}`);
      }
      if (rowPtr[rows] !== n) bad(`${label}: last row pointer is ${rowPtr[rows]}, must equal nnz ${n}`);
      let colIdx: Uint8Array | Uint16Array | Uint32Array;
      if (it === IDX_GAPS) {
        need(4, 'gap stream length');
        const len = dv.getUint32(p, true);
        p += 4;
        need(pad4(len), 'gap stream');
        if (n > len) bad(`${label}: gap stream of ${len} bytes cannot hold ${n} indices`);
        colIdx = cols <= 0x100 ? new Uint8Array(n) : cols <= 0x10000 ? new Uint16Array(n) : new Uint32Array(n);
        let q = p;
        const stop = p + len;
        for (let r = 0; r < rows; r++) {
          let prev = -1;
          for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
            let g = 0, mul = 1, byte: number;
            do {
              if (q >= stop) bad(`${label}: gap stream runs past its ${len} bytes at row ${r}`);
              if (mul > 2 ** 28) bad(`${label}: gap at row ${r} is longer than 5 bytes`);
              byte = bytes[q++];
              g += (byte & 0x7f) * mul;
              mul *= 128;
            } while (byte & 0x80);
            const c = prev + 1 + g;
            if (c >= cols) bad(`${label}: column index ${c} at row ${r} is out of range (cols ${cols})`);
            colIdx[k] = c;
            prev = c;
          }
        }
        if (q !== stop) bad(`${label}: gap stream has ${stop - q} unused bytes`);
        p += pad4(len);
      } else {
        const iw = INDEX_WIDTH[it];
        need(pad4(n * iw), 'column indices');
        colIdx = it === 0 ? new Uint8Array(n) : it === 1 ? new Uint16Array(n) : new Uint32Array(n);
        for (let k = 0; k < n; k++) colIdx[k] = it === 0 ? bytes[p + k] : it === 1 ? dv.getUint16(p + 2 * k, true) : dv.getUint32(p + 4 * k, true);
        p += pad4(n * iw);
      }
      for (let r = 0; r < rows; r++) {
        for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
          if (colIdx[k] >= cols) bad(`${label}: column index ${colIdx[k]} at row ${r} is out of range (cols ${cols})`);
          if (k > rowPtr[r] && colIdx[k] <= colIdx[k - 1]) bad(`${label}: column indices of row ${r} are not strictly increasing`);
        }
      }
      const scales = vt === 2 ? readScales(rows) : null;
      need(pad4(n * vw), 'values');
      let row = 0;
      const values = decodeValues(p, n, vt, scales, (k) => {
        while (rowPtr[row + 1] <= k) row++;
        return row;
      });
      const int8 = vt === 2 ? { q: new Int8Array(bytes.buffer.slice(bytes.byteOffset + p, bytes.byteOffset + p + n)), scales: scales! } : undefined;
      p += pad4(n * vw);
      groups.set(name, { kind: 'csr', rows, cols, rowPtr, colIdx, values, ...(int8 ? { int8 } : {}) });
    }
    sectionBytes.set(name, p - start);
  }
  if (p !== end) bad(`${end - p} bytes between the last section and the checksum are unaccounted for`);
  // Every segment was named once and there are exactly as many sections as segments.
  const ordered = new Map(layout.segments.map((seg) => [seg.name, groups.get(seg.name)!]));
  return { spec, layout, values: meta.values as ValueType, groups: ordered, extra, sectionBytes };

  function readScales(rows: number): Float32Array {
    if (p + rows * 4 > end) bad(`int8 scales need ${rows * 4} bytes, only ${end - p} remain`);
    const sc = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      sc[r] = dv.getFloat32(p + 4 * r, true);
      if (!(Number.isFinite(sc[r]) && sc[r] >= 0)) bad(`int8 scale of row ${r} is ${sc[r]}, must be finite and >= 0`);
    }
    p += rows * 4;
    return sc;
  }

  function decodeValues(at: number, n: number, vt: number, scales: Float32Array | null, rowOf: (k: number) => number): Float32Array {
    const out = new Float32Array(n);
    if (vt === 0) for (let k = 0; k < n; k++) out[k] = dv.getFloat32(at + 4 * k, true);
    else if (vt === 1) for (let k = 0; k < n; k++) out[k] = fromHalf(dv.getUint16(at + 2 * k, true));
    else for (let k = 0; k < n; k++) out[k] = dv.getInt8(at + k) * scales![rowOf(k)];
    for (let k = 0; k < n; k++) if (!Number.isFinite(out[k])) bad(`value ${k} is ${out[k]}, must be finite`);
    return out;
  }
}

const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');

/**
 * The flat dense params and mask of a loaded model (layout order, padding zero):
 * what "the dense model on the same params" means in tests and references. The mask is
 * the stored structure of CSR groups, the non-zeros of matrices the writer stored dense
 * (because that was smaller), and all ones for vectors.
 */
export function toDenseParams(model: SparseModel): { params: Float32Array; mask: Uint8Array } {
  const params = new Float32Array(model.layout.total);
  const mask = new Uint8Array(model.layout.total);
  for (const seg of model.layout.segments) {
    const g = model.groups.get(seg.name)!;
    if (g.kind === 'dense') {
      params.set(g.values, seg.offset);
      // Vectors are never pruned; a matrix stored dense has its non-zeros as structure.
      if (seg.shape.length === 1) mask.fill(1, seg.offset, seg.offset + seg.size);
      else for (let i = 0; i < seg.size; i++) mask[seg.offset + i] = g.values[i] !== 0 ? 1 : 0;
    } else {
      for (let r = 0; r < g.rows; r++) {
        for (let k = g.rowPtr[r]; k < g.rowPtr[r + 1]; k++) {
          const i = seg.offset + r * g.cols + g.colIdx[k];
          params[i] = g.values[k];
          mask[i] = 1;
        }
      }
    }
  }
  return { params, mask };
}

/** Kept (stored) weights of a group. */
export function groupNnz(g: WeightGroup): number {
  return g.kind === 'csr' ? g.values.length : g.rows * g.cols;
}
