/**
 * The cost of going distributed: runs of the quick preset on the embedded backend
 * (SQLite, forked workers) and on PostgreSQL + Redis (BullMQ) with `sparse-rnn
 * worker` processes, 1 and 2 workers each, on this machine, in the same run.
 *
 *   SPARSE_RNN_PG_URL=postgres://… SPARSE_RNN_REDIS_URL=redis://… npx tsx bench/distributed.ts [--runs N] [--preset quick]
 *
 * (scripts/cluster-local.sh services DIR prints the two variables.) --runs takes the
 * first N runs of the preset (default: all). Printed per configuration: wall time,
 * training seconds per run (the runs' own wall time), coordination ms per run
 * (workers × wall − Σ run time, over the runs: dispatch, store commits, checkpoint
 * uploads, idle ends), and the ratios the issue asks for: 2 workers against 1, and
 * distributed against embedded. The load average is printed beside them: on a shared
 * machine the figures move with it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { presetSpec } from '../src/study/spec.js';
import { expandStudy, type RunPlan } from '../src/study/plan.js';
import { DatasetCache } from '../src/study/execute.js';
import { runStudy } from '../src/study/runner.js';
import { SqliteResults } from '../src/study/results.js';
import { PgResults } from '../src/study/pg-store.js';
import { runDistributedStudy } from '../src/study/distributed.js';
import { table } from '../src/cli/args.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, preset: { type: 'string' }, workers: { type: 'string' } } });
const PG_URL = process.env.SPARSE_RNN_PG_URL;
const REDIS_URL = process.env.SPARSE_RNN_REDIS_URL;
if (!PG_URL || !REDIS_URL) {
  process.stderr.write('bench/distributed.ts needs SPARSE_RNN_PG_URL and SPARSE_RNN_REDIS_URL (eval "$(scripts/cluster-local.sh services DIR)")\n');
  process.exit(2);
}
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const spec = presetSpec(values.preset ?? 'quick');
const datasets = new DatasetCache();
const all = expandStudy(spec, (t) => datasets.get(t.data));
const plans: RunPlan[] = values.runs ? all.slice(0, Number(values.runs)) : all;
const counts = (values.workers ?? '1,2').split(',').map(Number);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-bench-dist-'));
const load0 = os.loadavg();

interface Row { backend: string; workers: number; wall: number; trainPerRun: number; coordMsPerRun: number }
const rows: Row[] = [];
const metricsOf = new Map<string, string>();

function row(backend: string, workers: number, wall: number, runSeconds: number[]): Row {
  const sum = runSeconds.reduce((a, b) => a + b, 0);
  return { backend, workers, wall, trainPerRun: sum / runSeconds.length, coordMsPerRun: ((workers * wall - sum) / runSeconds.length) * 1000 };
}

for (const w of counts) {
  const out = path.join(tmp, `embedded-${w}`);
  const t0 = performance.now();
  const r = await runStudy(spec, plans, { out, workers: w, progress: false });
  const wall = (performance.now() - t0) / 1000;
  if (r.finished !== plans.length) throw new Error(`embedded: ${r.finished}/${plans.length} runs finished`);
  const s = SqliteResults.open(out);
  const secs: number[] = [];
  for (const p of plans) {
    const rec = (await s.getRun(p.id))!;
    secs.push(rec.wallSeconds);
    metricsOf.set(p.id, `${rec.valid}/${rec.test}`);
  }
  await s.close();
  rows.push(row('embedded (SQLite)', w, wall, secs));
  process.stderr.write(`embedded, ${w} worker(s): ${wall.toFixed(1)} s\n`);
}

let same = true;
for (const w of counts) {
  const dbName = `srnn_bench_${process.pid}_${w}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${dbName}`;
  const queue = `${REDIS_URL}?name=bench-${process.pid}-${w}`;
  const art = path.join(tmp, `artifacts-${w}`);
  const results = await PgResults.open(u.toString());
  // Workers start (and connect) before the clock does, as on a cluster that is already up.
  const procs = Array.from({ length: w }, (_, i) => {
    const cwd = path.join(tmp, `dist-${w}-m${i + 1}`);
    fs.mkdirSync(cwd, { recursive: true });
    return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), 'worker', '--store', u.toString(), '--queue', queue, '--artifacts', art, '--name', `b${i + 1}`],
      { cwd: ROOT, stdio: 'ignore', env: { ...process.env } });
  });
  await new Promise((r) => setTimeout(r, 3000));
  const t0 = performance.now();
  const r = await runDistributedStudy(spec, plans, results, { queue, artifacts: art, pollMs: 100, log: () => {} });
  const wall = (performance.now() - t0) / 1000;
  if (r.finished !== plans.length) throw new Error(`distributed: ${r.finished}/${plans.length} runs finished`);
  const secs: number[] = [];
  for (const p of plans) {
    const rec = (await results.getRun(p.id))!;
    secs.push(rec.wallSeconds);
    if (metricsOf.get(p.id) !== `${rec.valid}/${rec.test}`) same = false;
  }
  await results.close();
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((res) => p.on('exit', res))));
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await c.end();
  rows.push(row('PostgreSQL + Redis', w, wall, secs));
  process.stderr.write(`distributed, ${w} worker(s): ${wall.toFixed(1)} s\n`);
}
fs.rmSync(tmp, { recursive: true, force: true });

const get = (b: string, w: number) => rows.find((r) => r.backend.startsWith(b) && r.workers === w);
process.stdout.write(`${plans.length} runs of the ${spec.name} preset, ${os.cpus().length} cores; load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} after\n\n`);
process.stdout.write(table(['backend', 'workers', 'wall s', 'training s/run', 'coordination ms/run'],
  rows.map((r) => [r.backend, r.workers, r.wall.toFixed(1), r.trainPerRun.toFixed(2), r.coordMsPerRun.toFixed(0)])) + '\n\n');
for (const b of ['embedded', 'PostgreSQL']) {
  const one = get(b, 1), two = get(b, 2);
  if (one && two) process.stdout.write(`${b}: 2 workers ${(one.wall / two.wall).toFixed(2)}× one worker (goal ≥ 1.9×)\n`);
}
for (const w of counts) {
  const e = get('embedded', w), d = get('PostgreSQL', w);
  if (e && d) process.stdout.write(`${w} worker(s): distributed wall ${((d.wall / e.wall - 1) * 100).toFixed(1)}% against embedded (goal within 5%)\n`);
}
process.stdout.write(`final metrics equal between backends for every run: ${same ? 'yes' : 'NO'}\n`);
