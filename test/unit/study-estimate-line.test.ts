// The estimate line says what a benchmark-based estimate rests on (the load it was
// measured at) and warns when the workers will share cores with other work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateLine } from '../../src/cli/study.js';
import type { StudyEstimate } from '../../src/study/estimate.js';

const est = (source: 'benchmark' | 'measured runs'): StudyEstimate => ({
  perRun: new Map(), serialSeconds: 7860, seconds: 3900,
  rates: [{ task: 't', cell: 'lstm', rate: 1e9, source }],
});

test('benchmark estimate on a quiet machine: the load it was measured at, no warning', () => {
  const line = estimateLine(est('benchmark'), 2, 0.1, 2);
  assert.match(line, /^estimated time: 1h05m on 2 workers \(2h11m of runs; throughput from benchmark, measured at load average 0\.1 on 2 cores\)$/);
});

test('benchmark estimate beside other work: a note that the runs will take longer', () => {
  const line = estimateLine(est('benchmark'), 2, 2.4, 2);
  const [first, note] = line.split('\n');
  assert.match(first, /measured at load average 2\.4 on 2 cores\)$/);
  assert.match(note, /^note: 2 workers beside a load of 2\.4 on 2 cores: the runs will share cores and take longer than estimated$/);
  assert.doesNotMatch(estimateLine(est('benchmark'), 1, 0.4, 2), /note:/, 'one worker and a light load fit 2 cores');
});

test('an estimate from finished runs already carries their conditions: no load note', () => {
  assert.equal(estimateLine(est('measured runs'), 2, 9, 2), 'estimated time: 1h05m on 2 workers (2h11m of runs; throughput from measured runs)');
});
