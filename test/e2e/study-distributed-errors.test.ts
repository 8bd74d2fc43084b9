// Bad input to the distributed commands: each is one `error[CODE]: … (hint: …)`
// line, a non-zero exit, no password printed and nothing half-written. Needs the
// real services (SPARSE_RNN_PG_URL, SPARSE_RNN_REDIS_URL); skipped with the reason
// when they are not set.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseQueueUrl } from '../../src/study/queue.js';
import { freshDatabase, freshQueue, needPgRedis, REDIS_URL } from '../helpers/services.js';
import { startCli, tmp, waitFor } from '../helpers/dist.js';

const SPEC = (lr: number) => `
name: errors-e2e
tasks:
  - name: syn
    data: { name: synthetic-lm, limit: 4000 }
    model: { hidden: 8, embedDim: 4 }
    epochs: 1
    batch: 4
    bptt: 8
    optimizer: { kind: adam, lr: ${lr} }
cells: [rnn]
methods: [dense]
seeds: [1, 2]
smallDense: false
`;

/** Runs the CLI; expects one error line with the code, a hint, exit 1 or 2, and no secret. */
async function expectError(args: string[], cwd: string, code: string, secret?: string): Promise<string> {
  const p = startCli(args, cwd);
  const exit = await p.exited;
  const lines = p.out().split('\n').filter((l) => l.trim());
  assert.ok(exit === 1 || exit === 2, `exit ${exit}: ${p.out()}`);
  assert.equal(lines.length, 1, p.out());
  assert.match(lines[0], new RegExp(`^error\\[${code}\\]: .*\\(hint: .+\\)$`));
  if (secret) assert.ok(!p.out().includes(secret), `the secret is printed: ${p.out()}`);
  return lines[0];
}

describe('distributed study: bad input', { skip: needPgRedis, timeout: 300_000 }, () => {
  let dir: string;
  let db: { url: string; drop: () => Promise<void> };
  let spec: string;
  let q: string;
  before(async () => {
    dir = tmp('srnn-dist-err-');
    db = await freshDatabase('errors');
    spec = path.join(dir, 'spec.yaml');
    fs.writeFileSync(spec, SPEC(0.01));
    q = `${REDIS_URL}?name=${freshQueue('errors')}`;
  });
  after(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const art = () => path.join(dir, 'art');
  const count = async (sql: string) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try { return Number((await c.query(sql)).rows[0].n); } catch { return 0; } finally { await c.end(); }
  };

  test('a wrong password', async () => {
    const u = new URL(db.url);
    u.password = 'not-the-password-42';
    const line = await expectError(['study', spec, '--store', u.toString(), '--queue', q, '--artifacts', art(), '--detach'], dir, 'SERVICE', 'not-the-password-42');
    assert.match(line, /password/);
    await expectError(['worker', '--store', u.toString(), '--queue', q, '--artifacts', art()], dir, 'SERVICE', 'not-the-password-42');
    await expectError(['status', '--store', u.toString()], dir, 'SERVICE', 'not-the-password-42');
  });

  test('unreachable servers and wrong URLs', async () => {
    const u = new URL(db.url);
    u.port = '1';
    assert.match(await expectError(['study', spec, '--store', u.toString(), '--queue', q, '--artifacts', art()], dir, 'SERVICE', u.password), /ECONNREFUSED|connect/);
    await expectError(['study', spec, '--store', db.url, '--queue', 'redis://127.0.0.1:1', '--artifacts', art()], dir, 'SERVICE', new URL(db.url).password);
    await expectError(['study', spec, '--store', 'mysql://u:pw-secret@h/db', '--queue', q, '--artifacts', art()], dir, 'BAD_FLAG', 'pw-secret');
    await expectError(['study', spec, '--store', db.url, '--queue', 'http://127.0.0.1:6379', '--artifacts', art()], dir, 'BAD_FLAG');
    await expectError(['study', spec, '--store', db.url, '--artifacts', art()], dir, 'BAD_FLAG');
    await expectError(['worker', '--store', db.url, '--queue', q], dir, 'BAD_FLAG');
    assert.equal(await count('SELECT COUNT(*) AS n FROM studies'), 0, 'nothing written');
  });

  test('an artifact directory that is not writable', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    await expectError(['study', spec, '--store', db.url, '--queue', q, '--artifacts', path.join(file, 'sub')], dir, 'BAD_FILE');
    await expectError(['worker', '--store', db.url, '--queue', q, '--artifacts', path.join(file, 'sub')], dir, 'BAD_FILE');
    assert.equal(await count('SELECT COUNT(*) AS n FROM studies'), 0, 'nothing written');
  });

  test('another spec under the same study name', async () => {
    const ok = startCli(['study', spec, '--store', db.url, '--queue', q, '--artifacts', art(), '--detach'], dir);
    assert.equal(await ok.exited, 0, ok.out());
    assert.equal(await count('SELECT COUNT(*) AS n FROM plan'), 2);
    const other = path.join(dir, 'other.yaml');
    fs.writeFileSync(other, SPEC(0.02));
    assert.match(await expectError(['study', other, '--store', db.url, '--queue', q, '--artifacts', art()], dir, 'BAD_CONFIG'), /another spec/);
    assert.equal(await count(`SELECT COUNT(*) AS n FROM plan p JOIN studies s ON s.name = p.study WHERE s.spec LIKE '%0.01%'`), 2, 'the stored study is unchanged');
    // Enqueueing the same study twice is harmless: still one job per run.
    const again = startCli(['study', spec, '--store', db.url, '--queue', q, '--artifacts', art(), '--detach'], dir);
    assert.equal(await again.exited, 0, again.out());
    const target = parseQueueUrl(q);
    const conn = new Redis(target.url, { maxRetriesPerRequest: null });
    const queue = new Queue(target.name, { connection: conn });
    try {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
      assert.equal(Object.values(c).reduce((a, b) => a + b, 0), 2);
      // A job from an unknown version of sparse-rnn is refused by the worker, and recorded as failed.
      await queue.add('run', { v: 99, idVersion: 1, study: 'errors-e2e', plan: { id: 'feedfeedfeed' } }, { jobId: 'feedfeedfeed' });
      const w = startCli(['worker', '--store', db.url, '--queue', q, '--artifacts', art()], path.join(dir, 'm1'));
      try {
        await waitFor('the refused job', async () => /feedfeedfeed: failed after/.test(w.out()) ? true : undefined, 60_000);
        assert.match(w.out(), /another version of sparse-rnn/);
        assert.equal(await count(`SELECT COUNT(*) AS n FROM failures WHERE id = 'feedfeedfeed'`), 1);
      } finally {
        w.child.kill('SIGTERM');
        await w.exited;
      }
    } finally {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      conn.disconnect();
    }
  });
});
