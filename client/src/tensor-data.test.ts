import { describe, expect, it } from 'vitest';
import { DATATYPES, elementCount } from './datatypes.js';
import type { Datatype } from './datatypes.js';
import { fromWireBytes, normalizeData, toJsonDataText, toWireBytes } from './tensor-data.js';
import type { DataInput } from './tensor-data.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('elementCount', () => {
  it('multiplies dimensions and treats [] as a scalar', () => {
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([])).toBe(1);
    expect(elementCount([0, 5])).toBe(0);
  });
  it('rejects negative, fractional and non-numeric dimensions', () => {
    expect(() => elementCount([2, -1])).toThrow(/shape\[1\] must be a non-negative integer/);
    expect(() => elementCount([1.5])).toThrow(RangeError);
    expect(() => elementCount(['3' as unknown as number])).toThrow(RangeError);
  });
});

/** One known element sequence per datatype, its little-endian bytes and its JSON text. */
const cases: Record<Datatype, { data: DataInput; hex: string; json: string | undefined }> = {
  BOOL: { data: [true, false, true], hex: '010001', json: '[true,false,true]' },
  UINT8: { data: [0, 255, 7], hex: '00ff07', json: '[0,255,7]' },
  UINT16: { data: [1, 0xabcd, 0], hex: '0100cdab0000', json: '[1,43981,0]' },
  UINT32: { data: [1, 0xdeadbeef, 2], hex: '01000000efbeadde02000000', json: '[1,3735928559,2]' },
  UINT64: {
    data: [1n, 0xffffffffffffffffn, 2],
    hex: '0100000000000000ffffffffffffffff0200000000000000',
    json: '[1,18446744073709551615,2]',
  },
  INT8: { data: [-1, 127, -128], hex: 'ff7f80', json: '[-1,127,-128]' },
  INT16: { data: [-2, 0x7fff, 3], hex: 'feffff7f0300', json: '[-2,32767,3]' },
  INT32: { data: [-1, 0x7fffffff, 5], hex: 'ffffffffffffff7f05000000', json: '[-1,2147483647,5]' },
  INT64: {
    data: [-1n, 9007199254740993n, 3],
    hex: 'ffffffffffffffff' + '0100000000002000' + '0300000000000000', // 2^53 + 1 kept exact
    json: '[-1,9007199254740993,3]',
  },
  FP16: { data: [1, -2, 0.5], hex: '003c00c00038', json: undefined },
  FP32: { data: [1, -2.5, 0.1], hex: '0000803f000020c0cdcccc3d', json: '[1,-2.5,0.10000000149011612]' },
  FP64: {
    data: [1, -2.5, 0.1],
    hex: '000000000000f03f00000000000004c09a9999999999b93f',
    json: '[1,-2.5,0.1]',
  },
  BYTES: {
    data: ['ab', new Uint8Array([0xff]), ''],
    hex: '020000006162' + '01000000ff' + '00000000',
    json: undefined,
  },
  BF16: { data: [1, -2, 3.140625], hex: '803f00c04940', json: undefined },
};

describe('wire bytes for every datatype', () => {
  it('covers all 14 datatypes', () => {
    expect(Object.keys(cases).sort()).toEqual([...DATATYPES].sort());
  });

  it.each(DATATYPES)('%s: normalize → little-endian bytes → back', (datatype) => {
    const known = cases[datatype];
    const data = normalizeData(datatype, [3], known.data, 'x');
    const bytes = toWireBytes(datatype, data);
    expect(hex(bytes)).toBe(known.hex);
    const back = fromWireBytes(datatype, bytes, 3);
    expect(back).toEqual(data);
    expect(toJsonDataText(datatype, data)).toBe(known.json);
  });

  it('decodes from an unaligned offset without aliasing the source', () => {
    const buffer = new Uint8Array(9);
    buffer.set([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40], 1);
    const view = buffer.subarray(1);
    const out = fromWireBytes('FP32', view, 2);
    expect(Array.from(out)).toEqual([1, 2]);
    buffer[4] = 0;
    expect(out[0]).toBe(1);
  });
});

describe('normalizeData', () => {
  it('flattens nested arrays in row-major order', () => {
    const out = normalizeData(
      'INT32',
      [2, 2, 2],
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      'x',
    );
    expect(out).toEqual(new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it('flattens typed arrays nested in arrays', () => {
    const out = normalizeData('FP32', [2, 2], [new Float32Array([1, 2]), new Float32Array([3, 4])], 'x');
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
  });

  it('keeps Uint8Array elements whole for BYTES even when nested', () => {
    const out = normalizeData('BYTES', [2, 1], [[new Uint8Array([1, 2])], ['é']], 'x');
    expect(out.map(hex)).toEqual(['0102', 'c3a9']);
  });

  it('returns canonical typed arrays without copying', () => {
    const data = new Float32Array([1, 2]);
    expect(normalizeData('FP32', [2], data, 'x')).toBe(data);
    const bits = new Uint16Array([0x3c00]);
    expect(normalizeData('FP16', [1], bits, 'x')).toBe(bits);
  });

  it('converts other typed arrays element by element', () => {
    expect(normalizeData('FP16', [2], new Float32Array([1, -2]), 'x')).toEqual(
      new Uint16Array([0x3c00, 0xc000]),
    );
    expect(normalizeData('INT64', [2], new Int32Array([-1, 7]), 'x')).toEqual(new BigInt64Array([-1n, 7n]));
    expect(normalizeData('FP64', [1], new Uint8Array([9]), 'x')).toEqual(new Float64Array([9]));
  });

  it('reports element count mismatches with the tensor name and shape', () => {
    expect(() => normalizeData('FP32', [2, 2], [1, 2, 3], 'input "a"')).toThrow(
      'input "a": shape [2, 2] needs 4 elements, but data has 3',
    );
    expect(() => normalizeData('BYTES', [2], ['a'], 'x')).toThrow(/needs 2 BYTES elements/);
  });

  it.each<[Datatype, unknown, RegExp]>([
    ['UINT8', 256, /UINT8 element 0 is 256, expected an integer in \[0, 255\]/],
    ['INT8', -129, /INT8 element 0/],
    ['INT32', 1.5, /expected an integer/],
    ['UINT32', -1, /expected an integer/],
    ['UINT64', -1n, /UINT64 element 0 is -1n/],
    ['INT64', 2n ** 63n, /INT64 element 0/],
    ['INT64', 0.5, /INT64 element 0/],
    ['BOOL', 2, /expected a boolean/],
    ['FP32', 'x', /expected a number/],
    ['BYTES', 5, /BYTES element 0 must be a string or Uint8Array/],
  ])('%s rejects %s', (datatype, value, message) => {
    expect(() => normalizeData(datatype, [1], [value] as DataInput, 'x')).toThrow(message);
  });

  it('rejects BOOL typed data other than 0/1 and BYTES as one typed array', () => {
    expect(() => normalizeData('BOOL', [2], new Uint8Array([1, 3]), 'x')).toThrow(/element 1 is 3/);
    expect(() => normalizeData('BYTES', [2], new Uint8Array([1, 2]), 'x')).toThrow(/not one typed array/);
    expect(() => normalizeData('FP32', [1], 'abc' as unknown as DataInput, 'x')).toThrow(TypeError);
  });

  it('stops on cyclic nesting instead of looping', () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(() => normalizeData('FP32', [2], cyclic as DataInput, 'x')).toThrow(/deeper than 64/);
  });
});

describe('BYTES length prefixes', () => {
  it('rejects a cut-off prefix, a length past the end and a wrong element count', () => {
    expect(() => fromWireBytes('BYTES', new Uint8Array([1, 0, 0]), 1)).toThrow(/prefix is cut off/);
    expect(() => fromWireBytes('BYTES', new Uint8Array([5, 0, 0, 0, 1]), 1)).toThrow(
      /prefix says 5 bytes, only 1 remain/,
    );
    expect(() => fromWireBytes('BYTES', new Uint8Array([0, 0, 0, 0]), 2)).toThrow(
      /holds 1 elements, shape needs 2/,
    );
  });
  it('reads zero elements from zero bytes', () => {
    expect(fromWireBytes('BYTES', new Uint8Array(0), 0)).toEqual([]);
  });
  it('rejects numeric byte counts that do not match the shape', () => {
    expect(() => fromWireBytes('FP32', new Uint8Array(7), 2)).toThrow(
      'FP32 data of 2 elements needs 8 bytes, got 7',
    );
  });
});

describe('toJsonDataText', () => {
  it('refuses what JSON cannot carry exactly', () => {
    expect(toJsonDataText('FP32', new Float32Array([1, NaN]))).toBeUndefined();
    expect(toJsonDataText('FP64', new Float64Array([Infinity]))).toBeUndefined();
    expect(toJsonDataText('BYTES', [new Uint8Array([0xc3])])).toBeUndefined();
  });
  it('escapes strings', () => {
    expect(toJsonDataText('BYTES', [new TextEncoder().encode('a"\n☃')])).toBe('["a\\"\\n☃"]');
  });
});
