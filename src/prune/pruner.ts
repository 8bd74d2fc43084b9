/**
 * The Pruner the trainer calls after every optimizer step: recipe entries →
 * schedules → masks → zeroed weights.
 *
 * Each recipe entry owns a disjoint set of weights (overlaps are BAD_RECIPE) and
 * splits it into pools: one pool per group (scope local; per layer for units) or
 * one pool for the whole selection (scope global). At a pruning step of the
 * entry's schedule every pool is pruned: to the schedule's sparsity (agp,
 * oneshot) or below Narang's threshold ε = q · factor(step).
 *
 * Narang's q per pool: the recipe's number; or 'auto' = the 90th percentile of the
 * pool's scores (|w|, pruned weights as 0) at the first pruning step; or, with
 * targetSparsity, calibrated (see narangThreshold() below and docs/pruning.md).
 * Measured values live in state() so a resumed run prunes exactly as an
 * uninterrupted one.
 */
import { createHash } from 'node:crypto';
import type { ModelSpec } from '../model/spec.js';
import type { Layout } from '../model/layout.js';
import { fail } from '../errors.js';
import { segmentGroup, selectGroups, selectLayers, type WeightGroup } from './groups.js';
import {
  Scratch, blockScoresOf, blockSparsity, gatherMagnitudes, keepCount, pruneBlocksBelow, pruneBlocksToSparsity,
  pruneUnitsToSparsity, pruneWeightsBelow, pruneWeightsToSparsity, unitOwnSegments, unitSegments,
  unitSparsity, weightSparsity, type UnitSegments,
} from './mask.js';
import { Narang, type PruningSchedule } from './schedules.js';
import { selectRank } from './quickselect.js';
import { loadRecipe as loadRecipeImpl, recipeToJSON, scheduleOf, type Recipe, type RecipeEntry } from './recipe.js';

export interface PruneEvent { step: number; groups: { name: string; sparsity: number; threshold?: number; target?: number }[] }
export interface Pruner {
  /** After optimizer step `step` (1-based). May update mask and zero params. Returns an event if it pruned. */
  step(step: number, params: Float32Array, mask: Uint8Array): PruneEvent | null;
  /** JSON-safe state for checkpoints (e.g. Narang's measured q); restore() makes resume exact. */
  state(): unknown;
  restore(state: unknown): void;
  /** The last step at which any schedule can still prune (for fine-tune reporting). */
  readonly lastPruneStep: number;
  /** Each recipe entry's schedule in steps (e.g. to say what a short run will reach). */
  schedules(): { index: number; schedule: PruningSchedule }[];
}

/** File path, shipped recipe name, or inline YAML/JSON → a validated recipe. */
export function loadRecipe(pathOrText: string): Recipe {
  return loadRecipeImpl(pathOrText);
}

/** Measured Narang values of one pool; all optional until measured. */
export interface PoolState {
  /** q in use. */
  q?: number;
  /** Step of the first measurement, and the scale statistic then (calibration). */
  t1?: number;
  p1?: number;
  /** Step of the ramp recalibration, once done. */
  tr?: number;
}

interface Pool {
  /** Group names (weight/block) or layer names `rnn.<l>` (unit). */
  names: string[];
  groups: WeightGroup[];
  units: UnitSegments[];
}

interface EntryRuntime {
  entry: RecipeEntry;
  schedule: PruningSchedule;
  pools: Pool[];
  narang: PoolState[];
}

const STATE_VERSION = 1;
/** Calibration: growth extrapolated from start to ramp is clamped to this range. */
const GROWTH_CLAMP: [number, number] = [0.5, 2];

export function createPruner(recipe: Recipe, spec: ModelSpec, layout: Layout, opts: { stepsPerEpoch: number }): Pruner {
  if (!(Number.isInteger(opts.stepsPerEpoch) && opts.stepsPerEpoch >= 1)) {
    fail('BAD_CONFIG', `stepsPerEpoch must be an integer >= 1 (got ${opts.stepsPerEpoch})`, 'the training split must give at least one batch per epoch');
  }
  return new RecipePruner(recipe, spec, layout, opts.stepsPerEpoch);
}

class RecipePruner implements Pruner {
  readonly lastPruneStep: number;
  private readonly entries: EntryRuntime[];
  private readonly fingerprint: string;
  private readonly scratch = new Scratch();

  constructor(recipe: Recipe, private readonly spec: ModelSpec, private readonly layout: Layout, stepsPerEpoch: number) {
    this.entries = recipe.pruning.map((entry) => this.resolve(entry, stepsPerEpoch));
    checkOverlaps(this.entries, layout);
    this.lastPruneStep = this.entries.reduce((a, e) => Math.max(a, e.schedule.lastStep), 0);
    this.fingerprint = createHash('sha256')
      .update(JSON.stringify({ recipe: recipeToJSON(recipe), stepsPerEpoch, pools: this.entries.map((e) => e.pools.map((p) => p.names)) }))
      .digest('hex')
      .slice(0, 16);
  }

  private resolve(entry: RecipeEntry, stepsPerEpoch: number): EntryRuntime {
    const field = `pruning[${entry.index}].select`;
    const schedule = scheduleOf(entry, stepsPerEpoch);
    let pools: Pool[];
    if (entry.granularity.kind === 'unit') {
      const units = selectLayers(entry.select, this.spec, field).map((l) => unitSegments(this.spec, this.layout, l));
      const pool = (us: UnitSegments[]): Pool => ({ names: us.map((u) => `rnn.${u.layer}`), groups: [], units: us });
      pools = entry.scope === 'global' ? [pool(units)] : units.map((u) => pool([u]));
    } else {
      const groups = selectGroups(entry.select, this.spec, this.layout, field);
      const pool = (gs: WeightGroup[]): Pool => ({ names: gs.map((g) => g.name), groups: gs, units: [] });
      pools = entry.scope === 'global' ? [pool(groups)] : groups.map((g) => pool([g]));
    }
    return { entry, schedule, pools, narang: pools.map(() => ({})) };
  }

  schedules(): { index: number; schedule: PruningSchedule }[] {
    return this.entries.map((e) => ({ index: e.entry.index, schedule: e.schedule }));
  }

  step(step: number, params: Float32Array, mask: Uint8Array): PruneEvent | null {
    if (params.length !== this.layout.total || mask.length !== this.layout.total) {
      throw new RangeError(`Pruner.step: params (${params.length}) and mask (${mask.length}) must have layout.total = ${this.layout.total} entries`);
    }
    const out: PruneEvent['groups'] = [];
    for (const rt of this.entries) {
      const d = rt.schedule.at(step);
      if (!d.prune) continue;
      const gran = rt.entry.granularity;
      rt.pools.forEach((pool, pi) => {
        let threshold: number | undefined;
        let target: number | undefined;
        if (rt.schedule instanceof Narang) {
          threshold = this.narangThreshold(rt.schedule, rt.narang[pi], pool, rt, step, params, mask);
          target = rt.schedule.targetSparsity;
          if (gran.kind === 'block') pruneBlocksBelow(pool.groups, gran, params, mask, threshold);
          else pruneWeightsBelow(pool.groups, params, mask, threshold);
        } else {
          target = d.sparsity!;
          if (gran.kind === 'unit') pruneUnitsToSparsity(pool.units, params, mask, target, this.scratch);
          else if (gran.kind === 'block') pruneBlocksToSparsity(pool.groups, gran, params, mask, target, this.scratch);
          else pruneWeightsToSparsity(pool.groups, params, mask, target, this.scratch);
        }
        const extra = { ...(threshold === undefined ? {} : { threshold }), ...(target === undefined ? {} : { target }) };
        if (gran.kind === 'unit') {
          for (const u of pool.units) out.push({ name: `rnn.${u.layer}`, sparsity: unitSparsity([u], params, mask), ...extra });
        } else {
          for (const g of pool.groups) {
            const sparsity = gran.kind === 'block' ? blockSparsity([g], gran, params, mask) : weightSparsity([g], mask);
            out.push({ name: g.name, sparsity, ...extra });
          }
        }
      });
    }
    return out.length ? { step, groups: out } : null;
  }

  /**
   * The scores of a pool (|w| or block scores; pruned = 0) and a function giving the
   * score at an ascending rank. One gather serves several ranks: the radix select
   * does not permute, and the quickselect's answer does not depend on the order.
   */
  private ranked(rt: EntryRuntime, pool: Pool, params: Float32Array, mask: Uint8Array): { n: number; at: (r: number) => number } {
    const gran = rt.entry.granularity;
    const scores = gran.kind === 'block' ? blockScoresOf(pool.groups, gran, params, mask) : gatherMagnitudes(pool.groups, params, this.scratch);
    const n = scores.length;
    return { n, at: (r) => selectRank(scores, n, Math.min(Math.max(r, 0), n - 1)).value };
  }

  /**
   * ε at `step` for one pool; measures q on first use.
   *
   * Calibration to a target sparsity s* (ε is proportional to q, so q sets where
   * the ramp ends): at the first pruning step t1, q = Q_s*(t1) / factor(T), where
   * Q_s* is the score at the target sparsity rank (the value below which a
   * fraction s* of the pool lies, pruned weights counted as 0) and T the last
   * pruning step. Later re-estimates (calibrate: every, the default, at every
   * pruning step from the first one at or after rampStep; calibrate: ramp, only
   * at that one; calibrate: start, never) set q = g · Q_s*(t) / factor(T), where
   * g = 1 + (P(t)/P(t1) − 1)·(T − t)/(t − t1) extrapolates the weights' growth
   * linearly to T, P being the score at the (1 + s*)/2 quantile — a level above
   * the pruned fraction, so pruning does not move it. g is clamped to [0.5, 2];
   * at T itself g = 1, so with `every` the last step lands on the target unless
   * earlier steps already went past it (masks only grow).
   */
  private narangThreshold(sch: Narang, st: PoolState, pool: Pool, rt: EntryRuntime, step: number, params: Float32Array, mask: Uint8Array): number {
    if (sch.q !== 'auto') return sch.thresholdFor(sch.q, step);
    const target = sch.targetSparsity;
    if (target === undefined) {
      if (st.q === undefined) {
        const s = this.ranked(rt, pool, params, mask);
        st.q = s.at(Math.ceil(0.9 * s.n) - 1);
        st.t1 = step;
      }
      return sch.thresholdFor(st.q, step);
    }
    const T = sch.lastStep;
    const fT = sch.factor(T);
    const atTarget = (n: number) => n - keepCount(n, target);
    const scale = (n: number) => Math.ceil(((1 + target) / 2) * n) - 1;
    if (st.q === undefined) {
      const s = this.ranked(rt, pool, params, mask);
      st.q = s.at(atTarget(s.n)) / fT;
      st.t1 = step;
      st.p1 = s.at(scale(s.n));
    } else if (sch.rampPruneStep !== null && step >= sch.rampPruneStep && step > st.t1! && step <= T
      && ((rt.entry.params.calibrate === 'ramp' && st.tr === undefined && step < T) || rt.entry.params.calibrate === 'every')) {
      const s = this.ranked(rt, pool, params, mask);
      const p = s.at(scale(s.n));
      let g = st.p1! > 0 ? 1 + (p / st.p1! - 1) * ((T - step) / (step - st.t1!)) : 1;
      g = Math.min(GROWTH_CLAMP[1], Math.max(GROWTH_CLAMP[0], g));
      st.q = (g * s.at(atTarget(s.n))) / fT;
      st.tr = step;
    }
    return sch.thresholdFor(st.q, step);
  }

  state(): unknown {
    return {
      version: STATE_VERSION,
      fingerprint: this.fingerprint,
      entries: this.entries.map((e) => e.narang.map((s) => ({ ...s }))),
    };
  }

  restore(state: unknown): void {
    const bad = (why: string): never => fail('BAD_FILE', `pruner state ${why}`, 'resume with the recipe and steps per epoch the run was started with');
    if (!state || typeof state !== 'object') bad('is missing or not an object');
    const s = state as { version?: unknown; fingerprint?: unknown; entries?: unknown };
    if (s.version !== STATE_VERSION) bad(`has version ${String(s.version)} (this build reads ${STATE_VERSION})`);
    if (s.fingerprint !== this.fingerprint) bad('was saved with a different recipe or model');
    const entries = s.entries as unknown[];
    if (!Array.isArray(entries) || entries.length !== this.entries.length) bad('has the wrong number of entries');
    const num = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
    this.entries.forEach((e, i) => {
      const pools = entries[i] as PoolState[];
      if (!Array.isArray(pools) || pools.length !== e.pools.length) bad(`entry ${i} has the wrong number of pools`);
      e.narang = pools.map((p: PoolState) => {
        if (!p || typeof p !== 'object' || !num(p.q) || !num(p.t1) || !num(p.p1) || !num(p.tr)) bad(`entry ${i} has a malformed pool`);
        return { ...p };
      });
    });
  }
}

/** Two entries (or two selectors of one entry) may not own the same weight. */
function checkOverlaps(entries: readonly EntryRuntime[], layout: Layout): void {
  const owner = new Int32Array(layout.total); // owner id + 1; 0 = free
  const owners: { entry: number; group: string }[] = [];
  for (const rt of entries) {
    const groups = rt.entry.granularity.kind === 'unit'
      ? rt.pools.flatMap((p) => p.units.flatMap((u) => unitOwnSegments(u).map(segmentGroup)))
      : rt.pools.flatMap((p) => p.groups);
    for (const g of groups) {
      owners.push({ entry: rt.entry.index, group: g.name });
      const clash = markGroup(owner, g, owners.length);
      if (clash === 0) continue;
      const prev = owners[clash - 1];
      const at = `pruning[${rt.entry.index}].select`;
      if (prev.entry === rt.entry.index) {
        fail('BAD_RECIPE', `${at} selects the weights of ${g.name} twice (also through ${prev.group})`, 'list each group once; a gate slice is part of its group');
      }
      fail('BAD_RECIPE', `${at} selects ${g.name}, whose weights pruning[${prev.entry}] already prunes (through ${prev.group}): a weight can follow only one schedule`,
        'split the selectors so that the entries are disjoint (e.g. rnn.*.ih and rnn.*.hh)');
    }
  }
}

/** Marks a group's weights with `id`; returns the id already there on a clash, else 0. */
function markGroup(owner: Int32Array, g: WeightGroup, id: number): number {
  for (let r = 0; r < g.rows; r++) {
    const base = g.segment.offset + r * g.stride + g.colStart;
    for (let i = base, end = base + g.cols; i < end; i++) {
      if (owner[i] !== 0) return owner[i];
      owner[i] = id;
    }
  }
  return 0;
}
