/**
 * sparse-rnn/bench: the measurements behind `sparse-rnn bench` and bench/*.ts
 * (docs/benchmarks.md). Rows use the field names of bench/torch_anchor.py, the PyTorch
 * side, which `runAnchor` runs beside ours when Debian's python3-torch is installed.
 */
export { benchTrain, benchStep, magnitudePruneRecurrent, BENCH_CONFIGS, ENGINE_NAME, type TrainBenchOptions, type TrainBenchRow } from './training.js';
export { benchInfer, timeStepUs, BENCH_ENGINES, type BenchEngine, type BenchInferOptions, type BenchInferRow } from './inference.js';
export { anchorScript, pytorchAvailable, runAnchor } from './pytorch.js';
