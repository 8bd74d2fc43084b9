/**
 * Versioned checkpoints from which training resumes exactly.
 *
 * Byte layout (little endian):
 *   0   8  magic "SRNNCKPT"
 *   8   4  u32 version (CHECKPOINT_VERSION)
 *   12  4  u32 header length n
 *   16  n  header: UTF-8 JSON (spec, step, metrics, optimizer, RNG, pruner, …)
 *   …      sections, each at a 4-byte aligned offset listed in header.sections
 *   end-4  u32 CRC-32 of every byte before it
 * Written atomically (temp file + rename). Every read is validated: a truncated,
 * corrupt or wrong-version file gives one BAD_FILE line, never a bad read.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fail } from '../errors.js';
import { validateSpec, type ModelSpec } from './spec.js';
import { buildLayout, type Layout } from './layout.js';
import { writeFileAtomic, readFileLimited, MAX_BINARY_BYTES } from '../util/fs.js';
import { parseCheckpointTrain, type ImportedState, type TrainState } from '../train/state.js';

export const CHECKPOINT_MAGIC = 'SRNNCKPT';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_EXT = '.srnn';

type DType = 'f32' | 'u8';
export interface SectionInfo { name: string; dtype: DType; length: number; offset: number }

/** Everything besides the big arrays; JSON-safe. */
export interface CheckpointMeta {
  spec: ModelSpec;
  /** Optimizer steps done. */
  step: number;
  epoch: number;
  /** Batches of the current epoch already done (resume point). */
  batchInEpoch: number;
  /**
   * The training state (optimizer counter, LR state, pruner, history, the epoch's
   * running sums), typed and versioned in src/train/state.ts and validated on read.
   * Absent in checkpoints written outside training.
   */
  train?: TrainState | ImportedState;
  createdAt?: string;
}

export interface Checkpoint extends CheckpointMeta {
  layout: Layout;
  params: Float32Array;
  mask: Uint8Array | null;
  /** Named extra float sections: optimizer moments ('opt.m', 'opt.v'), carried RNN state ('state'). */
  extra: Record<string, Float32Array>;
}

export function writeCheckpoint(file: string, ck: Omit<Checkpoint, 'layout'> & { layout?: Layout }): void {
  const sections: { name: string; dtype: DType; data: Uint8Array }[] = [
    { name: 'params', dtype: 'f32', data: bytesOf(ck.params) },
  ];
  if (ck.mask) sections.push({ name: 'mask', dtype: 'u8', data: ck.mask });
  for (const [name, a] of Object.entries(ck.extra)) sections.push({ name, dtype: 'f32', data: bytesOf(a) });
  const info: SectionInfo[] = [];
  // Header size depends on offsets; offsets are relative to the end of the header, so no fixed point needed.
  let rel = 0;
  for (const s of sections) {
    info.push({ name: s.name, dtype: s.dtype, length: s.dtype === 'f32' ? s.data.length / 4 : s.data.length, offset: rel });
    rel += Math.ceil(s.data.length / 4) * 4;
  }
  const meta = {
    spec: ck.spec, step: ck.step, epoch: ck.epoch, batchInEpoch: ck.batchInEpoch,
    ...(ck.train ? { train: ck.train } : {}), createdAt: ck.createdAt ?? new Date().toISOString(), sections: info,
  };
  let header = Buffer.from(JSON.stringify(meta), 'utf8');
  const pad = (4 - ((16 + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const start = 16 + header.length;
  const total = start + rel + 4;
  const out = Buffer.alloc(total);
  out.write(CHECKPOINT_MAGIC, 0, 'latin1');
  out.writeUInt32LE(CHECKPOINT_VERSION, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, 16);
  sections.forEach((s, i) => out.set(s.data, start + info[i].offset));
  out.writeUInt32LE(zlib.crc32(out.subarray(0, total - 4)) >>> 0, total - 4);
  writeFileAtomic(file, out);
}

export function readCheckpoint(file: string): Checkpoint {
  const buf = readFileLimited(file, { maxBytes: MAX_BINARY_BYTES, what: 'checkpoint', hint: 'check the path; a run folder holds checkpoints in ckpt/' });
  const bad = (what: string): never => fail('BAD_FILE', `${file}: ${what}`, 'the file is corrupt or not a sparse-rnn checkpoint; use another checkpoint of the run');
  if (buf.length < 20 || buf.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) bad('not a sparse-rnn checkpoint (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION) fail('BAD_FILE', `${file}: checkpoint version ${version} is not supported (this build reads version ${CHECKPOINT_VERSION})`, 'use the sparse-rnn version that wrote it');
  const hlen = buf.readUInt32LE(12);
  if (16 + hlen + 4 > buf.length) bad('truncated header');
  const crc = buf.readUInt32LE(buf.length - 4);
  if ((zlib.crc32(buf.subarray(0, buf.length - 4)) >>> 0) !== crc) bad('checksum mismatch (truncated or corrupted)');
  let meta: CheckpointMeta & { sections: SectionInfo[] };
  try {
    meta = JSON.parse(buf.toString('utf8', 16, 16 + hlen));
  } catch {
    return bad('header is not valid JSON');
  }
  if (!meta || typeof meta !== 'object' || !Array.isArray(meta.sections)) bad('header has no section table');
  const intField = (k: 'step' | 'epoch' | 'batchInEpoch', min: number, dflt: number): number => {
    const v = (meta as unknown as Record<string, unknown>)[k] ?? dflt;
    if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= min)) bad(`header field ${k} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const pos = { step: intField('step', 0, 0), epoch: intField('epoch', 0, 0), batchInEpoch: intField('batchInEpoch', 0, 0) };
  const rawTrain = (meta as { train?: unknown }).train;
  const train = rawTrain === undefined || (rawTrain && typeof rawTrain === 'object' && !Array.isArray(rawTrain) && Object.keys(rawTrain).length === 0)
    ? undefined : parseCheckpointTrain(rawTrain, file);
  let spec: ModelSpec;
  try {
    spec = validateSpec(meta.spec);
  } catch (e) {
    return bad(`model spec is invalid: ${(e as Error).message}`);
  }
  const layout = buildLayout(spec);
  const start = 16 + hlen;
  const end = buf.length - 4;
  const sec = new Map<string, Uint8Array>();
  for (const s of meta.sections) {
    if (!s || typeof s !== 'object' || typeof s.name !== 'string') bad('section table entry is not {name, dtype, length, offset}');
    if (sec.has(s.name)) bad(`section ${s.name} is listed twice`);
    const width = s.dtype === 'f32' ? 4 : s.dtype === 'u8' ? 1 : bad(`section ${s.name} has unknown dtype`);
    if (!Number.isInteger(s.offset) || !Number.isInteger(s.length) || s.offset < 0 || s.length < 0) bad(`section ${s.name} has a bad offset or length`);
    if (start + s.offset + s.length * width > end) bad(`section ${s.name} runs past the end of the file`);
    // Copy out so the arrays are aligned and independent of the file buffer.
    sec.set(s.name, new Uint8Array(buf.subarray(start + s.offset, start + s.offset + s.length * width)));
  }
  const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const p = sec.get('params') ?? bad('no params section');
  if (p.byteLength !== layout.total * 4) bad(`params has ${p.byteLength / 4} values, the model needs ${layout.total}`);
  const m = sec.get('mask');
  if (m && m.length !== layout.total) bad(`mask has ${m.length} entries, the model needs ${layout.total}`);
  const params = f32(p);
  let nonFinite = 0;
  for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) nonFinite++;
  if (nonFinite > 0) {
    fail('BAD_FILE', `${file} holds ${nonFinite.toLocaleString('en-US')} non-finite weights (NaN or Inf): the run diverged before it was saved`,
      'use an earlier checkpoint (ckpt/best.srnn) or train again with a lower --lr or with --clip');
  }
  const extra: Record<string, Float32Array> = {};
  for (const s of meta.sections) {
    if (s.name === 'params' || s.name === 'mask') continue;
    if (s.dtype !== 'f32') bad(`section ${s.name} must be f32`);
    extra[s.name] = f32(sec.get(s.name)!);
  }
  return {
    spec, layout, params, mask: m ?? null, extra, ...pos,
    ...(train ? { train } : {}), createdAt: typeof meta.createdAt === 'string' ? meta.createdAt : undefined,
  };
}

/** A checkpoint file, or a run folder → its latest checkpoint (ckpt/last.srnn). */
export function resolveCheckpoint(runDirOrFile: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(runDirOrFile);
  } catch {
    fail('BAD_FILE', `no such run folder or checkpoint: ${runDirOrFile}`, 'pass a run folder made by `sparse-rnn train` or a .srnn file');
  }
  if (st.isFile()) return runDirOrFile;
  for (const name of ['last.srnn', 'best.srnn']) {
    const f = path.join(runDirOrFile, 'ckpt', name);
    if (fs.existsSync(f)) return f;
  }
  fail('BAD_FILE', `${runDirOrFile} holds no checkpoint (expected ckpt/last.srnn)`, 'the run may have stopped before its first checkpoint; train it again');
}

function bytesOf(a: Float32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
