/**
 * Size accounting: the one place where "how much smaller is the sparse file" is
 * computed. Per weight group and in total:
 *   denseFp32  the group as raw fp32 (what a dense checkpoint / TF.js weights file holds)
 *   denseGzip  gzip -6 of those fp32 bytes (what peers quote for "pruned files compress")
 *   fp32/fp16/int8  bytes of the group's section in our sparse file with that value type
 * Totals: denseFp32 / denseGzip over all groups; the sparse totals are whole files
 * (header, metadata and checksum included). Ratios are sparse ÷ denseFp32.
 */
import zlib from 'node:zlib';
import type { ModelSpec } from '../model/spec.js';
import type { Layout } from '../model/layout.js';
import { readSparseModel, writeSparseModel, VALUE_TYPES, type ValueType } from './format.js';

export interface SizeRow {
  name: string;
  shape: number[];
  /** Kept weights (mask, or non-zeros when there is no mask). */
  nnz: number;
  size: number;
  denseFp32: number;
  denseGzip: number;
  sparse: Record<ValueType, number>;
}

export interface SizeReport {
  groups: SizeRow[];
  total: SizeRow;
}

export function sizeReport(spec: ModelSpec, layout: Layout, params: Float32Array, mask: Uint8Array | null): SizeReport {
  const files = {} as Record<ValueType, ReturnType<typeof readSparseModel>>;
  const totalBytes = {} as Record<ValueType, number>;
  for (const v of VALUE_TYPES) {
    const bytes = writeSparseModel(spec, layout, params, mask, { values: v });
    totalBytes[v] = bytes.length;
    files[v] = readSparseModel(bytes);
  }
  const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const groups: SizeRow[] = layout.segments.map((seg) => {
    const w = params.subarray(seg.offset, seg.offset + seg.size);
    let nnz = 0;
    for (let i = 0; i < seg.size; i++) if (mask ? mask[seg.offset + i] : w[i] !== 0) nnz++;
    return {
      name: seg.name, shape: seg.shape, nnz, size: seg.size,
      denseFp32: seg.size * 4,
      denseGzip: zlib.gzipSync(bytesOf(w)).length,
      sparse: Object.fromEntries(VALUE_TYPES.map((v) => [v, files[v].sectionBytes.get(seg.name)!])) as Record<ValueType, number>,
    };
  });
  const dense = new Float32Array(groups.reduce((a, g) => a + g.size, 0));
  let at = 0;
  for (const seg of layout.segments) {
    dense.set(params.subarray(seg.offset, seg.offset + seg.size), at);
    at += seg.size;
  }
  const total: SizeRow = {
    name: 'total', shape: [dense.length],
    nnz: groups.reduce((a, g) => a + g.nnz, 0), size: dense.length,
    denseFp32: dense.length * 4, denseGzip: zlib.gzipSync(bytesOf(dense)).length, sparse: totalBytes,
  };
  return { groups, total };
}

/** Ratio of b to the dense fp32 size, as a percentage string ("11.3%"). */
export const pct = (bytes: number, denseFp32: number) => `${((100 * bytes) / denseFp32).toFixed(1)}%`;

/** A plain-text table, one line per group and the total. */
export function formatSizeReport(r: SizeReport): string {
  const head = ['group', 'shape', 'density', 'dense fp32', 'dense gzip', 'sparse fp32', 'sparse fp16', 'sparse int8'];
  const rows = [...r.groups, r.total].map((g) => [
    g.name, g.shape.join('x'), `${((100 * g.nnz) / g.size).toFixed(1)}%`, kb(g.denseFp32),
    `${kb(g.denseGzip)} (${pct(g.denseGzip, g.denseFp32)})`,
    ...VALUE_TYPES.map((v) => `${kb(g.sparse[v])} (${pct(g.sparse[v], g.denseFp32)})`),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const kb = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
