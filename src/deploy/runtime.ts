/**
 * Sparse inference with one API in Node and the browser. `createRuntime(model)` is the
 * pure TypeScript engine; src/deploy/native-runtime.ts gives the same API backed by
 * the native addon (Node only). Both execute the same GatherModel (src/deploy/gather.ts).
 *
 * State: Float32Array [L, S, H] — per layer h, then c for LSTM (S = 2; else S = 1).
 * Logits: Float32Array [O] per step; run() returns [T, O].
 *
 * One step of layer l (z = [x; h], pre = main·z + bias, TF.js gate order):
 *   LSTM  i f o = σ, c~ = tanh;  c' = f⊙c + i⊙c~;  h' = o⊙tanh(c')
 *   GRU   z r = σ;  h~ = tanh(pre_h + Uh·(r⊙h));  h' = z⊙h + (1−z)⊙h~
 *   RNN   h' = tanh(pre) or relu(pre)
 */
import { fail } from '../errors.js';
import { STATE_VECTORS, type ModelSpec } from '../model/spec.js';
import { Rng } from '../data/rng.js';
import type { SparseModel } from './format.js';
import { buildGatherModel, embeddingRow, type GatherCsr, type GatherModel } from './gather.js';
import { checkSampleOptions, sampleToken, softmax, type SampleOptions } from './sample.js';

/** A token id (token input) or a feature vector of inputSize (vector input). */
export type StepInput = number | Float32Array;
/** Tokens, or vectors as one flat Float32Array [T·D] or a list of [D] vectors. */
export type Sequence = ArrayLike<number> | Float32Array | readonly Float32Array[];

export interface StepResult {
  logits: Float32Array;
  state: Float32Array;
}

export interface GenerateOptions extends SampleOptions {
  /** Tokens (ids) or text (needs a vocabulary in the model file) to start from; at least one. */
  prime: ArrayLike<number> | string;
  /** Tokens to generate. */
  length: number;
  /** PRNG seed (integer); same seed, same model → same tokens in every engine. Default 1. */
  seed?: number;
}

export interface GenerateResult {
  /** The generated tokens (prime excluded). */
  tokens: number[];
  /** The tokens joined through the model's vocabulary, when it has one. */
  text?: string;
}

export interface ClassifyResult {
  label: number;
  /** Class name from the model's labels, when it has them. */
  name?: string;
  probs: Float32Array;
  logits: Float32Array;
}

export interface InferenceRuntime {
  readonly spec: ModelSpec;
  /** 'ts', 'native-avx512', 'native-avx2', 'native-scalar', 'native-dense-…', 'native-naive'. */
  readonly engine: string;
  /** Zeros [L, S, H]. */
  initialState(): Float32Array;
  /** One step; the given state is not modified. */
  step(input: StepInput, state?: Float32Array): StepResult;
  /** All steps of a sequence; logits [T, O]. */
  run(sequence: Sequence, state?: Float32Array): StepResult;
  /** Char / word LM sampling (token input, lm task). */
  generate(opts: GenerateOptions): GenerateResult;
  /** Class of a sequence, read at its last step. */
  classify(sequence: Sequence): ClassifyResult;
  /** One step of B independent sequences (the native engine reads the weights once per ≤ 8). */
  stepBatch(inputs: readonly StepInput[], states?: readonly Float32Array[]): { logits: Float32Array[]; states: Float32Array[] };
  /** Classes of several sequences (any lengths), batched step by step. */
  classifyBatch(sequences: readonly Sequence[]): ClassifyResult[];
  /** Low level: advances state in place without computing the head (benchmarks). */
  advance(input: StepInput, state: Float32Array): void;
  /** Low level: B vector inputs xs [B·D] advance states [B·L·S·H] in place (vector-input models). */
  advanceBatch(xs: Float32Array, states: Float32Array, B: number): void;
  /** Low level: logits of the top layer's h in state. */
  head(state: Float32Array, logits: Float32Array): void;
}

/**
 * Shared front half of every engine: input checks, embedding lookup, sequences,
 * sampling. An engine supplies advanceVec (one step from a D-vector) and headInto.
 */
export abstract class RuntimeBase implements InferenceRuntime {
  readonly spec: ModelSpec;
  abstract readonly engine: string;
  protected readonly gather: GatherModel;
  protected readonly stateSize: number;
  private readonly xbuf: Float32Array;
  private readonly vocab?: string[];
  private readonly labels?: string[];

  protected constructor(model: SparseModel, gather?: GatherModel) {
    this.spec = model.spec;
    this.gather = gather ?? buildGatherModel(model);
    this.stateSize = this.spec.layers * STATE_VECTORS[this.spec.cell] * this.spec.hidden;
    this.xbuf = new Float32Array(this.gather.layers[0].inDim);
    const strs = (v: unknown) => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? (v as string[]) : undefined);
    this.vocab = strs(model.extra.vocab);
    this.labels = strs(model.extra.labels);
  }

  protected abstract advanceVec(x: Float32Array, state: Float32Array): void;

  /** B steps at once: xs [B·D], states [B·L·S·H] in place. Engines with a batched kernel override it. */
  protected advanceBatchVec(xs: Float32Array, states: Float32Array, B: number): void {
    const D = xs.length / B;
    for (let b = 0; b < B; b++) {
      this.advanceVec(xs.subarray(b * D, (b + 1) * D), states.subarray(b * this.stateSize, (b + 1) * this.stateSize));
    }
  }
  protected abstract headInto(state: Float32Array, logits: Float32Array): void;

  initialState(): Float32Array {
    return new Float32Array(this.stateSize);
  }

  advance(input: StepInput, state: Float32Array): void {
    this.checkState(state);
    this.advanceVec(this.inputVector(input), state);
  }

  advanceBatch(xs: Float32Array, states: Float32Array, B: number): void {
    const D = this.gather.layers[0].inDim;
    if (!(Number.isInteger(B) && B >= 1) || !(xs instanceof Float32Array) || xs.length !== B * D || !(states instanceof Float32Array) || states.length !== B * this.stateSize) {
      fail('BAD_DATA', `advanceBatch needs xs of B x ${D} and states of B x ${this.stateSize} Float32Array values`, 'give one input row and one state per batch entry');
    }
    this.advanceBatchVec(xs, states, B);
  }

  head(state: Float32Array, logits: Float32Array): void {
    this.checkState(state);
    if (logits.length !== this.spec.outputSize) fail('BAD_DATA', `logits has ${logits.length} entries, the model outputs ${this.spec.outputSize}`, 'pass a buffer of spec.outputSize floats');
    this.headInto(state, logits);
  }

  step(input: StepInput, state?: Float32Array): StepResult {
    const s = state ? this.checkState(state).slice() : this.initialState();
    this.advanceVec(this.inputVector(input), s);
    const logits = new Float32Array(this.spec.outputSize);
    this.headInto(s, logits);
    return { logits, state: s };
  }

  run(sequence: Sequence, state?: Float32Array): StepResult {
    const s = state ? this.checkState(state).slice() : this.initialState();
    const steps = this.steps(sequence);
    const O = this.spec.outputSize;
    const logits = new Float32Array(steps.length * O);
    steps.forEach((x, t) => {
      this.advanceVec(this.inputVector(x), s);
      this.headInto(s, logits.subarray(t * O, (t + 1) * O));
    });
    return { logits, state: s };
  }

  stepBatch(inputs: readonly StepInput[], states?: readonly Float32Array[]): { logits: Float32Array[]; states: Float32Array[] } {
    const B = inputs.length;
    if (states && states.length !== B) fail('BAD_DATA', `stepBatch got ${B} inputs and ${states.length} states`, 'give one state per input');
    const D = this.gather.layers[0].inDim;
    const xs = new Float32Array(B * D);
    const st = new Float32Array(B * this.stateSize);
    inputs.forEach((x, b) => {
      xs.set(this.inputVector(x), b * D);
      if (states) st.set(this.checkState(states[b]), b * this.stateSize);
    });
    this.advanceBatchVec(xs, st, B);
    const out = { logits: [] as Float32Array[], states: [] as Float32Array[] };
    for (let b = 0; b < B; b++) {
      const s = st.slice(b * this.stateSize, (b + 1) * this.stateSize);
      const logits = new Float32Array(this.spec.outputSize);
      this.headInto(s, logits);
      out.logits.push(logits);
      out.states.push(s);
    }
    return out;
  }

  classifyBatch(sequences: readonly Sequence[]): ClassifyResult[] {
    const seqs = sequences.map((q) => this.steps(q));
    if (seqs.some((q) => q.length === 0)) fail('BAD_DATA', 'classify needs sequences of at least one step', 'give each sequence at least one step');
    const B = seqs.length, D = this.gather.layers[0].inDim, SL = this.stateSize;
    const states = new Float32Array(B * SL);
    const T = Math.max(0, ...seqs.map((q) => q.length));
    const xs = new Float32Array(B * D);
    const packed = new Float32Array(B * SL);
    for (let t = 0; t < T; t++) {
      // Lanes still running at step t, packed together for the batched kernel.
      const active = seqs.flatMap((q, b) => (q.length > t ? [b] : []));
      active.forEach((b, a) => {
        xs.set(this.inputVector(seqs[b][t]), a * D);
        packed.set(states.subarray(b * SL, (b + 1) * SL), a * SL);
      });
      this.advanceBatchVec(xs.subarray(0, active.length * D), packed.subarray(0, active.length * SL), active.length);
      active.forEach((b, a) => states.set(packed.subarray(a * SL, (a + 1) * SL), b * SL));
    }
    return seqs.map((_, b) => this.result(states.subarray(b * SL, (b + 1) * SL)));
  }

  private result(state: Float32Array): ClassifyResult {
    const logits = new Float32Array(this.spec.outputSize);
    this.headInto(state, logits);
    const probs = softmax(logits);
    let label = 0;
    for (let i = 1; i < probs.length; i++) if (logits[i] > logits[label]) label = i;
    return { label, probs, logits, ...(this.labels?.[label] !== undefined ? { name: this.labels[label] } : {}) };
  }

  classify(sequence: Sequence): ClassifyResult {
    const s = this.initialState();
    const steps = this.steps(sequence);
    if (steps.length === 0) fail('BAD_DATA', 'classify needs a sequence of at least one step', 'give the sequence at least one step');
    for (const x of steps) this.advanceVec(this.inputVector(x), s);
    return this.result(s);
  }

  generate(opts: GenerateOptions): GenerateResult {
    if (this.spec.inputKind !== 'tokens' || this.spec.task !== 'lm') fail('BAD_CONFIG', 'generate needs a token language model (inputKind tokens, task lm)', 'use classify for classifiers');
    const sample = checkSampleOptions(opts);
    const length = opts.length;
    if (!(Number.isInteger(length) && length >= 0 && length <= 1_000_000)) fail('BAD_FLAG', `length must be an integer from 0 to 1000000 (got ${length})`, 'try --length 200');
    const prime = typeof opts.prime === 'string' ? this.encode(opts.prime) : Array.from(opts.prime);
    if (prime.length === 0) fail('BAD_FLAG', 'prime must hold at least one token', 'try --prime "The "');
    const rng = new Rng(opts.seed ?? 1);
    const s = this.initialState();
    const logits = new Float32Array(this.spec.outputSize);
    for (const t of prime) this.advanceVec(this.inputVector(t), s);
    const tokens: number[] = [];
    for (let i = 0; i < length; i++) {
      this.headInto(s, logits);
      const t = sampleToken(logits, sample, rng);
      tokens.push(t);
      if (i + 1 < length) this.advanceVec(this.inputVector(t), s);
    }
    return { tokens, ...(this.vocab ? { text: this.decode(tokens) } : {}) };
  }

  /** Text → ids through the model's vocabulary (one token per code point). */
  encode(text: string): number[] {
    if (!this.vocab) fail('BAD_CONFIG', 'the model file has no vocabulary, so text cannot be encoded', 'pass token ids, or export with extra.vocab');
    const ids = new Map(this.vocab.map((t, i) => [t, i]));
    return Array.from(text, (ch) => ids.get(ch) ?? fail('BAD_DATA', `character ${JSON.stringify(ch)} is not in the model's vocabulary`, 'use characters the model was trained on'));
  }

  decode(tokens: readonly number[]): string {
    return this.vocab ? tokens.map((t) => this.vocab![t] ?? '').join('') : tokens.join(' ');
  }

  protected checkState(state: Float32Array): Float32Array {
    if (!(state instanceof Float32Array) || state.length !== this.stateSize) {
      fail('BAD_DATA', `state must be a Float32Array of ${this.stateSize} (layers x ${STATE_VECTORS[this.spec.cell]} x hidden)`, 'start from initialState()');
    }
    return state;
  }

  protected inputVector(input: StepInput): Float32Array {
    const { spec } = this;
    if (spec.inputKind === 'tokens') {
      if (!(typeof input === 'number' && Number.isInteger(input) && input >= 0 && input < spec.inputSize)) {
        fail('BAD_DATA', `input must be a token id in [0, ${spec.inputSize}) (got ${typeof input === 'number' ? input : typeof input})`, 'give ids below the vocabulary size');
      }
      embeddingRow(this.gather.embedding!, input, this.xbuf);
      return this.xbuf;
    }
    if (!(input instanceof Float32Array) || input.length !== spec.inputSize) {
      fail('BAD_DATA', `input must be a Float32Array of ${spec.inputSize} features`, 'give one row of the model\'s input width per step');
    }
    return input;
  }

  protected steps(sequence: Sequence): StepInput[] {
    if (this.spec.inputKind === 'tokens') return Array.from(sequence as ArrayLike<number>);
    if (sequence instanceof Float32Array) {
      const D = this.spec.inputSize;
      if (sequence.length % D !== 0) fail('BAD_DATA', `a flat vector sequence must have a multiple of ${D} values (got ${sequence.length})`, 'give whole rows of the model\'s input width');
      return Array.from({ length: sequence.length / D }, (_, t) => sequence.subarray(t * D, (t + 1) * D));
    }
    return Array.from(sequence as readonly Float32Array[]);
  }
}

// ---------------------------------------------------------------- TypeScript engine

/** y[r] = bias[r] + Σ values[k]·z[colIdx[k]] over row r.   y (rows)  z (cols) */
export function gatherMatVec(y: Float32Array, m: GatherCsr, z: Float32Array, bias: Float32Array | null): void {
  const { rowPtr, colIdx, values } = m;
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    const end = rowPtr[r + 1];
    for (let k = rowPtr[r]; k < end; k++) s += values[k] * z[colIdx[k]];
    y[r] = (bias ? bias[r] : 0) + s;
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** y = M·z (+ bias), the one product a step runtime needs, over its own matrix form M. */
export type MatVec<M> = (y: Float32Array, m: M, z: Float32Array, bias: Float32Array | null) => void;

/**
 * One recurrent step in TypeScript over any matrix form: the sparse runtime multiplies
 * the gather model's CSR rows (gatherMatVec); web/dense.ts runs the same step over the
 * matrices expanded to dense, to time sparse against dense with identical arithmetic.
 */
export class StepRuntime<M> extends RuntimeBase {
  readonly engine: string;
  /** Per layer: [x_t ; h_{t-1}] → gate pre-activations (main), the reset-before/after GRU's hh product (rec). */
  protected readonly mats: { main: M; rec: M | null; recBias: Float32Array | null; bias: Float32Array; inDim: number }[];
  protected readonly headMat: M;
  private readonly z: Float32Array[];
  private readonly pre: Float32Array;
  private readonly rh: Float32Array;
  private readonly tmp: Float32Array;

  constructor(model: SparseModel, engine: string, toMat: (m: GatherCsr) => M, private readonly mul: MatVec<M>, gather?: GatherModel) {
    super(model, gather);
    this.engine = engine;
    const H = this.spec.hidden;
    this.mats = this.gather.layers.map((l) => ({ main: toMat(l.main), rec: l.rec ? toMat(l.rec) : null, recBias: l.recBias ?? null, bias: l.bias, inDim: l.inDim }));
    this.headMat = toMat(this.gather.head);
    this.z = this.gather.layers.map((l) => new Float32Array(l.inDim + H));
    this.pre = new Float32Array(this.gather.layers[0].main.rows);
    this.rh = new Float32Array(H);
    this.tmp = new Float32Array(H);
  }

  protected advanceVec(x: Float32Array, state: Float32Array): void {
    const { spec, mul } = this;
    const H = spec.hidden;
    const S = STATE_VECTORS[spec.cell];
    let input = x;
    for (let l = 0; l < this.mats.length; l++) {
      const lm = this.mats[l];
      const h = state.subarray(l * S * H, (l * S + 1) * H);
      const z = this.z[l];
      z.set(input, 0);
      z.set(h, lm.inDim);
      const hp = z.subarray(lm.inDim); // h_{t-1}
      const pre = this.pre;
      mul(pre, lm.main, z, lm.bias);
      if (spec.cell === 'lstm') {
        const c = state.subarray((l * S + 1) * H, (l * S + 2) * H);
        for (let j = 0; j < H; j++) {
          const cj = sigmoid(pre[H + j]) * c[j] + sigmoid(pre[j]) * Math.tanh(pre[2 * H + j]);
          c[j] = cj;
          h[j] = sigmoid(pre[3 * H + j]) * Math.tanh(cj);
        }
      } else if (lm.recBias) { // reset-after GRU: n = tanh(pre_n + r ⊙ (Uh·h + b_hn))
        mul(this.tmp, lm.rec!, hp, lm.recBias);
        for (let j = 0; j < H; j++) {
          const zj = sigmoid(pre[j]);
          h[j] = zj * hp[j] + (1 - zj) * Math.tanh(pre[2 * H + j] + sigmoid(pre[H + j]) * this.tmp[j]);
        }
      } else if (spec.cell === 'gru') {
        for (let j = 0; j < H; j++) this.rh[j] = sigmoid(pre[H + j]) * hp[j];
        mul(this.tmp, lm.rec!, this.rh, null);
        for (let j = 0; j < H; j++) {
          const zj = sigmoid(pre[j]);
          h[j] = zj * hp[j] + (1 - zj) * Math.tanh(pre[2 * H + j] + this.tmp[j]);
        }
      } else if (spec.activation === 'relu') {
        for (let j = 0; j < H; j++) h[j] = Math.max(0, pre[j]);
      } else {
        for (let j = 0; j < H; j++) h[j] = Math.tanh(pre[j]);
      }
      input = h;
    }
  }

  protected headInto(state: Float32Array, logits: Float32Array): void {
    const H = this.spec.hidden;
    const S = STATE_VECTORS[this.spec.cell];
    const top = state.subarray((this.spec.layers - 1) * S * H, ((this.spec.layers - 1) * S + 1) * H);
    this.mul(logits, this.headMat, top, this.gather.headBias);
  }
}

/** The pure TypeScript runtime (Node and browser). */
export function createRuntime(model: SparseModel): InferenceRuntime {
  return new StepRuntime<GatherCsr>(model, 'ts', (m) => m, gatherMatVec);
}
