/**
 * A study worker process (forked by the runner, one per --workers): it takes one
 * run at a time over IPC, trains it on the native engine with one thread, commits
 * its row to the study's store itself, and asks for the next.
 *
 *   runner → worker   { type: 'run', plan }   { type: 'stop' }
 *   worker → runner   { type: 'ready' }  { type: 'start', id, resumedFrom, recovered }
 *                     { type: 'epoch', id, epoch, step, valid }  { type: 'prune', id, step }
 *                     { type: 'done', id, inserted, valid, test, seconds }
 *                     { type: 'interrupted', id }  { type: 'failed', id, code, message }
 *                     { type: 'busy', id, pid }  (another live process holds the run)
 *
 * Stopping. train() runs its whole loop without yielding to the event loop, so
 * neither signals nor IPC messages are seen during a run. train() only reads
 * `signal.aborted` after each step, so the worker hands it a StopFlag whose
 * `aborted` (checked at most every 100 ms) is true when the runner has created
 * STUDY_DIR/.stop, when this process's parent has changed (the runner died: no
 * orphan keeps training), or once a 'stop' message / SIGINT / SIGTERM has been
 * handled. train() then finishes the step, checkpoints and throws INTERRUPTED, and
 * the worker exits. The study folder comes from SPARSE_RNN_STUDY_DIR.
 */
import path from 'node:path';
import { SparseRnnError } from '../errors.js';
import { DatasetCache, executeRun, RunBusyError } from './execute.js';
import { Store } from './store.js';
import { STOP_FILE, StopFlag, WORKER_ENV, type FromWorker, type ToWorker } from './protocol.js';

async function main(): Promise<void> {
  const studyDir = process.env[WORKER_ENV];
  if (!studyDir || !process.send) {
    process.stderr.write('the study worker is started by `sparse-rnn study`, not by hand\n');
    process.exit(2);
  }
  // Resolves once the message is handed to the channel, so an exit right after loses nothing.
  const send = (m: FromWorker) => new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });
  const store = Store.open(studyDir);
  const datasets = new DatasetCache();
  const flag = new StopFlag(path.join(studyDir, STOP_FILE));
  let busy = false;
  const stop = () => {
    flag.stop();
    if (!busy) finish(0);
  };
  const finish = (code: number) => {
    try { store.close(); } catch { /* closing twice */ }
    process.exit(code);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);

  process.on('message', async (m: ToWorker) => {
    if (m.type === 'stop') return stop();
    if (m.type !== 'run' || busy) return;
    if (flag.aborted) return finish(0);
    const plan = m.plan;
    busy = true;
    try {
      const { record, inserted } = await executeRun(plan, studyDir, store, datasets, flag.asSignal(), {
        onStart: (s) => void send({ type: 'start', id: plan.id, ...s }),
        onEpoch: (row, metric) => void send({ type: 'epoch', id: plan.id, epoch: row.epoch, step: row.step, valid: (row.valid[metric] as number) ?? null }),
        onPrune: (e) => void send({ type: 'prune', id: plan.id, step: e.step }),
      });
      await send({ type: 'done', id: plan.id, inserted, valid: record.valid, test: record.test, seconds: record.wallSeconds });
    } catch (e) {
      if (e instanceof RunBusyError) await send({ type: 'busy', id: plan.id, pid: e.pid });
      else if (e instanceof SparseRnnError && e.code === 'INTERRUPTED') await send({ type: 'interrupted', id: plan.id });
      else if (e instanceof SparseRnnError) await send({ type: 'failed', id: plan.id, code: e.code, message: e.toLine() });
      else await send({ type: 'failed', id: plan.id, code: 'BUG', message: (e as Error).stack ?? String(e) });
    } finally {
      busy = false;
    }
    if (flag.aborted) return finish(0);
    void send({ type: 'ready' });
  });
  void send({ type: 'ready' });
}

void main();
