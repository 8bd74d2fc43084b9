/**
 * sparse-rnn/cli: the command line as functions. Each `*Command(argv)` takes the
 * arguments after the command name, prints what the command prints and resolves to
 * its exit status; `cli(argv)` is the whole `sparse-rnn` program (bin/sparse-rnn.js).
 * Bad input throws SparseRnnError (`error[CODE]: … (hint: …)` when run as a program).
 */
export { main as cli } from './main.js';
export { trainCommand, pruneCommand, configFromFlags } from './train.js';
export { benchCommand } from './bench.js';
export { dataCommand } from './data.js';
export { importCommand } from './import.js';
export { workerCommand } from './worker.js';
export { statusCommand } from './status.js';
export { scheduleCommand } from './schedule.js';
export { inspectCommand } from './inspect.js';
export { exportCommand } from './export.js';
export { benchInferCommand, generateCommand, classifyCommand } from './infer.js';
export { studyCommand } from './study.js';
export { reportCommand } from './report.js';
export { evaluateCommand } from './evaluate.js';
