/**
 * One parameterized suite over every pruning schedule (TF-MOT habit): values against
 * the formulas of docs/methods.md §4–§5 (re-implemented here, independently of
 * src/prune/schedules.ts) at begin, end, between pruning steps, before and after the
 * window; validation errors with the rule in the message; config round trip.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agp, Narang, OneShot, scheduleFromConfig, type PruneDecision, type PruningSchedule, type ScheduleConfig } from '../../src/prune/schedules.js';
import { SparseRnnError } from '../../src/errors.js';

interface Case {
  name: string;
  config: ScheduleConfig;
  fromConfig: (c: unknown) => PruningSchedule;
  /** The reference: the formulas of docs/methods.md §4–§5 written out. */
  expected: (step: number) => PruneDecision;
  /** Steps to probe, by role. */
  probes: { before: number; first: number; between: number; last: number; after: number };
  /** Config overrides that must be rejected, and the message they must give. */
  invalid: [Record<string, unknown>, RegExp][];
}

// docs/methods.md §4 (TF-MOT PolynomialDecay).
function agpRef(c: { initialSparsity: number; finalSparsity: number; beginStep: number; endStep: number; frequency: number; power: number }) {
  return (t: number): PruneDecision => {
    const p = Math.min(1, Math.max(0, (t - c.beginStep) / (c.endStep - c.beginStep)));
    return {
      // TF-MOT's rule, plus endStep itself (so the final sparsity is always reached; where
      // frequency divides endStep − beginStep, endStep is already on TF-MOT's grid).
      prune: t >= c.beginStep && t <= c.endStep && ((t - c.beginStep) % c.frequency === 0 || t === c.endStep),
      sparsity: c.finalSparsity + (c.initialSparsity - c.finalSparsity) * (1 - p) ** c.power,
    };
  };
}

// docs/methods.md §5 (Narang et al.), with the project's convention outside the window
// (0 up to start, the last pruning step's ε after it; see schedules.ts).
function narangRef(c: { startStep: number; rampStep: number; endStep: number; frequency: number; q: number; rampSlopeMult: number }) {
  const eps = (itr: number) => {
    const theta = (2 * c.q * c.frequency) / (2 * (c.rampStep - c.startStep) + 3 * (c.endStep - c.rampStep));
    const phi = theta * c.rampSlopeMult;
    return itr < c.rampStep
      ? (theta * (itr - c.startStep + 1)) / c.frequency
      : (theta * (c.rampStep - c.startStep + 1) + phi * (itr - c.rampStep + 1)) / c.frequency;
  };
  let last = c.endStep - 1;
  while (last % c.frequency !== 0) last--;
  return (t: number): PruneDecision => ({
    prune: t > c.startStep && t < c.endStep && t % c.frequency === 0,
    threshold: t <= c.startStep ? 0 : t >= last ? eps(last) : eps(t),
  });
}

const agp1 = { method: 'agp', initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 100, endStep: 110, frequency: 2, power: 3 } as const;
const agp2 = { method: 'agp', initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000, frequency: 100, power: 1 } as const;
const agp3 = { method: 'agp', initialSparsity: 0.1, finalSparsity: 0.5, beginStep: 7, endStep: 50, frequency: 10, power: 2 } as const; // end off the grid
const nar1 = { method: 'narang', startStep: 2000, rampStep: 3600, endStep: 10600, frequency: 100, q: 0.15, rampSlopeMult: 2 } as const;
const nar2 = { method: 'narang', startStep: 5, rampStep: 5, endStep: 40, frequency: 3, q: 1, rampSlopeMult: 1.5 } as const; // ramp at start

const agpInvalid: [Record<string, unknown>, RegExp][] = [
  [{ finalSparsity: 1.2 }, /^finalSparsity must be in \[0, 1\) \(got 1\.2\)$/],
  [{ finalSparsity: 1 }, /^finalSparsity must be in \[0, 1\) \(got 1\)$/],
  [{ initialSparsity: -0.1 }, /^initialSparsity must be in \[0, 1\) \(got -0\.1\)$/],
  [{ initialSparsity: 0.95 }, /^finalSparsity must be >= initialSparsity 0\.95 \(masks only grow\)/],
  [{ beginStep: -1 }, /^beginStep must be an integer >= 0 \(got -1\)$/],
  [{ beginStep: 1.5 }, /^beginStep must be an integer >= 0 \(got 1\.5\)$/],
  [{ endStep: 50 }, /^endStep must be > beginStep \d+ \(got 50\)$/],
  [{ frequency: 0 }, /^frequency must be > 0 \(got 0\)$/],
  [{ frequency: 2.5 }, /^frequency must be an integer number of steps \(got 2\.5\)$/],
  [{ power: 0 }, /^power must be a number > 0 \(got 0\)$/],
  [{ sparsity: 0.5 }, /^sparsity is not a agp parameter/],
];

const cases: Case[] = [
  {
    name: 'oneshot',
    config: { method: 'oneshot', sparsity: 0.75, step: 500 },
    fromConfig: OneShot.fromConfig,
    expected: (t) => ({ prune: t === 500, sparsity: t >= 500 ? 0.75 : 0 }),
    probes: { before: 499, first: 500, between: 500, last: 500, after: 501 },
    invalid: [
      [{ sparsity: 1 }, /^sparsity must be in \[0, 1\) \(got 1\)$/],
      [{ sparsity: -0.5 }, /^sparsity must be in \[0, 1\) \(got -0\.5\)$/],
      [{ step: 0 }, /^step must be an integer >= 1 \(got 0\)$/],
      [{ step: -3 }, /^step must be an integer >= 1 \(got -3\)$/],
      [{ frequency: 10 }, /^frequency is not a oneshot parameter/],
    ],
  },
  {
    name: 'agp (CLI example: 0.2 → 0.8, begin 100, end 110, every 2, power 3)',
    config: agp1,
    fromConfig: Agp.fromConfig,
    expected: agpRef(agp1),
    probes: { before: 98, first: 100, between: 105, last: 110, after: 112 },
    invalid: agpInvalid.map(([o, re]) => [o.endStep === 50 ? { endStep: 100 } : o, o.endStep === 50 ? /^endStep must be > beginStep 100 \(got 100\)$/ : re]),
  },
  {
    name: 'agp (linear, begin 0)',
    config: agp2,
    fromConfig: Agp.fromConfig,
    expected: agpRef(agp2),
    // begin 0 prunes at step 0 as in TF-MOT (a trainer's steps start at 1, so its first prune is at 100).
    probes: { before: -1, first: 0, between: 150, last: 1000, after: 1100 },
    invalid: agpInvalid.map(([o, re]) => [o.endStep === 50 ? { endStep: 0 } : o, o.endStep === 50 ? /^endStep must be > beginStep 0 \(got 0\)$/ : re]),
  },
  {
    name: 'agp (end not on the frequency grid: end is an extra pruning step)',
    config: agp3,
    fromConfig: Agp.fromConfig,
    expected: agpRef(agp3),
    probes: { before: 6, first: 7, between: 12, last: 50, after: 51 },
    invalid: agpInvalid.map(([o, re]) => [o.endStep === 50 ? { endStep: 7 } : o, o.endStep === 50 ? /^endStep must be > beginStep 7 \(got 7\)$/ : re]),
  },
  ...[nar1, nar2].map((cfg, i): Case => ({
    name: i === 0 ? 'narang (Distiller recipe proportions, q 0.15, mult 2)' : 'narang (ramp at start, odd frequency)',
    config: cfg,
    fromConfig: Narang.fromConfig,
    expected: narangRef(cfg),
    probes: i === 0
      ? { before: 2000, first: 2100, between: 3650, last: 10500, after: 10600 }
      : { before: 5, first: 6, between: 7, last: 39, after: 40 },
    invalid: [
      [{ startStep: -1 }, /^startStep must be an integer >= 0 \(got -1\)$/],
      [{ rampStep: cfg.startStep - 1 }, /^rampStep must be >= startStep \d+ \(got \d+\)$/],
      [{ endStep: cfg.rampStep - 1 }, /^endStep must be >= rampStep \d+ \(got \d+\)$/],
      [{ frequency: 0 }, /^frequency must be > 0 \(got 0\)$/],
      [{ frequency: 100000 }, /^frequency leaves no pruning step: need a multiple of frequency strictly between startStep \d+ and endStep \d+ \(got 100000\)$/],
      [{ q: 0 }, /^q must be a number > 0 or "auto" \(got 0\)$/],
      [{ q: 'median' }, /^q must be a number > 0 or "auto" \(got "median"\)$/],
      [{ rampSlopeMult: -1 }, /^rampSlopeMult must be a number > 0 \(got -1\)$/],
      [{ targetSparsity: 0.8 }, /^q must be "auto" \(or left out\) with targetSparsity/],
      [{ q: 'auto', targetSparsity: 1 }, /^targetSparsity must be in \(0, 1\) \(got 1\)$/],
      [{ power: 3 }, /^power is not a narang parameter/],
    ],
  })),
];

function rejects(cfg: unknown, re: RegExp) {
  assert.throws(() => scheduleFromConfig(cfg), (e: unknown) => {
    assert.ok(e instanceof SparseRnnError, `not a SparseRnnError: ${String(e)}`);
    assert.equal(e.code, 'BAD_RECIPE');
    assert.match(e.message, re);
    return true;
  });
}

const close = (a: number | undefined, b: number | undefined, what: string) => {
  assert.equal(typeof a, typeof b, `${what}: ${a} vs ${b}`);
  if (a !== undefined && b !== undefined) assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};

for (const c of cases) {
  describe(`schedule: ${c.name}`, () => {
    const s = scheduleFromConfig(c.config);

    test('at(step) follows the formula over the whole range', () => {
      const lo = Math.max(0, c.probes.before - 5);
      for (let t = lo; t <= c.probes.after + 5; t++) {
        const got = s.at(t);
        const want = c.expected(t);
        assert.equal(got.prune, want.prune, `prune at ${t}`);
        close(got.sparsity, want.sparsity, `sparsity at ${t}`);
        close(got.threshold, want.threshold, `threshold at ${t}`);
      }
    });

    test('prunes at the first and last step, not between, before or after', () => {
      assert.equal(s.at(c.probes.first).prune, true);
      assert.equal(s.at(c.probes.last).prune, true);
      assert.equal(s.firstStep, c.probes.first);
      assert.equal(s.lastStep, c.probes.last);
      if (c.probes.between !== c.probes.first) assert.equal(s.at(c.probes.between).prune, false);
      assert.equal(s.at(c.probes.before).prune, false);
      assert.equal(s.at(c.probes.after).prune, false);
    });

    test('pruningSteps() lists exactly the steps where at().prune', () => {
      const want: number[] = [];
      for (let t = 0; t <= c.probes.after + 10; t++) if (c.expected(t).prune) want.push(t);
      assert.deepEqual([...s.pruningSteps()], want);
    });

    test('the sparsity / threshold in effect never decreases', () => {
      let prev = -Infinity;
      for (let t = 0; t <= c.probes.after + 5; t++) {
        const d = s.at(t);
        const v = d.sparsity ?? d.threshold!;
        assert.ok(v >= prev - 1e-15, `value dropped at ${t}: ${v} < ${prev}`);
        prev = v;
      }
    });

    test('validation: the rule in the message', () => {
      for (const [override, re] of c.invalid) rejects({ ...c.config, ...override }, re);
    });

    test('config round trip (object and JSON)', () => {
      assert.deepEqual(s.toConfig(), c.config);
      assert.deepEqual(c.fromConfig(s.toConfig()).toConfig(), c.config);
      assert.deepEqual(scheduleFromConfig(JSON.parse(JSON.stringify(s.toConfig()))).toConfig(), c.config);
    });
  });
}

describe('schedule specifics', () => {
  test('agp: the CLI example values (hand-computed: 0.8 − 0.6·(1 − p)³)', () => {
    const s = new Agp(agp1);
    const got = [...s.pruningSteps()].map((t) => s.at(t).sparsity!);
    [0.2, 0.4928, 0.6704, 0.7616, 0.7952, 0.8].forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-12, `${got[i]} vs ${v}`));
  });

  test('agp: defaults initialSparsity 0 and power 3', () => {
    const s = new Agp({ finalSparsity: 0.5, beginStep: 0, endStep: 10, frequency: 1 });
    assert.equal(s.initialSparsity, 0);
    assert.equal(s.power, 3);
  });

  test('narang: a hand-computed value (θ = 30/24200; ε(2100) = 1.01·θ; ε(10500) = 154.03·θ)', () => {
    const s = new Narang(nar1);
    const theta = 30 / 24200;
    assert.ok(Math.abs(s.at(2100).threshold! - 1.01 * theta) < 1e-15);
    assert.ok(Math.abs(s.at(10500).threshold! - 154.03 * theta) < 1e-14);
  });

  test('narang: q auto gives no threshold; factor() is ε per unit of q; bind() fixes q', () => {
    const auto = new Narang({ ...nar1, q: 'auto' });
    assert.deepEqual(auto.at(2100), { prune: true });
    const bound = auto.bind(0.15);
    for (const t of [2100, 3600, 7000, 10500]) {
      assert.ok(Math.abs(bound.at(t).threshold! - 0.15 * auto.factor(t)) < 1e-15);
      assert.equal(bound.at(t).threshold, new Narang(nar1).at(t).threshold);
    }
    assert.equal(new Narang({ ...nar1, q: undefined, rampSlopeMult: undefined }).rampSlopeMult, 1.5);
    assert.equal(new Narang({ ...nar1, q: undefined }).q, 'auto');
  });

  test('narang: the ramp recalibration point is the first pruning step at or after rampStep', () => {
    assert.equal(new Narang(nar1).rampPruneStep, 3600);
    assert.equal(new Narang({ ...nar1, rampStep: 3650 }).rampPruneStep, 3700);
    assert.equal(new Narang(nar2).rampPruneStep, 6);
  });

  test('scheduleFromConfig: unknown method and non-objects', () => {
    rejects({ method: 'cubic' }, /^method must be one of agp, narang, oneshot \(got "cubic"\)$/);
    rejects(null, /^method must be one of/);
    assert.throws(() => Agp.fromConfig([1, 2]), /agp schedule config must be an object/);
  });
});

test('agp reaches the final sparsity at endStep; where frequency divides the window the steps are TF-MOT\'s', () => {
  // The probe's two cases: frequency 3 over 0..10 stopped at step 9 with 0.72; frequency 20 over 5..10 pruned nothing.
  const a = new Agp({ finalSparsity: 0.8, beginStep: 0, endStep: 10, frequency: 3, power: 1 });
  assert.deepEqual([...a.pruningSteps()], [0, 3, 6, 9, 10]);
  assert.equal(a.at(10).prune, true);
  assert.ok(Math.abs(a.at(a.lastStep).sparsity! - 0.8) < 1e-12);
  const b = new Agp({ finalSparsity: 0.9, beginStep: 5, endStep: 10, frequency: 20 });
  assert.deepEqual([...b.pruningSteps()], [5, 10]);
  assert.ok(Math.abs(b.at(10).sparsity! - 0.9) < 1e-12);
  // frequency | end − begin: exactly TF-MOT's steps (begin, begin + f, …, end), nothing added.
  for (const [begin, f, n] of [[0, 1, 7], [100, 100, 9], [13, 7, 5], [50, 25, 20]]) {
    const c = new Agp({ finalSparsity: 0.75, beginStep: begin, endStep: begin + n * f, frequency: f });
    const tfmot: number[] = [];
    for (let t = begin; t <= begin + n * f; t++) if ((t - begin) % f === 0) tfmot.push(t);
    assert.deepEqual([...c.pruningSteps()], tfmot);
  }
});

test('the study presets\' agp schedules keep TF-MOT\'s pruning steps exactly (frequency divides the window)', async () => {
  const { recipeFor } = await import('../../src/study/plan.js');
  const { PRESETS } = await import('../../src/study/presets.js');
  for (const p of Object.values(PRESETS)) {
    for (let steps = 10; steps <= 3000; steps += 7) {
      const e = (recipeFor('agp', 'both', 0.9, (p as { schedule: Parameters<typeof recipeFor>[3] }).schedule, steps) as { pruning: Record<string, number>[] }).pruning[0];
      assert.equal((e.endStep - e.beginStep) % e.frequency, 0);
      const tfmot: number[] = [];
      for (let t = e.beginStep; t <= e.endStep; t += e.frequency) tfmot.push(t);
      assert.deepEqual([...new Agp(e as never).pruningSteps()], tfmot);
    }
  }
});
