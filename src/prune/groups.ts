/**
 * Weight groups and selectors: the names a recipe uses for the weights it prunes.
 *
 * A group is one segment of the flat layout (src/model/layout.ts), or one gate's
 * column block of it, seen as a row-major matrix:
 *
 *   embedding      [V, E]
 *   rnn.{l}.ih     [in_l, G·H]      gate slice rnn.{l}.ih:f = columns g·H..(g+1)·H of every row
 *   rnn.{l}.hh     [H, G·H]         gate slice as above
 *   rnn.{l}.bias   [1, G·H]         (a vector seen as one row; gate slices work too)
 *   head           [H, O]           absent when tied to the embedding
 *   head.bias      [1, O]
 *
 * Gates are named as in TF.js (GATE_NAMES: lstm i f c o, gru z r h, rnn h), so a
 * selector is cell-agnostic except for gate names.
 *
 * Selector grammar: NAME[:GATE], where NAME may use `*` for any run of characters
 * other than `.` and `:` (`rnn.*.hh`, `rnn.*.*`, `*`), and GATE is a gate name or
 * `*` (each gate as its own group). Biases are never matched by a glob unless the
 * glob names them explicitly (its last part is literally `bias`: `rnn.*.bias`).
 * Unknown names and selectors that match nothing are BAD_RECIPE errors that list
 * the valid groups.
 */
import { GATE_NAMES, type ModelSpec } from '../model/spec.js';
import type { Layout, Segment } from '../model/layout.js';
import { fail } from '../errors.js';

export interface WeightGroup {
  /** 'rnn.0.hh' or 'rnn.0.hh:f'. */
  name: string;
  segment: Segment;
  /** Rows of the segment matrix (1 for vectors). */
  rows: number;
  /** Columns of the whole segment: the row stride in the flat buffer. */
  stride: number;
  /** The group's columns are [colStart, colStart + cols) of every row. */
  colStart: number;
  cols: number;
  /** rows × cols. */
  size: number;
  /** Gate name for a gate slice. */
  gate?: string;
}

/** The whole-segment group of a segment. */
export function segmentGroup(seg: Segment): WeightGroup {
  const rows = seg.shape.length === 2 ? seg.shape[0] : 1;
  const stride = seg.shape.length === 2 ? seg.shape[1] : seg.shape[0];
  return { name: seg.name, segment: seg, rows, stride, colStart: 0, cols: stride, size: rows * stride };
}

/** Whether a segment has gate column blocks (the rnn.* segments). */
export function hasGates(seg: Segment): boolean {
  return seg.name.startsWith('rnn.');
}

/** The column block of gate `gate` of an rnn.* segment. */
export function gateGroup(spec: ModelSpec, seg: Segment, gate: string): WeightGroup {
  const g = GATE_NAMES[spec.cell].indexOf(gate);
  if (g < 0 || !hasGates(seg)) throw new Error(`no gate ${gate} in ${seg.name}`);
  const whole = segmentGroup(seg);
  const H = spec.hidden;
  return { ...whole, name: `${seg.name}:${gate}`, colStart: g * H, cols: H, size: whole.rows * H, gate };
}

/** Names of every group of a model, in layout order. */
export function groupNames(layout: Layout): string[] {
  return layout.segments.map((s) => s.name);
}

/** Flat index of element (r, c) of a group (c relative to the group's first column). */
export function flatIndex(g: WeightGroup, r: number, c: number): number {
  return g.segment.offset + r * g.stride + g.colStart + c;
}

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
const globRe = (pattern: string) => new RegExp(`^${pattern.split('*').map(escapeRe).join('[^.:]*')}$`);

function validGroupsHint(spec: ModelSpec, layout: Layout): string {
  return `valid groups: ${groupNames(layout).join(', ')}; gates of ${spec.cell}: ${GATE_NAMES[spec.cell].join(', ')} (e.g. rnn.0.hh:${GATE_NAMES[spec.cell][0]}); globs: rnn.*.hh, rnn.*.*`;
}

/**
 * Resolves one selector or a list of them to groups, in layout order, without
 * duplicates. `field` names the recipe field for error messages.
 */
export function selectGroups(selector: string | readonly string[], spec: ModelSpec, layout: Layout, field = 'select'): WeightGroup[] {
  const selectors = typeof selector === 'string' ? [selector] : selector;
  const out: WeightGroup[] = [];
  const seen = new Set<string>();
  for (const sel of selectors) {
    for (const g of selectOne(sel, spec, layout, field)) {
      if (!seen.has(g.name)) {
        seen.add(g.name);
        out.push(g);
      }
    }
  }
  return out;
}

function selectOne(sel: string, spec: ModelSpec, layout: Layout, field: string): WeightGroup[] {
  const hint = validGroupsHint(spec, layout);
  const bad = (rule: string): never => fail('BAD_RECIPE', `${field} ${JSON.stringify(sel)} ${rule}`, hint);
  if (typeof sel !== 'string' || sel.trim() === '') bad('must be a non-empty group name or glob');
  const parts = sel.trim().split(':');
  if (parts.length > 2) bad('has more than one ":" (expected NAME or NAME:GATE)');
  const [namePat, gatePat] = parts;
  if (!/^[A-Za-z0-9_.*]+$/.test(namePat)) bad('may only contain letters, digits, ".", "_" and "*"');
  const isGlob = namePat.includes('*');
  const re = globRe(namePat);
  const namesBias = namePat.split('.').pop() === 'bias';
  let segs = layout.segments.filter((s) => re.test(s.name) && (!isGlob || s.kind !== 'bias' || namesBias));
  if (segs.length === 0) {
    if (!isGlob && namePat === 'head' && spec.tied) bad('does not exist: the head is tied to the embedding (select embedding instead)');
    bad(isGlob ? 'matches no weight group (biases are matched only when the selector names them, e.g. rnn.*.bias)' : 'is not a weight group of this model');
  }
  if (gatePat === undefined) return segs.map(segmentGroup);

  const gates = GATE_NAMES[spec.cell];
  if (gatePat !== '*' && !gates.includes(gatePat)) bad(`names an unknown gate ${JSON.stringify(gatePat)} (gates of ${spec.cell}: ${gates.join(', ')})`);
  if (!isGlob) {
    if (!hasGates(segs[0])) bad(`selects a gate, but ${segs[0].name} has no gates (only rnn.<l>.ih, rnn.<l>.hh and rnn.<l>.bias do)`);
  } else {
    segs = segs.filter(hasGates);
    if (segs.length === 0) bad('selects a gate, but matches no rnn.* group');
  }
  const gateList = gatePat === '*' ? gates : [gatePat];
  const out: WeightGroup[] = [];
  for (const s of segs) for (const g of gateList) out.push(gateGroup(spec, s, g));
  return out;
}

/**
 * Resolves a layer selector (`rnn.0`, `rnn.*`, or a list) to recurrent layer
 * indices, for unit granularity.
 */
export function selectLayers(selector: string | readonly string[], spec: ModelSpec, field = 'select'): number[] {
  const selectors = typeof selector === 'string' ? [selector] : selector;
  const valid = [...Array(spec.layers).keys()].map((l) => `rnn.${l}`);
  const out = new Set<number>();
  for (const sel of selectors) {
    const m = typeof sel === 'string' ? /^rnn\.(\d+|\*)$/.exec(sel.trim()) : null;
    if (!m) {
      fail('BAD_RECIPE', `${field} ${JSON.stringify(sel)} must name recurrent layers for granularity unit (rnn.<l> or rnn.*)`,
        `layers of this model: ${valid.join(', ')}, rnn.*`);
    }
    if (m[1] === '*') valid.forEach((_, l) => out.add(l));
    else {
      const l = Number(m[1]);
      if (l >= spec.layers) fail('BAD_RECIPE', `${field} ${JSON.stringify(sel)} is not a layer of this model (it has ${spec.layers})`, `layers of this model: ${valid.join(', ')}, rnn.*`);
      out.add(l);
    }
  }
  return [...out].sort((a, b) => a - b);
}
