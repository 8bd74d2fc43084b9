/**
 * A small on-disk cache for data sets that are slow to build (Brown: ~0.6 s idle, over
 * 2 s on a busy machine). One file per (name, key): a JSON header and int32 arrays.
 *
 *   bytes 0–7    "SRNNDC01" (magic + format version)
 *   bytes 8–11   uint32 LE header length J
 *   J bytes      JSON {key, meta, lengths: number[]}
 *   pad to 4, then the arrays' int32 values back to back (little-endian)
 *
 * The key names everything the content depends on (package version, the loader's
 * rules); a file whose key, magic or size does not match is ignored and rebuilt.
 * Files are written to a temp name and renamed, so readers never see half a file.
 * Folder: $SPARSE_RNN_CACHE_DIR, else <os.tmpdir()>/sparse-rnn-cache. Failure to write
 * is silent (the cache is only a speed-up).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileLimited, writeAllSync } from '../util/fs.js';

const MAGIC = 'SRNNDC01';
/**
 * Largest cache file read (the Brown entry is about 5 MB). A bigger file, or anything
 * that is not a regular file (a FIFO, a device, a folder) under the cache's name, is
 * not read: it is ignored and rebuilt, as a damaged entry is.
 */
export const MAX_CACHE_BYTES = 256 * 1024 * 1024;
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function cacheDir(): string {
  return process.env.SPARSE_RNN_CACHE_DIR || path.join(os.tmpdir(), 'sparse-rnn-cache');
}

export function cacheFile(name: string, key: string): string {
  const h = crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
  return path.join(cacheDir(), `${name}-${h}.bin`);
}

export interface Cached<M> {
  meta: M;
  arrays: Int32Array[];
}

/** The cached entry, or null when absent, stale or damaged. */
export function readCache<M>(name: string, key: string): Cached<M> | null {
  if (!LITTLE) return null;
  let buf: Buffer;
  try {
    buf = readFileLimited(cacheFile(name, key), { maxBytes: MAX_CACHE_BYTES, what: 'cache file' });
  } catch {
    return null;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const j = buf.readUInt32LE(8);
    const head = JSON.parse(buf.toString('utf8', 12, 12 + j)) as { key: string; meta: M; lengths: number[] };
    if (head.key !== key || !Array.isArray(head.lengths)) return null;
    const start = 12 + j + ((4 - ((12 + j) % 4)) % 4);
    const total = head.lengths.reduce((a, b) => a + b, 0);
    if (buf.length !== start + 4 * total) return null;
    // Copy out: the Buffer may sit in a shared pool at an unaligned offset.
    const all = new Int32Array(total);
    new Uint8Array(all.buffer).set(buf.subarray(start));
    const arrays: Int32Array[] = [];
    let off = 0;
    for (const n of head.lengths) {
      arrays.push(all.slice(off, off + n));
      off += n;
    }
    return { meta: head.meta, arrays };
  } catch {
    return null;
  }
}

/** Writes an entry atomically (temp file + rename); returns false when it could not. */
export function writeCache<M>(name: string, key: string, meta: M, arrays: Int32Array[]): boolean {
  if (!LITTLE) return false;
  const file = cacheFile(name, key);
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const json = Buffer.from(JSON.stringify({ key, meta, lengths: arrays.map((a) => a.length) }), 'utf8');
    const pad = (4 - ((12 + json.length) % 4)) % 4;
    const head = Buffer.alloc(12 + json.length + pad);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(json.length, 8);
    json.copy(head, 12);
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAllSync(fd, head);
      for (const a of arrays) writeAllSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    return false;
  }
}
