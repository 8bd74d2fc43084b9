import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataCommand } from '../../src/cli/data.js';
import { SparseRnnError } from '../../src/errors.js';

/** Runs the command with stdout captured. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
  try {
    const code = await dataCommand(argv);
    return { code, out };
  } finally {
    process.stdout.write = write;
  }
}

const code = (c: string) => (e: unknown) => e instanceof SparseRnnError && e.code === c;

test('--json: one object per data set per line', async () => {
  const { code: rc, out } = await run(['synthetic-lm', '--json']);
  assert.equal(rc, 0);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const d = JSON.parse(lines[0]);
  assert.deepEqual([d.name, d.kind, d.level, d.unit, d.vocabSize], ['synthetic-lm', 'lm', 'char', 'tokens', 17]);
  assert.deepEqual(d.sizes, { train: 20000, valid: 2000, test: 2000 });
  const two = await run(['synthetic-classify', '--json', '--limit', '7']);
  assert.deepEqual(JSON.parse(two.out).sizes, { train: 7, valid: 7, test: 7 });
});

test('table: aligned columns, split rules and sources', async () => {
  const { out } = await run(['synthetic-classify']);
  const [head, rule, row] = out.split('\n');
  assert.match(head, /^name +kind +level +train +valid +test +unit +vocab +T×D +classes$/);
  assert.match(rule, /^-+( +-+)+$/);
  assert.equal(row.length, head.length); // right-aligned numbers end under their headers
  assert.match(row, /^synthetic-classify +classify +- +2,000 +500 +500 +examples +- +10×4 +2$/);
  assert.match(out, /split rules:\n {2}synthetic-classify {2}generated/);
});

test('errors: unknown name (with the list), unknown flag, bad value; --help', async () => {
  await assert.rejects(run(['nope']), (e: unknown) => code('BAD_DATA')(e) && /synthetic-lm/.test((e as SparseRnnError).hint ?? ''));
  await assert.rejects(run(['--nope']), code('BAD_FLAG'));
  await assert.rejects(run(['synthetic-lm', '--limit', 'x']), code('BAD_FLAG'));
  await assert.rejects(run(['a', 'b']), code('BAD_FLAG'));
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /examples:\n {2}sparse-rnn data\n/);
});
