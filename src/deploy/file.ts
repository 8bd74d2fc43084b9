/** Node-only file helpers around the browser-safe format module. */
import fs from 'node:fs';
import { fail } from '../errors.js';
import { writeFileAtomic, readFileLimited, MAX_BINARY_BYTES } from '../util/fs.js';
import { readSparseModel, writeSparseModel, type SparseModel, type WriteOptions } from './format.js';
import type { ModelSpec } from '../model/spec.js';
import type { Layout } from '../model/layout.js';

/** Encodes and writes atomically (temp file + fsync + rename): readers never see half a file. */
export function writeSparseModelFile(file: string, spec: ModelSpec, layout: Layout, params: Float32Array,
  mask: Uint8Array | null, opts: WriteOptions = {}): Uint8Array {
  const bytes = writeSparseModel(spec, layout, params, mask, opts);
  writeFileAtomic(file, bytes);
  return bytes;
}

/** Reads and validates a .srnz file. */
export function readSparseModelFile(file: string): SparseModel {
  const bytes = readFileLimited(file, { maxBytes: MAX_BINARY_BYTES, what: 'sparse model', hint: 'check the path; `sparse-rnn export RUN --format sparse` writes one' });
  return readSparseModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}
