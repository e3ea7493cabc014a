/**
 * The Open Inference Protocol datatypes, as the client sees them.
 *
 * The client shares nothing with the server but the wire, so this is its own copy of the table
 * (OIP v2 lists 13 datatypes; BF16 is Triton's extension and optional on the server side).
 */

export const Datatype = {
  BOOL: 'BOOL',
  UINT8: 'UINT8',
  UINT16: 'UINT16',
  UINT32: 'UINT32',
  UINT64: 'UINT64',
  INT8: 'INT8',
  INT16: 'INT16',
  INT32: 'INT32',
  INT64: 'INT64',
  FP16: 'FP16',
  FP32: 'FP32',
  FP64: 'FP64',
  BYTES: 'BYTES',
  BF16: 'BF16',
} as const;
export type Datatype = (typeof Datatype)[keyof typeof Datatype];

export const DATATYPES: readonly Datatype[] = Object.freeze(Object.values(Datatype));

/** Bytes per element on the binary wire; BYTES elements are variable (length-prefixed). */
export const datatypeByteSize: Readonly<Record<Datatype, number | undefined>> = Object.freeze({
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: undefined,
  BF16: 2,
});

export const isDatatype = (value: unknown): value is Datatype =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(datatypeByteSize, value);

/**
 * In-memory form of each datatype's data: row-major typed arrays, as the binary extension puts them
 * on the wire. BOOL is 0/1 bytes; FP16/BF16 hold raw bit patterns (no JS number type fits them);
 * BYTES is one Uint8Array per element.
 */
export interface DatatypeData {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: Uint8Array[];
  BF16: Uint16Array;
}

export type NumericArray = DatatypeData[Exclude<Datatype, 'BYTES'>];
export type TensorData = DatatypeData[Datatype];

/**
 * Number of elements of a concrete shape ([] is a scalar: 1 element). Throws on dimensions that
 * are not non-negative safe integers, so a bad shape is caught before any bytes are built.
 */
export function elementCount(shape: readonly number[], what = 'shape'): number {
  if (!Array.isArray(shape)) throw new TypeError(`${what} must be an array of dimensions`);
  let count = 1;
  for (const [i, dim] of shape.entries()) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new RangeError(`${what}[${i}] must be a non-negative integer, got ${String(dim)}`);
    }
    count *= dim;
  }
  if (!Number.isSafeInteger(count))
    throw new RangeError(`${what} [${shape.join(', ')}] has too many elements`);
  return count;
}
