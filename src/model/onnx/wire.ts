/**
 * A structural check of ONNX bytes before they are decoded. The decoder (protobufjs'
 * static code for onnx.proto) trusts the file: it reads a known field whatever its wire
 * type says (a `graph` tagged as a varint is read as a length), and skips unknown
 * fields. So a corrupted or foreign file can decode into a half-sensible model and get
 * far before anything notices. This walk reads only tags and lengths (payloads are
 * skipped, so it costs little next to decoding) and refuses, with the byte offset and
 * the field path:
 *
 *   - a tag that is not a varint of at most 5 bytes ending inside its message, or
 *     field number 0;
 *   - wire types 3, 4 (groups, which onnx.proto never uses), 6 and 7 (undefined);
 *   - a known field whose wire type is not the one the schema gives it (repeated
 *     numbers may be packed, wire type 2, or not);
 *   - a varint of more than 10 bytes, or any length or fixed-size value that runs past
 *     the end of the message that holds it; a packed field whose bytes are not a whole
 *     number of values;
 *   - messages nested deeper than MAX_DEPTH;
 *   - a ModelProto without ir_version (field 1) or graph (field 7).
 *
 * Unknown fields with a valid wire type are accepted (newer ONNX versions add fields).
 * The schema is onnx/onnx.proto (ONNX 1.10, the version onnx-proto compiles), the wire
 * format is the Protocol Buffers encoding guide ("Message Structure", "Packed Repeated
 * Fields").
 */
import { fail } from '../../errors.js';

type Kind = 'varint' | 'fixed32' | 'fixed64' | 'bytes' | 'packedVarint' | 'packedFixed32' | 'packedFixed64';
/** A field: its name and either a scalar kind or the message type it holds ('*' after it: repeated). */
type Field = [name: string, kindOrMessage: Kind | string];
type Schema = Record<string, Record<number, Field>>;

const V: Kind = 'varint';
const B: Kind = 'bytes';

/** onnx.proto (ONNX 1.10): field number → [name, kind or message type]. */
const SCHEMA: Schema = {
  ModelProto: {
    1: ['ir_version', V], 8: ['opset_import', 'OperatorSetIdProto*'], 2: ['producer_name', B], 3: ['producer_version', B],
    4: ['domain', B], 5: ['model_version', V], 6: ['doc_string', B], 7: ['graph', 'GraphProto'],
    14: ['metadata_props', 'StringStringEntryProto*'], 20: ['training_info', 'TrainingInfoProto*'], 25: ['functions', 'FunctionProto*'],
  },
  GraphProto: {
    1: ['node', 'NodeProto*'], 2: ['name', B], 5: ['initializer', 'TensorProto*'], 15: ['sparse_initializer', 'SparseTensorProto*'],
    10: ['doc_string', B], 11: ['input', 'ValueInfoProto*'], 12: ['output', 'ValueInfoProto*'], 13: ['value_info', 'ValueInfoProto*'],
    14: ['quantization_annotation', 'TensorAnnotation*'],
  },
  NodeProto: {
    1: ['input', B], 2: ['output', B], 3: ['name', B], 4: ['op_type', B], 7: ['domain', B], 5: ['attribute', 'AttributeProto*'], 6: ['doc_string', B],
  },
  AttributeProto: {
    1: ['name', B], 21: ['ref_attr_name', B], 13: ['doc_string', B], 20: ['type', V], 2: ['f', 'fixed32'], 3: ['i', V], 4: ['s', B],
    5: ['t', 'TensorProto'], 6: ['g', 'GraphProto'], 22: ['sparse_tensor', 'SparseTensorProto'], 14: ['tp', 'TypeProto'],
    7: ['floats', 'packedFixed32'], 8: ['ints', 'packedVarint'], 9: ['strings', B], 10: ['tensors', 'TensorProto*'], 11: ['graphs', 'GraphProto*'],
    23: ['sparse_tensors', 'SparseTensorProto*'], 15: ['type_protos', 'TypeProto*'],
  },
  ValueInfoProto: { 1: ['name', B], 2: ['type', 'TypeProto'], 3: ['doc_string', B] },
  TrainingInfoProto: {
    1: ['initialization', 'GraphProto'], 2: ['algorithm', 'GraphProto'], 3: ['initialization_binding', 'StringStringEntryProto*'], 4: ['update_binding', 'StringStringEntryProto*'],
  },
  StringStringEntryProto: { 1: ['key', B], 2: ['value', B] },
  TensorAnnotation: { 1: ['tensor_name', B], 2: ['quant_parameter_tensor_names', 'StringStringEntryProto*'] },
  TensorProto: {
    1: ['dims', 'packedVarint'], 2: ['data_type', V], 3: ['segment', 'TensorProto.Segment'], 4: ['float_data', 'packedFixed32'],
    5: ['int32_data', 'packedVarint'], 6: ['string_data', B], 7: ['int64_data', 'packedVarint'], 8: ['name', B], 12: ['doc_string', B],
    9: ['raw_data', B], 13: ['external_data', 'StringStringEntryProto*'], 14: ['data_location', V], 10: ['double_data', 'packedFixed64'],
    11: ['uint64_data', 'packedVarint'],
  },
  'TensorProto.Segment': { 1: ['begin', V], 2: ['end', V] },
  SparseTensorProto: { 1: ['values', 'TensorProto'], 2: ['indices', 'TensorProto'], 3: ['dims', 'packedVarint'] },
  TensorShapeProto: { 1: ['dim', 'TensorShapeProto.Dimension*'] },
  'TensorShapeProto.Dimension': { 1: ['dim_value', V], 2: ['dim_param', B], 3: ['denotation', B] },
  TypeProto: {
    1: ['tensor_type', 'TypeProto.Tensor'], 4: ['sequence_type', 'TypeProto.Sequence'], 5: ['map_type', 'TypeProto.Map'],
    9: ['optional_type', 'TypeProto.Optional'], 8: ['sparse_tensor_type', 'TypeProto.SparseTensor'], 6: ['denotation', B],
  },
  'TypeProto.Tensor': { 1: ['elem_type', V], 2: ['shape', 'TensorShapeProto'] },
  'TypeProto.Sequence': { 1: ['elem_type', 'TypeProto'] },
  'TypeProto.Map': { 1: ['key_type', V], 2: ['value_type', 'TypeProto'] },
  'TypeProto.Optional': { 1: ['elem_type', 'TypeProto'] },
  'TypeProto.SparseTensor': { 1: ['elem_type', V], 2: ['shape', 'TensorShapeProto'] },
  OperatorSetIdProto: { 1: ['domain', B], 2: ['version', V] },
  FunctionProto: {
    1: ['name', B], 4: ['input', B], 5: ['output', B], 6: ['attribute', B], 7: ['node', 'NodeProto*'], 8: ['doc_string', B],
    9: ['opset_import', 'OperatorSetIdProto*'], 10: ['domain', B],
  },
};

/** Deepest nesting of messages accepted (a graph in an attribute of a node of a graph … counts each level). */
export const MAX_DEPTH = 100;

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start group', 'end group', '32-bit', 'undefined (6)', 'undefined (7)'];

/** Wire types a field of this kind may carry. */
function allowed(kind: Kind | string): number[] {
  switch (kind) {
    case 'varint': return [0];
    case 'fixed32': return [5];
    case 'fixed64': return [1];
    case 'packedVarint': return [0, 2];
    case 'packedFixed32': return [5, 2];
    case 'packedFixed64': return [1, 2];
    default: return [2]; // bytes, strings and messages
  }
}

class Walker {
  constructor(private readonly b: Uint8Array, private readonly where: string) {}

  bad(what: string, at: number, path: string): never {
    return fail('BAD_FILE', `${this.where} is not an ONNX model: ${what} at byte ${at}${path.includes('.') ? ` (in ${path})` : ''}`,
      'the file is truncated or corrupt, or not an .onnx file; an ONNX model is a protobuf ModelProto, e.g. written by torch.onnx.export');
  }

  /** A varint at pos ending at or before end: [value (exact below 2^53), next position]. */
  varint(pos: number, end: number, maxBytes: number, what: string, path: string): [number, number] {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (pos + i >= end) this.bad(`${what} runs past the end`, pos, path);
      const byte = this.b[pos + i];
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (!(byte & 0x80)) return [value, pos + i + 1];
    }
    return this.bad(`${what} is longer than ${maxBytes} bytes`, pos, path);
  }

  message(type: string, start: number, end: number, path: string, depth: number): Set<number> {
    if (depth > MAX_DEPTH) this.bad(`messages nested more than ${MAX_DEPTH} deep`, start, path);
    const schema = SCHEMA[type] ?? {};
    const seen = new Set<number>();
    const counts = new Map<number, number>();
    let pos = start;
    while (pos < end) {
      const at = pos;
      const [tag, next] = this.varint(pos, end, 5, 'a field tag', path);
      pos = next;
      if (tag > 0xffffffff) this.bad(`a field tag ${tag} over 32 bits`, at, path);
      const num = Math.floor(tag / 8);
      const wire = tag % 8;
      if (num === 0) this.bad('field number 0 (no valid protobuf field has it)', at, path);
      const field = schema[num];
      const n = counts.get(num) ?? 0;
      counts.set(num, n + 1);
      const msg = field?.[1].replace(/\*$/, '');
      const here = `${path ? `${path}.` : ''}${field ? `${field[0]}${field[1].endsWith('*') ? `[${n}]` : ''}` : `field ${num}`}`;
      if (wire === 3 || wire === 4 || wire > 5) this.bad(`invalid wire type ${wire} (${WIRE_NAMES[wire]}) for field ${num}`, at, here);
      if (msg && !allowed(msg).includes(wire)) {
        this.bad(`field ${num} (${type}.${field![0]}) has wire type ${wire} (${WIRE_NAMES[wire]}); the ONNX schema says ${allowed(msg).map((w) => WIRE_NAMES[w]).join(' or ')}`, at, here);
      }
      seen.add(num);
      switch (wire) {
        case 0: pos = this.varint(pos, end, 10, 'a varint value', here)[1]; break;
        case 1: if (pos + 8 > end) this.bad('a 64-bit value runs past the end', pos, here); pos += 8; break;
        case 5: if (pos + 4 > end) this.bad('a 32-bit value runs past the end', pos, here); pos += 4; break;
        default: {
          const [len, body] = this.varint(pos, end, 10, 'a length', here);
          if (len > end - body) this.bad(`a length of ${len} bytes runs past the end (${end - body} left)`, pos, here);
          const stop = body + len;
          const kind = msg;
          if (kind && Object.hasOwn(SCHEMA, kind)) this.message(kind, body, stop, here, depth + 1);
          else if (kind === 'packedVarint') for (let p = body; p < stop;) p = this.varint(p, stop, 10, 'a packed varint', here)[1];
          else if (kind === 'packedFixed32' && len % 4) this.bad(`packed 32-bit values of ${len} bytes (not a multiple of 4)`, pos, here);
          else if (kind === 'packedFixed64' && len % 8) this.bad(`packed 64-bit values of ${len} bytes (not a multiple of 8)`, pos, here);
          pos = stop;
        }
      }
    }
    return seen;
  }
}

/**
 * Refuses bytes that are not a well-formed ModelProto (see above) with one BAD_FILE
 * line naming the byte offset and the field; `where` names the source.
 */
export function checkModelWire(bytes: Uint8Array, where: string): void {
  const w = new Walker(bytes, where);
  if (bytes.length === 0) fail('BAD_FILE', `${where} is not an ONNX model (the file is empty)`, 'pass an .onnx file, e.g. one written by torch.onnx.export');
  const seen = w.message('ModelProto', 0, bytes.length, '', 0);
  const missing = [[1, 'ir_version'], [7, 'graph']].filter(([n]) => !seen.has(n as number)).map(([, name]) => name);
  if (missing.length) {
    fail('BAD_FILE', `${where} is not an ONNX model (no ${missing.join(' and no ')})`, 'pass an .onnx file, e.g. one written by torch.onnx.export');
  }
}
