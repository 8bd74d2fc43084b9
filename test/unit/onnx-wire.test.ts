/**
 * The protobuf structure check that runs before an ONNX model is decoded
 * (src/model/onnx/wire.ts): every committed fixture and every model we export passes;
 * bad tags, wire types, varints, lengths, packed fields and nesting are one BAD_FILE
 * line naming the byte offset — including files the decoder alone accepts (protobufjs
 * reads a known field whatever its wire type says).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkModelWire, MAX_DEPTH } from '../../src/model/onnx/wire.js';
import { decodeModel, encodeModel, onnx } from '../../src/model/onnx/proto.js';
import { importOnnx } from '../../src/model/onnx/import.js';
import { toOnnx } from '../../src/model/onnx/export.js';
import { SparseRnnError } from '../../src/errors.js';
import { ROOT } from '../helpers/cli.js';
import { makeCase } from '../reference/helpers/cases.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/onnx');

// A minimal protobuf writer, to build what no encoder writes.
const varint = (n: number): number[] => { const out: number[] = []; do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n); return out; };
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];
const vint = (field: number, v: number) => [...tag(field, 0), ...varint(v)];
const str = (field: number, s: string) => len(field, [...Buffer.from(s, 'utf8')]);

const model = (graph: number[]) => Uint8Array.from([...vint(1, 8), ...len(7, graph)]);
const graphWith = (...initializers: number[][]) => [...len(1, [...str(1, 'x'), ...str(2, 'y'), ...str(4, 'Identity')]), ...initializers.flatMap((t) => len(5, t))];

function refused(bytes: Uint8Array | number[], re: RegExp) {
  assert.throws(() => decodeModel(Uint8Array.from(bytes), 'm.onnx'), (e: unknown) => {
    assert.ok(e instanceof SparseRnnError, `a SparseRnnError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_FILE');
    assert.match(e.message, re);
    assert.match(e.toLine(), /^error\[BAD_FILE\]: m\.onnx is not an ONNX model\b.* \(hint: \S.*\)$/);
    assert.equal(e.toLine().split('\n').length, 1);
    return true;
  });
}

test('every committed ONNX fixture passes the check and imports', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx'));
  assert.ok(files.length >= 13, `${files.length} fixtures`);
  for (const f of files) {
    const file = path.join(FIXTURES, f);
    checkModelWire(fs.readFileSync(file), f);
    const m = importOnnx(file);
    assert.ok(m.layout.total > 0, f);
  }
});

test('models we export, dense and sparse initializers, pass the check', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const c = makeCase({ name: cell, cell, layers: 2, inputKind: 'tokens', seed: 3 });
    for (const initializers of ['dense', 'sparse'] as const) {
      const bytes = toOnnx(c.spec, c.layout, c.params, { initializers }).bytes;
      checkModelWire(bytes, `${cell} ${initializers}`);
    }
  }
});

test('every field of the schema, as protobufjs encodes it, passes the check', () => {
  // One of everything onnx.proto (1.10) has, so each schema entry meets its encoder's wire type.
  const tensor = { name: 't', dims: [2], dataType: 1, segment: { begin: 0, end: 2 }, floatData: [1, 2], int32Data: [1, -2], stringData: [Buffer.from('s')],
    int64Data: [3, 4], docString: 'd', rawData: Buffer.from([1, 2, 3, 4]), externalData: [{ key: 'k', value: 'v' }], dataLocation: 0, doubleData: [1.5], uint64Data: [7] };
  const sparse = { values: tensor, indices: { ...tensor, name: 'i', dataType: 7 }, dims: [4, 2] };
  const shape = { dim: [{ dimValue: 3, denotation: 'N' }, { dimParam: 'T' }] };
  const type = (depth: number): Record<string, unknown> => depth === 0 ? { tensorType: { elemType: 1, shape }, denotation: 'x' }
    : { sequenceType: { elemType: type(depth - 1) } };
  const types = [type(2), { mapType: { keyType: 7, valueType: type(0) } }, { optionalType: { elemType: type(0) } }, { sparseTensorType: { elemType: 1, shape } }];
  const small = { node: [{ input: ['a'], output: ['b'], name: 'n', opType: 'Identity', domain: '', docString: 'd' }], name: 'sub' };
  const attribute = { name: 'a', refAttrName: 'r', docString: 'd', type: 1, f: 0.5, i: 3, s: Buffer.from('s'), t: tensor, g: small, sparseTensor: sparse, tp: types[0],
    floats: [1, 2], ints: [1, -1], strings: [Buffer.from('x')], tensors: [tensor], graphs: [small], sparseTensors: [sparse], typeProtos: types };
  const graph = {
    node: [{ ...small.node[0], attribute: [attribute] }], name: 'g', initializer: [tensor], sparseInitializer: [sparse], docString: 'd',
    input: types.map((t, i) => ({ name: `in${i}`, type: t, docString: 'd' })), output: [{ name: 'b', type: types[0] }], valueInfo: [{ name: 'v', type: types[3] }],
    quantizationAnnotation: [{ tensorName: 't', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] }],
  };
  const m = onnx.ModelProto.fromObject({
    irVersion: 8, opsetImport: [{ domain: '', version: 14 }], producerName: 'p', producerVersion: '1', domain: 'd', modelVersion: 2, docString: 'd', graph,
    metadataProps: [{ key: 'k', value: 'v' }],
    trainingInfo: [{ initialization: small, algorithm: small, initializationBinding: [{ key: 'a', value: 'b' }], updateBinding: [{ key: 'c', value: 'd' }] }],
    functions: [{ name: 'f', input: ['x'], output: ['y'], attribute: ['alpha'], node: small.node, docString: 'd', opsetImport: [{ domain: '', version: 14 }], domain: 'custom' }],
  });
  const bytes = encodeModel(m);
  checkModelWire(bytes, 'everything');
  const back = onnx.ModelProto.toObject(decodeModel(bytes, 'everything'), { longs: Number });
  assert.equal(back.graph.node[0].attribute[0].typeProtos.length, 4);
  assert.deepEqual(back.graph.initializer[0].uint64Data, [7]);
  assert.equal(back.functions[0].domain, 'custom');
});

test('repeated numbers packed or not, unknown fields and empty messages are accepted', () => {
  // dims [2, 3] unpacked (proto2 style), then float_data packed and one unpacked, an unknown field 99 of each wire type.
  const floats = Buffer.alloc(20);
  for (let i = 0; i < 5; i++) floats.writeFloatLE(i, 4 * i);
  const t = [...vint(1, 2), ...vint(1, 3), ...vint(2, 1), ...str(8, 'w'), ...len(4, [...floats]), ...tag(4, 5), 0, 0, 0x80, 0x3f,
    ...vint(99, 7), ...tag(99, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...tag(99, 5), 1, 2, 3, 4, ...str(99, 'later ONNX')];
  const bytes = model(graphWith(t, []));
  checkModelWire(bytes, 'hand-built');
  const m = decodeModel(bytes, 'hand-built');
  const w = m.graph!.initializer[0];
  assert.deepEqual(w.dims.map(Number), [2, 3]);
  assert.deepEqual(Array.from(w.floatData), [0, 1, 2, 3, 4, 1]);
});

test('a first tag with wire type 3, 4, 6 or 7 is refused (the decoder alone reads it as ir_version)', () => {
  const good = model(graphWith());
  for (const wire of [3, 4, 6, 7]) {
    const b = Uint8Array.from(good);
    b[0] = 0x08 | wire;
    // Without the check the bytes decode to a model whose ir_version is 8.
    assert.equal(Number(onnx.ModelProto.decode(b).irVersion), 8);
    refused(b, new RegExp(`invalid wire type ${wire} .*for field 1 at byte 0`));
  }
  for (const wire of [1, 2, 5]) {
    const b = Uint8Array.from(good);
    b[0] = 0x08 | wire;
    refused(b, new RegExp(`field 1 \\(ModelProto\\.ir_version\\) has wire type ${wire} .*the ONNX schema says varint at byte 0`));
  }
  refused([0x00, 0x01], /field number 0/);
});

test('truncated varints, overlong varints and tags, lengths past the end', () => {
  refused([0x08], /a varint value runs past the end at byte 1/);
  refused([0x08, 0x87], /a varint value runs past the end at byte 1/);
  refused([0x80], /a field tag runs past the end at byte 0/);
  refused([0x88, 0x80, 0x80, 0x80, 0x80, 0x01], /a field tag is longer than 5 bytes at byte 0/);
  refused([0x08, ...Array(10).fill(0xff), 0x01], /a varint value is longer than 10 bytes at byte 1/);
  refused([...vint(1, 8), ...tag(7, 2), 100, 1, 2, 3], /a length of 100 bytes runs past the end \(3 left\) at byte 3/);
  refused([...vint(1, 8), ...tag(7, 2)], /a length runs past the end at byte 3/);
  refused([...vint(1, 8), ...tag(99, 1), 1, 2, 3], /a 64-bit value runs past the end at byte 4/);
  refused([...vint(1, 8), ...tag(99, 5), 1], /a 32-bit value runs past the end at byte 4/);
  // A length that fits the file but not the message holding it.
  const inner = [...str(4, 'Identity')];
  const node = [...tag(1, 2), ...varint(inner.length), ...inner.slice(0, -2)]; // node claims more than the graph holds
  refused(Uint8Array.from([...vint(1, 8), ...tag(7, 2), ...varint(node.length), ...node, 0, 0]), /runs past the end .*\(in graph\.node\[0\]\)/);
});

test('a wrong wire type deep inside, a broken packed field, nesting too deep, no graph', () => {
  // graph.node[0].op_type as a varint: the decoder alone reads the same string.
  const c = makeCase({ name: 'lstm', cell: 'lstm', layers: 1, inputKind: 'tokens', seed: 5 });
  const good = Buffer.from(toOnnx(c.spec, c.layout, c.params).bytes);
  const op = decodeModel(good, 'x').graph!.node[0].opType;
  const at = good.indexOf(Buffer.from([0x22, op.length, ...Buffer.from(op)]));
  assert.ok(at > 0);
  const b = Buffer.from(good);
  b[at] = 0x20;
  assert.equal(onnx.ModelProto.decode(b).graph!.node[0].opType, op, 'the decoder alone accepts it');
  refused(b, new RegExp(`field 4 \\(NodeProto\\.op_type\\) has wire type 0 \\(varint\\); the ONNX schema says length-delimited at byte ${at} \\(in graph\\.node\\[0\\]\\.op_type\\)`));
  // float_data packed in 6 bytes; dims packed with a cut varint.
  refused(model(graphWith([...len(4, [0, 0, 0, 0, 0, 0])])), /packed 32-bit values of 6 bytes \(not a multiple of 4\).*\(in graph\.initializer\[0\]\.float_data\)/);
  refused(model(graphWith([...len(1, [0x02, 0x83])])), /a packed varint runs past the end .*\(in graph\.initializer\[0\]\.dims\)/);
  // Graphs in attributes in nodes in graphs …, deeper than MAX_DEPTH.
  let g: number[] = [];
  for (let i = 0; i < Math.ceil(MAX_DEPTH / 3) + 1; i++) g = len(1, len(5, len(6, g)));
  refused(model(g), new RegExp(`messages nested more than ${MAX_DEPTH} deep`));
  refused([...vint(1, 8)], /not an ONNX model \(no graph\)/);
  refused([...len(7, graphWith())], /not an ONNX model \(no ir_version\)/);
  refused([], /not an ONNX model \(the file is empty\)/);
  refused([...Buffer.from('{"format": "layers-model"}')], /not an ONNX model/);
});

test('importing a FIFO, or external data that is a FIFO: one BAD_FILE line, no hang', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-onnx-fifo-'));
  /** importOnnx(file) in a child process (opening a FIFO blocks the whole process): its error line. */
  const importInChild = (file: string): string => {
    const code = `
      const { importOnnx } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/model/onnx/import.ts')).href)});
      try { importOnnx(${JSON.stringify(file)}); } catch (e) { process.stdout.write(e.toLine()); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual((r.error as NodeJS.ErrnoException | undefined)?.code, 'ETIMEDOUT', `importOnnx(${file}) blocked on a FIFO`);
    return r.stdout;
  };
  try {
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'model.onnx')]).status, 0);
    assert.match(importInChild(path.join(dir, 'model.onnx')), /^error\[BAD_FILE\]: ONNX model .*model\.onnx is not a regular file \(a device, pipe or socket\) \(hint: \S.*\)$/);
    // An LSTM whose first W is external data in w.bin, a FIFO.
    const c = makeCase({ name: 'lstm', cell: 'lstm', layers: 1, inputKind: 'tokens', seed: 5 });
    const m = decodeModel(toOnnx(c.spec, c.layout, c.params, { initializers: 'dense' }).bytes, 'x');
    const t = m.graph!.initializer.find((x) => x.name === 'rnn.0.W')!;
    t.externalData = [{ key: 'location', value: 'w.bin' }] as never;
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.rawData = new Uint8Array(0);
    fs.mkdirSync(path.join(dir, 'ext'));
    fs.writeFileSync(path.join(dir, 'ext', 'model.onnx'), encodeModel(m));
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'ext', 'w.bin')]).status, 0);
    assert.match(importInChild(path.join(dir, 'ext', 'model.onnx')), /^error\[BAD_FILE\]: .*tensor 'rnn\.0\.W': external data "w\.bin" is not a regular file \(hint: \S.*\)$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
