/**
 * File I/O that cannot lose data or read out of bounds.
 *
 * Writes: every byte is written (short writes are continued, counts checked), the
 * file is fsynced, renamed over the final name, and the folder fsynced. On any
 * failure the temporary file is removed, the previous file (if any) is kept, and
 * one IO error names the path. A reader sees the old file or the new one, never
 * half of one.
 *
 * Reads: every file the tool reads goes through readFileLimited, which accepts
 * regular files only (not /dev/zero, FIFOs or folders) and checks the size limit
 * before reading a byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail, SparseRnnError } from '../errors.js';

/**
 * Test hook: every file write (each buffer written) fails with ENOSPC after this many
 * bytes, as on a full disk where no small file system can be mounted. null = off.
 * Set only by tests.
 */
let faultAfterBytes: number | null = null;
export function injectWriteFault(bytes: number | null): void {
  faultAfterBytes = bytes;
}

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/** Writes all of `data` at the fd's position; a short write is continued, a zero-byte write fails. */
export function writeAllSync(fd: number, data: Uint8Array): void {
  let off = 0;
  let budget = faultAfterBytes;
  while (off < data.length) {
    let len = data.length - off;
    if (budget !== null) {
      if (budget <= 0) throw enospc();
      len = Math.min(len, budget);
    }
    const n = fs.writeSync(fd, data, off, len);
    if (budget !== null) budget -= n;
    if (n <= 0) throw enospc();
    off += n;
  }
}

/** Why a file system call failed, in words (the errno code names it). */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOSPC': return 'the disk is full (ENOSPC)';
    case 'EDQUOT': return 'the disk quota is exceeded (EDQUOT)';
    case 'EROFS': return 'the file system is read-only (EROFS)';
    case 'EACCES': case 'EPERM': return `permission denied (${code})`;
    case 'ENOTDIR': return 'a part of the path is a file, not a folder (ENOTDIR)';
    case 'EISDIR': return 'the path is a folder (EISDIR)';
    case 'ENOENT': return 'a part of the path does not exist (ENOENT)';
    case 'EEXIST': return 'the path exists and is not a folder (EEXIST)';
    case 'ENAMETOOLONG': return 'the name is too long (ENAMETOOLONG)';
    case 'EIO': return 'an input/output error (EIO)';
    default: return code ? String(code) : String((e as Error)?.message ?? e).split('\n')[0];
  }
}

/** One IO error line naming the path; SparseRnnErrors pass through. */
export function ioError(what: string, file: string, e: unknown): never {
  if (e instanceof SparseRnnError) throw e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const hint = code === 'ENOSPC' || code === 'EDQUOT' ? 'free some space or choose another --out; any previous file was kept'
    : code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? 'choose a writable folder (--out)'
      : code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' ? 'choose an output path whose parent folders are folders (--out)'
        : 'check the path and the disk';
  return fail('IO', `cannot ${what} ${file}: ${ioReason(e)}`, hint);
}

/** mkdir -p with an IO error on failure (a parent that is a file, a read-only disk). */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    ioError('create the folder', dir, e);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    return ioError('create the folder', dir, e);
  }
  if (!st.isDirectory()) ioError('create the folder', dir, Object.assign(new Error('not a folder'), { code: 'EEXIST' }));
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on a folder (EINVAL/EISDIR); the rename stands.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF' && code !== 'EPERM') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** mkdir -p that returns the folders it created (deepest last), for removal on failure. */
function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  ensureDir(dir);
  return missing;
}

/** Removes folders this call created, deepest first, if they are still empty. */
function removeEmpty(dirs: string[]): void {
  for (const d of dirs.slice().reverse()) {
    try { fs.rmdirSync(d); } catch { return; }
  }
}

function writeTemp(file: string, data: Uint8Array | string): string {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    writeAllSync(fd, bytes);
    fs.fsyncSync(fd);
    const size = fs.fstatSync(fd).size;
    if (size !== bytes.length) throw Object.assign(new Error(`wrote ${size} of ${bytes.length} bytes`), { code: 'EIO' });
    fs.closeSync(fd);
    fd = undefined;
    return tmp;
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    throw Object.assign(e as Error, { failedFile: file });
  }
}

/**
 * Writes the file atomically and durably: all bytes, fsync, rename, fsync of the
 * folder. On failure: temporary removed, previous file kept, folders this call
 * created removed, one IO error.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  writeFilesAtomic([{ file, data }]);
}

/**
 * Several files as one unit (a model.json and its weights, a report and its figures):
 * every file is written to a temporary name first; only when all are complete are
 * they renamed over their final names. A failure before that changes nothing.
 */
export function writeFilesAtomic(files: { file: string; data: Uint8Array | string }[]): void {
  const created: string[] = [];
  const temps: [string, string][] = [];
  let current = files[0]?.file ?? '';
  try {
    for (const f of files) {
      current = f.file;
      created.push(...makeDirs(path.dirname(path.resolve(f.file))));
      temps.push([writeTemp(f.file, f.data), f.file]);
    }
    for (const [tmp, file] of temps) {
      current = file;
      fs.renameSync(tmp, file);
    }
    for (const d of new Set(files.map((f) => path.dirname(path.resolve(f.file))))) fsyncDir(d);
  } catch (e) {
    for (const [tmp] of temps) try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    removeEmpty(created);
    ioError(e instanceof SparseRnnError && e.code === 'IO' ? 'write' : 'write', current, e);
  }
}

/** Copies a file atomically (same guarantees as writeFileAtomic). */
export function copyFileAtomic(from: string, to: string, maxBytes = Number.MAX_SAFE_INTEGER): void {
  writeFileAtomic(to, readFileLimited(from, { maxBytes, what: 'file' }));
}

/**
 * Appends one line: all bytes written and fsynced, or the file is cut back to its
 * old length and one IO error is thrown. A crash leaves at most a final partial
 * line, which readers skip.
 */
export function appendLine(file: string, line: string): void {
  const bytes = Buffer.from(line.endsWith('\n') ? line : line + '\n', 'utf8');
  let fd: number | undefined;
  let before = 0;
  try {
    fd = fs.openSync(file, 'a');
    before = fs.fstatSync(fd).size;
    writeAllSync(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
  } catch (e) {
    if (fd !== undefined) {
      try { fs.ftruncateSync(fd, before); } catch { /* keep the error below */ }
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    ioError('append to', file, e);
  }
}

/**
 * Creates `file` holding `data` only if nothing of that name exists (a lock file).
 * Returns false when the name is taken. The bytes are all written and fsynced, or the
 * file is removed again and one IO error is thrown: a full disk leaves no empty lock.
 */
export function createFileExclusive(file: string, data: Uint8Array | string): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    ioError('create', file, e);
  }
  try {
    writeAllSync(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    return true;
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.rmSync(file, { force: true }); } catch { /* keep the error below */ }
    return ioError('write', file, e);
  }
}

/** Default read limit for inputs the user names (configs, recipes, JSON, text). */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;
/** Default read limit for binary model files (checkpoints, .srnz, TF.js weights). */
export const MAX_BINARY_BYTES = 4 * 1024 * 1024 * 1024 - 1;

export interface ReadLimit {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** What the file is, for messages ("config file", "checkpoint"). */
  what: string;
  /** Error code for a missing or unreadable file (default BAD_FILE). */
  code?: 'BAD_FILE' | 'BAD_DATA' | 'BAD_CONFIG' | 'BAD_RECIPE';
  hint?: string;
}

/** Why openRegularFile refused a path: missing, not a regular file ("a folder" / "a device, pipe or socket"), or unreadable (the OS reason). */
export interface OpenRefusal { kind: 'missing' | 'not-regular' | 'unreadable'; reason: string }

/**
 * Opens a regular file for reading and returns it with its size. Non-blocking open, so a
 * FIFO never blocks; a folder, device, FIFO or socket is refused, as is a missing or
 * unreadable file: `refuse` (which throws, with the caller's own words) is called and the
 * descriptor is closed.
 */
export function openRegularFile(file: string, refuse: (r: OpenRefusal) => never): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    return refuse({ kind: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable', reason: ioReason(e) });
  }
  let refusal: OpenRefusal;
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile()) return { fd, size: st.size };
    refusal = { kind: 'not-regular', reason: st.isDirectory() ? 'a folder' : 'a device, pipe or socket' };
  } catch (e) {
    refusal = { kind: 'unreadable', reason: ioReason(e) };
  }
  fs.closeSync(fd);
  return refuse(refusal);
}

/**
 * Reads a regular file whose size is at most `maxBytes`, checked before reading.
 * A folder, device (/dev/zero), FIFO or socket is refused, as is a missing file.
 */
export function readFileLimited(file: string, o: ReadLimit): Buffer;
export function readFileLimited(file: string, o: ReadLimit, encoding: BufferEncoding): string;
export function readFileLimited(file: string, o: ReadLimit, encoding?: BufferEncoding): Buffer | string {
  const code = o.code ?? 'BAD_FILE';
  const hint = o.hint ?? 'check the path';
  if (typeof file !== 'string' || file === '') fail(code, `${o.what}: the path is empty`, hint);
  const { fd, size } = openRegularFile(file, (r) => fail(code,
    r.kind === 'missing' ? `${o.what} ${file} is missing`
      : r.kind === 'not-regular' ? `${o.what} ${file} is not a regular file (${r.reason})`
      : `cannot read ${o.what} ${file}: ${r.reason}`, hint));
  try {
    if (size > o.maxBytes) {
      fail(code, `${o.what} ${file} is too large: ${size.toLocaleString('en-US')} bytes (the limit is ${o.maxBytes.toLocaleString('en-US')})`, `${hint}; a ${o.what} this large is not one sparse-rnn wrote`);
    }
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n <= 0) break;
      off += n;
    }
    const out = off === size ? buf : buf.subarray(0, off);
    return encoding ? out.toString(encoding) : out;
  } catch (e) {
    if (e instanceof SparseRnnError) throw e;
    return fail(code, `cannot read ${o.what} ${file}: ${ioReason(e)}`, hint);
  } finally {
    fs.closeSync(fd);
  }
}
