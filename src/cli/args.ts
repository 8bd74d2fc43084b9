/**
 * Flag parsing shared by the commands: node:util parseArgs in strict mode, with
 * every failure turned into one BAD_FLAG line that names the flag and the rule.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import fs from 'node:fs';
import YAML from 'yaml';
import { fail } from '../errors.js';
import { readFileLimited } from '../util/fs.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export type FlagValues = Record<string, string | boolean | undefined>;

export function parseFlags(cmd: string, argv: string[], options: Options, allowPositionals = true): { values: FlagValues; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true, allowPositionals });
    return { values: r.values as FlagValues, positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    return fail('BAD_FLAG', `${cmd}: ${msg}`, `see \`sparse-rnn ${cmd} --help\``);
  }
}

/** A number flag: value string → number, checked against the rule. undefined stays undefined. */
export function num(flag: string, v: string | undefined, rule: { int?: boolean; min?: number; max?: number; gt?: number; lt?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const need = [
    rule.int ? 'an integer' : 'a number',
    rule.min !== undefined ? `>= ${rule.min}` : '', rule.gt !== undefined ? `> ${rule.gt}` : '',
    rule.max !== undefined ? `<= ${rule.max}` : '', rule.lt !== undefined ? `< ${rule.lt}` : '',
  ].filter(Boolean).join(' ');
  const ok = v.trim() !== '' && Number.isFinite(n) && (!rule.int || Number.isSafeInteger(n))
    && (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max)
    && (rule.gt === undefined || n > rule.gt) && (rule.lt === undefined || n < rule.lt);
  if (!ok) fail('BAD_FLAG', `--${flag} must be ${need} (got ${JSON.stringify(v)})`, `give --${flag} a value that is ${need}`);
  return n;
}

export function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) fail('BAD_FLAG', `--${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`, `e.g. --${flag} ${allowed[0]}`);
  return v as T;
}

/** A YAML or JSON config file as a plain object. */
export function readConfigFile(file: string): Record<string, unknown> {
  const text = readFileLimited(file, { maxBytes: 16 * 1024 * 1024, what: 'config file', hint: 'check the path' }, 'utf8');
  let v: unknown;
  try {
    v = YAML.parse(text);
  } catch (e) {
    return fail('BAD_CONFIG', `${file} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`, 'fix the syntax at the line named');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('BAD_CONFIG', `${file} must hold a mapping of settings`, 'e.g. `batch: 32` lines in YAML, or a JSON object');
  return v as Record<string, unknown>;
}

/** Prints a left-aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(cells[0]), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
