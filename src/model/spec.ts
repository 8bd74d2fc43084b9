/**
 * The model a user describes: input → `layers` stacked recurrent layers → linear head.
 * Conventions follow TF.js / Keras so export is a copy (docs/methods.md §2):
 *   LSTM gates i, f, c, o; GRU gates z, r, h. Two GRU variants (Cho et al. 2014):
 *   - reset before (default; Keras `reset_after = false`, the only TF.js GRU):
 *       n = tanh(W_in·x + U_n·(r ⊙ h) + b_n)
 *   - reset after (`resetAfter: true`; Keras `reset_after = True`, PyTorch, cuDNN):
 *       n = tanh(W_in·x + b_in + r ⊙ (U_n·h + b_hn)), with a separate recurrent bias
 *       (the layer's bias is [2, 3H]: input bias; recurrent bias).
 */
import { fail } from '../errors.js';

export type CellType = 'rnn' | 'lstm' | 'gru';
export type Task = 'lm' | 'classify';

export interface ModelSpec {
  cell: CellType;
  /** 'tokens': integer ids through an embedding; 'vectors': real features per step. */
  inputKind: 'tokens' | 'vectors';
  /** Vocabulary size (tokens) or feature dimension (vectors). */
  inputSize: number;
  /** Embedding width (tokens); 0 for vectors. */
  embedDim: number;
  hidden: number;
  layers: number;
  /** Head width: vocabulary (lm) or number of classes (classify). */
  outputSize: number;
  /** lm: a target per step; classify: one target per sequence, read at the last step. */
  task: Task;
  /** Vanilla RNN nonlinearity. */
  activation: 'tanh' | 'relu';
  /** Non-recurrent dropout on the embedding output and on each layer's output. */
  dropout: number;
  /** Tie the head to the embedding (lm; needs embedDim == hidden). */
  tied: boolean;
  /** LSTM forget-gate bias at init. */
  forgetBias: number;
  /** Kernel initialiser: glorot-uniform (Keras default) or uniform(±1/sqrt(H)) (PyTorch). */
  init: 'glorot' | 'uniform';
  /** Initialiser of the hh kernels (Keras's recurrent_kernel): orthogonal (Keras default) or as `init`. */
  recurrentInit: 'orthogonal' | 'same';
  /**
   * GRU only: the reset gate applied after the candidate's recurrent product, with a
   * separate recurrent bias (Keras `reset_after=True`, PyTorch's GRU). Absent = false.
   */
  resetAfter?: boolean;
}

/** Gates per cell: the G of [in, G·H]. */
export const GATES: Record<CellType, number> = { rnn: 1, lstm: 4, gru: 3 };
/** Gate names in the order of the columns, TF.js layout. */
export const GATE_NAMES: Record<CellType, readonly string[]> = {
  rnn: ['h'],
  lstm: ['i', 'f', 'c', 'o'],
  gru: ['z', 'r', 'h'],
};
/** State vectors carried between steps (h, and c for LSTM). */
export const STATE_VECTORS: Record<CellType, number> = { rnn: 1, lstm: 2, gru: 1 };

export function defaultSpec(partial: Partial<ModelSpec> & Pick<ModelSpec, 'inputSize' | 'outputSize'>): ModelSpec {
  const inputKind = partial.inputKind ?? 'tokens';
  const hidden = partial.hidden ?? 256;
  return validateSpec({
    cell: 'lstm',
    inputKind,
    embedDim: inputKind === 'tokens' ? partial.embedDim ?? hidden : 0,
    hidden,
    layers: 1,
    task: 'lm',
    activation: 'tanh',
    dropout: 0,
    tied: false,
    forgetBias: 1,
    init: 'glorot',
    recurrentInit: 'orthogonal',
    ...partial,
  } as ModelSpec);
}

const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Checks every rule; throws BAD_CONFIG naming the field. Returns the spec for chaining. */
export function validateSpec(s: ModelSpec): ModelSpec {
  const bad = (field: string, rule: string, hint = 'see `sparse-rnn train --help` (model flags) for each setting and its range'): never =>
    fail('BAD_CONFIG', `model.${field} ${rule}`, hint);
  if (!['rnn', 'lstm', 'gru'].includes(s.cell)) bad('cell', `must be rnn, lstm or gru (got ${JSON.stringify(s.cell)})`);
  if (!['tokens', 'vectors'].includes(s.inputKind)) bad('inputKind', 'must be tokens or vectors');
  if (!isInt(s.inputSize, 1)) bad('inputSize', `must be an integer >= 1 (got ${s.inputSize})`);
  if (s.inputKind === 'tokens' && !isInt(s.embedDim, 1)) bad('embedDim', `must be an integer >= 1 (got ${s.embedDim})`);
  if (!isInt(s.hidden, 1)) bad('hidden', `must be an integer >= 1 (got ${s.hidden})`, 'try --hidden 256');
  if (s.hidden > 16384) bad('hidden', `must be <= 16384 (got ${s.hidden})`);
  if (!isInt(s.layers, 1) || s.layers > 4) bad('layers', `must be an integer from 1 to 4 (got ${s.layers})`);
  if (!isInt(s.outputSize, 2)) bad('outputSize', `must be an integer >= 2 (got ${s.outputSize})`);
  if (!['lm', 'classify'].includes(s.task)) bad('task', 'must be lm or classify');
  if (!['tanh', 'relu'].includes(s.activation)) bad('activation', 'must be tanh or relu');
  if (!(typeof s.dropout === 'number' && s.dropout >= 0 && s.dropout < 1)) bad('dropout', `must be in [0, 1) (got ${s.dropout})`);
  if (s.tied) {
    if (s.inputKind !== 'tokens' || s.task !== 'lm') bad('tied', 'needs token input and the lm task');
    if (s.embedDim !== s.hidden) bad('tied', `needs embedDim == hidden (got ${s.embedDim} and ${s.hidden})`);
    if (s.outputSize !== s.inputSize) bad('tied', 'needs outputSize == inputSize (the vocabulary)');
  }
  if (typeof s.forgetBias !== 'number' || !Number.isFinite(s.forgetBias)) bad('forgetBias', 'must be a finite number');
  if (!['glorot', 'uniform'].includes(s.init)) bad('init', 'must be glorot or uniform');
  if (!['orthogonal', 'same'].includes(s.recurrentInit)) bad('recurrentInit', 'must be orthogonal or same');
  if (s.resetAfter !== undefined && typeof s.resetAfter !== 'boolean') bad('resetAfter', 'must be true or false');
  if (s.resetAfter && s.cell !== 'gru') bad('resetAfter', `is a GRU option (cell is ${s.cell})`, 'drop resetAfter or use cell gru');
  return s;
}

/** Whether the spec is the reset-after GRU (ModelSpec.resetAfter). */
export const isResetAfter = (s: ModelSpec): boolean => s.cell === 'gru' && s.resetAfter === true;

/** Same model (key order ignored; an absent resetAfter is false), e.g. a checkpoint's spec against a config's. */
export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ModelSpec>;
  for (const k of keys) {
    if (k === 'resetAfter' ? (a[k] ?? false) !== (b[k] ?? false) : a[k] !== b[k]) return false;
  }
  return true;
}
