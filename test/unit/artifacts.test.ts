// The artifact stores of distributed studies, one suite for both: a directory, and an
// S3-compatible bucket on a real S3 server (npm s3rver, offline, in this process).
// Objects round-trip byte for byte, a missing one is null, a prefix is removed, a
// bundle restores a run folder's files, and a directory that cannot be written is
// one error line.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { DirArtifacts, S3Artifacts, openArtifacts, packBundle, unpackBundle, type ArtifactStore } from '../../src/study/artifacts.js';
import { SparseRnnError } from '../../src/errors.js';

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

let server: S3rver;
let endpoint = '';
const s3dir = tmp('srnn-s3rver-');
before(async () => {
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: 'srnn-test', configs: [] }] });
  const addr = await server.run();
  endpoint = `http://127.0.0.1:${addr.port}`;
});
after(async () => {
  await server.close();
  fs.rmSync(s3dir, { recursive: true, force: true });
});

const backends: { name: string; open: () => ArtifactStore }[] = [
  { name: 'directory', open: () => new DirArtifacts(tmp('srnn-art-')) },
  { name: 'S3 (s3rver)', open: () => new S3Artifacts('s3://srnn-test/studies/x', { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }) },
];

for (const b of backends) {
  describe(`artifacts: ${b.name}`, () => {
    test('put / get / missing / removePrefix', async () => {
      const a = b.open();
      await a.check();
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) & 255);
      await a.put('run1/000000010-w1-abc.bundle', bytes);
      await a.put('run1/000000020-w1-def.bundle', bytes.subarray(5));
      await a.put('run2/000000010-w2-ghi.bundle', bytes.subarray(7));
      assert.deepEqual(Buffer.from((await a.get('run1/000000010-w1-abc.bundle'))!), Buffer.from(bytes));
      assert.equal(await a.get('run1/nope.bundle'), null);
      await a.removePrefix('run1');
      assert.equal(await a.get('run1/000000020-w1-def.bundle'), null);
      assert.deepEqual(Buffer.from((await a.get('run2/000000010-w2-ghi.bundle'))!), Buffer.from(bytes.subarray(7)));
      await assert.rejects(a.put('../escape', bytes));
    });

    test('a bundle restores the files of a run folder', async () => {
      const a = b.open();
      const run = tmp('srnn-run-');
      fs.mkdirSync(path.join(run, 'ckpt'));
      fs.writeFileSync(path.join(run, 'ckpt', 'last.srnn'), Buffer.from([1, 2, 3, 0, 255]));
      fs.writeFileSync(path.join(run, 'prune.jsonl'), '{"step":4}\n');
      await a.put('r/1.bundle', packBundle(run, ['ckpt/last.srnn', 'prune.jsonl', 'attempts.jsonl']));
      const back = tmp('srnn-run-back-');
      unpackBundle((await a.get('r/1.bundle'))!, back);
      assert.deepEqual(fs.readFileSync(path.join(back, 'ckpt', 'last.srnn')), Buffer.from([1, 2, 3, 0, 255]));
      assert.equal(fs.readFileSync(path.join(back, 'prune.jsonl'), 'utf8'), '{"step":4}\n');
      assert.equal(fs.existsSync(path.join(back, 'attempts.jsonl')), false);
    });
  });
}

test('an artifact directory that cannot be written is one error line', async () => {
  const base = tmp('srnn-art-ro-');
  const file = path.join(base, 'a-file');
  fs.writeFileSync(file, 'x'); // a directory cannot be made below a file, even by root
  await assert.rejects(new DirArtifacts(path.join(file, 'sub')).check(),
    (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FILE' && /not writable/.test(e.message) && !!e.hint);
});

test('an S3 bucket that does not exist is error[SERVICE]; a bad bucket name error[BAD_FLAG]', async () => {
  const a = new S3Artifacts('s3://no-such-bucket/p', { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  await assert.rejects(a.check(), (e: unknown) => e instanceof SparseRnnError && e.code === 'SERVICE' && /s3:\/\/no-such-bucket/.test(e.message));
  assert.throws(() => openArtifacts('s3://A_B/x'), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FLAG');
  assert.throws(() => openArtifacts('ftp://host/x'), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FLAG');
});
