// The data layer: every export by name.
export { type Dataset, type LmDataset, type ClassifyDataset, type ClassifySplit, type DatasetInfo, type LoadOptions, type Level, type SplitName, SPLITS } from './dataset.js';
export { Vocab, UNK, EOS, codePointCompare } from './vocab.js';
export { Rng, mixSeed, type RngState } from './rng.js';
export { loadDataset, describeDataset, builtinNames, isBuiltin } from './registry.js';
export { loadFolder, FOLDER_FILES } from './folder.js';
export { parseIdx, parseIdxHeader, readIdxHeader, readIdxItems, type IdxHeader } from './idx.js';
export { encodeText, decodeIds } from './text.js';
export { lmBatcher, classifyBatcher, type LmBatcher, type LmBatcherArgs, type LmBatch, type ClassifyBatcher, type ClassifyBatcherArgs, type ClassifyBatch } from './batch.js';
export { loadBrown, BROWN_VOCAB } from './brown.js';
export { loadMobyDick } from './mobydick.js';
export { loadMnist, describeMnist } from './mnist.js';
export { loadSyntheticLm, loadSyntheticCopy, loadSyntheticClassify } from './synthetic.js';
