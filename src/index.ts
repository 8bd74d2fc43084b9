// The public API of sparse-rnn: every export by name, nothing else.
export { SparseRnnError, type ErrorCode } from './errors.js';
export { type ModelSpec, type CellType, type Task, GATES, GATE_NAMES, STATE_VECTORS, defaultSpec, validateSpec } from './model/spec.js';
export { type Layout, type Segment, type SegmentKind, buildLayout, view, nativeConfig } from './model/layout.js';
export { native, type NativeAddon, type NativeNet, type RunArgs, type RunResult, type SimdName } from './engine/native.js';
export * from './data/index.js';
export { train, evaluate, createSession, specFor, validateTrainConfig, DEFAULT_TRAIN, type TrainConfig, type TrainOptions, type TrainResult, type EpochRow, type DataConfig, type Session } from './train/trainer.js';
export { Optimizer, DEFAULT_OPTIM, validateOptim, type OptimConfig } from './train/optim.js';
export { nextLr, initialLrState, validateLr, type LrConfig, type LrState } from './train/lr.js';
export { summarize, mainMetric, formatMetric, HIGHER_IS_BETTER, type Metrics, type MetricName, type EvalSums } from './train/metrics.js';
export { benchTrain, type TrainBenchOptions, type TrainBenchRow } from './train/bench.js';
export { initParams, orthogonal } from './model/init.js';
export { readCheckpoint, writeCheckpoint, resolveCheckpoint, CHECKPOINT_VERSION, type Checkpoint, type CheckpointMeta } from './model/checkpoint.js';
export { sameSpec } from './model/spec.js';
export { main as cli } from './cli/main.js';
export { trainCommand, pruneCommand, configFromFlags } from './cli/train.js';
export { benchCommand } from './cli/bench.js';
export { dataCommand } from './cli/data.js';
