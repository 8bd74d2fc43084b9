// A small tmpfs for full-disk and read-only tests, where this machine allows mounting
// (root in a container with CAP_SYS_ADMIN). Returns null (and the caller falls back to
// injected faults) anywhere else.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export function tmpfs(dir: string, bytes: number, readOnly: boolean): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmdirSync(dir);
    return null;
  }
  return dir;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir]);
  try { fs.rmdirSync(dir); } catch { /* still mounted or gone */ }
}
