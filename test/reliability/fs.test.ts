// Writes that cannot lose data, reads that stay in bounds (src/util/fs.ts), and the
// TF.js import's path rules checked on real paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SparseRnnError } from '../../src/errors.js';
import { writeFileAtomic, writeFilesAtomic, appendLine, readFileLimited, injectWriteFault } from '../../src/util/fs.js';
import { exportTfjs, importTfjs } from '../../src/model/tfjs.js';
import { defaultSpec } from '../../src/model/spec.js';
import { buildLayout } from '../../src/model/layout.js';
import { tmpfs, unmount } from './mount.js';

const io = (re: RegExp) => (e: unknown) => e instanceof SparseRnnError && e.code === 'IO' && re.test(e.message) && !!e.hint;
const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-fs-'));

/** The same checks on a real 64 KiB tmpfs where one can be mounted, and by injection everywhere. */
function fullDiskChecks(root: string, label: string, fill: () => void, clear: () => void) {
  const old = path.join(root, 'keep.bin');
  writeFileAtomic(old, Buffer.alloc(1000, 7));
  fill();
  try {
    // 200,000 bytes do not fit: one IO error naming the path; the old file is intact; no temp file.
    assert.throws(() => writeFileAtomic(old, Buffer.alloc(200_000, 1)), io(/cannot write .*keep\.bin: the disk is full \(ENOSPC\)/), label);
    assert.deepEqual(fs.readFileSync(old), Buffer.alloc(1000, 7), `${label}: previous file kept`);
    assert.throws(() => writeFileAtomic(path.join(root, 'sub', 'new.bin'), Buffer.alloc(200_000, 1)), io(/new\.bin/));
    assert.ok(!fs.existsSync(path.join(root, 'sub')), `${label}: a folder created for a failed write is removed`);
    // Two files as one unit: neither is replaced.
    writeFileAtomic(path.join(root, 'a.json'), 'old-a');
    assert.throws(() => writeFilesAtomic([{ file: path.join(root, 'a.json'), data: 'new-a' }, { file: path.join(root, 'b.bin'), data: Buffer.alloc(200_000) }]), io(/b\.bin/));
    assert.equal(fs.readFileSync(path.join(root, 'a.json'), 'utf8'), 'old-a');
    assert.ok(!fs.existsSync(path.join(root, 'b.bin')));
    // A line that does not fit is cut back: the log holds whole lines only.
    appendLine(path.join(root, 'log.jsonl'), '{"a":1}');
    assert.throws(() => appendLine(path.join(root, 'log.jsonl'), 'x'.repeat(200_000)), io(/append to .*log\.jsonl/));
    assert.equal(fs.readFileSync(path.join(root, 'log.jsonl'), 'utf8'), '{"a":1}\n');
  } finally {
    clear();
  }
  assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes('.tmp-')), [], `${label}: no temp files`);
}

test('a full disk (injected): every byte or an IO error; the previous file is kept', () => {
  const d = dir();
  try {
    fullDiskChecks(d, 'injected', () => injectWriteFault(4096), () => injectWriteFault(null));
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a full disk (64 KiB tmpfs): the same, on a real file system', (t) => {
  const base = dir();
  const mnt = tmpfs(path.join(base, 'mnt'), 64 * 1024, false);
  if (!mnt) {
    t.skip('cannot mount a tmpfs here (needs root); the injected test covers it');
    fs.rmSync(base, { recursive: true, force: true });
    return;
  }
  try {
    fullDiskChecks(mnt, 'tmpfs', () => {}, () => {});
  } finally {
    unmount(mnt);
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('writes under a file or into a folder name give one IO line', () => {
  const d = dir();
  try {
    fs.writeFileSync(path.join(d, 'f'), 'x');
    assert.throws(() => writeFileAtomic(path.join(d, 'f', 'g.json'), '{}'), io(/cannot create the folder .*\/f: /));
    fs.mkdirSync(path.join(d, 'dir.json'));
    assert.throws(() => writeFileAtomic(path.join(d, 'dir.json'), '{}'), io(/dir\.json/));
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('readFileLimited: regular files only, size checked before reading', () => {
  const d = dir();
  try {
    const ok = { maxBytes: 10, what: 'test file' };
    fs.writeFileSync(path.join(d, 'small'), 'hello');
    assert.equal(readFileLimited(path.join(d, 'small'), ok, 'utf8'), 'hello');
    fs.writeFileSync(path.join(d, 'big'), 'x'.repeat(11));
    assert.throws(() => readFileLimited(path.join(d, 'big'), ok), /too large: 11 bytes \(the limit is 10\)/);
    assert.throws(() => readFileLimited('/dev/zero', ok), /not a regular file/);
    assert.throws(() => readFileLimited(d, ok), /not a regular file \(a folder\)/);
    assert.throws(() => readFileLimited(path.join(d, 'nope'), ok), /is missing/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('TF.js import: weight paths are checked on the real path; a file named ..foo.bin inside the folder loads', () => {
  const d = dir();
  try {
    const spec = defaultSpec({ cell: 'gru', hidden: 4, inputSize: 6, outputSize: 6 });
    const layout = buildLayout(spec);
    const params = new Float32Array(layout.total).map((_, i) => (i % 13) / 13);
    const m = path.join(d, 'm');
    exportTfjs(spec, layout, params, m);
    const json = JSON.parse(fs.readFileSync(path.join(m, 'model.json'), 'utf8'));
    const want = importTfjs(m).params;
    // A legitimate name that starts with two dots.
    fs.renameSync(path.join(m, 'weights.bin'), path.join(m, '..foo.bin'));
    json.weightsManifest[0].paths = ['..foo.bin'];
    fs.writeFileSync(path.join(m, 'model.json'), JSON.stringify(json));
    assert.deepEqual(importTfjs(m).params, want);
    // The same bytes through a link that leaves the folder: refused, naming the real target.
    fs.renameSync(path.join(m, '..foo.bin'), path.join(d, 'outside.bin'));
    fs.symlinkSync('../outside.bin', path.join(m, '..foo.bin'));
    assert.throws(() => importTfjs(m), (e: unknown) => e instanceof SparseRnnError && /outside the model folder/.test(e.message));
    // A link inside the folder is fine (the real path is inside).
    fs.rmSync(path.join(m, '..foo.bin'));
    fs.renameSync(path.join(d, 'outside.bin'), path.join(m, 'real.bin'));
    fs.symlinkSync('real.bin', path.join(m, '..foo.bin'));
    assert.deepEqual(importTfjs(m).params, want);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});
