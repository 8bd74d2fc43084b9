/**
 * Pruning schedules: tiny objects, pure functions of the optimizer step (1-based:
 * the pruner is called after optimizer step t with t). Each validates its
 * arguments in the constructor, with the rule in the message, and round-trips
 * through toConfig() / fromConfig().
 *
 *   at(step) → { prune, sparsity? , threshold? }
 *
 * oneshot  prune to `sparsity` at `step`, once; then the mask is frozen (fine-tune).
 *          sparsity in effect: 0 before `step`, `sparsity` from it on.
 * agp      TF-MOT PolynomialDecay (docs/methods.md §4): prune when begin ≤ step ≤ end
 *          and (step − begin) % frequency == 0, and always at end: where frequency
 *          does not divide end − begin, TF-MOT's last pruning step falls short of end
 *          and of the final sparsity; here end is an extra pruning step, so the final
 *          sparsity is reached at end (where it divides, the steps are TF-MOT's);
 *          s = final + (initial − final)·(1 − p)^power, p = clip((step − begin)/(end − begin), 0, 1).
 *          As in TF-MOT, `sparsity` is that curve at every step (initial before the window).
 * narang   Narang et al. threshold ramp (docs/methods.md §5): prune when start < step < end
 *          and step % frequency == 0, every kept weight with |w| < ε;
 *            θ = 2·q·freq / (2·(ramp − start) + 3·(end − ramp)),  φ = θ·rampSlopeMult
 *            ε = θ·(step − start + 1)/freq                                   step <  ramp
 *            ε = (θ·(ramp − start + 1) + φ·(step − ramp + 1))/freq          step ≥ ramp
 *          `threshold` is ε on start < step ≤ last pruning step (pruning step or not),
 *          0 up to start, and the ε of the last pruning step after it. With q = 'auto' (measured
 *          by the pruner) `threshold` is absent; factor(step) = ε/q is always known.
 */
import { fail } from '../errors.js';

export type Method = 'oneshot' | 'agp' | 'narang';
export const METHODS: readonly Method[] = ['agp', 'narang', 'oneshot'];

export interface PruneDecision {
  prune: boolean;
  sparsity?: number;
  threshold?: number;
}

export interface OneShotConfig { method: 'oneshot'; sparsity: number; step: number }
export interface AgpConfig {
  method: 'agp';
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  frequency: number;
  power: number;
}
export interface NarangConfig {
  method: 'narang';
  startStep: number;
  rampStep: number;
  endStep: number;
  frequency: number;
  /** A magnitude, or 'auto': the 90th percentile of |w| at the first pruning step (or chosen by calibration). */
  q: number | 'auto';
  rampSlopeMult: number;
  /** Calibration: choose q so the final sparsity reaches this (needs q 'auto'). */
  targetSparsity?: number;
}
export type ScheduleConfig = OneShotConfig | AgpConfig | NarangConfig;

export interface PruningSchedule {
  readonly method: Method;
  at(step: number): PruneDecision;
  /** Every step at which at(step).prune is true, ascending. */
  pruningSteps(): Generator<number>;
  /** The first and last steps at which the schedule prunes. */
  readonly firstStep: number;
  readonly lastStep: number;
  toConfig(): ScheduleConfig;
}

// ---------------------------------------------------------------- validation

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
function rule(ok: boolean, field: string, text: string, got: unknown): void {
  if (!ok) fail('BAD_RECIPE', `${field} ${text} (got ${show(got)})`, 'see docs/pruning.md for the schedule parameters');
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStep = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 0;
function sparsityRule(v: unknown, field: string): void {
  rule(isNum(v) && v >= 0 && v < 1, field, 'must be in [0, 1)', v);
}
function stepRule(v: unknown, field: string, min = 0): void {
  rule(isNum(v) && Number.isInteger(v) && v >= min, field, `must be an integer >= ${min}`, v);
}
function frequencyRule(v: unknown): void {
  rule(isNum(v) && v > 0, 'frequency', 'must be > 0', v);
  rule(Number.isInteger(v), 'frequency', 'must be an integer number of steps', v);
}

function checkObject(cfg: unknown, method: Method, keys: readonly string[]): Record<string, unknown> {
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) fail('BAD_RECIPE', `${method} schedule config must be an object`, 'see docs/pruning.md for the schedule parameters');
  const c = cfg as Record<string, unknown>;
  if (c.method !== undefined && c.method !== method) fail('BAD_RECIPE', `method must be ${method} (got ${show(c.method)})`, 'see docs/pruning.md for the schedule parameters');
  for (const k of Object.keys(c)) {
    if (k !== 'method' && !keys.includes(k)) fail('BAD_RECIPE', `${k} is not a ${method} parameter (known: ${keys.join(', ')})`, 'see docs/pruning.md for the schedule parameters');
  }
  return c;
}

// ---------------------------------------------------------------- oneshot

export class OneShot implements PruningSchedule {
  readonly method = 'oneshot' as const;
  readonly sparsity: number;
  readonly step: number;

  constructor(args: { sparsity: number; step: number }) {
    sparsityRule(args.sparsity, 'sparsity');
    stepRule(args.step, 'step', 1);
    this.sparsity = args.sparsity;
    this.step = args.step;
  }
  get firstStep() { return this.step; }
  get lastStep() { return this.step; }
  at(step: number): PruneDecision {
    return { prune: step === this.step, sparsity: step >= this.step ? this.sparsity : 0 };
  }
  *pruningSteps() { yield this.step; }
  toConfig(): OneShotConfig {
    return { method: 'oneshot', sparsity: this.sparsity, step: this.step };
  }
  static fromConfig(cfg: unknown): OneShot {
    const c = checkObject(cfg, 'oneshot', ['sparsity', 'step']);
    return new OneShot(c as unknown as OneShotConfig);
  }
}

// ---------------------------------------------------------------- agp

export class Agp implements PruningSchedule {
  readonly method = 'agp' as const;
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly frequency: number;
  readonly power: number;

  constructor(args: { initialSparsity?: number; finalSparsity: number; beginStep: number; endStep: number; frequency: number; power?: number }) {
    const initial = args.initialSparsity ?? 0;
    const power = args.power ?? 3;
    sparsityRule(initial, 'initialSparsity');
    sparsityRule(args.finalSparsity, 'finalSparsity');
    rule(args.finalSparsity >= initial, 'finalSparsity', `must be >= initialSparsity ${initial} (masks only grow)`, args.finalSparsity);
    stepRule(args.beginStep, 'beginStep');
    stepRule(args.endStep, 'endStep');
    rule(args.endStep > args.beginStep, 'endStep', `must be > beginStep ${args.beginStep}`, args.endStep);
    frequencyRule(args.frequency);
    rule(isNum(power) && power > 0, 'power', 'must be a number > 0', power);
    this.initialSparsity = initial;
    this.finalSparsity = args.finalSparsity;
    this.beginStep = args.beginStep;
    this.endStep = args.endStep;
    this.frequency = args.frequency;
    this.power = power;
  }
  get firstStep() { return this.beginStep; }
  /** Always endStep: the final sparsity is reached there. */
  get lastStep() {
    return this.endStep;
  }
  /** The PolynomialDecay curve at `step` (clipped to the window). */
  sparsityAt(step: number): number {
    const p = Math.min(1, Math.max(0, (step - this.beginStep) / (this.endStep - this.beginStep)));
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * Math.pow(1 - p, this.power);
  }
  at(step: number): PruneDecision {
    const prune = step >= this.beginStep && step <= this.endStep && ((step - this.beginStep) % this.frequency === 0 || step === this.endStep);
    return { prune, sparsity: this.sparsityAt(step) };
  }
  *pruningSteps() {
    for (let t = this.beginStep; t < this.endStep; t += this.frequency) yield t;
    yield this.endStep;
  }
  toConfig(): AgpConfig {
    return {
      method: 'agp', initialSparsity: this.initialSparsity, finalSparsity: this.finalSparsity,
      beginStep: this.beginStep, endStep: this.endStep, frequency: this.frequency, power: this.power,
    };
  }
  static fromConfig(cfg: unknown): Agp {
    const c = checkObject(cfg, 'agp', ['initialSparsity', 'finalSparsity', 'beginStep', 'endStep', 'frequency', 'power']);
    return new Agp(c as unknown as AgpConfig);
  }
}

// ---------------------------------------------------------------- narang

export class Narang implements PruningSchedule {
  readonly method = 'narang' as const;
  readonly startStep: number;
  readonly rampStep: number;
  readonly endStep: number;
  readonly frequency: number;
  readonly q: number | 'auto';
  readonly rampSlopeMult: number;
  readonly targetSparsity?: number;

  constructor(args: { startStep: number; rampStep: number; endStep: number; frequency: number; q?: number | 'auto'; rampSlopeMult?: number; targetSparsity?: number }) {
    const q = args.q ?? 'auto';
    const mult = args.rampSlopeMult ?? 1.5;
    stepRule(args.startStep, 'startStep');
    stepRule(args.rampStep, 'rampStep');
    stepRule(args.endStep, 'endStep');
    rule(args.rampStep >= args.startStep, 'rampStep', `must be >= startStep ${args.startStep}`, args.rampStep);
    rule(args.endStep >= args.rampStep, 'endStep', `must be >= rampStep ${args.rampStep}`, args.endStep);
    rule(args.endStep > args.startStep, 'endStep', `must be > startStep ${args.startStep}`, args.endStep);
    frequencyRule(args.frequency);
    rule(q === 'auto' || (isNum(q) && q > 0), 'q', 'must be a number > 0 or "auto"', q);
    rule(isNum(mult) && mult > 0, 'rampSlopeMult', 'must be a number > 0', mult);
    if (args.targetSparsity !== undefined) {
      rule(isNum(args.targetSparsity) && args.targetSparsity > 0 && args.targetSparsity < 1, 'targetSparsity', 'must be in (0, 1)', args.targetSparsity);
      rule(q === 'auto', 'q', 'must be "auto" (or left out) with targetSparsity: calibration chooses q', q);
    }
    this.startStep = args.startStep;
    this.rampStep = args.rampStep;
    this.endStep = args.endStep;
    this.frequency = args.frequency;
    this.q = q;
    this.rampSlopeMult = mult;
    if (args.targetSparsity !== undefined) this.targetSparsity = args.targetSparsity;
    rule(this.firstStep < this.endStep, 'frequency',
      `leaves no pruning step: need a multiple of frequency strictly between startStep ${this.startStep} and endStep ${this.endStep}`, this.frequency);
  }
  get firstStep() { return (Math.floor(this.startStep / this.frequency) + 1) * this.frequency; }
  get lastStep() { return (Math.ceil(this.endStep / this.frequency) - 1) * this.frequency; }
  /** First pruning step at or after rampStep (the ramp recalibration point), or null. */
  get rampPruneStep(): number | null {
    const t = Math.max(this.firstStep, Math.ceil(this.rampStep / this.frequency) * this.frequency);
    return t <= this.lastStep ? t : null;
  }

  /** ε for a given q at `step` (the formulas of docs/methods.md §5, evaluated as written; held after lastStep). */
  thresholdFor(q: number, step: number): number {
    const { startStep: s, rampStep: r, endStep: e, frequency: f } = this;
    if (step <= s) return 0;
    const itr = Math.min(step, this.lastStep);
    const theta = (2 * q * f) / (2 * (r - s) + 3 * (e - r));
    const phi = theta * this.rampSlopeMult;
    return itr < r ? (theta * (itr - s + 1)) / f : (theta * (r - s + 1) + phi * (itr - r + 1)) / f;
  }
  /** ε / q at `step`: ε is proportional to q. */
  factor(step: number): number {
    return this.thresholdFor(1, step);
  }
  at(step: number): PruneDecision {
    const prune = step > this.startStep && step < this.endStep && step % this.frequency === 0;
    return this.q === 'auto' ? { prune } : { prune, threshold: this.thresholdFor(this.q, step) };
  }
  /** The same schedule with a measured q. */
  bind(q: number): Narang {
    const { targetSparsity: _t, ...cfg } = this.toConfig();
    return new Narang({ ...cfg, q });
  }
  *pruningSteps() {
    for (let t = this.firstStep; t < this.endStep; t += this.frequency) yield t;
  }
  toConfig(): NarangConfig {
    return {
      method: 'narang', startStep: this.startStep, rampStep: this.rampStep, endStep: this.endStep,
      frequency: this.frequency, q: this.q, rampSlopeMult: this.rampSlopeMult,
      ...(this.targetSparsity === undefined ? {} : { targetSparsity: this.targetSparsity }),
    };
  }
  static fromConfig(cfg: unknown): Narang {
    const c = checkObject(cfg, 'narang', ['startStep', 'rampStep', 'endStep', 'frequency', 'q', 'rampSlopeMult', 'targetSparsity']);
    return new Narang(c as unknown as NarangConfig);
  }
}

/** Any schedule from its config (dispatch on `method`). */
export function scheduleFromConfig(cfg: unknown): PruningSchedule {
  const m = (cfg as { method?: unknown } | null)?.method;
  switch (m) {
    case 'oneshot': return OneShot.fromConfig(cfg);
    case 'agp': return Agp.fromConfig(cfg);
    case 'narang': return Narang.fromConfig(cfg);
    default: return fail('BAD_RECIPE', `method must be one of ${METHODS.join(', ')} (got ${show(m)})`, 'see docs/pruning.md for the schedule parameters');
  }
}
