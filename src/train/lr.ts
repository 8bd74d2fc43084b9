/**
 * Learning-rate schedules, applied at epoch ends: constant, step decay
 * (lr·gamma every `every` epochs) and reduce-on-plateau (lr·factor when the
 * validation loss has not improved by `threshold` (relative) for `patience` epochs).
 * State is plain data so checkpoints resume exactly.
 */
import { fail } from '../errors.js';

export type LrConfig =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; gamma: number }
  | { kind: 'plateau'; factor: number; patience: number; threshold: number; minLr: number };

export interface LrState { lr: number; best: number; badEpochs: number }

export function validateLr(c: LrConfig): LrConfig {
  const bad = (f: string, rule: string): never => fail('BAD_CONFIG', `lrSchedule.${f} ${rule}`, 'see `sparse-rnn train --help` (lr flags) for each schedule and its settings');
  if (c.kind === 'step') {
    if (!Number.isInteger(c.every) || c.every < 1) bad('every', `must be an integer >= 1 (got ${c.every})`);
    if (!(c.gamma > 0 && c.gamma <= 1)) bad('gamma', `must be in (0, 1] (got ${c.gamma})`);
  } else if (c.kind === 'plateau') {
    if (!(c.factor > 0 && c.factor < 1)) bad('factor', `must be in (0, 1) (got ${c.factor})`);
    if (!Number.isInteger(c.patience) || c.patience < 0) bad('patience', `must be an integer >= 0 (got ${c.patience})`);
    if (!(c.threshold >= 0)) bad('threshold', 'must be >= 0');
    if (!(c.minLr >= 0)) bad('minLr', 'must be >= 0');
  } else if (c.kind !== 'constant') bad('kind', `must be constant, step or plateau (got ${JSON.stringify((c as { kind: unknown }).kind)})`);
  return c;
}

export function initialLrState(lr: number): LrState {
  return { lr, best: Infinity, badEpochs: 0 };
}

/** The state after epoch `epoch` (1-based) ended with validation loss `validLoss`. */
export function nextLr(c: LrConfig, s: LrState, epoch: number, validLoss: number): LrState {
  switch (c.kind) {
    case 'constant':
      return { ...s, best: Math.min(s.best, validLoss) };
    case 'step':
      return { ...s, best: Math.min(s.best, validLoss), lr: epoch % c.every === 0 ? s.lr * c.gamma : s.lr };
    case 'plateau': {
      if (validLoss < s.best * (1 - c.threshold)) return { ...s, best: validLoss, badEpochs: 0 };
      const bad = s.badEpochs + 1;
      if (bad > c.patience) return { lr: Math.max(c.minLr, s.lr * c.factor), best: s.best, badEpochs: 0 };
      return { ...s, badEpochs: bad };
    }
  }
}
