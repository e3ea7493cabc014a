import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import type { Datatype, NumericArray, Tensor } from '../tensor.js';
import {
  HOST_IS_LITTLE_ENDIAN,
  assertTensorConsistent,
  bytesToNumericPortable,
  dataMatchesDatatype,
  decodeTensorBytes,
  encodeTensorBytes,
  numericToBytesPortable,
} from './tensor-bytes.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf(f: () => unknown): KaleidoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KaleidoError);
    return e as KaleidoError;
  }
  throw new Error('expected a KaleidoError');
}

/** Known little-endian encodings of one element per fixed datatype. */
const knownBytes: [Exclude<Datatype, 'BYTES'>, NumericArray, number[]][] = [
  ['BOOL', new Uint8Array([1, 0]), [1, 0]],
  ['UINT8', new Uint8Array([0xab]), [0xab]],
  ['INT8', new Int8Array([-2]), [0xfe]],
  ['UINT16', new Uint16Array([0x1234]), [0x34, 0x12]],
  ['INT16', new Int16Array([-2]), [0xfe, 0xff]],
  ['FP16', new Uint16Array([0x3c00]), [0x00, 0x3c]],
  ['BF16', new Uint16Array([0x3f80]), [0x80, 0x3f]],
  ['UINT32', new Uint32Array([0x01020304]), [4, 3, 2, 1]],
  ['INT32', new Int32Array([-1]), [0xff, 0xff, 0xff, 0xff]],
  ['FP32', new Float32Array([1]), [0, 0, 0x80, 0x3f]],
  ['UINT64', new BigUint64Array([0x0102030405060708n]), [8, 7, 6, 5, 4, 3, 2, 1]],
  ['INT64', new BigInt64Array([-2n]), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ['FP64', new Float64Array([1]), [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]],
];

describe('tensor bytes', () => {
  it('runs on a little-endian host (the zero-copy paths assume it)', () => {
    expect(HOST_IS_LITTLE_ENDIAN).toBe(true);
  });

  it.each(knownBytes)('%s encodes little-endian and decodes back', (datatype, data, bytes) => {
    const t: Tensor = { name: 't', datatype, shape: [data.length], data };
    expect([...encodeTensorBytes(t)]).toEqual(bytes);
    expect([...numericToBytesPortable(datatype, data)]).toEqual(bytes);
    expect(decodeTensorBytes(datatype, [data.length], new Uint8Array(bytes))).toEqual(data);
    expect(bytesToNumericPortable(datatype, new Uint8Array(bytes))).toEqual(data);
  });

  it('encodes a numeric tensor as a view on its own memory (no copy)', () => {
    const data = new Float32Array([1, 2, 3]);
    const bytes = encodeTensorBytes({ name: 'x', datatype: 'FP32', shape: [3], data });
    expect(bytes.buffer).toBe(data.buffer);
    expect(bytes.byteLength).toBe(12);
  });

  it('decodes to a view when aligned and to a copy when not', () => {
    const backing = new Uint8Array(13);
    new DataView(backing.buffer).setFloat32(4, 2.5, true);
    new DataView(backing.buffer).setFloat32(9, -1.5, true);
    const aligned = decodeTensorBytes('FP32', [1], backing.subarray(4, 8)) as Float32Array;
    expect(aligned[0]).toBe(2.5);
    expect(aligned.buffer).toBe(backing.buffer);
    const misaligned = decodeTensorBytes('FP32', [1], backing.subarray(9, 13)) as Float32Array;
    expect(misaligned[0]).toBe(-1.5);
    expect(misaligned.buffer).not.toBe(backing.buffer);
  });

  it('normalises BOOL bytes other than 0/1 on encode and rejects them on decode', () => {
    const t: Tensor = { name: 'b', datatype: 'BOOL', shape: [3], data: new Uint8Array([0, 2, 1]) };
    expect([...encodeTensorBytes(t)]).toEqual([0, 1, 1]);
    const e = errorOf(() => decodeTensorBytes('BOOL', [3], new Uint8Array([0, 2, 1]), { tensorName: 'b' }));
    expect(e.code).toBe('ERR_DATATYPE_MISMATCH');
    expect(e.details).toEqual({ tensor: 'b', index: 1 });
  });

  it('encodes BYTES with 4-byte little-endian length prefixes and decodes them as views', () => {
    const t: Tensor = { name: 's', datatype: 'BYTES', shape: [2], data: [utf8('hi'), new Uint8Array(0)] };
    const bytes = encodeTensorBytes(t);
    expect([...bytes]).toEqual([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0]);
    const decoded = decodeTensorBytes('BYTES', [2], bytes) as Uint8Array[];
    expect(decoded).toEqual([utf8('hi'), new Uint8Array(0)]);
    expect(decoded[0]!.buffer).toBe(bytes.buffer);
  });

  it('rejects a byte count that does not fit the shape, with the chosen code', () => {
    const e = errorOf(() => decodeTensorBytes('INT32', [2], new Uint8Array(7), { tensorName: 'x' }));
    expect(e.code).toBe('ERR_SHAPE_MISMATCH');
    expect(e.details).toEqual({ tensor: 'x', expectedBytes: 8, actualBytes: 7 });
    expect(
      errorOf(() => decodeTensorBytes('INT32', [2], new Uint8Array(9), { errorCode: 'ERR_BINARY_HEADER' }))
        .code,
    ).toBe('ERR_BINARY_HEADER');
  });

  it.each([
    ['too few elements', [1, 0, 0, 0, 0x61], 2, /holds 1 BYTES elements/],
    ['too many elements', [0, 0, 0, 0, 0, 0, 0, 0], 1, /more than the 1/],
    ['a truncated prefix', [1, 0, 0, 0, 0x61, 1, 0], 2, /inside the length prefix/],
    ['a length past the end', [5, 0, 0, 0, 0x61], 1, /claims 5 bytes/],
  ])('rejects BYTES data with %s', (_label, bytes, count, message) => {
    const e = errorOf(() => decodeTensorBytes('BYTES', [count], new Uint8Array(bytes)));
    expect(e.code).toBe('ERR_SHAPE_MISMATCH');
    expect(e.message).toMatch(message);
  });

  it('decodes empty tensors', () => {
    expect(decodeTensorBytes('BYTES', [0], new Uint8Array(0))).toEqual([]);
    expect(decodeTensorBytes('FP64', [3, 0], new Uint8Array(0))).toEqual(new Float64Array(0));
  });

  it('checks that tensors are self-consistent', () => {
    expect(dataMatchesDatatype('FP16', new Uint16Array(1))).toBe(true);
    expect(dataMatchesDatatype('INT8', new Uint8Array(1))).toBe(false);
    expect(dataMatchesDatatype('BYTES', [new Uint8Array(1)])).toBe(true);
    expect(dataMatchesDatatype('BYTES', new Uint8Array(1))).toBe(false);
    const wrongKind = errorOf(() =>
      assertTensorConsistent({ name: 'y', datatype: 'FP32', shape: [1], data: new Float64Array(1) }),
    );
    expect(wrongKind.code).toBe('ERR_INTERNAL');
    const wrongCount = errorOf(() =>
      encodeTensorBytes({ name: 'y', datatype: 'FP32', shape: [2, 2], data: new Float32Array(3) }),
    );
    expect(wrongCount.code).toBe('ERR_INTERNAL');
    expect(wrongCount.details).toEqual({ tensor: 'y', shape: [2, 2], elements: 3 });
  });
});

describe('misaligned Node Buffers', () => {
  it('copies instead of viewing when a Buffer is misaligned', async () => {
    const { Buffer } = await import('node:buffer');
    const backing = Buffer.alloc(9);
    new DataView(backing.buffer, backing.byteOffset).setFloat32(1, 1.5, true);
    new DataView(backing.buffer, backing.byteOffset).setFloat32(5, -2, true);
    const data = decodeTensorBytes('FP32', [2], backing.subarray(1)) as Float32Array;
    expect(Array.from(data)).toEqual([1.5, -2]);
  });
});
