/**
 * Tensor data ↔ raw bytes, as the binary tensor data extension (REST) and `raw_input_contents` /
 * `raw_output_contents` (gRPC) lay them out: row-major, little-endian, no padding; BOOL is one byte
 * (0/1); a BYTES element is a 4-byte little-endian length followed by that many bytes.
 *
 * Byte order: on a little-endian host (x86, ARM as Node runs it) typed arrays already have the wire
 * layout, so encoding returns a view and decoding returns a view when the offset is aligned (no
 * copy). A misaligned offset costs one memcpy. On a big-endian host both directions go through a
 * DataView, element by element, so the wire stays little-endian everywhere.
 */
import { KaleidoError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { datatypeByteSize, elementCount } from '../tensor.js';
import type { Datatype, NumericArray, Tensor, TensorData } from '../tensor.js';

export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest BYTES element the 4-byte length prefix can describe. */
const MAX_BYTES_ELEMENT = 0xffffffff;

type FixedDatatype = Exclude<Datatype, 'BYTES'>;

interface TypedArrayConstructor<T extends NumericArray> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

const arrayTypeOf: { readonly [K in FixedDatatype]: TypedArrayConstructor<NumericArray> } = {
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
  BF16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** True when `data` has the in-memory representation tensor.ts prescribes for `datatype`. */
export function dataMatchesDatatype(datatype: Datatype, data: TensorData): boolean {
  if (datatype === 'BYTES') return Array.isArray(data) && data.every((e) => e instanceof Uint8Array);
  // A Buffer passes for UINT8/BOOL (it is a Uint8Array); sibling typed arrays never pass.
  return data instanceof arrayTypeOf[datatype];
}

/**
 * Checks that a tensor produced inside the server is self-consistent (data kind matches datatype,
 * element count matches shape). A failure is a server bug, so it is ERR_INTERNAL.
 */
export function assertTensorConsistent(t: Tensor): void {
  if (!dataMatchesDatatype(t.datatype, t.data)) {
    throw new KaleidoError('ERR_INTERNAL', `tensor '${t.name}' holds data that does not fit ${t.datatype}`, {
      details: { tensor: t.name, datatype: t.datatype },
    });
  }
  const expected = elementCount(t.shape);
  if (t.data.length !== expected) {
    throw new KaleidoError(
      'ERR_INTERNAL',
      `tensor '${t.name}' has ${t.data.length} elements but shape [${t.shape.join(',')}] needs ${expected}`,
      { details: { tensor: t.name, shape: [...t.shape], elements: t.data.length } },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Little-endian bytes of a numeric array via DataView: the portable path for big-endian hosts. */
export function numericToBytesPortable(datatype: FixedDatatype, data: NumericArray): Uint8Array {
  const size = datatypeByteSize[datatype] as number;
  const out = new Uint8Array(data.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const at = i * size;
    switch (datatype) {
      case 'BOOL':
      case 'UINT8':
        view.setUint8(at, v as number);
        break;
      case 'INT8':
        view.setInt8(at, v as number);
        break;
      case 'UINT16':
      case 'FP16':
      case 'BF16':
        view.setUint16(at, v as number, true);
        break;
      case 'INT16':
        view.setInt16(at, v as number, true);
        break;
      case 'UINT32':
        view.setUint32(at, v as number, true);
        break;
      case 'INT32':
        view.setInt32(at, v as number, true);
        break;
      case 'UINT64':
        view.setBigUint64(at, v as bigint, true);
        break;
      case 'INT64':
        view.setBigInt64(at, v as bigint, true);
        break;
      case 'FP32':
        view.setFloat32(at, v as number, true);
        break;
      case 'FP64':
        view.setFloat64(at, v as number, true);
        break;
    }
  }
  return out;
}

/** BYTES elements → concatenated (4-byte LE length, bytes) records. */
function encodeBytesElements(name: string, elements: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of elements) {
    if (e.length > MAX_BYTES_ELEMENT) {
      throw new KaleidoError('ERR_INTERNAL', `BYTES element of tensor '${name}' exceeds 4 GiB`, {
        details: { tensor: name },
      });
    }
    total += 4 + e.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of elements) {
    view.setUint32(at, e.length, true);
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/**
 * The wire bytes of a tensor. On a little-endian host the result of a numeric tensor is a view on
 * the tensor's own memory (do not mutate one while the other is in use); BYTES always allocates.
 * BOOL bytes other than 0/1 are normalised to 1, since the wire format allows only 0 and 1.
 * Throws ERR_INTERNAL if the tensor is not self-consistent.
 */
export function encodeTensorBytes(t: Tensor): Uint8Array {
  assertTensorConsistent(t);
  if (t.datatype === 'BYTES') return encodeBytesElements(t.name, t.data as Uint8Array[]);
  const data = t.data as NumericArray;
  if (t.datatype === 'BOOL') {
    const bools = data as Uint8Array;
    return bools.every((b) => b <= 1) ? bools : bools.map((b) => (b === 0 ? 0 : 1));
  }
  if (!HOST_IS_LITTLE_ENDIAN) return numericToBytesPortable(t.datatype, data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface DecodeBytesOptions {
  /** Error code for a byte count that does not fit the shape (default ERR_SHAPE_MISMATCH). */
  readonly errorCode?: Extract<ErrorCode, 'ERR_SHAPE_MISMATCH' | 'ERR_BINARY_HEADER'>;
  /** Tensor name, for messages and error details. */
  readonly tensorName?: string;
}

/** Little-endian bytes → numeric array via DataView: the portable path for big-endian hosts. */
export function bytesToNumericPortable(datatype: FixedDatatype, bytes: Uint8Array): NumericArray {
  const size = datatypeByteSize[datatype] as number;
  const count = bytes.length / size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new arrayTypeOf[datatype](count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (datatype) {
      case 'BOOL':
      case 'UINT8':
        out[i] = view.getUint8(at);
        break;
      case 'INT8':
        out[i] = view.getInt8(at);
        break;
      case 'UINT16':
      case 'FP16':
      case 'BF16':
        out[i] = view.getUint16(at, true);
        break;
      case 'INT16':
        out[i] = view.getInt16(at, true);
        break;
      case 'UINT32':
        out[i] = view.getUint32(at, true);
        break;
      case 'INT32':
        out[i] = view.getInt32(at, true);
        break;
      case 'UINT64':
        out[i] = view.getBigUint64(at, true);
        break;
      case 'INT64':
        out[i] = view.getBigInt64(at, true);
        break;
      case 'FP32':
        out[i] = view.getFloat32(at, true);
        break;
      case 'FP64':
        out[i] = view.getFloat64(at, true);
        break;
    }
  }
  return out;
}

function decodeFixed(
  datatype: FixedDatatype,
  count: number,
  bytes: Uint8Array,
  opts: DecodeBytesOptions,
): NumericArray {
  const size = datatypeByteSize[datatype] as number;
  const name = opts.tensorName ?? 'tensor';
  if (bytes.length !== count * size) {
    throw new KaleidoError(
      opts.errorCode ?? 'ERR_SHAPE_MISMATCH',
      `'${name}' has ${bytes.length} bytes of data but ${count} ${datatype} elements need ${count * size}`,
      { details: { tensor: name, expectedBytes: count * size, actualBytes: bytes.length } },
    );
  }
  if (datatype === 'BOOL') {
    const bad = bytes.findIndex((b) => b > 1);
    if (bad !== -1) {
      throw new KaleidoError(
        'ERR_DATATYPE_MISMATCH',
        `BOOL element ${bad} of '${name}' is ${bytes[bad]}, not 0 or 1`,
        {
          details: { tensor: name, index: bad },
        },
      );
    }
  }
  if (!HOST_IS_LITTLE_ENDIAN) return bytesToNumericPortable(datatype, bytes);
  const ctor = arrayTypeOf[datatype];
  // Zero copy when the typed array can sit on the caller's buffer; otherwise copy into a fresh,
  // aligned buffer (typed arrays require byteOffset % BYTES_PER_ELEMENT === 0).
  // Uint8Array.prototype.slice copies even when `bytes` is a Node Buffer (whose own slice() is a
  // view and would leave the data misaligned).
  const source = bytes.byteOffset % size === 0 ? bytes : Uint8Array.prototype.slice.call(bytes);
  return new ctor(source.buffer, source.byteOffset, count);
}

function decodeBytesElements(count: number, bytes: Uint8Array, opts: DecodeBytesOptions): Uint8Array[] {
  const code = opts.errorCode ?? 'ERR_SHAPE_MISMATCH';
  const name = opts.tensorName ?? 'tensor';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (out.length === count) {
      throw new KaleidoError(code, `'${name}' holds more than the ${count} BYTES elements its shape allows`, {
        details: { tensor: name, expectedElements: count },
      });
    }
    if (at + 4 > bytes.length) {
      throw new KaleidoError(code, `'${name}' ends inside the length prefix of BYTES element ${out.length}`, {
        details: { tensor: name, index: out.length },
      });
    }
    const length = view.getUint32(at, true);
    at += 4;
    if (length > bytes.length - at) {
      throw new KaleidoError(
        code,
        `BYTES element ${out.length} of '${name}' claims ${length} bytes but only ${bytes.length - at} remain`,
        { details: { tensor: name, index: out.length } },
      );
    }
    out.push(bytes.subarray(at, at + length)); // a view: BYTES decoding copies nothing
    at += length;
  }
  if (out.length !== count) {
    throw new KaleidoError(
      code,
      `'${name}' holds ${out.length} BYTES elements but its shape needs ${count}`,
      {
        details: { tensor: name, expectedElements: count, actualElements: out.length },
      },
    );
  }
  return out;
}

/**
 * Wire bytes → tensor data for a concrete `shape`. The result may be a view on `bytes` (numeric
 * data at an aligned offset, every BYTES element): the caller must not reuse that memory.
 * Byte count/shape disagreement → `opts.errorCode` (ERR_SHAPE_MISMATCH unless told otherwise);
 * a BOOL byte other than 0/1 → ERR_DATATYPE_MISMATCH.
 */
export function decodeTensorBytes(
  datatype: Datatype,
  shape: readonly number[],
  bytes: Uint8Array,
  opts: DecodeBytesOptions = {},
): TensorData {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return decodeBytesElements(count, bytes, opts);
  return decodeFixed(datatype, count, bytes, opts);
}
