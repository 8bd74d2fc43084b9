// Job ids on a real Redis: BullMQ refuses a job id that reads as an integer, and a run id
// (12 hex digits) is all decimal digits about once in 280 runs (the quick preset has one).
// enqueueRuns must queue such a run, once, under jobIdOf(run id), and runIdOfJob must give the
// run id back. Skips when SPARSE_RNN_REDIS_URL is unset (.ci/run sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { DEFAULT_TIMING, connectRedis, enqueueRuns, jobIdOf, parseQueueUrl, runIdOfJob } from '../../src/study/queue.js';
import type { RunPlan } from '../../src/study/plan.js';

const REDIS = process.env.SPARSE_RNN_REDIS_URL;

test('job id ↔ run id', () => {
  assert.equal(runIdOfJob(jobIdOf('123456789012')), '123456789012');
  assert.equal(runIdOfJob('feedfeedfeed'), 'feedfeedfeed');
  assert.notEqual(`${parseInt(jobIdOf('123456789012'), 10)}`, jobIdOf('123456789012'));
});

test('a run whose id is all digits is queued once', { skip: !REDIS && 'SPARSE_RNN_REDIS_URL is not set (start Redis: scripts/cluster-local.sh services DIR)' }, async () => {
  const target = parseQueueUrl(`${REDIS}?name=queue-ids-${process.pid}`);
  const conn = await connectRedis(target);
  const queue = new Queue(target.name, { connection: conn });
  try {
    const plans = [{ id: '123456789012' }, { id: '0a1b2c3d4e5f' }] as unknown as RunPlan[];
    await enqueueRuns(queue, 'queue-ids', plans, DEFAULT_TIMING);
    await enqueueRuns(queue, 'queue-ids', plans, DEFAULT_TIMING); // twice: harmless
    const jobs = await queue.getJobs(['wait', 'prioritized', 'delayed']);
    assert.deepEqual(jobs.map((j) => runIdOfJob(j.id!)).sort(), ['0a1b2c3d4e5f', '123456789012']);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    conn.disconnect();
  }
});
