// The public API of sparse-rnn: every export by name, nothing else.
export { SparseRnnError, type ErrorCode } from './errors.js';
export { type ModelSpec, type CellType, type Task, GATES, GATE_NAMES, STATE_VECTORS, defaultSpec, validateSpec } from './model/spec.js';
export { type Layout, type Segment, type SegmentKind, buildLayout, view, nativeConfig } from './model/layout.js';
export { native, type NativeAddon, type NativeNet, type RunArgs, type RunResult, type SimdName } from './engine/native.js';
