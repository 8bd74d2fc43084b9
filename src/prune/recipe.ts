/**
 * Pruning recipes: YAML or JSON that say which schedule prunes which weights.
 *
 *   pruning:
 *     - select: rnn.*.ih          # a selector or a list of them (src/prune/groups.ts)
 *       method: agp               # agp | narang | oneshot
 *       initialSparsity: 0
 *       finalSparsity: 0.8
 *       beginEpoch: 1             # or beginStep (optimizer steps)
 *       endEpoch: 6
 *       frequency: 100            # steps (or frequencyEpochs)
 *       granularity: weight       # weight | block | unit
 *       scope: local              # local | global
 *
 * Validation happens in two stages, both throwing BAD_RECIPE with the field path
 * and the rule (`pruning[1].finalSparsity must be in [0, 1) (got 1.2)`):
 *   parseRecipe   fields, types, ranges, order of times given in the same unit;
 *   createPruner  selectors against the model, overlaps between entries, and
 *                 schedule rules once epochs are converted to steps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { fail, SparseRnnError } from '../errors.js';
import { readFileLimited } from '../util/fs.js';
import type { BlockScore, Granularity } from './mask.js';
import { Agp, METHODS, Narang, OneShot, type Method, type PruningSchedule } from './schedules.js';

export type Scope = 'local' | 'global';
export type Calibration = 'start' | 'ramp' | 'every';

export interface RecipeEntry {
  /** Position in the recipe's pruning list (for messages). */
  index: number;
  select: string[];
  method: Method;
  granularity: Granularity;
  scope: Scope;
  /** Schedule parameters as written: times in steps (`beginStep`) or epochs (`beginEpoch`). */
  params: Record<string, number | string>;
}

export interface Recipe {
  name?: string;
  description?: string;
  pruning: RecipeEntry[];
}

const COMMON = ['select', 'method', 'granularity', 'block', 'scope'] as const;
/** Time fields per method: each may be given as <name>Step or <name>Epoch. */
const TIMES: Record<Method, readonly string[]> = {
  agp: ['begin', 'end'],
  narang: ['start', 'ramp', 'end'],
  oneshot: [''],
};
const OTHER: Record<Method, readonly string[]> = {
  agp: ['initialSparsity', 'finalSparsity', 'power', 'frequency', 'frequencyEpochs'],
  narang: ['q', 'rampSlopeMult', 'targetSparsity', 'calibrate', 'frequency', 'frequencyEpochs'],
  oneshot: ['sparsity'],
};
const timeKey = (base: string, unit: 'Step' | 'Epoch') => (base === '' ? unit.toLowerCase() : `${base}${unit}`);

export function knownFields(method: Method): string[] {
  return [
    ...COMMON,
    ...TIMES[method].flatMap((b) => [timeKey(b, 'Step'), timeKey(b, 'Epoch')]),
    ...OTHER[method],
  ];
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) || (v && typeof v === 'object') ? JSON.stringify(v) : String(v));
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const HINT = 'see docs/pruning.md (recipe reference) or the examples in recipes/';

/** Validates a parsed recipe object (from YAML, JSON or code). */
export function parseRecipe(obj: unknown): Recipe {
  const bad = (field: string, text: string, ...got: unknown[]): never =>
    fail('BAD_RECIPE', `${field} ${text}${got.length ? ` (got ${show(got[0])})` : ''}`, HINT);
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) bad('recipe', 'must be a mapping with a `pruning:` list');
  const top = obj as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (!['pruning', 'name', 'description'].includes(k)) bad(k, 'is not a recipe field (known: pruning, name, description)');
  }
  if (!Array.isArray(top.pruning)) bad('pruning', 'must be a list of entries', top.pruning);
  const recipe: Recipe = { pruning: (top.pruning as unknown[]).map((e, i) => parseEntry(e, i)) };
  if (typeof top.name === 'string') recipe.name = top.name;
  if (typeof top.description === 'string') recipe.description = top.description;
  return recipe;
}

function parseEntry(raw: unknown, index: number): RecipeEntry {
  const at = `pruning[${index}]`;
  const bad = (field: string, text: string, ...got: unknown[]): never =>
    fail('BAD_RECIPE', `${at}${field ? `.${field}` : ''} ${text}${got.length ? ` (got ${show(got[0])})` : ''}`, HINT);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('', 'must be a mapping (select:, method:, ...)', raw);
  const e = raw as Record<string, unknown>;

  if (e.method === undefined) bad('method', `is required (one of ${METHODS.join(', ')})`);
  if (!METHODS.includes(e.method as Method)) bad('method', `must be one of ${METHODS.join(', ')}`, e.method);
  const method = e.method as Method;
  const known = knownFields(method);
  for (const k of Object.keys(e)) if (!known.includes(k)) bad(k, `is not a field of a ${method} entry (known: ${known.join(', ')})`);

  // select
  if (e.select === undefined) bad('select', 'is required (a group, glob or list, e.g. rnn.*.hh)');
  const select = typeof e.select === 'string' ? [e.select] : e.select;
  if (!Array.isArray(select) || select.length === 0 || select.some((s) => typeof s !== 'string' || s.trim() === '')) {
    bad('select', 'must be a selector or a non-empty list of selectors', e.select);
  }

  // granularity, block, scope
  const gran = e.granularity ?? 'weight';
  if (!['weight', 'block', 'unit'].includes(gran as string)) bad('granularity', 'must be weight, block or unit', gran);
  let granularity: Granularity = { kind: 'weight' };
  if (gran === 'block') {
    const b = (e.block ?? null) as Record<string, unknown>;
    if (!b || typeof b !== 'object' || Array.isArray(b)) bad('block', 'is required with granularity block: {rows, cols, score}', e.block);
    for (const k of Object.keys(b)) if (!['rows', 'cols', 'score'].includes(k)) bad(`block.${k}`, 'is not a block field (known: rows, cols, score)');
    for (const k of ['rows', 'cols'] as const) {
      if (!(isNum(b[k]) && Number.isInteger(b[k]) && (b[k] as number) >= 1)) bad(`block.${k}`, 'must be an integer >= 1', b[k]);
    }
    const score = b.score ?? 'max';
    if (score !== 'mean' && score !== 'max') bad('block.score', 'must be mean or max', score);
    granularity = { kind: 'block', rows: b.rows as number, cols: b.cols as number, score: score as BlockScore };
  } else if (e.block !== undefined) bad('block', 'is only allowed with granularity: block');
  if (gran === 'unit') {
    if (method === 'narang') bad('granularity', 'unit needs a sparsity schedule (agp or oneshot); narang thresholds single weights or blocks', gran);
    granularity = { kind: 'unit' };
  }
  const scope = e.scope ?? 'local';
  if (scope !== 'local' && scope !== 'global') bad('scope', 'must be local or global', scope);

  // times
  const params: Record<string, number | string> = {};
  const timeOf: Record<string, { field: string; value: number; epochs: boolean }> = {};
  for (const base of TIMES[method]) {
    const sk = timeKey(base, 'Step');
    const ek = timeKey(base, 'Epoch');
    if (e[sk] !== undefined && e[ek] !== undefined) bad(ek, `conflicts with ${sk}: give one`);
    if (e[sk] === undefined && e[ek] === undefined) bad(sk, `is required (or ${ek})`);
    const minStep = method === 'oneshot' ? 1 : 0;
    if (e[sk] !== undefined) {
      const v = e[sk];
      if (!(isNum(v) && Number.isInteger(v) && v >= minStep)) bad(sk, `must be an integer >= ${minStep}${minStep ? ' (steps are 1-based optimizer steps)' : ''}`, v);
      params[sk] = v as number;
      timeOf[base] = { field: sk, value: v as number, epochs: false };
    } else {
      const v = e[ek];
      if (!(isNum(v) && (method === 'oneshot' ? v > 0 : v >= 0))) bad(ek, `must be a number ${method === 'oneshot' ? '> 0' : '>= 0'}`, v);
      params[ek] = v as number;
      timeOf[base] = { field: ek, value: v as number, epochs: true };
    }
  }
  const order = (later: string, earlier: string, strict: boolean) => {
    const a = timeOf[later];
    const b = timeOf[earlier];
    if (a && b && a.epochs === b.epochs && (strict ? a.value <= b.value : a.value < b.value)) {
      bad(a.field, `must be ${strict ? '>' : '>='} ${b.field} ${b.value}`, a.value);
    }
  };
  if (method === 'agp') order('end', 'begin', true);
  if (method === 'narang') {
    order('ramp', 'start', false);
    order('end', 'ramp', false);
    order('end', 'start', true);
  }

  // frequency
  if (method !== 'oneshot') {
    if (e.frequency !== undefined && e.frequencyEpochs !== undefined) bad('frequencyEpochs', 'conflicts with frequency: give one');
    if (e.frequency === undefined && e.frequencyEpochs === undefined) bad('frequency', 'is required (steps between pruning steps, or frequencyEpochs)');
    if (e.frequency !== undefined) {
      if (!(isNum(e.frequency) && e.frequency > 0)) bad('frequency', 'must be > 0', e.frequency);
      if (!Number.isInteger(e.frequency)) bad('frequency', 'must be an integer number of steps', e.frequency);
      params.frequency = e.frequency as number;
    } else {
      if (!(isNum(e.frequencyEpochs) && e.frequencyEpochs > 0)) bad('frequencyEpochs', 'must be > 0', e.frequencyEpochs);
      params.frequencyEpochs = e.frequencyEpochs as number;
    }
  }

  // method parameters
  const sparsity = (k: string, required: boolean, dflt?: number) => {
    const v = e[k] ?? dflt;
    if (v === undefined) {
      if (required) bad(k, 'is required (a fraction in [0, 1))');
      return;
    }
    if (!(isNum(v) && v >= 0 && v < 1)) bad(k, 'must be in [0, 1)', v);
    params[k] = v as number;
  };
  if (method === 'oneshot') sparsity('sparsity', true);
  if (method === 'agp') {
    sparsity('initialSparsity', false, 0);
    sparsity('finalSparsity', true);
    if ((params.finalSparsity as number) < (params.initialSparsity as number)) {
      bad('finalSparsity', `must be >= initialSparsity ${params.initialSparsity} (masks only grow)`, params.finalSparsity);
    }
    const power = e.power ?? 3;
    if (!(isNum(power) && power > 0)) bad('power', 'must be a number > 0', power);
    params.power = power as number;
  }
  if (method === 'narang') {
    if (e.targetSparsity !== undefined) {
      const t = e.targetSparsity;
      if (!(isNum(t) && t > 0 && t < 1)) bad('targetSparsity', 'must be in (0, 1)', t);
      if (e.q !== undefined && e.q !== 'auto') bad('q', 'must be left out (or auto) with targetSparsity: calibration chooses q', e.q);
      params.targetSparsity = t as number;
      const cal = e.calibrate ?? 'every';
      if (cal !== 'start' && cal !== 'ramp' && cal !== 'every') bad('calibrate', 'must be start, ramp or every', cal);
      params.calibrate = cal as string;
    } else if (e.calibrate !== undefined) bad('calibrate', 'needs targetSparsity');
    const q = e.q ?? 'auto';
    if (!(q === 'auto' || (isNum(q) && q > 0))) bad('q', 'must be a number > 0 or auto', q);
    params.q = q as number | string;
    const mult = e.rampSlopeMult ?? 1.5;
    if (!(isNum(mult) && mult > 0)) bad('rampSlopeMult', 'must be a number > 0', mult);
    params.rampSlopeMult = mult as number;
  }

  const entry: RecipeEntry = { index, select: (select as string[]).map((s) => s.trim()), method, granularity, scope: scope as Scope, params };
  // With every time in steps the schedule can be checked now (e.g. narang's window holds a pruning step).
  if (!Object.keys(params).some((k) => k.endsWith('Epoch') || k === 'epoch' || k === 'frequencyEpochs')) scheduleOf(entry, 1);
  return entry;
}

/**
 * The schedule of an entry, times converted to optimizer steps:
 * step = round(epoch · stepsPerEpoch); frequencyEpochs → max(1, round(f · stepsPerEpoch)).
 */
export function scheduleOf(entry: RecipeEntry, stepsPerEpoch: number): PruningSchedule {
  const p = entry.params;
  const at = `pruning[${entry.index}]`;
  const converted: string[] = [];
  const time = (base: string): number => {
    const sk = timeKey(base, 'Step');
    const ek = timeKey(base, 'Epoch');
    if (p[sk] !== undefined) return p[sk] as number;
    converted.push(ek);
    return Math.round((p[ek] as number) * stepsPerEpoch);
  };
  const frequency = (): number => {
    if (p.frequency !== undefined) return p.frequency as number;
    converted.push('frequencyEpochs');
    return Math.max(1, Math.round((p.frequencyEpochs as number) * stepsPerEpoch));
  };
  try {
    switch (entry.method) {
      case 'oneshot':
        return new OneShot({ sparsity: p.sparsity as number, step: time('') });
      case 'agp':
        return new Agp({
          initialSparsity: p.initialSparsity as number, finalSparsity: p.finalSparsity as number,
          beginStep: time('begin'), endStep: time('end'), frequency: frequency(), power: p.power as number,
        });
      case 'narang':
        return new Narang({
          startStep: time('start'), rampStep: time('ramp'), endStep: time('end'), frequency: frequency(),
          q: p.q as number | 'auto', rampSlopeMult: p.rampSlopeMult as number,
          ...(p.targetSparsity === undefined ? {} : { targetSparsity: p.targetSparsity as number }),
        });
    }
  } catch (err) {
    if (err instanceof SparseRnnError) {
      const note = converted.length ? ` [in steps: ${converted.join(', ')} × ${stepsPerEpoch} steps per epoch]` : '';
      throw new SparseRnnError('BAD_RECIPE', `${at}.${err.message}${note}`, err.hint);
    }
    throw err;
  }
}

// ---------------------------------------------------------------- loading

/** The folder of shipped example recipes (recipes/ at the package root). */
export function recipesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const d = path.resolve(here, up, 'recipes');
    if (fs.existsSync(d)) return d;
  }
  return path.resolve(here, '../../recipes');
}

/**
 * A recipe from a file path, a shipped recipe name (`agp-hh` → recipes/agp-hh.yaml),
 * or inline YAML / JSON text. Unreadable file → BAD_FILE; bad content → BAD_RECIPE.
 */
export function loadRecipe(pathOrText: string): Recipe {
  if (typeof pathOrText !== 'string' || pathOrText.trim() === '') fail('BAD_RECIPE', 'recipe is empty', HINT);
  const s = pathOrText.trim();
  const inline = s.includes('\n') || s.startsWith('{') || /^pruning\s*:/.test(s);
  if (!inline) {
    let file = s;
    if (!fs.existsSync(file) && /^[\w.-]+$/.test(s)) {
      const shipped = path.join(recipesDir(), s.endsWith('.yaml') || s.endsWith('.yml') || s.endsWith('.json') ? s : `${s}.yaml`);
      if (fs.existsSync(shipped)) file = shipped;
    }
    let text: string;
    try {
      text = readFileLimited(file, { maxBytes: 16 * 1024 * 1024, what: 'recipe file' }, 'utf8');
    } catch (e) {
      if (e instanceof SparseRnnError && !/cannot read|path is empty| is missing$/.test(e.message)) throw e;
      const names = fs.existsSync(recipesDir()) ? fs.readdirSync(recipesDir()).filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => f.replace(/\.(ya?ml|json)$/, '')) : [];
      return fail('BAD_FILE', `cannot read recipe file ${s}`, `check the path${names.length ? `; shipped recipes: ${names.join(', ')}` : ''}`);
    }
    return parseRecipeText(text, file);
  }
  return parseRecipeText(s, 'inline recipe');
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseRecipeText(text: string, source = 'recipe'): Recipe {
  let obj: unknown;
  try {
    obj = YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    return fail('BAD_RECIPE', `${source}: not valid YAML/JSON: ${msg}`, HINT);
  }
  return parseRecipe(obj);
}

/** A recipe as plain JSON-safe data (what a results store or checkpoint keeps). */
export function recipeToJSON(recipe: Recipe): unknown {
  return {
    ...(recipe.name ? { name: recipe.name } : {}),
    ...(recipe.description ? { description: recipe.description } : {}),
    pruning: recipe.pruning.map((e) => ({
      select: e.select.length === 1 ? e.select[0] : e.select,
      method: e.method,
      granularity: e.granularity.kind,
      ...(e.granularity.kind === 'block' ? { block: { rows: e.granularity.rows, cols: e.granularity.cols, score: e.granularity.score } } : {}),
      scope: e.scope,
      ...e.params,
    })),
  };
}
