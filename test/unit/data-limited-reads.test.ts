// Every file the data loaders read goes through readFileLimited or an equivalent
// non-blocking, regular-files-only open (src/data/cache.ts, packages.ts, idx.ts,
// folder.ts): a FIFO, a device, a folder or an oversized file under a name the loader
// reads is one BAD_DATA line (or, for the cache, a miss), never a hang or a read of
// gigabytes. Opening a FIFO for reading blocks the whole process, so those cases run in
// a child process with a time limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';
import { cacheFile, MAX_CACHE_BYTES, readCache, writeCache } from '../../src/data/cache.js';
import { readPackageFile } from '../../src/data/packages.js';
import { readIdxHeader } from '../../src/data/idx.js';
import { loadFolder, MAX_DATA_FILE_BYTES } from '../../src/data/folder.js';
import { SparseRnnError } from '../../src/errors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-data-reads-'));
const src = (rel: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'src', rel)).href);
const mkfifo = (p: string) => {
  const r = spawnSync('mkfifo', [p]);
  assert.equal(r.status, 0, `mkfifo ${p}: ${r.stderr}`);
};
const badData = (re: RegExp) => (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_DATA' && re.test(e.message) && !!e.hint;

/** Runs an ES module snippet under tsx in a child process; a hang shows as timedOut. */
function child(code: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

test('cache: a FIFO under the entry\'s name is a miss at once, not a hang', () => {
  const dir = tmp();
  try {
    const code = `
      import fs from 'node:fs';
      import { spawnSync } from 'node:child_process';
      const { cacheFile, readCache } = await import(${src('data/cache.ts')});
      spawnSync('mkfifo', [cacheFile('t', 'k')]);
      if (!fs.statSync(cacheFile('t', 'k')).isFIFO()) throw new Error('no FIFO');
      process.stdout.write(JSON.stringify(readCache('t', 'k')));`;
    const r = child(code, { SPARSE_RNN_CACHE_DIR: dir });
    assert.equal(r.timedOut, false, 'readCache blocked on the FIFO');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'null');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cache: a folder, or a file over the size limit, under the entry\'s name is a miss; a write then replaces the file', () => {
  const dir = tmp();
  const before = process.env.SPARSE_RNN_CACHE_DIR;
  process.env.SPARSE_RNN_CACHE_DIR = dir;
  try {
    fs.mkdirSync(cacheFile('t', 'dir'));
    assert.equal(readCache('t', 'dir'), null);
    // A sparse file: its size says it is too big, nothing is read.
    const big = cacheFile('t', 'big');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, MAX_CACHE_BYTES + 1);
    const t0 = performance.now();
    assert.equal(readCache('t', 'big'), null);
    assert.ok(performance.now() - t0 < 1000, 'the oversized file was read');
    assert.equal(writeCache('t', 'big', { a: 1 }, [Int32Array.of(5)]), true);
    assert.deepEqual(readCache('t', 'big'), { meta: { a: 1 }, arrays: [Int32Array.of(5)] });
  } finally {
    if (before === undefined) delete process.env.SPARSE_RNN_CACHE_DIR;
    else process.env.SPARSE_RNN_CACHE_DIR = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a data package\'s file that is a FIFO, a device, a folder or too large: one BAD_DATA line', () => {
  const dir = tmp();
  try {
    fs.mkdirSync(path.join(dir, 'data'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'data', 'zero.txt'));
    fs.mkdirSync(path.join(dir, 'data', 'folder.txt'));
    fs.writeFileSync(path.join(dir, 'data', 'big.txt'), 'x'.repeat(100));
    const pkg = { dir, version: '1' };
    assert.throws(() => readPackageFile(pkg, 'data/folder.txt'), badData(/data file .*folder\.txt is not a regular file \(a folder\)/));
    assert.throws(() => readPackageFile(pkg, 'data/big.txt', 99), badData(/data file .*big\.txt is too large: 100 bytes/));
    assert.throws(() => readPackageFile(pkg, 'data/missing.txt'), badData(/data file .*missing\.txt is missing/));
    assert.equal(readPackageFile(pkg, 'data/big.txt').length, 100);
    mkfifo(path.join(dir, 'data', 'fifo.txt'));
    // A FIFO blocks an open for reading, /dev/zero a read to its end: in a child process.
    for (const f of ['fifo.txt', 'zero.txt']) {
      const r = child(`
        const { readPackageFile } = await import(${src('data/packages.ts')});
        try { readPackageFile({ dir: ${JSON.stringify(dir)}, version: '1' }, 'data/${f}'); } catch (e) { process.stdout.write(e.toLine()); }`);
      assert.equal(r.timedOut, false, `readPackageFile blocked on ${f}`);
      assert.match(r.stdout, new RegExp(`^error\\[BAD_DATA\\]: data file .*${f.replace('.', '\\.')} is not a regular file \\(a device, pipe or socket\\) \\(hint: reinstall the package`));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an IDX file that is a FIFO, a device or a folder: one BAD_DATA line, no hang', () => {
  const dir = tmp();
  try {
    fs.mkdirSync(path.join(dir, 'folder-idx'));
    assert.throws(() => readIdxHeader(path.join(dir, 'folder-idx')), badData(/IDX file .*folder-idx is not a regular file/));
    assert.throws(() => readIdxHeader('/dev/zero'), badData(/IDX file \/dev\/zero is not a regular file/));
    const fifo = path.join(dir, 'images-idx3-ubyte');
    mkfifo(fifo);
    const r = child(`
      const { readIdxHeader } = await import(${src('data/idx.ts')});
      try { readIdxHeader(${JSON.stringify(fifo)}); } catch (e) { process.stdout.write(e.toLine()); }`);
    assert.equal(r.timedOut, false, 'readIdxHeader blocked on the FIFO');
    assert.match(r.stdout, /^error\[BAD_DATA\]: IDX file .*images-idx3-ubyte is not a regular file .*\(hint: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a data folder whose train.txt is larger than a string can hold: refused by its size, before reading', () => {
  const dir = tmp();
  try {
    const train = path.join(dir, 'train.txt');
    fs.closeSync(fs.openSync(train, 'w'));
    fs.truncateSync(train, MAX_DATA_FILE_BYTES + 1); // sparse: no disk used
    fs.writeFileSync(path.join(dir, 'valid.txt'), 'a b\n');
    fs.writeFileSync(path.join(dir, 'test.txt'), 'a b\n');
    const t0 = performance.now();
    assert.throws(() => loadFolder(dir), badData(/data file .*train\.txt is too large: [\d,]+ bytes \(the limit is [\d,]+\)/));
    assert.ok(performance.now() - t0 < 1000, 'the oversized file was read');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
