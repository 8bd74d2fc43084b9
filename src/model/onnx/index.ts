/** ONNX in and out: see export.ts (our model → ONNX) and import.ts (ONNX → our model). */
export { toOnnx, exportOnnx, isResetAfter, ONNX_OPSET, ONNX_META_KEY, SPARSE_INITIALIZER_MIN_SPARSITY, type OnnxExport, type OnnxExportOptions, type OnnxFileReport, type InitializerMode } from './export.js';
export { importOnnx, fromOnnxModel, engineHasResetAfter, type OnnxModel } from './import.js';
export { readModelFile, decodeModel, DEFAULT_LIMITS as ONNX_READ_LIMITS, type ReadLimits as OnnxReadLimits } from './proto.js';
