/**
 * `sparse-rnn study`: a study spec (or preset) → the grid of runs → worker
 * processes → results store → report. A thin shell over src/study/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fail, SparseRnnError } from '../errors.js';
import { validateTrainConfig, specFor, checkModelSize } from '../train/trainer.js';
import { loadRecipe } from '../prune/recipe.js';
import { parseFlags, num, table, type Options } from './args.js';
import { presetSpec, readStudySpec, type StudySpec } from '../study/spec.js';
import { PRESET_NAMES } from '../study/presets.js';
import { describePlan, expandStudy, type RunPlan } from '../study/plan.js';
import { DatasetCache } from '../study/execute.js';
import { estimateStudy, type StudyEstimate } from '../study/estimate.js';
import { runStudy } from '../study/runner.js';
import { Store, STORE_FILE } from '../study/store.js';
import { formatDuration } from '../util/progress.js';

const FLAGS: Options = {
  preset: { type: 'string', short: 'p' },
  out: { type: 'string', short: 'o' },
  workers: { type: 'string', short: 'w' },
  'dry-run': { type: 'boolean', short: 'n' },
  'no-report': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  store: { type: 'string' },
  queue: { type: 'string' },
  artifacts: { type: 'string' },
  detach: { type: 'boolean' },
};

export const STUDY_HELP = `usage: sparse-rnn study [--preset quick|paper | SPEC.yaml] [--out DIR] [--workers N] [--dry-run]

Runs a comparative pruning study: tasks × cells (rnn, lstm, gru) × methods (dense,
oneShot, agp, narang) × targets (ih, hh, both) × sparsities × seeds, plus small dense
baselines at equal non-zeros. Each run trains on the native engine with one thread,
in N worker processes; finished runs are rows of DIR/study.db (SQLite). Running the
same study again skips finished runs and continues interrupted ones from their last
checkpoint; Ctrl-C stops cleanly (workers checkpoint and exit). When the study ends,
its report is written to DIR/report/ (see sparse-rnn report).

  --preset NAME   ${PRESET_NAMES.join(' | ')} (default quick when no SPEC is given)
  SPEC.yaml       a study spec (docs/study.md); \`extends: quick\` starts from a preset
  --out DIR       study folder (default studies/<spec name>)
  --workers N     worker processes (default: one per core, ${os.availableParallelism()} here)
  --dry-run       print the runs and the estimated time, run nothing
  --no-report     do not write the report at the end
  --quiet         no progress

Across machines (docs/cluster.md): the plan goes to PostgreSQL, the runs to a
BullMQ queue on Redis, and \`sparse-rnn worker\` processes on any machines train
them; this command follows the progress until every run is finished or failed.
  --store URL       postgres://USER:PASSWORD@HOST:5432/DB (or $SPARSE_RNN_STORE)
  --queue URL       redis://HOST:6379 (or $SPARSE_RNN_QUEUE)
  --artifacts WHERE checkpoints: a directory every worker reaches, or s3://bucket/prefix
  --detach          return once the runs are enqueued (sparse-rnn status follows them)

examples:
  sparse-rnn study --preset quick
  sparse-rnn study --preset paper --dry-run
  sparse-rnn study my-study.yaml --out studies/mine --workers 2
  sparse-rnn study --preset paper --store postgres://srnn:PW@db/studies --queue redis://q:6379 --artifacts /nfs/srnn
`;

/**
 * Every planned run's configuration is checked before anything runs (or a dry run
 * says it would): training settings, recipe, model size. One BAD_CONFIG line names the run.
 */
function validatePlans(plans: readonly RunPlan[], datasets: DatasetCache): void {
  for (const p of plans) {
    try {
      validateTrainConfig(p.train);
      if (p.train.recipe !== undefined) loadRecipe(p.train.recipe);
      checkModelSize(specFor(p.train, datasets.get(p.train.data)), p.train.optimizer.kind);
    } catch (e) {
      if (!(e instanceof SparseRnnError)) throw e;
      fail(e.code, `run ${describePlan(p).trim().replace(/\s+/g, " ")}: ${e.message}`, e.hint ?? 'fix the study spec (docs/study.md)');
    }
  }
}

function summarizeGrid(plans: readonly RunPlan[]): string {
  const rows = new Map<string, number>();
  for (const p of plans) {
    const k = p.method === 'dense' ? 'dense' : p.method === 'smallDense' ? 'small-dense' : `${p.method} (${p.target})`;
    rows.set(k, (rows.get(k) ?? 0) + 1);
  }
  return table(['runs', 'count'], [...rows.entries()].map(([k, n]) => [k, n]));
}

/**
 * The estimate, and what it rests on. A benchmark-based estimate holds only for the load
 * it was measured at (docs/study.md, "Estimates": measured against real studies), so the
 * line says the load and warns when the workers will not have a core each.
 */
export function estimateLine(e: StudyEstimate, workers: number, load = os.loadavg()[0], cores = os.availableParallelism()): string {
  const src = [...new Set(e.rates.map((r) => r.source))].join(' and ');
  const base = `estimated time: ${formatDuration(e.seconds)} on ${workers} worker${workers > 1 ? 's' : ''} (${formatDuration(e.serialSeconds)} of runs; throughput from ${src || 'finished runs'}`;
  if (!e.rates.some((r) => r.source === 'benchmark')) return `${base})`;
  const busy = load + workers > cores + 0.5;
  return `${base}, measured at load average ${load.toFixed(1)} on ${cores} cores)${busy ? `\nnote: ${workers} worker${workers > 1 ? 's' : ''} beside a load of ${load.toFixed(1)} on ${cores} cores: the runs will share cores and take longer than estimated` : ''}`;
}

export async function studyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('study', argv, FLAGS, true);
  if (values.help) { process.stdout.write(STUDY_HELP); return 0; }
  if (positionals.length > 1) fail('BAD_FLAG', `study takes one SPEC file (got ${positionals.length}: ${positionals.join(', ')})`, 'see sparse-rnn study --help');
  if (positionals.length && typeof values.preset === 'string') fail('BAD_FLAG', 'give either --preset or a SPEC file, not both', 'a spec can start from a preset with `extends: quick`');
  const spec: StudySpec = positionals.length ? readStudySpec(positionals[0]) : presetSpec(typeof values.preset === 'string' ? values.preset : 'quick');
  const workers = num('workers', values.workers as string | undefined, { int: true, min: 1, max: 64 }) ?? os.availableParallelism();
  const out = typeof values.out === 'string' ? values.out : path.join('studies', spec.name);
  const log = (s: string) => { if (!values.quiet) process.stderr.write(s + '\n'); };
  const storeUrl = typeof values.store === 'string' ? values.store : process.env.SPARSE_RNN_STORE;
  if (storeUrl && !values['dry-run']) return distributedStudy(spec, storeUrl, values, out, log);

  const datasets = new DatasetCache();
  const plans = expandStudy(spec, (t) => datasets.get(t.data));
  validatePlans(plans, datasets);
  let finished = new Set<string>();
  let observed: { plan: RunPlan; seconds: number }[] = [];
  if (fs.existsSync(path.join(out, STORE_FILE))) {
    const store = Store.openReadOnly(out);
    try {
      finished = store.finishedIds();
      const wall = store.wallSeconds();
      observed = plans.filter((p) => wall.has(p.id)).map((p) => ({ plan: p, seconds: wall.get(p.id)! }));
    } finally {
      store.close();
    }
  }
  const est = estimateStudy(plans, (p) => datasets.get(p.train.data), workers, finished, observed);

  if (values['dry-run']) {
    process.stdout.write(plans.map((p) => `${finished.has(p.id) ? 'done ' : '     '}${describePlan(p)}`).join('\n') + '\n\n');
    process.stdout.write(summarizeGrid(plans) + '\n\n');
    process.stdout.write(`${plans.length} runs (${finished.size ? `${plans.filter((p) => finished.has(p.id)).length} finished, ` : ''}${plans.length - plans.filter((p) => finished.has(p.id)).length} to run) → ${out}\n`);
    process.stdout.write(estimateLine(est, workers) + '\n');
    return 0;
  }

  log(estimateLine(est, workers));
  const r = await runStudy(spec, plans, { out, workers, expected: est.perRun, handleSignals: true, progress: !values.quiet });
  log(`${r.finished}/${r.total} runs finished (${r.ranNow} now, ${r.skipped} before) in ${formatDuration(r.seconds)}${r.failed.length ? `; ${r.failed.length} failed (see ${path.join(out, 'errors.log')})` : ''}`);
  if (r.ioErrors.length && values.quiet) {
    // The runner could not write its own files (errors.log, the stop file): that line first.
    process.stderr.write(r.ioErrors[0] + '\n');
  } else if (r.failed.length && values.quiet) {
    // --quiet hides progress, never a failure: one error line names the first failed run.
    const first = r.failed[0];
    const m = /^error\[([A-Z_]+)\]: (.*)$/.exec(first.message);
    process.stderr.write(`error[${m ? m[1] : 'BUG'}]: ${r.failed.length} of ${r.total} runs failed; the first, ${first.id}: ${(m ? m[2] : first.message).split('\n')[0].replace(/ \(hint: .*\)$/, '')} (hint: every failure is in ${path.join(out, 'errors.log')})\n`);
  }
  if (r.interrupted) {
    log(`stopped. Continue with the same command: sparse-rnn study ${argv.join(' ')}`);
    return 130;
  }
  if (!values['no-report'] && r.finished > 0) {
    const { writeReport } = await import('../report/index.js');
    const files = await writeReport(out);
    log(`report: ${files.html}\n        ${files.markdown}`);
  }
  return r.failed.length || r.ioErrors.length ? 1 : 0;
}

/** `study … --store postgres://… --queue … --artifacts …`: plan to the store, runs to the queue, follow. */
async function distributedStudy(spec: StudySpec, storeUrl: string, values: Record<string, unknown>, out: string, log: (s: string) => void): Promise<number> {
  const { serviceFlag } = await import('./worker.js');
  const { maskUrl } = await import('../study/urls.js');
  if (!/^postgres(ql)?:\/\//i.test(storeUrl)) {
    fail('BAD_FLAG', `--store ${maskUrl(storeUrl)}: a study across machines needs a PostgreSQL store`, 'give postgres://USER:PASSWORD@HOST:5432/DB, or leave --store out to run here (SQLite in --out)');
  }
  const queue = serviceFlag(values, 'queue', 'SPARSE_RNN_QUEUE', 'redis://HOST:6379');
  const artifacts = serviceFlag(values, 'artifacts', 'SPARSE_RNN_ARTIFACTS', '/shared/dir');
  const { openResults } = await import('../study/pg-store.js');
  const { runDistributedStudy } = await import('../study/distributed.js');
  const { parseQueueUrl } = await import('../study/queue.js');
  const { openArtifacts } = await import('../study/artifacts.js');
  // Everything that can reject the input is checked before the store is written.
  parseQueueUrl(queue);
  await openArtifacts(artifacts).check();
  const datasets = new DatasetCache();
  const plans = expandStudy(spec, (t) => datasets.get(t.data));
  validatePlans(plans, datasets);
  const results = await openResults(storeUrl);
  try {
    const r = await runDistributedStudy(spec, plans, results, { queue, artifacts, detach: !!values.detach, log });
    if (r.detached) {
      log(`detached; follow with: sparse-rnn status --store ${results.where} --study ${spec.name}`);
      return 0;
    }
    log(`${r.finished}/${r.total} runs finished${r.failed.length ? `; ${r.failed.length} failed (sparse-rnn status --store … --study ${spec.name} shows why)` : ''} in ${formatDuration(r.seconds)}`);
    if (!values['no-report'] && r.finished > 0 && results.kind === 'postgres') {
      const { exportStudy } = await import('../study/export.js');
      const { writeReport } = await import('../report/index.js');
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-'));
      try {
        await exportStudy(results, spec.name, tmp);
        const files = await writeReport(tmp, { out: path.join(out, 'report') });
        log(`report: ${files.html}\n        ${files.markdown}`);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
    return r.failed.length ? 1 : 0;
  } finally {
    await results.close();
  }
}
