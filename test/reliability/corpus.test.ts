// The reliability corpus: bad inputs and faults across flags, config files, recipes,
// data folders, checkpoints, .srnz files, TF.js imports, study specs, output paths and a
// full disk. Every case must end in exactly one `error[CODE]: message (hint: …)` line
// (or usage on stderr with exit 2), leave no file behind and change no file it was given.
// Most cases run in-process through the CLI's main() (fast); the few where a crash or
// abort must be observable (special files, devices) run as child processes.
//
// The table it prints: category, cases, one-line errors with hints (must equal cases),
// then the failure columns, which must all be 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { main } from '../../src/cli/main.js';
import { SparseRnnError } from '../../src/errors.js';
import { injectWriteFault } from '../../src/util/fs.js';
import { MAX_DATA_FILE_BYTES } from '../../src/data/folder.js';
import { decodeModel } from '../../src/model/onnx/proto.js';
import { importTfjs } from '../../src/model/tfjs.js';
import { ROOT } from '../helpers/cli.js';
import { tmpfs, unmount } from './mount.js';

type Outcome = 'ok' | 'noHint' | 'notOneLine' | 'crash' | 'hang' | 'stack' | 'accepted';
interface Case {
  category: string;
  name: string;
  /** CLI arguments (in-process main), or a library call, or a spawned CLI. */
  argv?: string[];
  call?: () => unknown;
  spawn?: boolean;
  /** Usage text on stderr with exit 2 is the right answer (bare command). */
  usage?: boolean;
  /** Runs before the case (e.g. a write fault); `after` undoes it. */
  before?: () => void;
  after?: () => void;
}
interface Result { c: Case; outcome: Outcome; leftover: string[]; stderr: string; code: number }

const ERROR_LINE = /^error\[[A-Z_]+\]: \S.* \(hint: \S.*\)$/;
const ANY_ERROR = /^error\[[A-Z_]+\]: /;

// ──────────────────────────── running one case

async function capture(f: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string; threw?: unknown }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  (process.stdout as { write: unknown }).write = (s: string | Uint8Array) => { out.push(String(s)); return true; };
  (process.stderr as { write: unknown }).write = (s: string | Uint8Array) => { err.push(String(s)); return true; };
  try {
    const code = await f();
    return { code, stdout: out.join(''), stderr: err.join('') };
  } catch (e) {
    return { code: -1, stdout: out.join(''), stderr: err.join(''), threw: e };
  } finally {
    (process.stdout as { write: unknown }).write = ow;
    (process.stderr as { write: unknown }).write = ew;
  }
}

function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { m.set(p + '/', 'dir'); walk(p); } else {
        let sig = 'other';
        // SQLite's shared-memory index of a database opened for reading is not an output.
        if (/\.db-(shm|wal)$/.test(e.name)) continue;
        try { const st = fs.lstatSync(p); sig = st.isFile() ? `${st.size}:${st.mtimeMs}` : st.isSymbolicLink() ? `link:${fs.readlinkSync(p)}` : 'special'; } catch { /* gone */ }
        m.set(p, sig);
      }
    }
  };
  for (const d of WATCH) if (fs.existsSync(d)) walk(d);
  return m;
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) out.push(`${a.has(k) ? 'changed' : 'new'} ${k}`);
  for (const k of a.keys()) if (!b.has(k)) out.push(`removed ${k}`);
  return out;
}

const HANG_MS = 30_000;

async function runCase(c: Case): Promise<Result> {
  const before = snapshot('');
  c.before?.();
  let r: { code: number; stdout: string; stderr: string; threw?: unknown; signal?: string | null; timedOut?: boolean };
  try {
    if (c.spawn) {
      const p = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), ...c.argv!], { cwd: ROOT, encoding: 'utf8', timeout: HANG_MS });
      r = { code: p.status ?? -1, stdout: p.stdout ?? '', stderr: p.stderr ?? '', signal: p.signal, timedOut: (p.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
    } else if (c.argv) {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<number>((res) => { timer = setTimeout(() => res(-999), HANG_MS); });
      r = await capture(() => Promise.race([main(c.argv!), hang]));
      clearTimeout(timer);
      if (r.code === -999) r.timedOut = true;
    } else {
      // A library call: a SparseRnnError prints as the CLI prints it.
      r = await capture(async () => {
        try {
          await c.call!();
          return 0;
        } catch (e) {
          if (e instanceof SparseRnnError) { process.stderr.write(e.toLine() + '\n'); return 1; }
          throw e;
        }
      });
    }
  } finally {
    c.after?.();
  }
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  let outcome: Outcome;
  if (r.timedOut) outcome = 'hang';
  else if (r.signal || r.code > 128 || /Aborted|core dumped|bad_alloc|FATAL ERROR/.test(r.stderr)) outcome = 'crash';
  else if (r.threw !== undefined || /\n\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) outcome = 'stack';
  else if (c.usage) outcome = r.code === 2 && /^usage: /m.test(r.stderr) && r.stdout === '' ? 'ok' : 'accepted';
  else if (r.code === 0) outcome = 'accepted';
  else if (lines.length === 1 && ERROR_LINE.test(lines[0])) outcome = 'ok';
  else if (lines.length === 1 && ANY_ERROR.test(lines[0])) outcome = 'noHint';
  else outcome = 'notOneLine';
  const leftover = diff(before, snapshot(''));
  // Counted, then cleared: a folder a wrongly accepted case wrote must not turn later cases
  // with the same --out into "already exists" errors that pass for correct refusals.
  for (const l of leftover) if (l.startsWith('new ')) fs.rmSync(l.slice(4), { recursive: true, force: true });
  const stderr = r.threw !== undefined ? `threw ${(r.threw as Error)?.stack ?? String(r.threw)}` : r.stderr;
  return { c, outcome, leftover, stderr, code: r.code };
}

// ──────────────────────────── fixtures

const ROOTDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-corpus-'));
const F = (...p: string[]) => path.join(ROOTDIR, ...p);
/** Folders whose contents no case may change (every fixture lives here). */
const WATCH = [ROOTDIR];
const TINY = ['--data', 'synthetic-lm', '--hidden', '8', '--epochs', '1', '--max-steps', '3', '--batch', '4', '--bptt', '10', '--eval-batches', '2', '--quiet'];

async function must(argv: string[]): Promise<void> {
  const r = await capture(() => main(argv));
  if (r.code !== 0 || r.threw) throw new Error(`fixture ${argv.join(' ')} failed: ${r.stderr} ${String(r.threw ?? '')}`);
}

/** A checkpoint with its JSON header changed and a valid CRC (a forged file). */
function forge(src: string, dst: string, edit: (h: Record<string, unknown>) => void, sections?: (body: Buffer) => Buffer): void {
  const buf = fs.readFileSync(src);
  const hlen = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', 16, 16 + hlen)) as Record<string, unknown>;
  edit(header);
  let h = Buffer.from(JSON.stringify(header), 'utf8');
  h = Buffer.concat([h, Buffer.alloc((4 - ((16 + h.length) % 4)) % 4, 0x20)]);
  let body = buf.subarray(16 + hlen, buf.length - 4);
  if (sections) body = sections(Buffer.from(body));
  const head = Buffer.alloc(16);
  buf.copy(head, 0, 0, 12);
  head.writeUInt32LE(h.length, 12);
  const all = Buffer.concat([head, h, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlib.crc32(all) >>> 0, 0);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.writeFileSync(dst, Buffer.concat([all, crc]));
}

/** A copy of the fixture run folder whose last.srnn is forged (for --resume). */
function forgedRun(name: string, edit: (h: Record<string, unknown>) => void, sections?: (body: Buffer) => Buffer): string {
  const dir = F('forged', name);
  fs.mkdirSync(path.join(dir, 'ckpt'), { recursive: true });
  fs.copyFileSync(F('run', 'config.json'), path.join(dir, 'config.json'));
  forge(F('run', 'ckpt', 'last.srnn'), path.join(dir, 'ckpt', 'last.srnn'), edit, sections);
  return dir;
}

function write(rel: string, text: string | Buffer): string {
  const p = F(rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

// ──────────────────────────── the corpus

function numericFlagCases(): Case[] {
  // [flag, rule] for every number flag of `train`; values that break the rule.
  type Rule = { int?: boolean; min?: number; max?: number; gt?: number; lt?: number; needs?: string[] };
  const flags: [string, Rule][] = [
    ['hidden', { int: true, min: 1 }], ['layers', { int: true, min: 1, max: 4 }], ['embed', { int: true, min: 1 }],
    ['dropout', { min: 0, lt: 1 }], ['forget-bias', {}], ['batch', { int: true, min: 1 }], ['bptt', { int: true, min: 1 }],
    ['epochs', { int: true, min: 1 }], ['max-steps', { int: true, min: 0 }], ['lr', { gt: 0 }], ['momentum', { min: 0, lt: 1 }],
    ['weight-decay', { min: 0 }], ['clip', { min: 0 }], ['lr-step', { int: true, min: 1 }], ['lr-gamma', { gt: 0, max: 1, needs: ['--lr-step', '2'] }],
    ['plateau-factor', { gt: 0, lt: 1, needs: ['--plateau'] }], ['plateau-patience', { int: true, min: 0, needs: ['--plateau'] }],
    ['seed', { int: true, min: 0, max: 2 ** 32 - 1 }], ['threads', { int: true, min: 1, max: 64 }], ['eval-batches', { int: true, min: 0 }],
    ['eval-batch', { int: true, min: 0 }], ['checkpoint-every', { int: true, min: 0 }], ['checkpoint-seconds', { min: 0, max: 86400 }],
    ['limit', { int: true, min: 2 }],
  ];
  const cases: Case[] = [];
  for (const [flag, r] of flags) {
    const bad = ['', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '1e400', '1,5', '0x'];
    if (r.int) bad.push('1.5', '1e20');
    if (r.min !== undefined) bad.push(String(r.min - (r.int ? 1 : 0.001)));
    if (r.gt !== undefined) bad.push(String(r.gt));
    if (r.max !== undefined) bad.push(String(r.max + (r.int ? 1 : 0.001)));
    if (r.lt !== undefined) bad.push(String(r.lt));
    for (const v of bad) {
      cases.push({ category: 'flags: train numbers', name: `--${flag} ${JSON.stringify(v)}`, argv: ['train', ...TINY, ...(r.needs ?? []), `--${flag}`, v, '--out', F('w', 'out')] });
    }
  }
  return cases;
}

function trainFlagCases(): Case[] {
  const c = (name: string, ...argv: string[]): Case => ({ category: 'flags: train other', name, argv: ['train', ...argv] });
  const out = ['--out', F('w', 'out')];
  const cases: Case[] = [];
  for (const [flag, vals] of [['cell', ['', 'LSTM', 'foo', 'lstm ']], ['activation', ['', 'sigmoid']], ['init', ['', 'he']], ['optimizer', ['', 'adamw', 'SGD']], ['level', ['', 'byte']]] as const) {
    for (const v of vals) cases.push(c(`--${flag} ${JSON.stringify(v)}`, ...TINY, `--${flag}`, v, ...out));
  }
  cases.push(
    c('--data ""', ...TINY, '--data', '', ...out),
    c('--recipe ""', ...TINY, '--recipe', '', ...out),
    c('--config ""', ...TINY, '--config', '', ...out),
    c('--out ""', ...TINY, '--out', ''),
    c('--data nonsense', ...TINY, '--data', 'no-such-data-set', ...out),
    c('unknown flag', ...TINY, '--hiddden', '8', ...out),
    c('positional', ...TINY, 'extra', ...out),
    c('--tied on a classifier', '--data', 'synthetic-classify', '--hidden', '8', '--max-steps', '3', '--batch', '4', '--quiet', '--tied', ...out),
    c('--tied with embed != hidden', ...TINY, '--tied', '--embed', '4', ...out),
    c('--plateau with --lr-step', ...TINY, '--plateau', '--lr-step', '2', ...out),
    c('--lr-gamma without --lr-step', ...TINY, '--lr-gamma', '0.5', ...out),
    c('--embed 2000000000', ...TINY, '--embed', '2000000000', ...out),
    c('--hidden 16384 --layers 4', ...TINY, '--hidden', '16384', '--layers', '4', ...out),
    c('--hidden 16385', ...TINY, '--hidden', '16385', ...out),
    c('--resume without --out', ...TINY, '--resume'),
    c('--resume on an empty folder', ...TINY, '--resume', '--out', F('w', 'empty')),
    c('--lr 1e300 diverges', ...TINY, '--lr', '1e300', '--optimizer', 'sgd', '--clip', '0', ...out),
    c('--batch larger than the data', ...TINY, '--batch', '100000', ...out),
    c('--bptt larger than the data', ...TINY, '--bptt', '100000', ...out),
    c('--eval-batch too large for valid', ...TINY, '--eval-batch', '100000', ...out),
    c('run folder already holds a run', ...TINY, '--out', F('run')),
  );
  cases.push({ category: 'flags: train other', name: 'prune without --from', argv: ['prune', '--recipe', 'agp-hh', ...out] });
  cases.push({ category: 'flags: train other', name: 'prune without --recipe', argv: ['prune', '--from', F('run'), ...out] });
  cases.push({ category: 'flags: train other', name: 'prune --from missing', argv: ['prune', '--from', F('nope'), '--recipe', 'agp-hh', ...out] });
  cases.push({ category: 'flags: train other', name: 'prune --from a classifier with an LM config', argv: ['prune', '--from', F('cls'), '--recipe', 'agp-hh', '--data', 'synthetic-lm', ...out] });
  return cases;
}

function commandCases(): Case[] {
  const c = (category: string, name: string, argv: string[], extra: Partial<Case> = {}): Case => ({ category, name, argv, ...extra });
  const cli = 'cli';
  const cases: Case[] = [
    c(cli, 'bare sparse-rnn', [], { usage: true }),
    c(cli, "sparse-rnn ''", [''], { usage: true }),
    c(cli, 'bench alone', ['bench'], { usage: true }),
    c(cli, 'unknown command', ['trian']),
    c(cli, 'bench unknown mode', ['bench', 'fly']),
  ];
  for (const cmd of ['train', 'prune', 'evaluate', 'schedule', 'inspect', 'data', 'export', 'generate', 'classify', 'study', 'report']) {
    cases.push(c(cli, `${cmd} --no-such-flag`, [cmd, '--no-such-flag']));
  }
  const o = 'flags: other commands';
  const lm = F('lm.srnz');
  const cls = F('cls.srnz');
  const gen = (name: string, ...a: string[]) => c(o, `generate ${name}`, ['generate', lm, ...a]);
  cases.push(
    gen('no prime'), gen('--prime-ids ""', '--prime-ids', ''), gen('--prime-ids -1', '--prime-ids', '-1'), gen('--prime-ids 1e9', '--prime-ids', '1000000000'),
    gen('--prime-ids a,b', '--prime-ids', 'a,b'), gen('--length -1', '--prime-ids', '1', '--length', '-1'), gen('--length 1e7', '--prime-ids', '1', '--length', '10000000'),
    gen('--temperature -1', '--prime-ids', '1', '--temperature', '-1'), gen('--top-k 1.5', '--prime-ids', '1', '--top-k', '1.5'),
    gen('--seed -1', '--prime-ids', '1', '--seed', '-1'), gen('--engine gpu', '--prime-ids', '1', '--engine', 'gpu'),
    c(o, 'generate with a classifier', ['generate', cls, '--prime-ids', '1']),
    c(o, 'generate two files', ['generate', lm, lm, '--prime-ids', '1']),
    c(o, 'classify without --input', ['classify', cls]),
    c(o, 'classify a language model', ['classify', lm, '--input', write('in/ok-tokens.json', '[1, 2, 3]')]),
    c(o, 'classify rows of the wrong width', ['classify', cls, '--input', write('in/wide.json', '[[1, 2, 3, 4, 5, 6, 7, 8, 9]]')]),
    c(o, 'classify flat numbers not a whole row', ['classify', cls, '--input', write('in/flat.json', '[1, 2, 3]')]),
    c(o, 'classify empty array', ['classify', cls, '--input', write('in/empty.json', '[]')]),
    c(o, 'classify strings', ['classify', cls, '--input', write('in/str.json', '["a", "b"]')]),
    c(o, 'classify not JSON', ['classify', cls, '--input', write('in/bad.json', '[1, 2')]),
    c(o, 'classify NaN', ['classify', cls, '--input', write('in/nan.json', '[[NaN]]')]),
    c(o, 'classify --input a folder', ['classify', cls, '--input', F('in')]),
    c(o, 'classify --input missing', ['classify', cls, '--input', F('in', 'missing.json')]),
    c(o, 'schedule without --method', ['schedule']),
    c(o, 'schedule --method foo', ['schedule', '--method', 'foo']),
    c(o, 'schedule agp missing --final', ['schedule', '--method', 'agp', '--begin', '0', '--end', '10', '--frequency', '1']),
    c(o, 'schedule agp --final 1', ['schedule', '--method', 'agp', '--final', '1', '--begin', '0', '--end', '10', '--frequency', '1']),
    c(o, 'schedule agp --end <= --begin', ['schedule', '--method', 'agp', '--final', '0.5', '--begin', '10', '--end', '10', '--frequency', '1']),
    c(o, 'schedule agp --frequency 0', ['schedule', '--method', 'agp', '--final', '0.5', '--begin', '0', '--end', '10', '--frequency', '0']),
    c(o, 'schedule agp --frequency 1.5', ['schedule', '--method', 'agp', '--final', '0.5', '--begin', '0', '--end', '10', '--frequency', '1.5']),
    c(o, 'schedule agp --power 0', ['schedule', '--method', 'agp', '--final', '0.5', '--begin', '0', '--end', '10', '--frequency', '1', '--power', '0']),
    c(o, 'schedule agp with --q', ['schedule', '--method', 'agp', '--final', '0.5', '--begin', '0', '--end', '10', '--frequency', '1', '--q', '0.1']),
    c(o, 'schedule narang no step in window', ['schedule', '--method', 'narang', '--start', '0', '--ramp', '1', '--end', '2', '--frequency', '100']),
    c(o, 'schedule oneshot --step 0', ['schedule', '--method', 'oneshot', '--sparsity', '0.5', '--step', '0']),
    c(o, 'schedule --begin ""', ['schedule', '--method', 'agp', '--final', '0.5', '--begin', '', '--end', '10', '--frequency', '1']),
    c(o, 'evaluate no run', ['evaluate']),
    c(o, 'evaluate --threads 0', ['evaluate', F('run'), '--threads', '0']),
    c(o, 'evaluate --bptt -1', ['evaluate', F('run'), '--bptt', '-1']),
    c(o, 'inspect no run', ['inspect']),
    c(o, 'inspect missing', ['inspect', F('nope')]),
    c(o, 'export --format onnx2', ['export', F('run'), '--format', 'onnx2', '--out', F('w', 'x')]),
    c(o, 'export --values fp8', ['export', F('run'), '--values', 'fp8', '--out', F('w', 'x')]),
    c(o, 'export tfjs --values', ['export', F('run'), '--format', 'tfjs', '--values', 'fp16', '--out', F('w', 'x')]),
    c(o, 'export no run', ['export']),
    c(o, 'data --level byte', ['data', 'moby-dick', '--level', 'byte']),
    c(o, 'data --limit 0', ['data', 'moby-dick', '--limit', '0']),
    c(o, 'data unknown set', ['data', 'no-such-set']),
    c(o, 'bench train --hidden 0', ['bench', 'train', '--hidden', '0']),
    c(o, 'bench train --sparsity 1', ['bench', 'train', '--sparsity', '1']),
    c(o, 'bench train --prune-head alone', ['bench', 'train', '--prune-head']),
    c(o, 'bench train --threads 65', ['bench', 'train', '--threads', '65']),
    c(o, 'study --workers 0', ['study', '--preset', 'quick', '--workers', '0', '--dry-run']),
    c(o, 'study --preset nope', ['study', '--preset', 'nope', '--dry-run']),
    c(o, 'study two specs', ['study', F('a.yaml'), F('b.yaml'), '--dry-run']),
    c(o, 'report no study', ['report']),
  );
  return cases;
}

function configCases(): Case[] {
  const cases: Case[] = [];
  // The config holds the whole tiny run; each case breaks one thing (no flag overrides it).
  const BASE = 'data: { name: synthetic-lm }\nmodel: { hidden: 8 }\nepochs: 1\nmaxSteps: 3\nbatch: 4\nbptt: 10\nevalBatches: 2\n';
  const add = (name: string, text: string | Buffer) => {
    const merged = typeof text === 'string' && /^[a-zA-Z]+:/.test(text) ? mergeYaml(BASE, text) : text;
    const file = write(`configs/${cases.length}.yaml`, merged);
    cases.push({ category: 'config files', name, argv: ['train', '--quiet', '--config', file, '--out', F('w', 'out')] });
  };
  add('unknown key hiddden', 'hiddden: 5\n');
  add('unknown key model.hiden', 'model: { hiden: 5 }\n');
  add('unknown key data.nmae', 'data: { nmae: x }\n');
  add('unknown key optimizer.learning_rate', 'optimizer: { learning_rate: 0.1 }\n');
  add('unknown key lrSchedule.steps', 'lrSchedule: { kind: step, steps: 2 }\n');
  add('model: null', 'model: null\n');
  add('data: null', 'data: null\n');
  add('optimizer: null', 'optimizer: null\n');
  add('lrSchedule: []', 'lrSchedule: []\n');
  add('batch: null', 'batch: null\n');
  add('batch: "32"', 'batch: "32"\n');
  add('batch: -1', 'batch: -1\n');
  add('epochs: 0', 'epochs: 0\n');
  add('seed: 1e20', 'seed: 1.0e+20\n');
  add('model.hidden: 0', 'model: { hidden: 0 }\n');
  add('model.cell: transformer', 'model: { cell: transformer }\n');
  add('model.dropout: 1', 'model: { dropout: 1 }\n');
  add('model.layers: 9', 'model: { layers: 9 }\n');
  add('optimizer.lr: -1', 'optimizer: { lr: -1 }\n');
  add('optimizer.kind: foo', 'optimizer: { kind: foo }\n');
  add('optimizer.momentum: 1', 'optimizer: { momentum: 1 }\n');
  add('lrSchedule.kind: foo', 'lrSchedule: { kind: foo }\n');
  add('lrSchedule.gamma: 2', 'lrSchedule: { kind: step, every: 1, gamma: 2 }\n');
  add('recipe: 5', 'recipe: 5\n');
  add('data.name: 5', 'data: { name: 5 }\n');
  add('threads: 1000', 'threads: 1000\n');
  add('a list', '- 1\n- 2\n');
  add('a scalar', '42\n');
  add('empty file', '');
  add('not YAML', 'model: {hidden: [\n');
  add('binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x81, 0x7b]));
  cases.push({ category: 'config files', name: 'config is a folder', argv: ['train', ...TINY, '--config', F('configs'), '--out', F('w', 'out')] });
  cases.push({ category: 'config files', name: 'config missing', argv: ['train', ...TINY, '--config', F('configs', 'missing.yaml'), '--out', F('w', 'out')] });
  return cases;
}

/** BASE with the top-level keys of `over` replaced (both flat YAML mappings of one line per key). */
function mergeYaml(base: string, over: string): string {
  const keys = new Set(over.split('\n').map((l) => /^([a-zA-Z]+):/.exec(l)?.[1]).filter(Boolean));
  return base.split('\n').filter((l) => !keys.has(/^([a-zA-Z]+):/.exec(l)?.[1] ?? '')).join('\n') + over;
}

function recipeCases(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, text: string, extra: string[] = []) => {
    const file = write(`recipes/${cases.length}.yaml`, text);
    cases.push({ category: 'recipes', name, argv: ['train', ...TINY, ...extra, '--recipe', file, '--out', F('w', 'out')] });
  };
  const agp = (s: string) => `pruning:\n  - { select: rnn.*.hh, method: agp, ${s} }\n`;
  add('method foo', 'pruning:\n  - { select: rnn.*.hh, method: foo }\n');
  add('no method', 'pruning:\n  - { select: rnn.*.hh }\n');
  add('no select', 'pruning:\n  - { method: agp, finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1 }\n');
  add('select matches nothing', agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1').replace('rnn.*.hh', 'rnn.9.hh'));
  add('finalSparsity 1.2', agp('finalSparsity: 1.2, beginStep: 0, endStep: 3, frequency: 1'));
  add('finalSparsity < initial', agp('initialSparsity: 0.5, finalSparsity: 0.2, beginStep: 0, endStep: 3, frequency: 1'));
  add('endStep <= beginStep', agp('finalSparsity: 0.5, beginStep: 3, endStep: 3, frequency: 1'));
  add('frequency 0', agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 0'));
  add('frequency 1.5', agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1.5'));
  add('power -1', agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1, power: -1'));
  add('beginStep and beginEpoch', agp('finalSparsity: 0.5, beginStep: 0, beginEpoch: 0, endStep: 3, frequency: 1'));
  add('unknown field', agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1, speed: 2'));
  add('overlapping entries', `${agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1')}  - { select: rnn.0.hh, method: oneshot, sparsity: 0.5, step: 2 }\n`);
  add('unknown top-level key', `steps: 3\n${agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1')}`);
  add('pruning not a list', 'pruning: { select: x }\n');
  add('empty file', '');
  add('not YAML', 'pruning: [\n');
  add('narang no pruning step', 'pruning:\n  - { select: rnn.*.hh, method: narang, startStep: 0, rampStep: 1, endStep: 2, frequency: 100 }\n');
  add('oneshot step 0', 'pruning:\n  - { select: rnn.*.hh, method: oneshot, sparsity: 0.5, step: 0 }\n');
  add('granularity block without block', agp('finalSparsity: 0.5, beginStep: 0, endStep: 3, frequency: 1, granularity: block'));
  add('unit with narang', 'pruning:\n  - { select: rnn.*.hh, method: narang, granularity: unit, startStep: 0, rampStep: 1, endStep: 3, frequency: 1 }\n');
  add('select empty list', 'pruning:\n  - { select: [], method: oneshot, sparsity: 0.5, step: 1 }\n');
  cases.push({ category: 'recipes', name: 'recipe missing', argv: ['train', ...TINY, '--recipe', F('recipes', 'missing.yaml'), '--out', F('w', 'out')] });
  cases.push({ category: 'recipes', name: 'recipe is a folder', argv: ['train', ...TINY, '--recipe', F('recipes'), '--out', F('w', 'out')] });
  cases.push({ category: 'recipes', name: 'inline recipe not JSON', argv: ['train', ...TINY, '--recipe', '{"pruning": [', '--out', F('w', 'out')] });
  return cases;
}

function dataCases(): Case[] {
  const cases: Case[] = [];
  const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i % 7}`).join(' ') + '\n';
  const folder = (name: string, files: Record<string, string | null>) => {
    const dir = F('data', String(cases.length));
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, t] of Object.entries(files)) if (t !== null) fs.writeFileSync(path.join(dir, f), t);
    cases.push({ category: 'data folders', name, argv: ['train', ...TINY, '--data', dir, '--out', F('w', 'out')] });
    return dir;
  };
  const good = words(400);
  folder('empty train.txt', { 'train.txt': '', 'valid.txt': good, 'test.txt': good });
  folder('whitespace-only train.txt', { 'train.txt': '  \n\t\n  \n', 'valid.txt': good, 'test.txt': good });
  folder('empty valid.txt', { 'train.txt': good, 'valid.txt': '', 'test.txt': good });
  folder('empty test.txt', { 'train.txt': good, 'valid.txt': good, 'test.txt': '' });
  folder('one-token test.txt', { 'train.txt': good, 'valid.txt': good, 'test.txt': 'w1' });
  folder('missing valid.txt', { 'train.txt': good, 'valid.txt': null, 'test.txt': good });
  folder('missing test.txt', { 'train.txt': good, 'valid.txt': good, 'test.txt': null });
  folder('train too short for the batch', { 'train.txt': words(20), 'valid.txt': good, 'test.txt': good });
  folder('no files', {});
  const d = F('data', 'dir-train');
  fs.mkdirSync(path.join(d, 'train.txt'), { recursive: true });
  fs.writeFileSync(path.join(d, 'valid.txt'), good);
  fs.writeFileSync(path.join(d, 'test.txt'), good);
  cases.push({ category: 'data folders', name: 'train.txt is a folder', argv: ['train', ...TINY, '--data', d, '--out', F('w', 'out')] });
  cases.push({ category: 'data folders', name: 'data path is a file', argv: ['train', ...TINY, '--data', write('data/file.txt', good), '--out', F('w', 'out')] });
  // Files that are not plain text of a sane size (FIFOs and devices: see spawnedCases).
  const big = folder('train.txt over the size limit (sparse file)', { 'valid.txt': good, 'test.txt': good });
  fs.closeSync(fs.openSync(path.join(big, 'train.txt'), 'w'));
  fs.truncateSync(path.join(big, 'train.txt'), MAX_DATA_FILE_BYTES + 1);
  const toDir = folder('valid.txt a symlink to a folder', { 'train.txt': good, 'test.txt': good });
  fs.symlinkSync(F('in'), path.join(toDir, 'valid.txt'));
  const dangling = folder('test.txt a dangling symlink', { 'train.txt': good, 'valid.txt': good });
  fs.symlinkSync(path.join(dangling, 'nowhere.txt'), path.join(dangling, 'test.txt'));
  cases.push({ category: 'data folders', name: 'data describes a folder whose train.txt is a folder', argv: ['data', d] });
  cases.push({ category: 'data folders', name: '--limit 2 leaves too few tokens', argv: ['train', ...TINY, '--limit', '2', '--out', F('w', 'out')] });
  cases.push({ category: 'data folders', name: 'char level empty valid', argv: ['train', ...TINY, '--data', path.join(F('data', '2')), '--level', 'char', '--out', F('w', 'out')] });
  return cases;
}

function checkpointCases(): Case[] {
  const good = F('run', 'ckpt', 'last.srnn');
  const bytes = fs.readFileSync(good);
  const cases: Case[] = [];
  const files: [string, string][] = [];
  const file = (name: string, data: Buffer | string) => { files.push([name, write(`ckpt/${files.length}.srnn`, data)]); };
  file('empty file', '');
  file('text', 'not a checkpoint at all');
  file('truncated to 20 bytes', bytes.subarray(0, 20));
  file('truncated by one byte', bytes.subarray(0, bytes.length - 1));
  file('half', bytes.subarray(0, bytes.length >> 1));
  const flip = Buffer.from(bytes); flip[flip.length >> 1] ^= 0xff; file('one flipped byte (CRC)', flip);
  const ver = Buffer.from(bytes); ver.writeUInt32LE(99, 8); file('version 99', ver);
  const hl = Buffer.from(bytes); hl.writeUInt32LE(0xffffffff, 12); file('header length 4 GiB', hl);
  const magic = Buffer.from(bytes); magic.write('SRNNCKPX', 0, 'latin1'); file('bad magic', magic);
  const forged: [string, (h: Record<string, unknown>) => void, ((b: Buffer) => Buffer)?][] = [
    ['step -5', (h) => { h.step = -5; }],
    ['step 1.5', (h) => { h.step = 1.5; }],
    ['epoch "1"', (h) => { h.epoch = '1'; }],
    ['spec missing', (h) => { delete h.spec; }],
    ['spec hidden 0', (h) => { (h.spec as Record<string, unknown>).hidden = 0; }],
    ['spec hidden 1e9 (too large)', (h) => { (h.spec as Record<string, unknown>).hidden = 1e9; }],
    ['sections not a list', (h) => { h.sections = {}; }],
    ['section past the end', (h) => { (h.sections as { length: number }[])[0].length = 1e9; }],
    ['section dtype f64', (h) => { (h.sections as { dtype: string }[])[0].dtype = 'f64'; }],
    ['no params section', (h) => { (h.sections as { name: string }[])[0].name = 'weights'; }],
    ['section listed twice', (h) => { const s = h.sections as unknown[]; s.push(s[0]); }],
    ['train.version 99', (h) => { (h.train as Record<string, unknown>).version = 99; }],
    ['train.history not a list', (h) => { (h.train as Record<string, unknown>).history = 'yes'; }],
    ['train.lr missing', (h) => { delete (h.train as Record<string, unknown>).lr; }],
    ['train.optT -1', (h) => { (h.train as Record<string, unknown>).optT = -1; }],
    ['train.metric foo', (h) => { (h.train as Record<string, unknown>).metric = 'foo'; }],
    ['train.epochSums missing', (h) => { delete (h.train as Record<string, unknown>).epochSums; }],
    ['NaN weights', () => {}, (b) => { b.writeFloatLE(NaN, 0); return b; }],
    ['Inf weights', () => {}, (b) => { b.writeFloatLE(Infinity, 8); return b; }],
  ];
  for (const [name, edit, sec] of forged) {
    const dst = F('ckpt', `forged-${files.length}.srnn`);
    forge(good, dst, edit, sec);
    files.push([`forged: ${name}`, dst]);
  }
  for (const [name, f] of files) {
    cases.push({ category: 'checkpoints', name: `evaluate ${name}`, argv: ['evaluate', f] });
    cases.push({ category: 'checkpoints', name: `inspect ${name}`, argv: ['inspect', f] });
    cases.push({ category: 'checkpoints', name: `export ${name}`, argv: ['export', f, '--out', F('w', 'x.srnz')] });
  }
  cases.push({ category: 'checkpoints', name: 'evaluate a folder without ckpt/', argv: ['evaluate', F('in')] });
  cases.push({ category: 'checkpoints', name: 'evaluate a missing path', argv: ['evaluate', F('nope')] });
  return cases;
}

function resumeCases(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, edit: (h: Record<string, unknown>) => void, sections?: (b: Buffer) => Buffer) => {
    const dir = forgedRun(String(cases.length), edit, sections);
    cases.push({ category: 'forged checkpoints (resume)', name, argv: ['train', '--config', path.join(dir, 'config.json'), '--out', dir, '--resume', '--quiet'] });
  };
  const t = (h: Record<string, unknown>) => h.train as Record<string, unknown>;
  add('step -5', (h) => { h.step = -5; });
  add('step 99 (mismatch)', (h) => { h.step = 99; h.batchInEpoch = 1; });
  add('epoch 1e9', (h) => { h.epoch = 1e9; });
  add('epoch 0', (h) => { h.epoch = 0; });
  add('batchInEpoch 1e6', (h) => { h.batchInEpoch = 1e6; });
  add('history not a list', (h) => { t(h).history = { a: 1 }; });
  add('history of the wrong length', (h) => { t(h).history = []; h.epoch = 3; });
  add('history row not a row', (h) => { t(h).history = [5]; });
  add('missing optimizer moments', (h) => { h.sections = (h.sections as { name: string }[]).filter((s) => s.name !== 'opt.m'); });
  add('missing Adam second moment', (h) => { h.sections = (h.sections as { name: string }[]).filter((s) => s.name !== 'opt.v'); });
  add('opt.m too short', (h) => { const s = (h.sections as { name: string; length: number }[]).find((x) => x.name === 'opt.m')!; s.length = 3; });
  add('carried state too short', (h) => { const s = (h.sections as { name: string; length: number }[]).find((x) => x.name === 'state'); if (s) s.length = 3; else h.step = -1; });
  add('no training state', (h) => { delete h.train; });
  add('train.lr.lr -1', (h) => { (t(h).lr as Record<string, unknown>).lr = -1; });
  add('train.pruner garbage on a dense run', (h) => { t(h).optT = 'x'; });
  add('train.version "1"', (h) => { t(h).version = '1'; });
  add('train.epochSums.count -1', (h) => { (t(h).epochSums as Record<string, unknown>).count = -1; });
  add('train.metric accuracy on an LM', (h) => { t(h).metric = 'accuracy'; });
  add('spec of another model', (h) => { (h.spec as Record<string, unknown>).hidden = 9; });
  add('NaN in opt.m', () => {}, (b) => { b.writeFloatLE(NaN, b.length - 8); return b; });
  return cases;
}

function srnzCases(): Case[] {
  const bytes = fs.readFileSync(F('lm.srnz'));
  const cases: Case[] = [];
  const add = (name: string, data: Buffer | string) => {
    const f = write(`srnz/${cases.length}.srnz`, data);
    cases.push({ category: '.srnz files', name: `generate ${name}`, argv: ['generate', f, '--prime-ids', '1', '--length', '2'] });
    cases.push({ category: '.srnz files', name: `classify ${name}`, argv: ['classify', f, '--input', F('in', 'ok-tokens.json')] });
  };
  add('empty', '');
  add('text', 'not a model, just text padding it out to some length');
  add('truncated to 16 bytes', bytes.subarray(0, 16));
  add('truncated by one byte', bytes.subarray(0, bytes.length - 1));
  add('half', bytes.subarray(0, bytes.length >> 1));
  for (const at of [8, 12, 20, bytes.length >> 2, bytes.length >> 1, bytes.length - 2]) {
    const b = Buffer.from(bytes); b[at] ^= 0x5a; add(`byte ${at} flipped`, b);
  }
  const v = Buffer.from(bytes); v.writeUInt32LE(0xffffffff, 4); add('version field 0xffffffff', v);
  cases.push({ category: '.srnz files', name: 'generate a folder', argv: ['generate', F('srnz'), '--prime-ids', '1'] });
  cases.push({ category: '.srnz files', name: 'generate a missing file', argv: ['generate', F('srnz', 'missing.srnz'), '--prime-ids', '1'] });
  return cases;
}

function tfjsCases(): Case[] {
  const good = F('tfjs');
  const model = JSON.parse(fs.readFileSync(path.join(good, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  const cases: Case[] = [];
  const folder = (name: string, setup: (dir: string) => void) => {
    const dir = F('tfjs-bad', String(cases.length));
    fs.mkdirSync(dir, { recursive: true });
    setup(dir);
    cases.push({ category: 'TF.js imports', name, call: () => importTfjs(dir) });
  };
  const withPaths = (paths: string[]) => (dir: string) => {
    const m = structuredClone(model);
    m.weightsManifest[0].paths = paths;
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(m));
  };
  fs.writeFileSync(F('outside.bin'), fs.readFileSync(path.join(good, 'weights.bin')));
  folder('weights.bin links to ../outside.bin', (d) => { withPaths(['weights.bin'])(d); fs.symlinkSync('../../outside.bin', path.join(d, 'weights.bin')); });
  folder('weights.bin links to /etc/passwd', (d) => { withPaths(['weights.bin'])(d); fs.symlinkSync('/etc/passwd', path.join(d, 'weights.bin')); });
  folder('weights.bin links to /dev/zero', (d) => { withPaths(['weights.bin'])(d); fs.symlinkSync('/dev/zero', path.join(d, 'weights.bin')); });
  folder('weights.bin is a folder', (d) => { withPaths(['weights.bin'])(d); fs.mkdirSync(path.join(d, 'weights.bin')); });
  folder('path %E0%A4%A', withPaths(['%E0%A4%A']));
  folder('path ../outside.bin', withPaths(['../../outside.bin']));
  folder('absolute path', withPaths([F('outside.bin')]));
  folder('path with NUL', withPaths(['a\u0000b']));
  folder('path empty', withPaths(['']));
  folder('weights missing', withPaths(['weights.bin']));
  folder('weights too short', (d) => { withPaths(['weights.bin'])(d); fs.writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(8)); });
  folder('weights too long', (d) => { withPaths(['weights.bin'])(d); fs.writeFileSync(path.join(d, 'weights.bin'), Buffer.concat([fs.readFileSync(path.join(good, 'weights.bin')), Buffer.alloc(8)])); });
  folder('model.json not JSON', (d) => { fs.writeFileSync(path.join(d, 'model.json'), '{"format": '); });
  folder('model.json empty', (d) => { fs.writeFileSync(path.join(d, 'model.json'), ''); });
  folder('model.json is a folder', (d) => { fs.mkdirSync(path.join(d, 'model.json')); });
  folder('model.json links to /dev/zero', (d) => { fs.symlinkSync('/dev/zero', path.join(d, 'model.json')); });
  folder('no weightsManifest', (d) => { const m: Record<string, unknown> = structuredClone(model); delete m.weightsManifest; fs.writeFileSync(path.join(d, 'model.json'), JSON.stringify(m)); });
  folder('paths not a list', (d) => { const m = structuredClone(model) as unknown as { weightsManifest: { paths: unknown }[] }; m.weightsManifest[0].paths = 'weights.bin'; fs.writeFileSync(path.join(d, 'model.json'), JSON.stringify(m)); });
  folder('topology missing', (d) => { const m: Record<string, unknown> = structuredClone(model); delete m.modelTopology; fs.writeFileSync(path.join(d, 'model.json'), JSON.stringify(m)); fs.copyFileSync(path.join(good, 'weights.bin'), path.join(d, 'weights.bin')); });
  folder('missing folder', () => {});
  return cases;
}

/** ONNX files through `sparse-rnn import` (the CLI), and a TF.js folder the same way. */
/** A protobuf varint's bytes. */
function lenVarint(n: number): number[] {
  const out: number[] = [];
  do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}

function onnxCases(): Case[] {
  const bytes = fs.readFileSync(F('model.onnx'));
  const cases: Case[] = [];
  const c = (name: string, src: string) => cases.push({ category: 'ONNX imports', name, argv: ['import', src, '--out', F('w', 'imp')] });
  const add = (name: string, data: Buffer | string) => c(name, write(`onnx/${cases.length}.onnx`, data));
  add('empty', '');
  add('text', 'this is not a protobuf at all');
  add('truncated to 10 bytes', bytes.subarray(0, 10));
  add('truncated by one byte', bytes.subarray(0, bytes.length - 1));
  add('half', bytes.subarray(0, bytes.length >> 1));
  // ONNX has no checksum: a flipped byte inside a name can be a valid model, so the
  // corruptions here are structural (cut files, invalid wire types, impossible lengths).
  for (const frac of [0.05, 0.1, 0.25, 0.4, 0.6, 0.75, 0.9, 0.99]) add(`cut at ${Math.round(frac * 100)}%`, bytes.subarray(0, Math.floor(bytes.length * frac)));
  for (const tag of [0x06, 0x07]) { const b = Buffer.from(bytes); b[0] = tag; add(`first tag 0x0${tag.toString(16)} (field 0, wire type ${tag})`, b); }
  // Impossible lengths at the two length prefixes known by position: producer_name (field 2,
  // right after ir_version) and graph (field 7, tag 0x3a).
  for (const at of [3, bytes.indexOf(0x3a, 12) + 1]) {
    const b = Buffer.from(bytes); b[at] = 0xff; b[at + 1] = 0xff; b[at + 2] = 0xff; b[at + 3] = 0x7f; add(`length 2^28 at offset ${at}`, b);
  }
  // Structure the decoder alone does not check (protobufjs reads a known field whatever
  // its wire type says): refused by the wire check before decoding.
  for (const wire of [1, 2, 3, 4, 5, 6, 7]) { const b = Buffer.from(bytes); b[0] = 0x08 | wire; add(`first tag 0x0${(0x08 | wire).toString(16)} (ir_version, wire type ${wire})`, b); }
  add('truncated varint', Buffer.from([0x08, 0xff, 0xff]));
  add('tag longer than 5 bytes', Buffer.from([0x88, 0x80, 0x80, 0x80, 0x80, 0x01, 0x07]));
  add('varint longer than 10 bytes', Buffer.from([0x08, ...Array(11).fill(0xff), 0x01]));
  add('graph length past the end', Buffer.from([0x08, 0x07, 0x3a, 0x05, 0x0a, 0x00]));
  add('ir_version only, no graph', Buffer.from([0x08, 0x07]));
  const op = Buffer.from(String(decodeModel(bytes, 'model').graph!.node[0].opType));
  const opAt = bytes.indexOf(Buffer.from([0x22, op.length, ...op]));
  { const b = Buffer.from(bytes); b[opAt] = 0x20; add('node op_type tagged as a varint', b); }
  { let g = Buffer.alloc(0); const wrap = (f: number, body: Buffer) => Buffer.concat([Buffer.from([(f << 3) | 2]), Buffer.from(lenVarint(body.length)), body]);
    for (let i = 0; i < 40; i++) g = wrap(1, wrap(5, wrap(6, g)));
    add('graphs nested 120 deep', Buffer.concat([Buffer.from([0x08, 0x07]), wrap(7, g)])); }
  add('zeros', Buffer.alloc(4096));
  add('0xff bytes', Buffer.alloc(4096, 0xff));
  c('a folder', F('onnx'));
  c('missing', F('onnx', 'missing.onnx'));
  c('TF.js folder with weights linked outside (CLI)', F('tfjs-bad', '0'));
  c('TF.js folder with %E0%A4%A (CLI)', F('tfjs-bad', '4'));
  cases.push({ category: 'ONNX imports', name: 'import without --out', argv: ['import', F('model.onnx')] });
  cases.push({ category: 'ONNX imports', name: 'import --out under a file', argv: ['import', F('model.onnx'), '--out', path.join(F('outputs', 'a-file'), 'x')] });
  cases.push({ category: 'ONNX imports', name: 'import --data that does not fit', argv: ['import', F('model.onnx'), '--out', F('w', 'imp'), '--data', 'synthetic-classify'] });
  return cases;
}

function studyCases(): Case[] {
  const cases: Case[] = [];
  const base = {
    name: 'bad', tasks: [{ name: 't', data: { name: 'synthetic-lm' }, model: { hidden: 8 }, epochs: 1, batch: 4, bptt: 10, maxSteps: 3 }],
    cells: ['lstm'], methods: ['dense', 'agp'], targets: ['hh'], sparsities: [0.5], seeds: [1],
    schedule: { begin: 0.1, end: 0.6, every: 0.1, rampAt: 0.2, oneShotAt: 0.5, rampSlopeMult: 2, power: 3 },
  };
  const add = (name: string, edit: (s: Record<string, unknown> & typeof base) => void) => {
    const s = structuredClone(base) as Record<string, unknown> & typeof base;
    edit(s);
    const file = write(`study/${cases.length}.yaml`, JSON.stringify(s));
    cases.push({ category: 'study specs', name, argv: ['study', file, '--dry-run', '--out', F('w', 'study')] });
  };
  const task = (s: typeof base) => s.tasks[0] as Record<string, unknown>;
  add('optimizer.lr -1', (s) => { task(s).optimizer = { kind: 'adam', lr: -1 }; });
  add('optimizer.kind foo', (s) => { task(s).optimizer = { kind: 'foo' }; });
  add('lrSchedule.kind foo', (s) => { task(s).lrSchedule = { kind: 'foo' }; });
  add('batch 0', (s) => { task(s).batch = 0; });
  add('epochs -1', (s) => { task(s).epochs = -1; });
  add('model.hidden 0', (s) => { task(s).model = { hidden: 0 }; });
  add('model.hidden 16384 layers 4', (s) => { task(s).model = { hidden: 16384, layers: 4 }; });
  add('unknown task key', (s) => { task(s).hiddden = 3; });
  add('unknown top key', (s) => { (s as Record<string, unknown>).grid = 1; });
  add('cells [transformer]', (s) => { s.cells = ['transformer']; });
  add('methods [magic]', (s) => { s.methods = ['magic']; });
  add('sparsities [1.5]', (s) => { s.sparsities = [1.5]; });
  add('seeds [-1]', (s) => { s.seeds = [-1]; });
  add('tasks empty', (s) => { s.tasks = []; });
  add('data missing', (s) => { delete task(s).data; });
  add('data unknown set', (s) => { task(s).data = { name: 'no-such-set' }; });
  add('schedule.end < begin', (s) => { s.schedule.end = 0.05; });
  add('batch larger than the data', (s) => { task(s).batch = 100000; });
  // A run that fails while the study runs (diverges): --quiet still prints the error line.
  const diverge = structuredClone(base) as Record<string, unknown> & typeof base;
  diverge.methods = ['dense'];
  (diverge.tasks[0] as Record<string, unknown>).optimizer = { kind: 'sgd', lr: 1e300, clip: 0 };
  // The study folder it writes is the study's record (outside the watched folders), not a leftover.
  const stOut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-corpus-study-')), 'st');
  cases.push({ category: 'study specs', name: 'a run diverges under --quiet', argv: ['study', write('study/diverge.yaml', JSON.stringify(diverge)), '--out', stOut, '--quiet', '--workers', '1', '--no-report'],
    after: () => fs.rmSync(path.dirname(stOut), { recursive: true, force: true }) });
  // The same, where errors.log cannot be written (it is a folder): the IO line, no crash.
  const stOut2 = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-corpus-study-')), 'st');
  fs.mkdirSync(path.join(stOut2, 'errors.log'), { recursive: true });
  cases.push({ category: 'study specs', name: 'a run diverges and errors.log is a folder (--quiet)', argv: ['study', F('study', 'diverge.yaml'), '--out', stOut2, '--quiet', '--workers', '1', '--no-report'],
    after: () => fs.rmSync(path.dirname(stOut2), { recursive: true, force: true }) });
  cases.push({ category: 'study specs', name: 'spec missing', argv: ['study', F('study', 'missing.yaml'), '--dry-run'] });
  cases.push({ category: 'study specs', name: 'spec not YAML', argv: ['study', write('study/notyaml.yaml', 'tasks: [\n'), '--dry-run'] });
  cases.push({ category: 'study specs', name: 'spec is /dev/null', argv: ['study', '/dev/null', '--dry-run'] });
  return cases;
}

function outputCases(): Case[] {
  const cases: Case[] = [];
  const file = write('outputs/a-file', 'x');
  const c = (name: string, argv: string[]): Case => ({ category: 'output paths', name, argv });
  for (const [what, out] of [['is a file', file], ['is under a file', path.join(file, 'run')], ['is under /etc/passwd', '/etc/passwd/run']] as const) {
    cases.push(
      c(`train --out ${what}`, ['train', ...TINY, '--out', out]),
      c(`export sparse --out ${what}`, ['export', F('run'), '--out', path.join(out, 'm.srnz')]),
      c(`export tfjs --out ${what}`, ['export', F('run'), '--format', 'tfjs', '--out', out]),
      c(`report --out ${what}`, ['report', F('study-fixture'), '--out', out, '--no-png']),
      c(`study --out ${what}`, ['study', F('study', '0-ok.yaml'), '--out', out, '--quiet', '--no-report']),
    );
  }
  cases.push(c('report on a garbage study.db', ['report', write('garbage-study/study.db', 'this is not an SQLite file at all, just bytes').replace(/\/study\.db$/, ''), '--out', F('w', 'rep')]));
  cases.push(c('report on an empty study.db', ['report', path.dirname(write('empty-study/study.db', '')), '--out', F('w', 'rep')]));
  cases.push(c('report on a folder without study.db', ['report', F('in'), '--out', F('w', 'rep')]));
  return cases;
}

/** A write that fails part-way (ENOSPC by injection): nothing half-written, the old file kept. */
function faultCases(): Case[] {
  const cases: Case[] = [];
  for (const after of [0, 1, 64]) {
    const fault = { before: () => injectWriteFault(after), after: () => injectWriteFault(null) };
    const c = (name: string, argv: string[]): Case => ({ category: 'full disk (injected)', name: `${name}, fails after ${after} B`, argv, ...fault });
    cases.push(
      c('train', ['train', ...TINY, '--out', F('w', 'run')]),
      c('export sparse', ['export', F('run'), '--out', F('w', 'm.srnz')]),
      c('export sparse over an existing file', ['export', F('run'), '--out', F('exported.srnz')]),
      c('export tfjs', ['export', F('run'), '--format', 'tfjs', '--out', F('w', 'tfjs')]),
      c('export tfjs over an existing export', ['export', F('run'), '--format', 'tfjs', '--out', F('tfjs')]),
      c('report', ['report', F('study-fixture'), '--out', F('w', 'rep'), '--no-png']),
      c('resume (checkpoint write fails)', ['train', '--config', F('resumable', 'config.json'), '--out', F('resumable'), '--resume', '--quiet']),
    );
  }
  return cases;
}

/** The same on a real small file system (64 KiB tmpfs), where this machine allows mounting one. */
function tmpfsCases(full: string, small: string | null, ro: string | null): Case[] {
  const c = (name: string, argv: string[]): Case => ({ category: 'full disk (64 KiB tmpfs)', name, argv });
  const cases = [
    c('train --hidden 64', ['train', '--data', 'synthetic-lm', '--hidden', '64', '--max-steps', '3', '--batch', '4', '--bptt', '10', '--eval-batches', '2', '--quiet', '--out', path.join(full, 'run')]),
    c('export tfjs --hidden 64 run', ['export', F('run64'), '--format', 'tfjs', '--out', path.join(full, 'tfjs')]),
    c('export sparse fp32 of a 64-wide run', ['export', F('run64'), '--values', 'fp32', '--out', path.join(full, 'm.srnz')]),
  ];
  if (small) cases.push({ category: 'full disk (64 KiB tmpfs)', name: 'report (8 KiB tmpfs)', argv: ['report', F('study-fixture'), '--out', path.join(small, 'rep')] });
  if (ro) {
    const r = (name: string, argv: string[]): Case => ({ category: 'read-only folder (tmpfs)', name, argv });
    cases.push(
      r('train', ['train', ...TINY, '--out', path.join(ro, 'run')]),
      r('export sparse', ['export', F('run'), '--out', path.join(ro, 'm.srnz')]),
      r('export tfjs', ['export', F('run'), '--format', 'tfjs', '--out', path.join(ro, 'tfjs')]),
      r('report', ['report', F('study-fixture'), '--out', path.join(ro, 'rep'), '--no-png']),
      r('study', ['study', F('study', '0-ok.yaml'), '--out', path.join(ro, 'st'), '--quiet', '--no-report']),
    );
  }
  return cases;
}

/** Files that are not regular files: where a crash or abort would show, so run as child processes. */
function spawnedCases(): Case[] {
  const c = (name: string, argv: string[]): Case => ({ category: 'special files (spawned)', name, argv, spawn: true });
  return [
    c('generate /dev/zero', ['generate', '/dev/zero', '--prime-ids', '1']),
    c('train --recipe /dev/zero', ['train', ...TINY, '--recipe', '/dev/zero', '--out', F('w', 'out')]),
    c('train --config /dev/zero', ['train', ...TINY, '--config', '/dev/zero', '--out', F('w', 'out')]),
    c('evaluate /dev/zero', ['evaluate', '/dev/zero']),
    c('classify --input /dev/zero', ['classify', F('cls.srnz'), '--input', '/dev/zero']),
    c('import /dev/zero', ['import', '/dev/zero', '--out', F('w', 'imp')]),
    c('study /dev/zero --dry-run', ['study', '/dev/zero', '--dry-run']),
    c('import a .onnx linked to /dev/zero', ['import', F('zero.onnx'), '--out', F('w', 'imp')]),
    c('import a FIFO', ['import', F('fifo-data', 'valid.txt'), '--out', F('w', 'imp')]),
    c('train --data with train.txt -> /dev/zero', ['train', ...TINY, '--data', F('zero-data'), '--out', F('w', 'out')]),
    c('train --data /dev/zero', ['train', ...TINY, '--data', '/dev/zero', '--out', F('w', 'out')]),
    c('train --data a FIFO', ['train', ...TINY, '--data', F('fifo-data', 'valid.txt'), '--out', F('w', 'out')]),
    c('train --data with valid.txt a FIFO', ['train', ...TINY, '--data', F('fifo-data'), '--out', F('w', 'out')]),
    c('data describes a folder with valid.txt a FIFO', ['data', F('fifo-data')]),
    c('data describes a folder with train.txt -> /dev/zero', ['data', F('zero-data')]),
    c('study --dry-run, a task on a folder with valid.txt a FIFO', ['study', F('study', 'fifo-data.yaml'), '--dry-run']),
  ];
}

// ──────────────────────────── the test

test('reliability corpus: every bad input is one error line with a hint; no crash, hang, stack trace, silent acceptance or leftover file', { timeout: 600_000 }, async (t) => {
  const t0 = performance.now();
  try {
    // Fixtures (all inside ROOTDIR; no case may change them).
    await must(['train', ...TINY, '--out', F('run')]);
    await must(['train', '--data', 'synthetic-classify', '--hidden', '8', '--max-steps', '3', '--batch', '4', '--eval-batches', '2', '--quiet', '--out', F('cls')]);
    await must(['train', '--data', 'synthetic-lm', '--hidden', '64', '--max-steps', '2', '--batch', '4', '--bptt', '10', '--eval-batches', '2', '--quiet', '--out', F('run64')]);
    await must(['train', ...TINY.filter((x, i) => !(TINY[i - 1] === '--max-steps' || x === '--max-steps')), '--max-steps', '6', '--checkpoint-every', '2', '--out', F('resumable-src')]);
    await must(['export', F('run'), '--out', F('lm.srnz')]);
    await must(['export', F('run'), '--out', F('exported.srnz')]);
    await must(['export', F('cls'), '--out', F('cls.srnz')]);
    await must(['export', F('run'), '--format', 'tfjs', '--out', F('tfjs')]);
    await must(['export', F('run'), '--format', 'onnx', '--out', F('model.onnx')]);
    // A run stopped mid-epoch (resumable): the resume's checkpoint write is the fault.
    fs.cpSync(F('resumable-src'), F('resumable'), { recursive: true });
    fs.rmSync(F('resumable-src'), { recursive: true });
    const ck = F('resumable', 'ckpt', 'last.srnn');
    forge(ck, ck, (h) => { h.step = 2; h.batchInEpoch = 2; h.epoch = 1; const tr = h.train as Record<string, unknown>; tr.history = []; });
    fs.rmSync(F('resumable', 'metrics.jsonl'), { force: true });
    fs.rmSync(F('resumable', 'summary.json'), { force: true });
    fs.rmSync(F('resumable', 'ckpt', 'best.srnn'), { force: true });
    // A study with one finished run, for report cases.
    write('study/0-ok.yaml', JSON.stringify({ name: 'ok', tasks: [{ name: 't', data: { name: 'synthetic-lm' }, model: { hidden: 8 }, epochs: 1, batch: 4, bptt: 10, maxSteps: 2, evalBatches: 2 }], cells: ['lstm'], methods: ['dense'], targets: ['hh'], sparsities: [0.5], seeds: [1] }));
    await must(['study', F('study', '0-ok.yaml'), '--out', F('study-fixture'), '--workers', '1', '--quiet', '--no-report']);
    fs.mkdirSync(F('in'), { recursive: true });
    fs.mkdirSync(F('zero-data'), { recursive: true });
    fs.symlinkSync('/dev/zero', F('zero-data', 'train.txt'));
    fs.symlinkSync('/dev/zero', F('zero.onnx'));
    fs.writeFileSync(F('zero-data', 'valid.txt'), 'a b c\n');
    fs.writeFileSync(F('zero-data', 'test.txt'), 'a b c\n');
    // A data folder whose valid.txt is a FIFO (opening it for reading would block).
    fs.mkdirSync(F('fifo-data'), { recursive: true });
    fs.writeFileSync(F('fifo-data', 'train.txt'), 'a b c d e f g\n'.repeat(200));
    fs.writeFileSync(F('fifo-data', 'test.txt'), 'a b c\n'.repeat(50));
    assert.equal(spawnSync('mkfifo', [F('fifo-data', 'valid.txt')]).status, 0, 'mkfifo');
    write('study/fifo-data.yaml', JSON.stringify({ name: 'fifo', tasks: [{ name: 't', data: { name: F('fifo-data') }, model: { hidden: 8 }, epochs: 1, batch: 4, bptt: 10, maxSteps: 2 }], cells: ['lstm'], methods: ['dense'], targets: ['hh'], sparsities: [0.5], seeds: [1] }));
    fs.mkdirSync(F('w'), { recursive: true });

    const cases: Case[] = [
      ...commandCases(), ...numericFlagCases(), ...trainFlagCases(), ...configCases(), ...recipeCases(), ...dataCases(),
      ...checkpointCases(), ...resumeCases(), ...srnzCases(), ...tfjsCases(), ...onnxCases(), ...studyCases(), ...outputCases(), ...faultCases(),
    ];
    const full = tmpfs(F('mnt-full'), 64 * 1024, false);
    const ro = full ? tmpfs(F('mnt-ro'), 64 * 1024, true) : null;
    const small = full ? tmpfs(F('mnt-small'), 8 * 1024, false) : null;
    if (full) cases.push(...tmpfsCases(full, small, ro));
    else t.diagnostic('cannot mount a tmpfs here (not root?): the full disk is tested by injection only');
    cases.push(...spawnedCases());

    const results: Result[] = [];
    try {
      for (const c of cases) results.push(await runCase(c));
    } finally {
      if (ro) unmount(ro);
      if (small) unmount(small);
      if (full) unmount(full);
    }

    // The table.
    const cats = [...new Set(results.map((r) => r.c.category))];
    const cols = ['category', 'cases', 'one-line errors with hints', 'no hint / not one line', 'crashes', 'hangs', 'stack traces', 'silently accepted', 'leftover files'];
    const rows = cats.map((cat) => {
      const rs = results.filter((r) => r.c.category === cat);
      const n = (o: Outcome | Outcome[]) => rs.filter((r) => ([] as Outcome[]).concat(o).includes(r.outcome)).length;
      return [cat, rs.length, n('ok'), n(['noHint', 'notOneLine']), n('crash'), n('hang'), n('stack'), n('accepted'), rs.filter((r) => r.leftover.length).length];
    });
    const total = cols.map((_, i) => (i === 0 ? 'total' : rows.reduce((a, r) => a + (r[i] as number), 0)));
    const all = [...rows, total];
    const w = cols.map((h, i) => Math.max(h.length, ...all.map((r) => String(r[i]).length)));
    const fmt = (r: (string | number)[]) => r.map((x, i) => (i === 0 ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join('  ');
    const tableText = [fmt(cols), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt), w.map((n) => '-'.repeat(n)).join('  '), fmt(total)].join('\n');
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`\nreliability corpus (${results.length} cases, ${secs} s${full ? '' : '; full disk by injection only'}):\n${tableText}\n`);
    for (const line of tableText.split('\n')) t.diagnostic(line);

    const bad = results.filter((r) => r.outcome !== 'ok' || r.leftover.length);
    const detail = bad.slice(0, 30).map((r) => `[${r.c.category}] ${r.c.name}: ${r.outcome}${r.leftover.length ? ` leftover ${r.leftover.slice(0, 3).join(', ')}` : ''} (exit ${r.code}) ${r.stderr.trim().slice(0, 300)}`).join('\n');
    assert.ok(results.length >= 300, `the corpus has ${results.length} cases (at least 300)`);
    assert.equal(bad.length, 0, `${bad.length} cases failed:\n${detail}`);
  } finally {
    fs.rmSync(ROOTDIR, { recursive: true, force: true });
  }
});
