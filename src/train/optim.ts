/**
 * Optimizers over the flat parameter buffer: SGD (momentum, Nesterov, weight
 * decay) and Adam, with global gradient-norm clipping. The update loops are native;
 * masked weights (mask[i] == 0) have param, grad and moments forced to exactly 0.
 */
import { native } from '../engine/native.js';
import { fail } from '../errors.js';

export interface OptimConfig {
  kind: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global gradient-norm clip; 0 = off. */
  clip: number;
}

export const DEFAULT_OPTIM: OptimConfig = {
  kind: 'sgd', lr: 1, momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0.25,
};

export function validateOptim(c: OptimConfig): OptimConfig {
  const bad = (f: string, rule: string): never => fail('BAD_CONFIG', `optimizer.${f} ${rule}`, 'see `sparse-rnn train --help` (optimizer flags) for each setting and its range');
  if (c.kind !== 'sgd' && c.kind !== 'adam') bad('kind', `must be sgd or adam (got ${JSON.stringify(c.kind)})`);
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) bad('lr', `must be > 0 (got ${c.lr})`);
  if (!(c.momentum >= 0 && c.momentum < 1)) bad('momentum', `must be in [0, 1) (got ${c.momentum})`);
  if (!(c.weightDecay >= 0)) bad('weightDecay', `must be >= 0 (got ${c.weightDecay})`);
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1)) bad('beta1/beta2', 'must be in [0, 1)');
  if (!(c.eps > 0)) bad('eps', 'must be > 0');
  if (!(c.clip >= 0)) bad('clip', `must be >= 0 (got ${c.clip})`);
  return c;
}

export class Optimizer {
  readonly cfg: OptimConfig;
  /** SGD: velocity; Adam: first moment. */
  readonly m: Float32Array;
  /** Adam: second moment (empty for SGD). */
  readonly v: Float32Array;
  /** Updates done (Adam's bias-correction step). */
  t = 0;

  constructor(cfg: OptimConfig, total: number) {
    this.cfg = validateOptim(cfg);
    this.m = new Float32Array(total);
    this.v = new Float32Array(cfg.kind === 'adam' ? total : 0);
  }

  /** Clips grads in place by global norm; returns the norm before clipping. */
  clip(grads: Float32Array): number {
    const n = Math.sqrt(native().sumSquares(grads));
    if (this.cfg.clip > 0 && n > this.cfg.clip) native().scale(grads, this.cfg.clip / n);
    return n;
  }

  /** One update with learning rate lr; returns the gradient norm before clipping. */
  step(params: Float32Array, grads: Float32Array, mask: Uint8Array | null, lr: number): number {
    const norm = this.clip(grads);
    const c = this.cfg;
    this.t++;
    if (c.kind === 'sgd') native().sgd(params, grads, this.m, mask, lr, c.momentum, c.weightDecay, c.nesterov);
    else native().adam(params, grads, this.m, this.v, mask, lr, c.beta1, c.beta2, c.eps, c.weightDecay, this.t);
    return norm;
  }
}
