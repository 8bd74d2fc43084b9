// Statistics of the report (src/study/stats.ts) against values computed by hand.
// Student-t quantiles t(0.975, ν) from standard tables (e.g. NIST/SEMATECH e-Handbook,
// table 1.4.2.3.1 / scipy.stats.t.ppf(0.975, ν)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, sd, summarizeSample, tCdf, tQuantile } from '../../src/study/stats.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('mean and sample sd', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  // Σ(x − 2.5)² = 2.25 + 0.25 + 0.25 + 2.25 = 5; sd = √(5/3)
  close(sd([1, 2, 3, 4]), Math.sqrt(5 / 3), 1e-15, 'sd');
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(sd([7])));
});

test('t quantiles match tables', () => {
  const table: [number, number][] = [[1, 12.706204736], [2, 4.302652730], [3, 3.182446305], [4, 2.776445105], [9, 2.262157163], [29, 2.045229642], [120, 1.979930405]];
  for (const [df, t] of table) close(tQuantile(0.975, df), t, 1e-8, `t(0.975, ${df})`);
  close(tQuantile(0.95, 10), 1.812461123, 1e-8, 't(0.95, 10)');
  close(tQuantile(0.025, 5), -2.570581836, 1e-8, 't(0.025, 5)');
  assert.equal(tQuantile(0.5, 3), 0);
  close(tCdf(0, 7), 0.5, 1e-15, 'cdf(0)');
  close(tCdf(2.776445105, 4), 0.975, 1e-9, 'cdf(t(0.975, 4))');
});

test('95% t-interval of the mean', () => {
  // x = 2.0, 2.1, 2.3: mean 2.1333…, sd = √(((−0.1333)² + (−0.0333)² + 0.1667²)/2) = √(0.04667/2) = 0.152753;
  // half = t(0.975, 2) · sd / √3 = 4.302653 · 0.0881917 = 0.379458.
  const s = summarizeSample([2.0, 2.1, 2.3]);
  assert.equal(s.n, 3);
  close(s.mean, 6.4 / 3, 1e-12, 'mean');
  close(s.sd, 0.1527525232, 1e-9, 'sd');
  close(s.half, 0.3794583, 1e-6, 'half');
  close(s.lo, 6.4 / 3 - 0.3794583, 1e-6, 'lo');
  close(s.hi, 6.4 / 3 + 0.3794583, 1e-6, 'hi');
  // Two values: t(0.975, 1) = 12.7062; sd of (1, 3) = √2; half = 12.7062 · √2/√2 = 12.7062.
  close(summarizeSample([1, 3]).half, 12.706204736, 1e-8, 'half n=2');
});

test('one value: no interval; non-finite values are dropped', () => {
  const s = summarizeSample([4]);
  assert.equal(s.mean, 4);
  assert.ok(Number.isNaN(s.half) && Number.isNaN(s.lo) && Number.isNaN(s.hi));
  const t = summarizeSample([1, NaN, 3, Infinity]);
  assert.equal(t.n, 2);
  assert.equal(t.mean, 2);
});
