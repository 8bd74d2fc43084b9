/**
 * ONNX import refusals: hostile files are one BAD_FILE error (never a crash, a huge
 * allocation or a read outside the model's folder), and models using what our engine
 * lacks are one UNSUPPORTED error naming the node, its op and the attribute or input.
 * External data inside the folder imports (the positive case).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importOnnx, fromOnnxModel } from '../../src/model/onnx/import.js';
import { toOnnx } from '../../src/model/onnx/export.js';
import { decodeModel, encodeModel, floatTensor, intTensor, node, attrInt, attrFloat, attrStrings, onnx, DEFAULT_LIMITS, type ModelProto } from '../../src/model/onnx/proto.js';
import { SparseRnnError } from '../../src/errors.js';
import { makeCase } from '../reference/helpers/cases.js';

let tmp = '';
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-onnx-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lstm = makeCase({ name: 'lstm', cell: 'lstm', layers: 2, inputKind: 'tokens', seed: 11 });
const lstmBytes = () => toOnnx(lstm.spec, lstm.layout, lstm.params, { initializers: 'dense' }).bytes;
const write = (name: string, bytes: Uint8Array | string, dir = tmp) => { const f = path.join(dir, name); fs.writeFileSync(f, bytes); return f; };
const mutate = (fn: (m: ModelProto) => void): Uint8Array => { const m = decodeModel(lstmBytes(), 'x'); fn(m); return encodeModel(m); };

function refuses(fnOrFile: string | (() => unknown), code: 'BAD_FILE' | 'UNSUPPORTED', re: RegExp) {
  const fn = typeof fnOrFile === 'string' ? () => importOnnx(fnOrFile) : fnOrFile;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SparseRnnError, `a SparseRnnError, got ${String(e)}`);
    assert.equal(e.code, code, e.toLine());
    assert.match(e.message, re);
    assert.equal(e.toLine().split('\n').length, 1, 'one line');
    return true;
  });
}

test('hostile files: truncated, not ONNX, empty, a folder, too big → one BAD_FILE line', () => {
  const good = lstmBytes();
  refuses(write('trunc.onnx', good.subarray(0, Math.floor(good.length / 2))), 'BAD_FILE', /not an ONNX model|truncated|bytes of data/);
  refuses(write('text.onnx', '{"format": "layers-model"}\n'), 'BAD_FILE', /not an ONNX model/);
  refuses(write('empty.onnx', new Uint8Array(0)), 'BAD_FILE', /not an ONNX model/);
  refuses(write('png.onnx', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')), 'BAD_FILE', /not an ONNX model/);
  refuses(tmp, 'BAD_FILE', /not a regular file/);
  refuses(path.join(tmp, 'nope.onnx'), 'BAD_FILE', /is missing/);
  const f = write('ok.onnx', good);
  refuses(() => importOnnx(f, { ...DEFAULT_LIMITS, maxFileBytes: 100 }), 'BAD_FILE', /ONNX model .* is too large: [\d,]+ bytes \(the limit is 100\)/);
});

test('a dimension of 2^40 is refused before anything is allocated', () => {
  const bytes = mutate((m) => {
    const t = m.graph!.initializer.find((x) => x.name === 'embedding')!;
    t.dims = [2 ** 40, 8] as never;
  });
  refuses(write('huge.onnx', bytes), 'BAD_FILE', /tensor 'embedding' \[1099511627776, 8\] has more than \d+ elements/);
  const neg = mutate((m) => { m.graph!.initializer.find((x) => x.name === 'head')!.dims = [-1, 11] as never; });
  refuses(write('neg.onnx', neg), 'BAD_FILE', /negative dimension/);
  const short = mutate((m) => { m.graph!.initializer.find((x) => x.name === 'head')!.dims = [9, 11] as never; });
  refuses(write('short.onnx', short), 'BAD_FILE', /has \d+ bytes of data, its shape needs/);
});

/** The LSTM with its first W moved to external data at `location` (data written to `dataFile` if given). */
function externalModel(dir: string, location: string, dataFile?: string, extra: Array<[string, string]> = []): string {
  const m = decodeModel(lstmBytes(), 'x');
  const t = m.graph!.initializer.find((x) => x.name === 'rnn.0.W')!;
  if (dataFile) fs.writeFileSync(dataFile, t.rawData);
  t.externalData = [{ key: 'location', value: location }, ...extra.map(([key, value]) => ({ key, value }))] as never;
  t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  t.rawData = new Uint8Array(0);
  return write('model.onnx', encodeModel(m), dir);
}

test('external data: inside the folder imports; paths or symlinks leaving it, truncated or missing data → BAD_FILE', () => {
  const inside = fs.mkdtempSync(path.join(tmp, 'ext-'));
  const f = externalModel(inside, 'weights/w0.bin', (fs.mkdirSync(path.join(inside, 'weights')), path.join(inside, 'weights/w0.bin')));
  const m = importOnnx(f);
  assert.deepEqual(Array.from(m.params), Array.from(lstm.params), 'external data read back exactly');

  const outside = fs.mkdtempSync(path.join(tmp, 'outside-'));
  const secret = path.join(outside, 'secret.bin');
  fs.writeFileSync(secret, new Uint8Array(4096));
  const d1 = fs.mkdtempSync(path.join(tmp, 'ext-'));
  refuses(externalModel(d1, `../${path.basename(outside)}/secret.bin`), 'BAD_FILE', /leaves the model's folder/);
  refuses(externalModel(d1, secret), 'BAD_FILE', /leaves the model's folder/);
  const d2 = fs.mkdtempSync(path.join(tmp, 'ext-'));
  fs.symlinkSync(secret, path.join(d2, 'link.bin'));
  refuses(externalModel(d2, 'link.bin'), 'BAD_FILE', /resolves outside the model's folder \(through a symlink\)/);
  const d3 = fs.mkdtempSync(path.join(tmp, 'ext-'));
  fs.symlinkSync(outside, path.join(d3, 'dir'));
  refuses(externalModel(d3, 'dir/secret.bin'), 'BAD_FILE', /resolves outside/);
  const d4 = fs.mkdtempSync(path.join(tmp, 'ext-'));
  fs.writeFileSync(path.join(d4, 'w.bin'), new Uint8Array(10));
  refuses(externalModel(d4, 'w.bin'), 'BAD_FILE', /runs past the end/);
  refuses(externalModel(d4, 'gone.bin'), 'BAD_FILE', /is missing/);
  refuses(externalModel(d4, 'w.bin', undefined, [['length', '12']]), 'BAD_FILE', /length 12 differs/);
  // Without a folder (bytes decoded in memory) external data is not read at all.
  refuses(() => fromOnnxModel(decodeModel(fs.readFileSync(f), 'mem'), { where: 'mem', dir: null, limits: DEFAULT_LIMITS }), 'BAD_FILE', /not allowed here/);
});

test('unsupported models: one UNSUPPORTED line naming the node, the op and the attribute', () => {
  const lstmNode = (m: ModelProto, l = 0) => m.graph!.node.find((n) => n.name === `rnn.${l}`)!;
  const cases: Array<[string, (m: ModelProto) => void, RegExp]> = [
    ['bidirectional', (m) => { lstmNode(m).attribute.push(onnx.AttributeProto.create({ name: 'direction', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('bidirectional') })); },
      /node 'rnn\.0' \(LSTM\): attribute direction = "bidirectional" is not supported/],
    ['reverse', (m) => { lstmNode(m, 1).attribute.push(onnx.AttributeProto.create({ name: 'direction', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('reverse') })); },
      /node 'rnn\.1' \(LSTM\): attribute direction = "reverse"/],
    ['clip', (m) => { lstmNode(m).attribute.push(attrFloat('clip', 3)); }, /node 'rnn\.0' \(LSTM\): attribute clip = 3 is not supported/],
    ['activations', (m) => { lstmNode(m).attribute.push(attrStrings('activations', ['HardSigmoid', 'Tanh', 'Tanh'])); }, /node 'rnn\.0' \(LSTM\): attribute activations = \[hardsigmoid, tanh, tanh\]/],
    ['input_forget', (m) => { lstmNode(m).attribute.push(attrInt('input_forget', 1)); }, /attribute input_forget = 1/],
    ['peepholes', (m) => {
      m.graph!.initializer.push(floatTensor('P', [1, 3 * 8], new Float32Array(24)));
      lstmNode(m).input.push('', '', '', 'P');
    }, /node 'rnn\.0' \(LSTM\): input P \('P', peepholes\) is not supported/],
    ['sequence_lens', (m) => {
      m.graph!.initializer.push(intTensor('lens', [3], [5, 5, 5], 6));
      lstmNode(m).input.push('lens');
    }, /input sequence_lens \('lens'\) is not supported/],
    ['layer norm', (m) => {
      const g = m.graph!;
      const sq = g.node.findIndex((n) => n.name === 'rnn.0.squeeze');
      g.initializer.push(floatTensor('ln.scale', [8], new Float32Array(8).fill(1)));
      g.node.splice(sq + 1, 0, node('LayerNormalization', 'ln', ['rnn.0.out', 'ln.scale'], ['ln.out'], [attrInt('axis', -1)]));
      g.node.find((n) => n.name === 'rnn.1')!.input[0] = 'ln.out';
      m.opsetImport = [{ domain: '', version: 17 }] as never;
    }, /node 'ln' \(LayerNormalization\): op LayerNormalization is not supported on the path/],
    ['unknown op', (m) => {
      const g = m.graph!;
      const sq = g.node.findIndex((n) => n.name === 'rnn.0.squeeze');
      g.node.splice(sq + 1, 0, node('Relu', 'act', ['rnn.0.out'], ['act.out']));
      g.node.find((n) => n.name === 'rnn.1')!.input[0] = 'act.out';
    }, /node 'act' \(Relu\): op Relu is not supported/],
    ['custom domain', (m) => { m.graph!.node.push(onnx.NodeProto.create({ opType: 'Foo', domain: 'com.example', name: 'foo', input: ['logits'], output: ['z'] })); },
      /node 'foo' \(Foo\): op domain 'com\.example' is not supported/],
    ['softmax after the head', (m) => {
      const g = m.graph!;
      g.node.find((n) => n.name === 'head.add_bias')!.output[0] = 'pre';
      g.node.push(node('Softmax', 'sm', ['pre'], ['logits'], [attrInt('axis', -1)]));
    }, /node 'sm' \(Softmax\): a softmax after the head is not supported/],
    ['non-zero initial state', (m) => {
      m.graph!.initializer.push(floatTensor('h0', [1, 3, 8], new Float32Array(24).fill(0.5)));
      lstmNode(m).input.push('', 'h0');
    }, /input initial_h \('h0'\) is not a zero constant/],
    ['computed weight', (m) => {
      const g = m.graph!;
      g.node.unshift(node('Identity', 'idw', ['rnn.0.W'], ['w.copy']));
      g.node.unshift(node('Neg', 'neg', ['rnn.0.R'], ['r.neg']));
      lstmNode(m).input[2] = 'r.neg';
    }, /node 'rnn\.0' \(LSTM\): input R \('r\.neg'\) is computed in the graph/],
  ];
  for (const [name, fn, re] of cases) {
    const f = write(`${name.replace(/\W+/g, '-')}.onnx`, mutate(fn));
    refuses(f, 'UNSUPPORTED', re);
  }
  // A zero initial state (as torch writes: ConstantOfShape(0) sliced) is fine.
  const ok = mutate((m) => {
    m.graph!.initializer.push(floatTensor('h0', [1, 3, 8], new Float32Array(24)));
    lstmNode(m).input.push('', 'h0', 'h0');
  });
  assert.equal(importOnnx(write('h0.onnx', ok)).spec.layers, 2);
});
