/**
 * `$tensor_data` (OIP JSON) ↔ in-memory tensor data.
 *
 * Element rules, and where we deliberately differ from other servers:
 * - BOOL: `true`/`false`, and also `0`/`1` (numpy-based clients often send those).
 * - Integer types: JSON numbers that are integers inside the datatype's range; 300 for UINT8 or 1.5
 *   for INT32 is an error, never a silent wrap or truncation.
 * - INT64/UINT64: JSON numbers become bigint. JSON.parse turns every number into a double, so an
 *   integer above 2^53 in the request text has already lost precision before we see it; for exact
 *   64-bit values send binary data, or (our extension, as the protobuf JSON mapping does) a decimal
 *   string such as "9007199254740993". Responses carry them as JSON numbers, so values above 2^53
 *   come back rounded: request binary_data for exact 64-bit outputs.
 * - FP16/BF16: JSON numbers, rounded to nearest-even 16-bit bits. KServe rejects FP16 in JSON; we
 *   accept it because the conversion is exact to define and convenient for clients.
 * - Floats: a finite number that overflows the datatype (1e40 for FP32, 70000 for FP16) is an
 *   error. JSON has no NaN/Infinity, so we read and write them as the strings "NaN", "Infinity" and
 *   "-Infinity" (the protobuf JSON mapping's spelling; numpy parses them too).
 * - BYTES: JSON strings, stored as their UTF-8 encoding. A response BYTES element that is not valid
 *   UTF-8 cannot be a JSON string without corruption, so it is an error asking for binary_data.
 */
import { KaleidoError } from '../errors.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../fp16.js';
import { allocate } from '../tensor.js';
import type { Datatype, NumericArray, Tensor, TensorData } from '../tensor.js';

type Converter = (value: unknown) => number | bigint | Uint8Array | undefined;

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

const integerIn =
  (min: number, max: number): Converter =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL_INTEGER = /^-?\d{1,20}$/;

const bigIntIn =
  (min: bigint, max: bigint): Converter =>
  (v) => {
    let b: bigint;
    if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
    else if (typeof v === 'string' && DECIMAL_INTEGER.test(v)) b = BigInt(v);
    else return undefined;
    return b >= min && b <= max ? b : undefined;
  };

/** A JSON float element: a number, or a non-finite spelled as a string. */
const floatValue = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v];
  return undefined;
};

/** Float conversion that rejects finite values the target cannot hold (they would become ±Inf). */
const floatVia =
  (round: (x: number) => number, isInfinite: (r: number) => boolean): Converter =>
  (v) => {
    const x = floatValue(v);
    if (x === undefined) return undefined;
    const r = round(x);
    return Number.isFinite(x) && isInfinite(r) ? undefined : r;
  };

const utf8Encoder = new TextEncoder();

const converters: { readonly [K in Datatype]: Converter } = {
  BOOL: (v) => (v === true || v === 1 ? 1 : v === false || v === 0 ? 0 : undefined),
  UINT8: integerIn(0, 0xff),
  UINT16: integerIn(0, 0xffff),
  UINT32: integerIn(0, 0xffffffff),
  UINT64: bigIntIn(0n, UINT64_MAX),
  INT8: integerIn(-0x80, 0x7f),
  INT16: integerIn(-0x8000, 0x7fff),
  INT32: integerIn(-0x80000000, 0x7fffffff),
  INT64: bigIntIn(INT64_MIN, INT64_MAX),
  FP16: floatVia(toFloat16Bits, (bits) => (bits & 0x7fff) === 0x7c00),
  BF16: floatVia(toBfloat16Bits, (bits) => (bits & 0x7fff) === 0x7f80),
  FP32: floatVia(Math.fround, (r) => !Number.isFinite(r)),
  FP64: floatVia(
    (x) => x,
    () => false,
  ),
  BYTES: (v) => (typeof v === 'string' ? utf8Encoder.encode(v) : undefined),
};

const expectation: { readonly [K in Datatype]: string } = {
  BOOL: 'true, false, 0 or 1',
  UINT8: 'an integer in 0..255',
  UINT16: 'an integer in 0..65535',
  UINT32: 'an integer in 0..4294967295',
  UINT64: 'an integer in 0..2^64-1',
  INT8: 'an integer in -128..127',
  INT16: 'an integer in -32768..32767',
  INT32: 'an integer in -2147483648..2147483647',
  INT64: 'an integer in -2^63..2^63-1',
  FP16: 'a number within the FP16 range',
  BF16: 'a number within the BF16 range',
  FP32: 'a number within the FP32 range',
  FP64: 'a number',
  BYTES: 'a string',
};

/** A short, safe description of an arbitrary JSON value for error messages. */
function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 32 ? `${v.slice(0, 32)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a value of type ${typeof v}`;
}

function shapeError(field: string, message: string, details: Record<string, unknown> = {}): KaleidoError {
  return new KaleidoError('ERR_SHAPE_MISMATCH', `${field}: ${message}`, { details: { field, ...details } });
}

/**
 * Checks that nested `data` follows `shape` exactly (every array at level k has shape[k] entries)
 * without touching leaves, so that nothing is allocated for a shape the data does not back.
 */
function checkNestedStructure(data: unknown[], shape: readonly number[], field: string): void {
  // Iterative walk: the depth is bounded by the rank, but an explicit stack costs nothing extra.
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (!Array.isArray(node) || node.length !== shape[level]) {
      const got = Array.isArray(node) ? `${node.length} entries` : describe(node);
      throw shapeError(
        field,
        `nested data does not follow shape [${shape.join(',')}] at depth ${level} (${got})`,
        {
          shape: [...shape],
          depth: level,
        },
      );
    }
    if (level + 1 < shape.length) for (const child of node) stack.push([child, level + 1]);
  }
}

/**
 * JSON `$tensor_data` (nested in the natural shape, or flat) → tensor data of `datatype`.
 * `shape` must already be validated (non-negative integers, safe element count = `count`).
 * Structure errors → ERR_SHAPE_MISMATCH; element errors → ERR_DATATYPE_MISMATCH; details.field is
 * `field` and details.index the row-major element index.
 */
export function jsonToTensorData(
  datatype: Datatype,
  shape: readonly number[],
  count: number,
  data: unknown,
  field: string,
): TensorData {
  if (!Array.isArray(data)) {
    throw new KaleidoError('ERR_VALIDATION', `${field}: must be an array`, { details: { field } });
  }
  const nested = data.length > 0 && Array.isArray(data[0]);
  if (nested) {
    if (shape.length < 2)
      throw shapeError(field, `nested data for a rank-${shape.length} shape`, { shape: [...shape] });
    checkNestedStructure(data, shape, field);
  } else if (data.length !== count) {
    throw shapeError(field, `${data.length} elements but shape [${shape.join(',')}] needs ${count}`, {
      shape: [...shape],
      expectedElements: count,
      actualElements: data.length,
    });
  }

  const out = allocate(datatype, count);
  const convert = converters[datatype];
  let index = 0;
  const put = (v: unknown): void => {
    if (Array.isArray(v)) {
      throw shapeError(
        field,
        `element ${index} is an array, but the data is deeper than shape [${shape.join(',')}]`,
        {
          index,
        },
      );
    }
    const converted = convert(v);
    if (converted === undefined) {
      throw new KaleidoError(
        'ERR_DATATYPE_MISMATCH',
        `${field}: element ${index} is ${describe(v)}, expected ${expectation[datatype]} for ${datatype}`,
        { details: { field, index, datatype } },
      );
    }
    (out as unknown[] | NumericArray)[index++] = converted as never;
  };

  if (!nested) {
    for (const v of data) put(v);
    return out;
  }
  // Row-major traversal of a structure already known to match `shape`.
  const walk = (node: unknown[], level: number): void => {
    if (level === shape.length - 1) for (const v of node) put(v);
    else for (const child of node) walk(child as unknown[], level + 1);
  };
  walk(data, 0);
  return out;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A float as JSON: finite numbers as-is, non-finite values as "NaN" / "Infinity" / "-Infinity". */
const jsonFloat = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

/**
 * Tensor data → flat JSON `$tensor_data` (numbers, booleans or strings). The tensor must be
 * consistent (see assertTensorConsistent). A BYTES element that is not UTF-8 → ERR_DATATYPE_MISMATCH.
 */
export function tensorDataToJson(t: Tensor): (number | boolean | string)[] {
  const { data } = t;
  switch (t.datatype) {
    case 'BOOL':
      return Array.from(data as Uint8Array, (b) => b !== 0);
    case 'UINT64':
    case 'INT64':
      return Array.from(data as BigInt64Array | BigUint64Array, (b) => Number(b));
    case 'FP16':
      return Array.from(data as Uint16Array, (bits) => jsonFloat(fromFloat16Bits(bits)));
    case 'BF16':
      return Array.from(data as Uint16Array, (bits) => jsonFloat(fromBfloat16Bits(bits)));
    case 'FP32':
    case 'FP64':
      return Array.from(data as Float32Array | Float64Array, jsonFloat);
    case 'BYTES':
      return (data as Uint8Array[]).map((bytes, index) => {
        try {
          return utf8Decoder.decode(bytes);
        } catch {
          throw new KaleidoError(
            'ERR_DATATYPE_MISMATCH',
            `BYTES element ${index} of output '${t.name}' is not valid UTF-8 text; request it with binary_data: true`,
            { details: { output: t.name, index } },
          );
        }
      });
    default:
      return Array.from(data as Exclude<NumericArray, BigInt64Array | BigUint64Array>);
  }
}
