/**
 * Bring your own model: a TF.js Layers folder (model.json + weights) or an .onnx file
 * → our model → a run folder whose checkpoint every command takes (`prune --from`,
 * `evaluate`, `inspect`, `export`, and `train --config RUN/config.json --out RUN
 * --resume` to fine-tune it when a data set is named).
 *
 * The run folder: ckpt/last.srnn (step 0; train.imported says where it came from) and,
 * with a data set, config.json (a TrainConfig whose model is the imported one, checked
 * against the data set's vocabulary or classes).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { sameSpec, type ModelSpec } from './spec.js';
import type { Layout } from './layout.js';
import { writeCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from '../util/fs.js';

export interface ImportedModel {
  spec: ModelSpec;
  layout: Layout;
  params: Float32Array;
  format: 'onnx' | 'tfjs';
  /** Who wrote the source file, when it says (ONNX producer_name). */
  producer?: string;
  source: string;
}

/** Which importer a path needs: a folder or a .json file is TF.js, anything else ONNX. */
export function sourceFormat(source: string): 'onnx' | 'tfjs' {
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch {
    return fail('BAD_FILE', `${source} is missing`, 'pass an .onnx file or a TF.js Layers folder (model.json + weights)');
  }
  return st.isDirectory() || source.endsWith('.json') ? 'tfjs' : 'onnx';
}

export async function importModel(source: string): Promise<ImportedModel> {
  const format = sourceFormat(source);
  if (format === 'tfjs') {
    const { importTfjs } = await import('./tfjs.js');
    return { ...importTfjs(source), format, source };
  }
  const { importOnnx } = await import('./onnx/import.js');
  const m = importOnnx(source);
  return { spec: m.spec, layout: m.layout, params: m.params, format, producer: m.producer, source };
}

export interface ImportRunOptions {
  /** A data set to attach (name as for `train --data`); checked against the model. */
  data?: { name: string; level?: 'word' | 'char'; limit?: number };
}

/**
 * Writes `out`/ckpt/last.srnn (and config.json with a data set). Refuses a folder that
 * already holds a run. Returns the checkpoint path.
 */
export async function writeImportedRun(m: ImportedModel, out: string, opts: ImportRunOptions = {}): Promise<{ checkpoint: string; config?: string }> {
  const ckpt = path.join(out, 'ckpt', 'last.srnn');
  if (fs.existsSync(ckpt)) fail('BAD_FLAG', `run folder ${out} already holds a run`, 'choose another --out');
  let config: Record<string, unknown> | undefined;
  if (opts.data) {
    const { DEFAULT_TRAIN, specFor, validateTrainConfig } = await import('../train/trainer.js');
    const { loadDataset } = await import('../data/index.js');
    const { inputKind: _k, inputSize: _i, outputSize: _o, task: _t, ...model } = m.spec;
    const cfg = validateTrainConfig({ ...DEFAULT_TRAIN, data: { ...opts.data }, model });
    const ds = loadDataset(cfg.data.name, { level: cfg.data.level, limit: cfg.data.limit });
    const want = specFor(cfg, ds);
    if (!sameSpec(want, m.spec)) {
      const diff = (['inputKind', 'inputSize', 'outputSize', 'task'] as const).filter((k) => want[k] !== m.spec[k]).map((k) => `${k} ${m.spec[k]} vs ${want[k]}`);
      fail('BAD_CONFIG', `the imported model does not fit data set ${opts.data.name} (${diff.join(', ') || 'model options differ'})`,
        'import without --data, or name a data set with the model\'s vocabulary / input width and classes');
    }
    config = { ...cfg };
  }
  const imported = { format: m.format, source: path.resolve(m.source), ...(m.producer ? { producer: m.producer } : {}), at: new Date().toISOString() };
  writeCheckpoint(ckpt, {
    spec: m.spec, layout: m.layout, params: m.params, mask: null, extra: {},
    step: 0, epoch: 1, batchInEpoch: 0,
    train: { imported, ...(config ? { config } : {}) },
  });
  let configFile: string | undefined;
  if (config) {
    configFile = path.join(out, 'config.json');
    writeFileAtomic(configFile, JSON.stringify({ ...config, resolvedModel: m.spec }, null, 2) + '\n');
  }
  return { checkpoint: ckpt, ...(configFile ? { config: configFile } : {}) };
}
