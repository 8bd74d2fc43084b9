/**
 * PyTorch's figures from shared/anchors/torch_bench.py, run in the same session as
 * our measurement so ratios compare like with like. Looks for the anchors folder
 * at $SPARSE_RNN_ANCHORS, ../shared/anchors or ./shared/anchors (relative to the
 * repo root) and needs /usr/bin/python3 with torch (apt-get install -y python3-torch
 * libopenblas0-pthread). When either is missing, says why instead of a number.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function anchorScript(): string | null {
  const dirs = [process.env.SPARSE_RNN_ANCHORS, path.join(root, '../shared/anchors'), path.join(root, 'shared/anchors')].filter(Boolean) as string[];
  for (const d of dirs) {
    const f = path.join(d, 'torch_bench.py');
    if (fs.existsSync(f)) return f;
  }
  return null;
}

let torchChecked: string | null | undefined;
/** null when PyTorch can be run; otherwise the reason it can't. */
export function torchUnavailable(): string | null {
  if (torchChecked !== undefined) return torchChecked;
  const script = anchorScript();
  if (!script) return (torchChecked = 'anchor script shared/anchors/torch_bench.py not found (set SPARSE_RNN_ANCHORS)');
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status !== 0) return (torchChecked = 'PyTorch not installed (apt-get install -y python3-torch libopenblas0-pthread)');
  return (torchChecked = null);
}

/** Runs the anchor script with these flags; returns its JSON row, or null with the reason printed. */
export function runAnchor(args: Record<string, string | number>): Record<string, unknown> | null {
  if (torchUnavailable()) return null;
  const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const r = spawnSync('/usr/bin/python3', [anchorScript()!, ...flags], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, timeout: 600_000,
  });
  if (r.status !== 0) {
    process.stderr.write(`torch_bench.py failed: ${(r.stderr || '').trim().split('\n').pop()}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}
