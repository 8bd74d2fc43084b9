/**
 * Quick engine probe: training tokens/s of the raw addon (Net.run forward + backward,
 * gradient clipping by global norm 0.25, plain SGD), the same step as
 * bench/torch_anchor.py, for the configurations of bench/train.ts (BENCH_CONFIGS).
 * No PyTorch here: bench/train.ts is the side-by-side benchmark.
 *
 *   npx tsx bench/engine-probe.ts [--only lstm] [--threads 1,2] [--repeats 5] [--forward]
 */
import { parseArgs } from 'node:util';
import { native } from '../src/engine/native.js';
import { BENCH_CONFIGS } from '../src/bench/training.js';
import { defaultSpec } from '../src/model/spec.js';
import { buildLayout, nativeConfig } from '../src/model/layout.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' }, threads: { type: 'string' }, repeats: { type: 'string' },
    forward: { type: 'boolean' }, simd: { type: 'string' },
  },
});
const addon = native();
if (values.simd) addon.setSimd(values.simd as 'auto');
const repeats = Number(values.repeats ?? 10);
const configs = BENCH_CONFIGS.filter((c) => !values.only || c.name.includes(values.only));

let seed = 1;
const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };

for (const c of configs) {
  const spec = defaultSpec({ cell: c.cell, inputSize: c.vocab, outputSize: c.vocab, hidden: c.hidden, layers: c.layers });
  const layout = buildLayout(spec);
  const params = new Float32Array(layout.total);
  for (let i = 0; i < params.length; i++) params[i] = (rnd() - 0.5) * 0.1;
  const grads = new Float32Array(layout.total), mom = new Float32Array(layout.total);
  const net = new addon.Net(nativeConfig(spec, layout), params, grads);
  const n = c.batch * c.steps;
  const x = Int32Array.from({ length: n }, () => Math.floor(rnd() * c.vocab));
  const y = Int32Array.from({ length: n }, () => Math.floor(rnd() * c.vocab));
  for (const threads of (values.threads ?? '1,2').split(',').map(Number)) {
    addon.setThreads(threads);
    const step = () => {
      net.run({ x, y, batch: c.batch, steps: c.steps, state: null, backward: !values.forward, dropoutSeed: 0 });
      if (values.forward) return;
      const norm = Math.sqrt(addon.sumSquares(grads));
      if (norm > 0.25) addon.scale(grads, 0.25 / norm);
      addon.sgd(params, grads, mom, null, 0.1, 0, 0, false);
    };
    step(); step();
    // Per-step wall times: on a shared machine the fastest step (best) is the figure
    // least disturbed by other processes; median and CPU time are printed beside it.
    const times: number[] = [];
    const c0 = process.cpuUsage();
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      step();
      times.push((performance.now() - t0) / 1000);
    }
    const cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6 / repeats;
    times.sort((a, b) => a - b);
    const best = times[0], median = times[Math.floor(times.length / 2)];
    console.log(JSON.stringify({
      config: c.name, threads, simd: addon.simdLevel(), mode: values.forward ? 'forward' : 'train',
      best_ms: +(best * 1000).toFixed(1), median_ms: +(median * 1000).toFixed(1), cpu_ms: +(cpu * 1000).toFixed(1),
      tokens_per_s: Math.round(n / best), tokens_per_s_median: Math.round(n / median),
    }));
  }
}
