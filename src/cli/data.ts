/**
 * `sparse-rnn data [NAME|PATH] [--json]`: the data sets, their split sizes and rules.
 * A thin shell over describeDataset (src/data/registry.ts).
 */
import { parseFlags, num, oneOf, table } from './args.js';
import { fail } from '../errors.js';
import { builtinNames, builtinSummary, describeDataset } from '../data/registry.js';
import type { DatasetInfo, LoadOptions } from '../data/dataset.js';

export const DATA_HELP = `usage: sparse-rnn data [NAME|PATH] [flags]

Lists the built-in data sets with their kind, level, split sizes (tokens or
examples), vocabulary or input shape, and split rule. With a NAME or a folder
PATH, describes that one.

built-ins:
${builtinNames().map((n) => `  ${n.padEnd(20)}${builtinSummary(n)}`).join('\n')}

a folder PATH holds train.txt, valid.txt, test.txt (PTB / WikiText layout).

flags:
  --json            one JSON object per data set per line
  --level word|char how to read a folder (default word)
  --limit N         cap tokens / examples per split (as training with --limit would)
  --seed N          seed of the synthetic sets (default 1)
  -h, --help        this text

examples:
  sparse-rnn data
  sparse-rnn data mnist --json
  sparse-rnn data ./ptb --level word
  sparse-rnn data ./my-text --level char
`;

const fmt = (n: number | undefined) => (n === undefined ? '-' : n.toLocaleString('en-US'));

function render(infos: DatasetInfo[]): string {
  const rows = infos.map((d) => [
    d.name, d.kind, d.level ?? '-',
    fmt(d.sizes.train), fmt(d.sizes.valid), fmt(d.sizes.test), d.unit,
    d.kind === 'lm' ? fmt(d.vocabSize) : '-',
    d.kind === 'classify' ? `${d.steps}×${d.inputDim}` : '-',
    d.kind === 'classify' ? fmt(d.classes) : '-',
  ]);
  const head = ['name', 'kind', 'level', 'train', 'valid', 'test', 'unit', 'vocab', 'T×D', 'classes'];
  const w = Math.max(...infos.map((d) => d.name.length));
  const rules = infos.map((d) => `  ${d.name.padEnd(w)}  ${d.split}${d.limit !== undefined ? ` (limit ${fmt(d.limit)})` : ''}`);
  const sources = infos.map((d) => `  ${d.name.padEnd(w)}  ${d.source}`);
  return `${table(head, rows)}\n\nsplit rules:\n${rules.join('\n')}\n\nsources:\n${sources.join('\n')}\n`;
}

export async function dataCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data', argv, {
    json: { type: 'boolean' }, level: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' },
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(DATA_HELP);
    return 0;
  }
  if (positionals.length > 1) fail('BAD_FLAG', `data: takes at most one NAME or PATH (got ${positionals.length})`, 'see `sparse-rnn data --help`');
  const s = (k: string) => v[k] as string | undefined;
  const opts: LoadOptions = {
    level: oneOf('level', s('level'), ['word', 'char'] as const),
    limit: num('limit', s('limit'), { int: true, min: 1 }),
    seed: num('seed', s('seed'), { int: true }),
  };
  for (const k of Object.keys(opts) as (keyof LoadOptions)[]) if (opts[k] === undefined) delete opts[k];
  const names = positionals.length ? positionals : builtinNames();
  const infos = names.map((n) => describeDataset(n, opts));
  if (v.json) process.stdout.write(infos.map((d) => JSON.stringify(d)).join('\n') + '\n');
  else process.stdout.write(render(infos));
  return 0;
}
