/**
 * PyTorch's figures from bench/torch_anchor.py (the repository's own script: the same
 * models and timing rules as our benchmarks), run beside our own measurement so ratios
 * compare like with like. $SPARSE_RNN_TORCH_ANCHOR names another script with the same
 * flags and output; PyTorch is Debian's (apt-get install -y python3-torch
 * libopenblas0-pthread), run with /usr/bin/python3. When either is missing, callers get
 * the reason instead of a number.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The anchor script: $SPARSE_RNN_TORCH_ANCHOR, else bench/torch_anchor.py of this package. */
export function anchorScript(): string {
  if (process.env.SPARSE_RNN_TORCH_ANCHOR) return path.resolve(process.env.SPARSE_RNN_TORCH_ANCHOR);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'bench', 'torch_anchor.py');
}

let torchCheck: { ok: boolean; why: string } | undefined;

/** Whether the PyTorch anchor can run here, and why not. */
export function pytorchAvailable(): { ok: boolean; why: string } {
  if (torchCheck) return torchCheck;
  const script = anchorScript();
  if (!fs.existsSync('/usr/bin/python3')) torchCheck = { ok: false, why: '/usr/bin/python3 is missing' };
  else if (!fs.existsSync(script)) torchCheck = { ok: false, why: `${script} is missing (set SPARSE_RNN_TORCH_ANCHOR)` };
  else {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
    torchCheck = r.status === 0 ? { ok: true, why: '' }
      : { ok: false, why: 'torch is not importable (apt-get install -y python3-torch libopenblas0-pthread)' };
  }
  return torchCheck;
}

/** Runs the anchor with these flags: its JSON row, or the reason there is none. */
export function runAnchor(args: Record<string, string | number>, threads = 1): { row: Record<string, unknown> | null; why: string } {
  const avail = pytorchAvailable();
  if (!avail.ok) return { row: null, why: `PyTorch not available: ${avail.why}` };
  const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const r = spawnSync('/usr/bin/python3', [anchorScript(), ...flags], {
    encoding: 'utf8', timeout: 600_000,
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
  });
  try {
    return { row: JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? ''), why: '' };
  } catch {
    return { row: null, why: `PyTorch anchor failed: ${(r.stderr ?? '').trim().split('\n').pop()}` };
  }
}
