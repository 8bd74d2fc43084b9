/**
 * `sparse-rnn schedule --method agp|narang|oneshot [parameters] [--json]`: the
 * sparsity (agp, oneshot) or threshold (narang) at every pruning step of a
 * schedule, as an aligned table with an ASCII plot, or one JSON object a line.
 * A thin shell over src/prune/schedules.ts: the values printed are at(step).
 */
import { fail, SparseRnnError } from '../errors.js';
import { parseFlags, num, oneOf } from './args.js';
import { Agp, METHODS, Narang, OneShot, type Method, type PruningSchedule } from '../prune/schedules.js';

export const SCHEDULE_HELP = `usage: sparse-rnn schedule --method agp|narang|oneshot [parameters] [--json]

Prints the sparsity (agp, oneshot) or the magnitude threshold ε (narang) at every
pruning step of a schedule. Steps are optimizer steps (1-based).

agp (Zhu & Gupta; TF-MOT PolynomialDecay):
  --initial S      initial sparsity in [0, 1) (default 0)
  --final S        final sparsity in [0, 1) (required)
  --begin T        first pruning step (required)
  --end T          last step of the ramp (required, > --begin)
  --frequency F    steps between pruning steps (required, > 0)
  --power P        exponent of the curve (default 3)
  s = final + (initial − final)·(1 − p)^power, p = clip((t − begin)/(end − begin), 0, 1),
  pruning when begin ≤ t ≤ end and (t − begin) % frequency == 0.

narang (Narang et al. 2017 threshold ramp):
  --start T --ramp T --end T   window and ramp point (start ≤ ramp ≤ end)
  --frequency F    prune when start < t < end and t % F == 0
  --q Q            90th percentile of |w| of a trained model (default auto: ε is printed per unit of q)
  --ramp-slope-mult M   φ/θ (default 1.5)

oneshot:
  --sparsity S     sparsity in [0, 1) (required)
  --step T         the step it prunes at (required, >= 1); the mask is frozen after it

output:
  --json           one JSON object per pruning step: {"step", "sparsity"} or {"step", "threshold"}
                   (narang with q auto: {"step", "thresholdPerQ"}); values to 12 significant digits
  -h, --help       this text

examples:
  sparse-rnn schedule --method agp --initial 0.2 --final 0.8 --begin 100 --end 110 --frequency 2 --power 3 --json
  sparse-rnn schedule --method agp --final 0.9 --begin 1000 --end 20000 --frequency 1000
  sparse-rnn schedule --method narang --start 2000 --ramp 3600 --end 10600 --frequency 100 --q 0.15 --ramp-slope-mult 2
  sparse-rnn schedule --method oneshot --sparsity 0.8 --step 5000
`;

/** Flags of each method, and the schedule field each one sets. */
const FLAGS: Record<Method, Record<string, string>> = {
  agp: { initial: 'initialSparsity', final: 'finalSparsity', begin: 'beginStep', end: 'endStep', frequency: 'frequency', power: 'power' },
  narang: { start: 'startStep', ramp: 'rampStep', end: 'endStep', frequency: 'frequency', q: 'q', 'ramp-slope-mult': 'rampSlopeMult' },
  oneshot: { sparsity: 'sparsity', step: 'step' },
};
const REQUIRED: Record<Method, string[]> = {
  agp: ['final', 'begin', 'end', 'frequency'],
  narang: ['start', 'ramp', 'end', 'frequency'],
  oneshot: ['sparsity', 'step'],
};
/** Pruning steps beyond this are refused (a preview, not a training run). */
const MAX_POINTS = 100_000;
/** Rows shown in the human table before it is thinned. */
const MAX_ROWS = 40;

export interface SchedulePoint { step: number; sparsity?: number; threshold?: number; thresholdPerQ?: number }

/** The schedule a command line describes (flag names in every error). */
export function scheduleFromFlags(argv: string[]): { schedule: PruningSchedule; json: boolean; help: boolean } {
  const allFlags = [...new Set(Object.values(FLAGS).flatMap((f) => Object.keys(f)))];
  const { values, positionals } = parseFlags('schedule', argv, {
    method: { type: 'string' }, json: { type: 'boolean' },
    ...Object.fromEntries(allFlags.map((f) => [f, { type: 'string' as const }])),
  }, true);
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) return { schedule: null as unknown as PruningSchedule, json: false, help: true };
  if (positionals.length) fail('BAD_FLAG', `schedule: unexpected argument ${JSON.stringify(positionals[0])}`, 'see `sparse-rnn schedule --help`');
  if (v.method === undefined) fail('BAD_FLAG', `schedule: --method is required (one of ${METHODS.join(', ')})`, 'see `sparse-rnn schedule --help`');
  const method = oneOf('method', v.method as string, METHODS)!;
  const flags = FLAGS[method];
  for (const f of allFlags) {
    if (v[f] !== undefined && !(f in flags)) {
      fail('BAD_FLAG', `--${f} is not a parameter of --method ${method} (its flags: ${Object.keys(flags).map((k) => `--${k}`).join(', ')})`, 'drop it, or see `sparse-rnn schedule --help`');
    }
  }
  for (const f of REQUIRED[method]) if (v[f] === undefined) fail('BAD_FLAG', `--${f} is required for --method ${method}`, 'see `sparse-rnn schedule --help`');
  const args: Record<string, number | 'auto'> = {};
  for (const [flag, field] of Object.entries(flags)) {
    const raw = v[flag] as string | undefined;
    if (raw === undefined) continue;
    args[field] = flag === 'q' && raw === 'auto' ? 'auto' : num(flag, raw)!;
  }
  try {
    const schedule = method === 'agp' ? new Agp(args as never) : method === 'narang' ? new Narang(args as never) : new OneShot(args as never);
    return { schedule, json: Boolean(v.json), help: false };
  } catch (err) {
    if (!(err instanceof SparseRnnError)) throw err;
    // Schedule messages name fields (finalSparsity, beginStep): say the flags instead.
    let msg = err.message;
    for (const [flag, field] of Object.entries(flags)) msg = msg.replace(new RegExp(`\\b${field}\\b`, 'g'), `--${flag}`);
    throw new SparseRnnError('BAD_FLAG', msg, 'see `sparse-rnn schedule --help`');
  }
}

/** Every pruning step of a schedule with its value. */
export function schedulePoints(schedule: PruningSchedule): SchedulePoint[] {
  const pts: SchedulePoint[] = [];
  for (const step of schedule.pruningSteps()) {
    if (pts.length >= MAX_POINTS) {
      fail('BAD_FLAG', `the schedule has more than ${MAX_POINTS} pruning steps`, 'use a larger --frequency for a preview');
    }
    const d = schedule.at(step);
    if (schedule instanceof Narang) {
      pts.push(schedule.q === 'auto' ? { step, thresholdPerQ: schedule.factor(step) } : { step, threshold: d.threshold! });
    } else pts.push({ step, sparsity: d.sparsity! });
  }
  return pts;
}

export async function scheduleCommand(argv: string[]): Promise<number> {
  const { schedule, json, help } = scheduleFromFlags(argv);
  if (help) {
    process.stdout.write(SCHEDULE_HELP);
    return 0;
  }
  const pts = schedulePoints(schedule);
  if (json) {
    // 12 significant digits: the formula's value without float noise (0.2, not 0.19999999999999996).
    const r = (x: number | undefined) => (x === undefined ? undefined : Number(x.toPrecision(12)));
    const lines = pts.map((p) => JSON.stringify({ step: p.step, sparsity: r(p.sparsity), threshold: r(p.threshold), thresholdPerQ: r(p.thresholdPerQ) }));
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  }
  process.stdout.write(renderSchedule(schedule, pts) + '\n');
  return 0;
}

const valueOf = (p: SchedulePoint) => p.sparsity ?? p.threshold ?? p.thresholdPerQ ?? 0;
const fmtValue = (p: SchedulePoint) =>
  p.sparsity !== undefined ? `${(100 * p.sparsity).toFixed(2)}%` : (p.threshold ?? p.thresholdPerQ!).toPrecision(4);

function describe(s: PruningSchedule): string {
  if (s instanceof Agp) {
    return `agp: sparsity ${s.initialSparsity} → ${s.finalSparsity} from step ${s.beginStep} to ${s.endStep}, every ${s.frequency} steps, power ${s.power}; mask frozen after step ${s.lastStep}`;
  }
  if (s instanceof Narang) {
    return `narang: threshold ramp from step ${s.startStep} (ramp at ${s.rampStep}) to ${s.endStep}, every ${s.frequency} steps, q ${s.q}, ramp slope ×${s.rampSlopeMult}; mask frozen after step ${s.lastStep}`;
  }
  const o = s as OneShot;
  return `oneshot: sparsity ${o.sparsity} at step ${o.step}; mask frozen after it (fine-tune)`;
}

/** Aligned table (thinned past 40 rows) plus an ASCII plot of value against step. */
export function renderSchedule(s: PruningSchedule, pts: SchedulePoint[]): string {
  const label = pts[0]?.sparsity !== undefined ? 'sparsity' : pts[0]?.threshold !== undefined ? 'threshold ε' : 'ε / q';
  const every = Math.ceil(pts.length / MAX_ROWS);
  const shown = pts.filter((_, i) => i % every === 0 || i === pts.length - 1);
  const cells = shown.map((p) => [String(p.step), fmtValue(p)]);
  const w0 = Math.max(4, ...cells.map((c) => c[0].length));
  const w1 = Math.max(label.length, ...cells.map((c) => c[1].length));
  const lines = [
    describe(s),
    `${pts.length} pruning step${pts.length === 1 ? '' : 's'}${every > 1 ? ` (1 row in ${every} shown; --json lists all)` : ''}`,
    '',
    `${'step'.padStart(w0)}  ${label.padStart(w1)}`,
    `${'-'.repeat(w0)}  ${'-'.repeat(w1)}`,
    ...cells.map((c) => `${c[0].padStart(w0)}  ${c[1].padStart(w1)}`),
    '',
    ...plot(pts, label),
  ];
  return lines.join('\n');
}

/** A character plot: height 10, up to 60 columns, '*' at each column's last point. */
export function plot(pts: SchedulePoint[], label: string): string[] {
  if (pts.length === 0) return [];
  const H = 10;
  const W = Math.min(60, Math.max(pts.length, 30));
  const t0 = pts[0].step;
  const t1 = pts[pts.length - 1].step;
  const vals = pts.map(valueOf);
  const lo = Math.min(0, ...vals);
  const hi = Math.max(...vals, lo + 1e-12);
  const grid = Array.from({ length: H }, () => Array<string>(W).fill(' '));
  pts.forEach((p, i) => {
    const x = t1 === t0 ? Math.round((i / Math.max(1, pts.length - 1)) * (W - 1)) : Math.round(((p.step - t0) / (t1 - t0)) * (W - 1));
    const y = Math.round(((vals[i] - lo) / (hi - lo)) * (H - 1));
    grid[H - 1 - y][x] = '*';
  });
  const fmt = (v: number) => (pts[0].sparsity !== undefined ? `${(100 * v).toFixed(0)}%` : v.toPrecision(3));
  const yl = [fmt(hi), fmt(lo)];
  const wl = Math.max(...yl.map((s) => s.length));
  const out = grid.map((row, r) => `${(r === 0 ? yl[0] : r === H - 1 ? yl[1] : '').padStart(wl)} |${row.join('')}`);
  out.push(`${' '.repeat(wl)} +${'-'.repeat(W)}`);
  const axis = `${t0}`.padEnd(W - `${t1}`.length) + `${t1}`;
  out.push(`${' '.repeat(wl)}  ${axis}  step`);
  out.unshift(`${label} vs step`);
  return out;
}
