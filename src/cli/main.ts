/**
 * The `sparse-rnn` command: a thin shell over the library. Each command lives in
 * its own file and is loaded on demand; every failure a user can cause comes back
 * as a SparseRnnError and is printed as one line with a non-zero exit code.
 */
import { SparseRnnError, isAddonError } from '../errors.js';

type Command = (argv: string[]) => Promise<number>;

export const COMMANDS: Record<string, { about: string; load: () => Promise<Command> }> = {
  train: { about: 'train a model (optionally pruning it with a recipe)', load: async () => (await import('./train.js')).trainCommand },
  prune: { about: 'prune a trained run with a recipe and fine-tune it', load: async () => (await import('./train.js')).pruneCommand },
  evaluate: { about: 'metrics of a trained run on its valid and test splits', load: async () => (await import('./evaluate.js')).evaluateCommand },
  schedule: { about: 'preview a pruning schedule step by step', load: async () => (await import('./schedule.js')).scheduleCommand },
  inspect: { about: 'per-group sparsity, non-zeros, FLOPs and bytes of a run', load: async () => (await import('./inspect.js')).inspectCommand },
  data: { about: 'list the data sets and their splits', load: async () => (await import('./data.js')).dataCommand },
  bench: { about: 'measure training (and inference) speed', load: async () => (await import('./bench.js')).benchCommand },
  import: { about: 'import an .onnx model (e.g. from PyTorch) or a TF.js Layers model as a run', load: async () => (await import('./import.js')).importCommand },
  export: { about: 'export a run as a sparse model file or a TF.js model', load: async () => (await import('./export.js')).exportCommand },
  generate: { about: 'generate text from an exported language model', load: async () => (await import('./infer.js')).generateCommand },
  classify: { about: 'classify a sequence with an exported model', load: async () => (await import('./infer.js')).classifyCommand },
  study: { about: 'run a comparative pruning study (grid, resumable)', load: async () => (await import('./study.js')).studyCommand },
  worker: { about: 'take runs of distributed studies from the queue and train them', load: async () => (await import('./worker.js')).workerCommand },
  status: { about: 'where the studies in a results store stand', load: async () => (await import('./status.js')).statusCommand },
  report: { about: 'write the HTML/Markdown report of a study', load: async () => (await import('./report.js')).reportCommand },
};

export const USAGE = `sparse-rnn — train, prune and compare recurrent networks

usage: sparse-rnn <command> [flags]     (sparse-rnn <command> --help for its flags)

commands:
${Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(10)}${c.about}`).join('\n')}

examples:
  sparse-rnn train --data moby-dick --cell lstm --hidden 256 --epochs 1
  sparse-rnn train --data mnist --cell lstm --hidden 128 --epochs 5 --recipe recipes/agp-both.yaml
  sparse-rnn schedule --method agp --initial 0 --final 0.8 --begin 100 --end 1000 --frequency 100
  sparse-rnn bench train --cell lstm --hidden 256 --vocab 100 --batch 32 --steps 100 --threads 1 --json
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    // Bare `sparse-rnn` (or an empty command name): usage on stderr, exit 2.
    process.stderr.write(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === '--version') {
    process.stdout.write('sparse-rnn 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`error[BAD_FLAG]: unknown command ${JSON.stringify(name)} (hint: one of ${Object.keys(COMMANDS).join(', ')}; see sparse-rnn --help)\n`);
    return 2;
  }
  try {
    return await (await cmd.load())(rest);
  } catch (e) {
    if (e instanceof SparseRnnError) {
      process.stderr.write(e.toLine() + '\n');
      return e.code === 'INTERRUPTED' ? 130 : e.code === 'BAD_FLAG' ? 2 : 1;
    }
    return printUnexpected(e);
  }
}

/**
 * An error that is not a SparseRnnError: from the addon it is NATIVE (the core
 * rejected a call); anything else is a bug in sparse-rnn and says so, on one line
 * (SPARSE_RNN_DEBUG=1 prints the stack as well).
 */
export function printUnexpected(e: unknown): number {
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  const code = isAddonError(e) ? 'NATIVE' : 'BUG';
  const hint = code === 'NATIVE'
    ? 'the native core rejected the call; please report it with the command that caused it'
    : 'this is a bug in sparse-rnn; please report it with the command that caused it (SPARSE_RNN_DEBUG=1 shows where)';
  process.stderr.write(`error[${code}]: ${(e as Error)?.name ?? 'Error'}: ${msg} (hint: ${hint})\n`);
  if (process.env.SPARSE_RNN_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  return 1;
}
