/**
 * `sparse-rnn import SOURCE --out RUN`: a TF.js Layers folder or an .onnx file (e.g.
 * from torch.onnx.export) → a run folder (src/model/import.ts).
 */
import path from 'node:path';
import { fail } from '../errors.js';
import { parseFlags, num, oneOf } from './args.js';
import { importModel, writeImportedRun } from '../model/import.js';

export const IMPORT_HELP = `usage: sparse-rnn import SOURCE --out RUN [flags]

SOURCE is an .onnx file (torch.onnx.export of nn.Embedding → nn.RNN/LSTM/GRU → nn.Linear,
or any ONNX graph of that shape: docs/onnx.md) or a TF.js Layers folder (model.json +
weights, e.g. from tensorflowjs_converter of a Keras model). Writes RUN/ckpt/last.srnn,
which prune --from, evaluate, inspect and export take.
  --out RUN              the run folder to write (required)
  --data NAME|DIR        attach a data set (as for train --data; checked against the model's
                         vocabulary or input width and classes): writes RUN/config.json, so
                         evaluate RUN and train --config RUN/config.json --out RUN --resume
                         (fine-tuning) work without naming it again
  --level word|char  --limit N   as for train
  --json                 one JSON line: run folder, checkpoint, spec

examples:
  sparse-rnn import model.onnx --out runs/torch-lstm --data synthetic-lm
  sparse-rnn prune --from runs/torch-lstm --recipe recipes/agp-both-90-finetune.yaml --epochs 2 --out runs/torch-lstm90
  sparse-rnn export runs/torch-lstm90 --format onnx
  sparse-rnn import tfjs-model/ --out runs/keras-gru
`;

export async function importCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags('import', argv, {
    out: { type: 'string', short: 'o' }, data: { type: 'string' }, level: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
  });
  if (v.help) { process.stdout.write(IMPORT_HELP); return 0; }
  if (positionals.length !== 1) fail('BAD_FLAG', 'import: expected one SOURCE (an .onnx file or a TF.js folder)', 'sparse-rnn import model.onnx --out runs/NAME');
  if (typeof v.out !== 'string') fail('BAD_FLAG', 'import needs --out RUN (the run folder to write)', 'sparse-rnn import model.onnx --out runs/NAME');
  const level = oneOf('level', v.level as string | undefined, ['word', 'char'] as const);
  const limit = num('limit', v.limit as string | undefined, { int: true, min: 2 });
  if ((level || limit) && typeof v.data !== 'string') fail('BAD_FLAG', '--level and --limit need --data', 'e.g. --data brown --level word');
  const m = await importModel(positionals[0]);
  const data = typeof v.data === 'string' ? { name: v.data, ...(level ? { level } : {}), ...(limit ? { limit } : {}) } : undefined;
  const r = await writeImportedRun(m, v.out, { data });
  const s = m.spec;
  if (v.json) process.stdout.write(JSON.stringify({ runDir: v.out, ...r, format: m.format, producer: m.producer, spec: s }) + '\n');
  else {
    process.stdout.write(`imported ${m.format} ${path.basename(m.source)}${m.producer ? ` (${m.producer})` : ''}: ${s.cell}${s.cell === 'gru' && (s as { resetAfter?: boolean }).resetAfter ? ' (reset-after)' : ''} ×${s.layers}, hidden ${s.hidden}, `
      + `${s.inputKind === 'tokens' ? `vocab ${s.inputSize}, embed ${s.embedDim}` : `input ${s.inputSize}`}, ${s.task} head ${s.outputSize}\n`
      + `wrote ${r.checkpoint}${r.config ? ` and ${r.config}` : ' (no data set attached: pass --data to prune, evaluate or fine-tune with it)'}\n`);
  }
  return 0;
}
