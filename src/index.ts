/**
 * sparse-rnn, the library core: every export by name, nothing else.
 *
 *   model     ModelSpec, defaultSpec, buildLayout (the flat parameter layout), initParams,
 *             checkpoints, accountModel (params / non-zeros / FLOPs / bytes), TF.js and ONNX I/O,
 *             importModel (a TF.js folder or an .onnx file → a run folder)
 *   data      loadDataset and the built-in data sets, batchers, Vocab, Rng
 *   train     train / evaluate a model (TrainConfig), Optimizer, LR schedules, metrics
 *   prune     recipes, schedules (OneShot, Agp, Narang), the Pruner, magnitude masks
 *   deploy    the sparse file format, inference runtimes (TypeScript and native)
 *   study     expand and run a comparative study; report: load it and write the report
 *   engine    native(): the C++ addon itself (docs/engine.md)
 *
 * Other entries: sparse-rnn/cli (the commands as functions), sparse-rnn/bench (the
 * benchmarks beside PyTorch), sparse-rnn/runtime (browser-safe inference only).
 * Names: metricsFromSums turns summed losses into metrics; summarizeSample is the
 * mean and t-interval of a sample (seeds) — two different things.
 */
export { SparseRnnError, type ErrorCode } from './errors.js';
export { type ModelSpec, type CellType, type Task, GATES, GATE_NAMES, STATE_VECTORS, defaultSpec, validateSpec } from './model/spec.js';
export { type Layout, type Segment, type SegmentKind, buildLayout, view, nativeConfig } from './model/layout.js';
export { native, type NativeAddon, type NativeNet, type RunArgs, type RunResult, type SimdName } from './engine/native.js';
export * from './data/index.js';
export { train, evaluate, createSession, specFor, validateTrainConfig, DEFAULT_TRAIN, type TrainConfig, type TrainOptions, type TrainResult, type EpochRow, type DataConfig, type Session } from './train/trainer.js';
export { Optimizer, DEFAULT_OPTIM, validateOptim, type OptimConfig } from './train/optim.js';
export { nextLr, initialLrState, validateLr, type LrConfig, type LrState } from './train/lr.js';
export { metricsFromSums, mainMetric, formatMetric, HIGHER_IS_BETTER, type Metrics, type MetricName, type EvalSums } from './train/metrics.js';
export { initParams, orthogonal } from './model/init.js';
export { readCheckpoint, writeCheckpoint, resolveCheckpoint, CHECKPOINT_VERSION, type Checkpoint, type CheckpointMeta } from './model/checkpoint.js';
export { sameSpec } from './model/spec.js';
export { createPruner, loadRecipe, type Pruner, type PruneEvent } from './prune/pruner.js';
export { parseRecipe, parseRecipeText, scheduleOf, recipeToJSON, type Recipe, type RecipeEntry, type Scope, type Calibration } from './prune/recipe.js';
export { OneShot, Agp, Narang, scheduleFromConfig, METHODS, type Method, type PruningSchedule, type PruneDecision, type ScheduleConfig, type AgpConfig, type NarangConfig, type OneShotConfig } from './prune/schedules.js';
export { selectGroups, selectLayers, groupNames, type WeightGroup } from './prune/groups.js';
export { keepCount, pruneWeightsToSparsity, pruneWeightsBelow, weightSparsity } from './prune/mask.js';
export { accountModel, formatAccountTable, csrBytes, type ModelAccount, type GroupAccount } from './model/accounting.js';
export { exportTfjs, importTfjs, toTfjsArtifacts, fromTfjsArtifacts, type TfjsModel } from './model/tfjs.js';
export { toOnnx, exportOnnx, importOnnx, fromOnnxModel, engineHasResetAfter, readModelFile as readOnnxFile, ONNX_OPSET, type OnnxModel, type OnnxExportOptions, type OnnxFileReport } from './model/onnx/index.js';
export { importModel, writeImportedRun, type ImportedModel, type ImportRunOptions } from './model/import.js';
export { writeSparseModel, readSparseModel, toDenseParams, SPARSE_MAGIC, SPARSE_FORMAT_VERSION, SPARSE_EXT, VALUE_TYPES, type SparseModel, type ValueType } from './deploy/format.js';
export { writeSparseModelFile, readSparseModelFile } from './deploy/file.js';
export { sizeReport, formatSizeReport, type SizeReport } from './deploy/size.js';
export { createRuntime, type InferenceRuntime } from './deploy/runtime.js';
export { createNativeRuntime, hasInferAddon } from './deploy/native-runtime.js';
export { runStudy, StudyRunner } from './study/runner.js';
export { runDistributedStudy, studyStatus, formatStatus, type StudyStatus } from './study/distributed.js';
export { runDistWorker, type DistWorkerOptions } from './study/dist-worker.js';
export { PgResults, openResults } from './study/pg-store.js';
export { SqliteResults, type ResultsStore } from './study/results.js';
export { openArtifacts, DirArtifacts, S3Artifacts, type ArtifactStore } from './study/artifacts.js';
export { parseStudySpec, parseStudyText, readStudySpec, presetSpec, STUDY_METHODS, TARGETS, CELLS, DEFAULT_SCHEDULE } from './study/spec.js';
export { expandStudy, recipeFor, runId, smallDenseHidden, describePlan } from './study/plan.js';
export { PRESETS, PRESET_NAMES } from './study/presets.js';
export { summarizeSample, tQuantile, mean, sd, type Summary } from './study/stats.js';
export { writeReport, loadStudy, buildReport, conclusions } from './report/index.js';
export { exportQuality, type QualityRow } from './deploy/quality.js';
