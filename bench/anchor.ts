/** The benchmarks' view of the PyTorch anchor (src/bench/pytorch.ts holds the logic). */
import { pytorchAvailable, runAnchor as run } from '../src/bench/pytorch.js';

/** null when PyTorch can be run; otherwise the reason it can't. */
export function torchUnavailable(): string | null {
  const a = pytorchAvailable();
  return a.ok ? null : a.why;
}

/** The anchor's JSON row for these flags, or null (the reason is printed). */
export function runAnchor(args: Record<string, string | number>): Record<string, unknown> | null {
  const r = run(args, Number(args.threads ?? 1));
  if (!r.row && !torchUnavailable()) process.stderr.write(`${r.why}\n`);
  return r.row;
}
