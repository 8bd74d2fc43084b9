/**
 * `sparse-rnn inspect RUN_OR_CHECKPOINT [--json]`: per-group and per-gate
 * sparsity, non-zeros, FLOPs per token (dense and sparse) and bytes of a
 * checkpoint, or of a run folder's latest checkpoint. A thin shell over
 * accountModel (src/model/accounting.ts), where every number is computed.
 */
import { fail } from '../errors.js';
import { parseFlags } from './args.js';
import { readCheckpoint, resolveCheckpoint } from '../model/checkpoint.js';
import { accountModel, formatAccountTable } from '../model/accounting.js';

export const INSPECT_HELP = `usage: sparse-rnn inspect RUN_OR_CHECKPOINT [--json]

Per weight group (embedding, rnn.<l>.ih, rnn.<l>.hh, rnn.<l>.bias, head, head.bias)
and per gate: parameters, non-zeros (the mask; without one, entries != 0),
sparsity, FLOPs per token dense and sparse (matrix products, multiply-add = 2),
bytes dense (fp32) and sparse (CSR, fp32 values, narrowest indices), and how many
hidden units are wholly pruned. RUN_OR_CHECKPOINT is a run folder (its latest
checkpoint, ckpt/last.srnn) or a .srnn file.

flags:
  --json       one JSON object: {file, step, spec, ...the account}
  -h, --help   this text

examples:
  sparse-rnn inspect runs/lstm-agp
  sparse-rnn inspect runs/lstm-agp/ckpt/last.srnn --json
`;

export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('inspect', argv, { json: { type: 'boolean' } }, true);
  const v = values as Record<string, boolean | undefined>;
  if (v.help) {
    process.stdout.write(INSPECT_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    fail('BAD_FLAG', positionals.length ? `inspect: expected one run folder or checkpoint (got ${positionals.length})` : 'inspect: RUN_OR_CHECKPOINT is required', 'see `sparse-rnn inspect --help`');
  }
  const file = resolveCheckpoint(positionals[0]);
  const ck = readCheckpoint(file);
  const acc = accountModel(ck.spec, ck.layout, ck.params, ck.mask);
  if (v.json) {
    process.stdout.write(JSON.stringify({ file, step: ck.step, spec: ck.spec, masked: ck.mask !== null, ...acc }) + '\n');
    return 0;
  }
  const s = ck.spec;
  process.stdout.write([
    `${file}: step ${ck.step}, ${s.cell} ×${s.layers}, hidden ${s.hidden}, ${s.inputKind === 'tokens' ? `vocab ${s.inputSize}, embed ${s.embedDim}` : `input ${s.inputSize}`}, `
      + `head ${s.outputSize}${s.tied ? ' (tied)' : ''}, ${ck.mask ? 'mask present' : 'no mask (non-zeros = entries != 0)'}`,
    '',
    formatAccountTable(acc),
    '',
  ].join('\n'));
  return 0;
}
