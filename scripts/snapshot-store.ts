/**
 * Copies a study's store (study.db) consistently while the study may still be running,
 * to commit it between sittings (docs/results/paper/README.md):
 *
 *   node --import tsx scripts/snapshot-store.ts RUNNING_STUDY_DIR docs/results/paper/study.db
 *
 * Prints how many runs the copy holds. The copy is SQLite's online backup, put in place
 * atomically (src/study/store.ts, snapshotStore).
 */
import { snapshotStore } from '../src/study/store.js';
import { SparseRnnError } from '../src/errors.js';

const [from, to] = process.argv.slice(2);
if (!from || !to || from === '--help' || from === '-h') {
  console.log('usage: node --import tsx scripts/snapshot-store.ts STUDY_DIR_OR_DB DEST.db\n  e.g. node --import tsx scripts/snapshot-store.ts /work/run-paper/docs/results/paper docs/results/paper/study.db');
  process.exit(from === '--help' || from === '-h' ? 0 : 2);
}
try {
  const r = await snapshotStore(from, to);
  console.log(`${to}: ${r.runs} of ${r.planned} planned runs, ${r.bytes.toLocaleString('en-US')} bytes`);
} catch (e) {
  if (e instanceof SparseRnnError) {
    console.error(e.toLine());
    process.exit(1);
  }
  throw e;
}
