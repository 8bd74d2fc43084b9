/**
 * The numbers a user reads, computed here and only here: mean loss (nats),
 * perplexity (word LMs), bits per character (char LMs) and accuracy (classification).
 */
export type MetricName = 'perplexity' | 'bpc' | 'accuracy';

export interface EvalSums { loss: number; count: number; correct: number }

export interface Metrics {
  /** Mean cross-entropy in nats per target. */
  loss: number;
  perplexity?: number;
  bpc?: number;
  accuracy?: number;
}

/** Summed loss / count / correct of an evaluation → its mean loss and the `main` metric. */
export function metricsFromSums(s: EvalSums, main: MetricName): Metrics {
  const loss = s.count > 0 ? s.loss / s.count : NaN;
  const out: Metrics = { loss };
  if (main === 'perplexity') out.perplexity = Math.exp(loss);
  if (main === 'bpc') out.bpc = loss / Math.LN2;
  if (main === 'accuracy') out.accuracy = s.count > 0 ? s.correct / s.count : NaN;
  return out;
}

/** Whether a larger value of the metric is better. */
export const HIGHER_IS_BETTER: Record<MetricName, boolean> = { perplexity: false, bpc: false, accuracy: true };

export function mainMetric(kind: 'lm' | 'classify', level?: 'word' | 'char'): MetricName {
  return kind === 'classify' ? 'accuracy' : level === 'char' ? 'bpc' : 'perplexity';
}

export function formatMetric(name: MetricName, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return name === 'accuracy' ? `${(100 * v).toFixed(2)}%` : name === 'bpc' ? v.toFixed(3) : v.toFixed(2);
}
