// The committed reference study (docs/results/paper/study.db) must stay resumable: a run is
// skipped on resume only when its id (a hash of its whole training configuration,
// src/study/plan.ts) is still in the preset's plan. A change to a default of TrainConfig, the
// schedule recipe or the preset would silently orphan every stored run; this test says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { presetSpec } from '../../src/study/spec.js';
import { expandStudy } from '../../src/study/plan.js';
import { DatasetCache } from '../../src/study/execute.js';

const STORE = path.join('docs', 'results', 'paper', 'study.db');

test('every run of the committed paper study is still a run of the paper preset', { skip: !fs.existsSync(STORE) && `${STORE} is not committed` }, () => {
  const db = new Database(STORE, { readonly: true, fileMustExist: true });
  const stored = (db.prepare('SELECT id FROM runs').all() as { id: string }[]).map((r) => r.id);
  const planned = (db.prepare('SELECT id FROM plan').all() as { id: string }[]).map((r) => r.id);
  db.close();
  const datasets = new DatasetCache();
  const ids = new Set(expandStudy(presetSpec('paper'), (t) => datasets.get(t.data)).map((p) => p.id));
  assert.equal(ids.size, 549);
  assert.ok(stored.length > 0);
  const orphaned = stored.filter((id) => !ids.has(id));
  assert.deepEqual(orphaned, [], `${orphaned.length} of ${stored.length} stored runs are no longer in the preset's plan: a configuration default changed`);
  assert.deepEqual(planned.filter((id) => !ids.has(id)), [], 'the stored plan differs from the preset');
});
