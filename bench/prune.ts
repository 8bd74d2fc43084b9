/**
 * What a pruning step costs next to an epoch, on the char LSTM configuration
 * (H 256, V 90 = Moby Dick, B 32, T 100): the recipe's pruner step (median of
 * many) against one epoch's time estimated from the measured training step.
 *
 *   npx tsx bench/prune.ts [--cell lstm] [--recipe agp-both]
 */
import { parseArgs } from 'node:util';
import { defaultSpec, type CellType } from '../src/model/spec.js';
import { buildLayout } from '../src/model/layout.js';
import { initParams } from '../src/model/init.js';
import { Rng } from '../src/data/rng.js';
import { createPruner, loadRecipe } from '../src/prune/pruner.js';
import { benchTrain } from '../src/bench/training.js';
import { table } from '../src/cli/args.js';

const { values } = parseArgs({ options: { cell: { type: 'string' }, json: { type: 'boolean' } } });
const cell = (values.cell ?? 'lstm') as CellType;
const H = 256, V = 90, B = 32, T = 100;
const trainTokens = 1_095_656; // Moby Dick train split (docs/data.md)
const stepsPerEpoch = Math.floor((Math.floor(trainTokens / B) - 1) / T);
const spec = defaultSpec({ cell, hidden: H, inputSize: V, outputSize: V });
const layout = buildLayout(spec);
const params = new Float32Array(layout.total);
const rng = new Rng(1);
initParams(spec, layout, params, () => rng.float());

const train = benchTrain({ cell, hidden: H, vocab: V, layers: 1, batch: B, steps: T, threads: 1, repeats: 5 });
const epochSec = (stepsPerEpoch * B * T) / train.tokens_per_s;
const rows: (string | number)[][] = [];
for (const name of ['agp-both', 'narang-both', 'blocks-agp', 'units-agp']) {
  const pruner = createPruner(loadRecipe(name), spec, layout, { stepsPerEpoch });
  const mask = new Uint8Array(layout.total).fill(1);
  const times: number[] = [];
  let prunes = 0;
  for (let step = 1; step <= 4 * stepsPerEpoch && times.length < 60; step++) {
    // Weights drift between pruning steps, as in training.
    if (step % 7 === 0) for (let i = 0; i < params.length; i += 97) params[i] += (rng.float() - 0.5) * 1e-3 * mask[i];
    const t0 = performance.now();
    const ev = pruner.step(step, params, mask);
    const dt = performance.now() - t0;
    if (ev) { times.push(dt); prunes++; }
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1] ?? NaN;
  const perEpoch = prunes / 4;
  const row = { recipe: name, cell, prune_ms: +med.toFixed(2), prunes_per_epoch: perEpoch, epoch_s: +epochSec.toFixed(1), step_fraction_of_epoch: med / 1000 / epochSec, epoch_overhead: (med / 1000 * perEpoch) / epochSec };
  if (values.json) process.stdout.write(JSON.stringify(row) + '\n');
  rows.push([name, med.toFixed(2), perEpoch, epochSec.toFixed(1), `${(100 * row.step_fraction_of_epoch).toFixed(4)}%`, `${(100 * row.epoch_overhead).toFixed(3)}%`]);
  params.fill(0); initParams(spec, layout, params, () => rng.float());
}
process.stdout.write(`\n${cell} H${H} V${V} B${B} T${T}: ${train.tokens_per_s.toLocaleString('en-US')} tok/s → one epoch of Moby Dick ≈ ${epochSec.toFixed(1)} s (${stepsPerEpoch} steps)\n`);
process.stdout.write(table(['recipe', 'pruning step ms (median)', 'steps/epoch', 'epoch s', 'one step / epoch', 'all steps / epoch'], rows) + '\n');
