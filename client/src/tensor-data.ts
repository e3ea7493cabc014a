/**
 * Tensor data conversions: what callers hand in (typed arrays, plain or nested JS arrays, strings)
 * → the canonical typed-array form → little-endian wire bytes or JSON text, and back.
 */

import { datatypeByteSize, elementCount } from './datatypes.js';
import type { Datatype, DatatypeData, NumericArray, TensorData } from './datatypes.js';
import { toBfloat16Bits, toFloat16Bits } from './half.js';

/** One element as a caller may write it. */
export type DataElement = number | bigint | boolean | string | Uint8Array;

/**
 * Tensor data as a caller may write it: a typed array (FP16/BF16: Uint16Array of raw bits), a flat
 * array of elements, or arrays nested in the tensor's natural shape (typed arrays may appear
 * inside the nesting). For BYTES, each string or Uint8Array is one element.
 */
export type DataInput = NumericArray | Uint8ClampedArray | readonly NestedElement[];
export type NestedElement = DataElement | NumericArray | Uint8ClampedArray | readonly NestedElement[];

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8Encoder = new TextEncoder();
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The typed-array constructor that holds each numeric datatype exactly. */
const storage = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
} as const;

const INTEGER_RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};
const BIGINT_RANGE: Partial<Record<Datatype, readonly [bigint, bigint]>> = {
  UINT64: [0n, 0xffffffffffffffffn],
  INT64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

const isTypedArray = (value: unknown): value is NumericArray | Uint8ClampedArray =>
  ArrayBuffer.isView(value) && !(value instanceof DataView);

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);

/**
 * Converts caller data into the canonical typed form for `datatype`, checking every element and
 * that the element count matches `shape`. Data that is already in canonical form is returned as is
 * (not copied). `what` names the tensor in error messages.
 */
export function normalizeData<D extends Datatype>(
  datatype: D,
  shape: readonly number[],
  data: DataInput,
  what: string,
): DatatypeData[D];
export function normalizeData(
  datatype: Datatype,
  shape: readonly number[],
  data: DataInput,
  what: string,
): TensorData {
  const count = elementCount(shape, `${what}: shape`);
  if (datatype === 'BYTES') return normalizeBytes(data, count, what);

  const Storage = storage[datatype];
  if (isTypedArray(data) && data.constructor === Storage) {
    if (data.length !== count) throw countMismatch(what, shape, count, data.length);
    if (datatype === 'BOOL') {
      const bad = data.findIndex((v: number | bigint) => v !== 0 && v !== 1);
      if (bad >= 0) throw new RangeError(`${what}: BOOL element ${bad} is ${data[bad]}, expected 0 or 1`);
    }
    return data;
  }
  if (!isTypedArray(data) && !Array.isArray(data)) {
    throw new TypeError(`${what}: data must be a typed array or an array of elements`);
  }
  const leaves = flatten(data, false);
  if (leaves.length !== count) throw countMismatch(what, shape, count, leaves.length);
  const out = new Storage(count);
  const convert = elementConverter(datatype, what);
  for (let i = 0; i < count; i++) (out as { [i: number]: number | bigint })[i] = convert(leaves[i], i);
  return out;
}

function countMismatch(what: string, shape: readonly number[], expected: number, actual: number): RangeError {
  return new RangeError(
    `${what}: shape [${shape.join(', ')}] needs ${expected} elements, but data has ${actual}`,
  );
}

/** Flattens nested arrays (and, for numeric types, typed arrays inside them) in row-major order. */
function flatten(
  data: readonly NestedElement[] | NumericArray | Uint8ClampedArray,
  bytes: boolean,
): unknown[] {
  if (isTypedArray(data)) return Array.from(data as ArrayLike<number | bigint>);
  if (!data.some((item) => Array.isArray(item) || (!bytes && isTypedArray(item)))) return data as unknown[];
  const out: unknown[] = [];
  const walk = (items: readonly unknown[] | ArrayLike<unknown>, depth: number): void => {
    // Real tensors have a handful of dimensions; this only stops a cyclic array from looping forever.
    if (depth > 64) throw new RangeError('tensor data nests deeper than 64 levels');
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (Array.isArray(item)) walk(item, depth + 1);
      else if (!bytes && isTypedArray(item)) walk(item as ArrayLike<number | bigint>, depth + 1);
      else out.push(item);
    }
  };
  walk(data, 0);
  return out;
}

function normalizeBytes(data: DataInput, count: number, what: string): Uint8Array[] {
  if (isTypedArray(data)) {
    throw new TypeError(
      `${what}: BYTES data must be an array of strings or Uint8Array elements, not one typed array`,
    );
  }
  if (!Array.isArray(data)) throw new TypeError(`${what}: BYTES data must be an array`);
  const leaves = flatten(data, true);
  if (leaves.length !== count) {
    throw new RangeError(`${what}: shape needs ${count} BYTES elements, but data has ${leaves.length}`);
  }
  return leaves.map((item, i) => {
    if (typeof item === 'string') return utf8Encoder.encode(item);
    if (item instanceof Uint8Array) return item;
    throw new TypeError(`${what}: BYTES element ${i} must be a string or Uint8Array, got ${describe(item)}`);
  });
}

type Converter = (value: unknown, index: number) => number | bigint;

function elementConverter(datatype: Exclude<Datatype, 'BYTES'>, what: string): Converter {
  const fail = (index: number, value: unknown, expected: string): never => {
    throw new RangeError(`${what}: ${datatype} element ${index} is ${describe(value)}, expected ${expected}`);
  };
  const toNumber = (value: unknown, index: number): number => {
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    return fail(index, value, 'a number');
  };
  switch (datatype) {
    case 'BOOL':
      return (value, index) => {
        if (value === true || value === 1 || value === 1n) return 1;
        if (value === false || value === 0 || value === 0n) return 0;
        return fail(index, value, 'a boolean (or 0/1)');
      };
    case 'FP32':
    case 'FP64':
      return toNumber;
    case 'FP16':
      return (value, index) => toFloat16Bits(toNumber(value, index));
    case 'BF16':
      return (value, index) => toBfloat16Bits(toNumber(value, index));
    case 'UINT64':
    case 'INT64': {
      const [min, max] = BIGINT_RANGE[datatype] as readonly [bigint, bigint];
      return (value, index) => {
        let big: bigint | undefined;
        if (typeof value === 'bigint') big = value;
        else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
        if (big === undefined || big < min || big > max)
          return fail(index, value, `an integer in [${min}, ${max}]`);
        return big;
      };
    }
    default: {
      const [min, max] = INTEGER_RANGE[datatype] as readonly [number, number];
      return (value, index) => {
        const n = typeof value === 'bigint' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
          return fail(index, value, `an integer in [${min}, ${max}]`);
        }
        return n;
      };
    }
  }
}

/** Number of bytes `data` takes on the binary wire. */
export function wireByteLength(datatype: Datatype, data: TensorData): number {
  if (datatype === 'BYTES') {
    let total = 0;
    for (const element of data as Uint8Array[]) total += 4 + element.byteLength;
    return total;
  }
  return (data as NumericArray).byteLength;
}

/**
 * Writes `data` as binary-extension bytes into `target` at `offset`: little-endian, row-major;
 * BYTES elements each get a 4-byte little-endian length prefix. Returns the offset after it.
 */
export function writeWireBytes(
  datatype: Datatype,
  data: TensorData,
  target: Uint8Array,
  offset: number,
): number {
  if (datatype === 'BYTES') {
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    for (const element of data as Uint8Array[]) {
      view.setUint32(offset, element.byteLength, true);
      target.set(element, offset + 4);
      offset += 4 + element.byteLength;
    }
    return offset;
  }
  const numeric = data as NumericArray;
  target.set(new Uint8Array(numeric.buffer, numeric.byteOffset, numeric.byteLength), offset);
  if (!HOST_IS_LITTLE_ENDIAN)
    swapBytes(target.subarray(offset, offset + numeric.byteLength), numeric.BYTES_PER_ELEMENT);
  return offset + numeric.byteLength;
}

/** `data` as a standalone binary-extension byte string. */
export function toWireBytes(datatype: Datatype, data: TensorData): Uint8Array {
  const out = new Uint8Array(wireByteLength(datatype, data));
  writeWireBytes(datatype, data, out, 0);
  return out;
}

/**
 * Reads binary-extension bytes back into the typed form of `datatype`, checking that they hold
 * exactly `count` elements. The result never aliases `bytes`.
 */
export function fromWireBytes<D extends Datatype>(
  datatype: D,
  bytes: Uint8Array,
  count: number,
): DatatypeData[D];
export function fromWireBytes(datatype: Datatype, bytes: Uint8Array, count: number): TensorData {
  if (datatype === 'BYTES') return splitLengthPrefixed(bytes, count);
  const size = datatypeByteSize[datatype] as number;
  if (bytes.byteLength !== count * size) {
    throw new RangeError(
      `${datatype} data of ${count} elements needs ${count * size} bytes, got ${bytes.byteLength}`,
    );
  }
  // slice() copies into a fresh, aligned buffer: the source offset need not be a multiple of size.
  const copy = bytes.slice();
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(copy, size);
  return new storage[datatype](copy.buffer, 0, count);
}

function splitLengthPrefixed(bytes: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (offset + 4 > bytes.byteLength) {
      throw new RangeError(`BYTES element ${out.length}: length prefix is cut off at byte ${offset}`);
    }
    const length = view.getUint32(offset, true);
    const start = offset + 4;
    if (start + length > bytes.byteLength) {
      throw new RangeError(
        `BYTES element ${out.length}: prefix says ${length} bytes, only ${bytes.byteLength - start} remain`,
      );
    }
    out.push(bytes.slice(start, start + length));
    offset = start + length;
  }
  if (out.length !== count)
    throw new RangeError(`BYTES data holds ${out.length} elements, shape needs ${count}`);
  return out;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/**
 * The JSON text of `data` as a flat `$tensor_data` array, or undefined where JSON cannot carry it
 * exactly: FP16/BF16 (servers such as KServe reject them as JSON numbers), NaN/±Infinity, and BYTES
 * elements that are not valid UTF-8. 64-bit integers are written digit for digit, never through a
 * double.
 */
export function toJsonDataText(datatype: Datatype, data: TensorData): string | undefined {
  switch (datatype) {
    case 'FP16':
    case 'BF16':
      return undefined;
    case 'BYTES': {
      const parts: string[] = [];
      for (const element of data as Uint8Array[]) {
        try {
          parts.push(JSON.stringify(strictUtf8Decoder.decode(element)));
        } catch {
          return undefined;
        }
      }
      return `[${parts.join(',')}]`;
    }
    case 'BOOL':
      return `[${Array.from(data as Uint8Array, (v) => (v ? 'true' : 'false')).join(',')}]`;
    case 'FP32':
    case 'FP64':
      if (!(data as Float32Array | Float64Array).every(Number.isFinite)) return undefined;
      return `[${(data as Float32Array | Float64Array).join(',')}]`;
    default:
      // Integer typed arrays (bigint ones included) print exact decimal digits.
      return `[${(data as NumericArray).join(',')}]`;
  }
}
