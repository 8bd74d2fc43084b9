// Connection strings of distributed studies: passwords masked everywhere, queue
// URLs parsed, timing from the environment checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskUrl, scrub, serviceError } from '../../src/study/urls.js';
import { parseQueueUrl, timingFromEnv, DEFAULT_TIMING } from '../../src/study/queue.js';
import { SparseRnnError } from '../../src/errors.js';

test('maskUrl hides passwords and secret query parameters', () => {
  assert.equal(maskUrl('postgres://srnn:s3cret@db:5432/studies'), 'postgres://srnn:***@db:5432/studies');
  assert.equal(maskUrl('redis://:pw@q:6379?name=x'), 'redis://:***@q:6379?name=x');
  assert.equal(maskUrl('postgres://u@db/x?password=zzz&sslmode=require'), 'postgres://u@db/x?password=***&sslmode=require');
  assert.equal(maskUrl('not a url//user:pw@host'), 'not a url//***@host');
  assert.equal(scrub('auth failed for p%40ss', ['postgres://u:p%2540ss@h/d']), 'auth failed for ***');
});

test('serviceError: one line with a hint that fits the failure', () => {
  const e = serviceError('PostgreSQL', 'postgres://u:***@h/d', Object.assign(new Error('password authentication failed for user "u"'), { code: '28P01' }));
  assert.ok(e instanceof SparseRnnError);
  assert.match(e.toLine(), /^error\[SERVICE\]: PostgreSQL at postgres:\/\/u:\*\*\*@h\/d: password authentication failed.*\(hint: check the user name and password/);
  assert.match(serviceError('Redis', 'redis://h', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).hint!, /nothing listens/);
});

test('parseQueueUrl: redis URLs, queue names, bad input', () => {
  assert.deepEqual(parseQueueUrl('redis://:pw@q:6379/2?name=my-q'), { url: 'redis://:pw@q:6379/2', name: 'my-q', where: 'redis://:***@q:6379/2?name=my-q' });
  assert.equal(parseQueueUrl('rediss://q:6380').name, 'sparse-rnn');
  for (const bad of ['http://q:6379', 'q:6379x', 'redis://q?name=a:b']) {
    assert.throws(() => parseQueueUrl(bad), (e: unknown) => e instanceof SparseRnnError && e.code === 'BAD_FLAG');
  }
});

test('timingFromEnv: defaults, overrides, bad values', () => {
  assert.deepEqual(timingFromEnv({}), DEFAULT_TIMING);
  assert.deepEqual(timingFromEnv({ SPARSE_RNN_LOCK_MS: '3000', SPARSE_RNN_ATTEMPTS: '1' }), { ...DEFAULT_TIMING, lockMs: 3000, attempts: 1 });
  assert.throws(() => timingFromEnv({ SPARSE_RNN_STALLED_MS: '0' }), (e: unknown) => e instanceof SparseRnnError && /SPARSE_RNN_STALLED_MS/.test(e.message));
});
