/**
 * Data sets by name: the built-ins, or a path to a user folder (PTB / WikiText layout).
 * A built-in name wins over a folder of the same name; write ./brown for the folder.
 */
import fs from 'node:fs';
import { fail } from '../errors.js';
import type { Dataset, DatasetInfo, LoadOptions } from './dataset.js';
import { loadBrown } from './brown.js';
import { loadFolder } from './folder.js';
import { describeMnist, loadMnist } from './mnist.js';
import { loadMobyDick } from './mobydick.js';
import { loadSyntheticClassify, loadSyntheticCopy, loadSyntheticLm } from './synthetic.js';

interface Builtin {
  load(opts: LoadOptions): Dataset;
  /** Cheaper than load().describe() where the sizes can be had without the data. */
  describe?(opts: LoadOptions): DatasetInfo;
  /** One line for `sparse-rnn data --help`. */
  summary: string;
}

const BUILTINS: Record<string, Builtin> = {
  brown: { load: loadBrown, summary: 'Brown corpus, word-level LM, 10k vocabulary' },
  'moby-dick': { load: loadMobyDick, summary: 'Moby-Dick, character-level LM' },
  mnist: { load: loadMnist, describe: describeMnist, summary: 'sequential MNIST: 28 steps of 28 pixels, 10 classes' },
  'synthetic-lm': { load: loadSyntheticLm, summary: 'tiny Markov-chain character stream (tests)' },
  'synthetic-copy': { load: loadSyntheticCopy, summary: 'tiny copy task as a character stream (tests)' },
  'synthetic-classify': { load: loadSyntheticClassify, summary: 'tiny vector-sequence classification (tests)' },
};

/** Names of the built-in data sets, in listing order. */
export function builtinNames(): string[] {
  return Object.keys(BUILTINS);
}

export function builtinSummary(name: string): string | undefined {
  return BUILTINS[name]?.summary;
}

export function isBuiltin(name: string): boolean {
  return Object.hasOwn(BUILTINS, name);
}

function checkOptions(opts: LoadOptions): void {
  if (opts.limit !== undefined && !(Number.isSafeInteger(opts.limit) && opts.limit >= 1)) {
    fail('BAD_FLAG', `limit must be an integer >= 1 (got ${opts.limit})`, 'try --limit 10000');
  }
  if (opts.seed !== undefined && !Number.isSafeInteger(opts.seed)) {
    fail('BAD_FLAG', `seed must be an integer (got ${opts.seed})`, 'try --seed 1');
  }
  if (opts.level !== undefined && opts.level !== 'word' && opts.level !== 'char') {
    fail('BAD_FLAG', `level must be word or char (got ${JSON.stringify(opts.level)})`, 'try --level word');
  }
}

/** Paths are told from names by a slash, a leading dot or ~, or an existing folder. */
function looksLikePath(name: string): boolean {
  return /[\\/]/.test(name) || name.startsWith('.') || name.startsWith('~') || fs.existsSync(name);
}

function unknown(name: string): never {
  fail('BAD_DATA', `unknown data set ${JSON.stringify(name)}`,
    `built-ins: ${builtinNames().join(', ')}; or a folder path holding train.txt, valid.txt, test.txt`);
}

/**
 * Loads a built-in by name, or a user folder by path (opts.level: 'word' default or 'char').
 * Throws SparseRnnError BAD_DATA for an unknown name, a missing folder or file.
 */
export function loadDataset(name: string, opts: LoadOptions = {}): Dataset {
  checkOptions(opts);
  if (isBuiltin(name)) return BUILTINS[name].load(opts);
  if (looksLikePath(name)) return loadFolder(name, opts);
  unknown(name);
}

/** What describe() of loadDataset(name, opts) would say, reading less where it can (MNIST headers only). */
export function describeDataset(name: string, opts: LoadOptions = {}): DatasetInfo {
  checkOptions(opts);
  if (isBuiltin(name)) {
    const b = BUILTINS[name];
    return b.describe ? b.describe(opts) : b.load(opts).describe();
  }
  if (looksLikePath(name)) return loadFolder(name, opts).describe();
  unknown(name);
}
