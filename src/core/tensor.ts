/**
 * Tensors and the 13 Open Inference Protocol datatypes (+ BF16 as an optional extension).
 *
 * In memory a tensor is row-major typed-array data, never nested JS arrays: that is what
 * onnxruntime takes without a copy and what the binary extension puts on the wire.
 * - BOOL is a Uint8Array of 0/1.
 * - FP16 and BF16 are Uint16Array holding the raw bit patterns (no JS number type fits them).
 * - BYTES is an array of Uint8Array, one per element.
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

export const ALL_DATATYPES: readonly Datatype[] = Object.values(Datatype);

/** Size in bytes of one element; BYTES is variable (undefined). */
export const datatypeByteSize: Record<Datatype, number | undefined> = {
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
};

export const isDatatype = (s: unknown): s is Datatype =>
  typeof s === 'string' && Object.prototype.hasOwnProperty.call(datatypeByteSize, s);

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

export type TensorData = NumericArray | Uint8Array[];

export type ParameterValue = string | number | boolean;
export type Parameters = Record<string, ParameterValue>;

export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  /** Concrete dimensions (no -1); for batched models dimension 0 is the batch. */
  readonly shape: readonly number[];
  readonly data: TensorData;
  readonly parameters?: Parameters;
}

/** Static description of a model input or output; -1 marks a variable dimension. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** Number of elements of a concrete shape ([] is a scalar: 1 element). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocates zero-filled storage for `count` elements of `datatype`. */
export function allocate(datatype: Datatype, count: number): TensorData {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(count);
    case 'INT8':
      return new Int8Array(count);
    case 'UINT16':
    case 'FP16':
    case 'BF16':
      return new Uint16Array(count);
    case 'INT16':
      return new Int16Array(count);
    case 'UINT32':
      return new Uint32Array(count);
    case 'INT32':
      return new Int32Array(count);
    case 'UINT64':
      return new BigUint64Array(count);
    case 'INT64':
      return new BigInt64Array(count);
    case 'FP32':
      return new Float32Array(count);
    case 'FP64':
      return new Float64Array(count);
    case 'BYTES':
      return Array.from({ length: count }, () => new Uint8Array(0));
  }
}

/** Number of elements held by tensor data. */
export const dataLength = (data: TensorData): number => data.length;

/** True when `shape` (concrete) fits `pattern` (with -1 wildcards). */
export function shapeMatches(pattern: readonly number[], shape: readonly number[]): boolean {
  if (pattern.length !== shape.length) return false;
  return pattern.every((p, i) => p === -1 || p === shape[i]);
}
