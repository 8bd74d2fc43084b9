/**
 * `sparse-rnn evaluate RUN`: a checkpoint's metrics on its data set's valid and test
 * splits (no dropout, the LM state carried along each row), with the evaluation
 * batch and BPTT length as flags.
 */
import { fail } from '../errors.js';
import { parseFlags, num, oneOf, table } from './args.js';
import { readCheckpoint, resolveCheckpoint } from '../model/checkpoint.js';
import { loadDataset } from '../data/index.js';
import { createSession, evaluate, specFor, DEFAULT_TRAIN, type TrainConfig } from '../train/trainer.js';
import { mainMetric, metricsFromSums, formatMetric } from '../train/metrics.js';
import { native } from '../engine/native.js';

export const EVALUATE_HELP = `usage: sparse-rnn evaluate RUN [flags]

RUN is a run folder (its ckpt/last.srnn) or a checkpoint file; the data set is the
run's own (config in the checkpoint), or --data.
  --data NAME|DIR  evaluate on this data set instead (e.g. an imported model's), with
  --level word|char  --limit N   as for train
  --eval-batch B   rows evaluated side by side (language models: each row is one long
                   stream with its state carried; 1 = the whole split as one stream) (10)
  --bptt T         time steps per call (the run's)
  --threads N      (1)
  --json           one JSON line

examples:
  sparse-rnn evaluate runs/lstm --eval-batch 1
  sparse-rnn evaluate runs/torch-lstm --data synthetic-lm
`;

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags('evaluate', argv, {
    'eval-batch': { type: 'string' }, bptt: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
    data: { type: 'string' }, level: { type: 'string' }, limit: { type: 'string' },
  });
  if (v.help) { process.stdout.write(EVALUATE_HELP); return 0; }
  if (positionals.length !== 1) fail('BAD_FLAG', 'evaluate: expected one run folder or checkpoint', 'sparse-rnn evaluate runs/NAME');
  const ck = readCheckpoint(resolveCheckpoint(positionals[0]));
  let cfg = (ck.train as { config?: TrainConfig } | undefined)?.config;
  if (typeof v.data === 'string') {
    const level = oneOf('level', v.level as string | undefined, ['word', 'char'] as const);
    const limit = num('limit', v.limit as string | undefined, { int: true, min: 2 });
    cfg = { ...DEFAULT_TRAIN, ...cfg, data: { name: v.data, ...(level ? { level } : {}), ...(limit ? { limit } : {}) } };
  }
  if (!cfg?.data?.name) fail('BAD_FILE', 'evaluate: the checkpoint does not name its data set', 'pass --data NAME, or use a checkpoint written by sparse-rnn train');
  native().setThreads(num('threads', v.threads as string | undefined, { int: true, min: 1, max: 64 }) ?? 1);
  const ds = loadDataset(cfg.data.name, { level: cfg.data.level, limit: cfg.data.limit });
  const want = specFor({ ...cfg, model: { ...ck.spec } }, ds);
  if (want.inputSize !== ck.spec.inputSize || want.outputSize !== ck.spec.outputSize || want.task !== ck.spec.task) {
    fail('BAD_DATA', `evaluate: data set ${cfg.data.name} does not fit the model (input ${want.inputSize} vs ${ck.spec.inputSize}, outputs ${want.outputSize} vs ${ck.spec.outputSize}, ${want.task} vs ${ck.spec.task})`,
      'name a data set with the model\'s vocabulary, or input width and classes');
  }
  const batch = num('eval-batch', v['eval-batch'] as string | undefined, { int: true, min: 1 }) ?? (ds.kind === 'lm' ? 10 : cfg.batch);
  const bptt = num('bptt', v.bptt as string | undefined, { int: true, min: 1 }) ?? cfg.bptt;
  const metric = mainMetric(ds.kind, ds.kind === 'lm' ? ds.level : undefined);
  const s = createSession(ck.spec, ck.params);
  const valid = metricsFromSums(evaluate(s, ds, 'valid', batch, bptt), metric);
  const test = metricsFromSums(evaluate(s, ds, 'test', batch, bptt), metric);
  if (v.json) process.stdout.write(JSON.stringify({ metric, evalBatch: batch, bptt, step: ck.step, valid, test }) + '\n');
  else process.stdout.write(table(['split', metric, 'loss'], [
    ['valid', formatMetric(metric, valid[metric]), valid.loss.toFixed(4)],
    ['test', formatMetric(metric, test[metric]), test.loss.toFixed(4)],
  ]) + `\n(step ${ck.step}; ${batch} rows × ${bptt} steps per call)\n`);
  return 0;
}
