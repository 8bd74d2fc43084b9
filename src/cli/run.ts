// Entry used by tests and `tsx`: the same main() as bin/sparse-rnn.js, from source.
import { main } from './main.js';
process.exitCode = await main(process.argv.slice(2));
