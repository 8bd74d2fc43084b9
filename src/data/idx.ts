/**
 * The IDX format of MNIST (yann.lecun.com/exdb/mnist):
 *   bytes 0–1  zero
 *   byte  2    element type: 0x08 uint8 (the only one we read), 0x09 int8, 0x0B int16,
 *              0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3    number of dimensions k
 *   then k big-endian uint32 sizes, then the elements, row-major, big-endian.
 * The file size must equal 4 + 4k + prod(sizes) · element size exactly.
 */
import fs from 'node:fs';
import { fail } from '../errors.js';
import { openRegularFile } from '../util/fs.js';

const TYPE_NAMES: Record<number, [string, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

export interface IdxHeader {
  /** 'uint8' … */
  type: string;
  /** Sizes, outermost first: images [N, rows, cols], labels [N]. */
  dims: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
}

const HINT = 'IDX files must be whole and uncompressed (gunzip the .gz downloads)';

/** Parses and checks the header of an IDX file whose total length is `fileSize`. */
export function parseIdxHeader(head: Uint8Array, fileSize: number, name: string): IdxHeader {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) {
    fail('BAD_DATA', `${name} is not an IDX file (magic must start with two zero bytes)`, HINT);
  }
  const t = TYPE_NAMES[head[2]];
  if (!t) fail('BAD_DATA', `${name} has unknown IDX element type 0x${head[2].toString(16)}`, HINT);
  const k = head[3];
  if (k < 1) fail('BAD_DATA', `${name} has 0 dimensions`, HINT);
  if (head.length < 4 + 4 * k) fail('BAD_DATA', `${name} is too short for its ${k}-dimension header`, HINT);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < k; i++) dims.push(dv.getUint32(4 + 4 * i, false));
  const dataOffset = 4 + 4 * k;
  const expected = dataOffset + dims.reduce((a, b) => a * b, 1) * t[1];
  if (fileSize !== expected) {
    fail('BAD_DATA', `${name} is ${fileSize} bytes but its header [${dims.join(', ')}] ${t[0]} needs ${expected}`, HINT);
  }
  return { type: t[0], dims, dataOffset };
}

/** A whole IDX file in memory → header + uint8 elements (a view, no copy). */
export function parseIdx(buf: Uint8Array, name = 'IDX data'): IdxHeader & { data: Uint8Array } {
  const h = parseIdxHeader(buf.subarray(0, Math.min(buf.length, 4 + 4 * 255)), buf.length, name);
  if (h.type !== 'uint8') fail('BAD_DATA', `${name} holds ${h.type}; only uint8 IDX files are read`, HINT);
  return { ...h, data: buf.subarray(h.dataOffset) };
}

/** Reads only the header of an IDX file on disk. */
export function readIdxHeader(file: string): IdxHeader {
  const { fd, size } = openOrFail(file);
  try {
    const head = new Uint8Array(4 + 4 * 255);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return parseIdxHeader(head.subarray(0, n), size, file);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads items [start, start + count) along the first dimension of a uint8 IDX file
 * (each item is prod(dims[1:]) bytes), without reading the rest of the file.
 */
export function readIdxItems(file: string, start: number, count: number): IdxHeader & { data: Uint8Array } {
  const { fd, size } = openOrFail(file);
  try {
    const head = new Uint8Array(4 + 4 * 255);
    const got = fs.readSync(fd, head, 0, head.length, 0);
    const h = parseIdxHeader(head.subarray(0, got), size, file);
    if (h.type !== 'uint8') fail('BAD_DATA', `${file} holds ${h.type}; only uint8 IDX files are read`, HINT);
    if (start < 0 || count < 0 || start + count > h.dims[0]) {
      fail('BAD_DATA', `${file} has ${h.dims[0]} items; items [${start}, ${start + count}) were asked for`, HINT);
    }
    const item = h.dims.slice(1).reduce((a, b) => a * b, 1);
    const data = new Uint8Array(count * item);
    let off = 0;
    while (off < data.length) {
      const n = fs.readSync(fd, data, off, data.length - off, h.dataOffset + start * item + off);
      if (n === 0) fail('BAD_DATA', `${file} ended early`, HINT);
      off += n;
    }
    return { ...h, dims: [count, ...h.dims.slice(1)], data };
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a regular file for reading; never blocks (a FIFO), never reads a device or a folder. */
function openOrFail(file: string): { fd: number; size: number } {
  return openRegularFile(file, (r) => (r.kind === 'not-regular'
    ? fail('BAD_DATA', `IDX file ${file} is not a regular file (a folder, device or pipe)`, 'reinstall the data package: `npm install`')
    : fail('BAD_DATA', `IDX file ${file} is missing or unreadable`, 'reinstall the data package: `npm install`')));
}
