/**
 * Time per step in headless Chromium of the shipped demo models (web/models/): the pure
 * TypeScript sparse runtime against the same model run dense (web/dense.ts), as the
 * browser page measures them (median of interleaved rounds, recurrent step + head, batch 1).
 * The page is loaded --runs times (fresh browser each); prints each run and the medians.
 *
 *   node --import tsx bench/browser.ts [--runs 3] [--json]
 *
 * Needs Debian's /usr/bin/chromium (apt-get install -y chromium).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CHROMIUM, openDemo } from '../web/chromium.js';

interface Timing { sparseMs: number; denseMs: number }

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
if (!fs.existsSync(CHROMIUM)) {
  process.stderr.write(`error[BAD_FILE]: ${CHROMIUM} is absent (hint: apt-get install -y chromium)\n`);
  process.exit(1);
}
if (!(Number.isInteger(runs) && runs >= 1)) {
  process.stderr.write(`error[BAD_FLAG]: --runs must be a whole number ≥ 1, got ${values.runs} (hint: --runs 3)\n`);
  process.exit(1);
}
const rows: { run: number; model: string; sparse_us: number; dense_us: number; speedup: number }[] = [];
for (let r = 1; r <= runs; r++) {
  const o = await openDemo();
  try {
    const t = await o.page.evaluate(() => (globalThis as unknown as { __results?: { timing?: Record<'lm' | 'cls', Timing> } }).__results?.timing);
    if (!t) throw new Error(`page: ${await o.page.textContent('#status')}`);
    for (const model of ['cls', 'lm'] as const) {
      const row = { run: r, model, sparse_us: +(1000 * t[model].sparseMs).toFixed(1), dense_us: +(1000 * t[model].denseMs).toFixed(1), speedup: +(t[model].denseMs / t[model].sparseMs).toFixed(2) };
      rows.push(row);
      process.stdout.write(values.json ? JSON.stringify(row) + '\n' : `run ${r}  ${model.padEnd(3)}  sparse ${row.sparse_us.toFixed(1).padStart(7)} µs  dense ${row.dense_us.toFixed(1).padStart(7)} µs  ${row.speedup.toFixed(2)}×\n`);
    }
  } finally {
    await o.close();
  }
}
if (!values.json) {
  const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  for (const model of ['cls', 'lm']) {
    const m = rows.filter((x) => x.model === model);
    process.stdout.write(`median ${model.padEnd(3)}  sparse ${med(m.map((x) => x.sparse_us)).toFixed(1).padStart(7)} µs  dense ${med(m.map((x) => x.dense_us)).toFixed(1).padStart(7)} µs  ${med(m.map((x) => x.speedup)).toFixed(2)}× (${runs} page loads)\n`);
  }
}
