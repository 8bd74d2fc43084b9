/**
 * sparse-rnn/runtime: inference on an exported sparse model with no Node built-ins and
 * no native addon, for browsers and bundlers (web/ uses the same files). Read a .srnz
 * file's bytes, then step, run, generate or classify (docs/deploy.md §2).
 */
export { readSparseModel, writeSparseModel, toDenseParams, SPARSE_MAGIC, SPARSE_FORMAT_VERSION, SPARSE_EXT, VALUE_TYPES, type SparseModel, type ValueType } from './deploy/format.js';
export { createRuntime, type InferenceRuntime, type ClassifyResult, type GenerateResult } from './deploy/runtime.js';
export { SparseRnnError, type ErrorCode } from './errors.js';
