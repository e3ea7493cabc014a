/**
 * Wire-level helpers for the OIP v2 conformance and e2e tests.
 *
 * The tensor byte encoding here is written independently of the server (src/core/oip) and of the
 * client (@kaleido/client) on purpose: a round trip through an identity model proves little if
 * the test encodes with the same code that the server decodes with. Everything is spelled out
 * with DataView in little-endian, as the binary tensor data extension defines it.
 */
import { expect } from 'vitest';

/** The 13 datatypes of the OIP datatype table (BF16 is Triton's optional extension). */
export const OIP_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type OipDatatype = (typeof OIP_DATATYPES)[number] | 'BF16';

/** A JSON tensor element: what `data` may hold in OIP JSON. */
export type JsonElement = number | boolean | string;

export const BYTE_SIZE: Record<Exclude<OipDatatype, 'BYTES'>, number> = {
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
  BF16: 2,
  FP32: 4,
  FP64: 8,
};

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// ---- half precision, by hand -----------------------------------------------------------------

/** IEEE 754 binary16 bits of `value`; only values exactly representable in FP16 are accepted. */
export function fp16Bits(value: number): number {
  if (Object.is(value, -0)) return 0x8000;
  if (value === 0) return 0;
  const sign = value < 0 ? 0x8000 : 0;
  const a = Math.abs(value);
  let exponent = Math.floor(Math.log2(a));
  if (exponent < -14) {
    const mantissa = a / 2 ** -24;
    if (!Number.isInteger(mantissa)) throw new Error(`${value} is not exact in FP16`);
    return sign | mantissa;
  }
  // log2 can be off by one near powers of two.
  if (2 ** exponent > a) exponent -= 1;
  if (2 ** (exponent + 1) <= a) exponent += 1;
  const mantissa = (a / 2 ** exponent - 1) * 1024;
  if (!Number.isInteger(mantissa) || exponent > 15) throw new Error(`${value} is not exact in FP16`);
  return sign | ((exponent + 15) << 10) | mantissa;
}

export function fp16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** BF16 is the top half of an FP32: exact for values whose low 16 FP32 bits are zero. */
export function bf16Bits(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value, true);
  const bits = view.getUint32(0, true);
  if ((bits & 0xffff) !== 0) throw new Error(`${value} is not exact in BF16`);
  return bits >>> 16;
}

export function bf16Value(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16, true);
  return view.getFloat32(0, true);
}

// ---- tensor bytes ----------------------------------------------------------------------------

/** Elements → little-endian wire bytes (BYTES: 4-byte length prefix + the UTF-8 string). */
export function encodeElements(datatype: OipDatatype, values: readonly JsonElement[]): Uint8Array {
  if (datatype === 'BYTES') {
    const parts = values.map((v) => utf8.encode(String(v)));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const p of parts) {
      view.setUint32(at, p.length, true);
      out.set(p, at + 4);
      at += 4 + p.length;
    }
    return out;
  }
  const size = BYTE_SIZE[datatype];
  const out = new Uint8Array(size * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    const n = typeof v === 'boolean' ? Number(v) : v;
    switch (datatype) {
      case 'BOOL':
      case 'UINT8':
        return view.setUint8(at, Number(n));
      case 'INT8':
        return view.setInt8(at, Number(n));
      case 'UINT16':
        return view.setUint16(at, Number(n), true);
      case 'INT16':
        return view.setInt16(at, Number(n), true);
      case 'UINT32':
        return view.setUint32(at, Number(n), true);
      case 'INT32':
        return view.setInt32(at, Number(n), true);
      case 'UINT64':
        return view.setBigUint64(at, BigInt(n), true);
      case 'INT64':
        return view.setBigInt64(at, BigInt(n), true);
      case 'FP16':
        return view.setUint16(at, fp16Bits(Number(n)), true);
      case 'BF16':
        return view.setUint16(at, bf16Bits(Number(n)), true);
      case 'FP32':
        return view.setFloat32(at, Number(n), true);
      case 'FP64':
        return view.setFloat64(at, Number(n), true);
    }
  });
  return out;
}

/**
 * Little-endian wire bytes → elements, as JSON would carry them: BOOL → boolean, 64-bit integers
 * → decimal strings (exact), half floats → numbers, BYTES → UTF-8 strings.
 */
export function decodeElements(datatype: OipDatatype, bytes: Uint8Array): (JsonElement | bigint)[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (datatype === 'BYTES') {
    const out: string[] = [];
    let at = 0;
    while (at < bytes.length) {
      const length = view.getUint32(at, true);
      out.push(utf8Decoder.decode(bytes.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    return out;
  }
  const size = BYTE_SIZE[datatype];
  if (bytes.length % size !== 0)
    throw new Error(`${bytes.length} bytes is not a whole number of ${datatype}`);
  return Array.from({ length: bytes.length / size }, (_, i) => {
    const at = i * size;
    switch (datatype) {
      case 'BOOL':
        return view.getUint8(at) !== 0;
      case 'UINT8':
        return view.getUint8(at);
      case 'INT8':
        return view.getInt8(at);
      case 'UINT16':
        return view.getUint16(at, true);
      case 'INT16':
        return view.getInt16(at, true);
      case 'UINT32':
        return view.getUint32(at, true);
      case 'INT32':
        return view.getInt32(at, true);
      case 'UINT64':
        return view.getBigUint64(at, true);
      case 'INT64':
        return view.getBigInt64(at, true);
      case 'FP16':
        return fp16Value(view.getUint16(at, true));
      case 'BF16':
        return bf16Value(view.getUint16(at, true));
      case 'FP32':
        return view.getFloat32(at, true);
      case 'FP64':
        return view.getFloat64(at, true);
    }
  });
}

/** Row-major flat data → arrays nested in `shape`. */
export function nest<T>(flat: readonly T[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...flat];
  const [, ...rest] = shape;
  const inner = rest.reduce((n, d) => n * d, 1);
  const out: unknown[] = [];
  for (let i = 0; i < flat.length; i += inner) out.push(nest(flat.slice(i, i + inner), rest));
  return out;
}

// ---- HTTP --------------------------------------------------------------------------------------

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

export async function http(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body?: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

export const getJson = async (baseUrl: string, path: string): Promise<{ status: number; json: unknown }> => {
  const a = await http(baseUrl, 'GET', path);
  return { status: a.status, json: parseBody(a) };
};

export const postJson = async (
  baseUrl: string,
  path: string,
  value: unknown,
): Promise<{ status: number; json: unknown; headers: Headers }> => {
  const a = await http(baseUrl, 'POST', path, typeof value === 'string' ? value : JSON.stringify(value));
  return { status: a.status, json: parseBody(a), headers: a.headers };
};

/** The body as JSON, or undefined when it is empty. */
export function parseBody(a: HttpAnswer): unknown {
  if (a.body.length === 0) return undefined;
  return JSON.parse(new TextDecoder().decode(a.body)) as unknown;
}

/** JSON header + binary chunks, as the binary tensor data extension lays out a body. */
export function binaryBody(
  header: unknown,
  chunks: readonly Uint8Array[],
): { body: Uint8Array; headerLength: number } {
  const json = utf8.encode(JSON.stringify(header));
  const body = new Uint8Array(json.length + chunks.reduce((n, c) => n + c.length, 0));
  body.set(json, 0);
  let at = json.length;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { body, headerLength: json.length };
}

export interface OipOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: JsonElement[];
  parameters?: Record<string, JsonElement>;
  /** The output's bytes when it came back in binary. */
  bytes?: Uint8Array;
}

export interface OipResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, JsonElement>;
  outputs: OipOutput[];
}

/**
 * Decodes an inference answer, JSON or binary: with `Inference-Header-Content-Length` the JSON
 * header is followed by each binary output's bytes, in the order of `outputs`.
 */
export function readInferAnswer(a: HttpAnswer): OipResponse {
  const h = a.headers.get('inference-header-content-length');
  if (h === null) return JSON.parse(new TextDecoder().decode(a.body)) as OipResponse;
  const headerLength = Number(h);
  expect(Number.isInteger(headerLength) && headerLength > 0 && headerLength <= a.body.length).toBe(true);
  const res = JSON.parse(new TextDecoder().decode(a.body.subarray(0, headerLength))) as OipResponse;
  let at = headerLength;
  for (const o of res.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    expect(typeof size).toBe('number');
    o.bytes = a.body.slice(at, at + (size as number));
    at += size as number;
  }
  expect(at).toBe(a.body.length);
  return res;
}

/** POSTs an inference request as JSON, or as a binary body when `binary` chunks are given. */
export async function infer(
  baseUrl: string,
  model: string,
  request: unknown,
  binary?: readonly Uint8Array[],
  path = `/v2/models/${model}/infer`,
): Promise<{ status: number; response: OipResponse; answer: HttpAnswer }> {
  let answer: HttpAnswer;
  if (binary === undefined) {
    answer = await http(baseUrl, 'POST', path, JSON.stringify(request));
  } else {
    const { body, headerLength } = binaryBody(request, binary);
    answer = await http(baseUrl, 'POST', path, body, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(headerLength),
    });
  }
  if (answer.status !== 200) {
    throw new Error(`infer ${model}: HTTP ${answer.status} ${new TextDecoder().decode(answer.body)}`);
  }
  return { status: answer.status, response: readInferAnswer(answer), answer };
}

/** Asserts an OIP error answer: the status (exact or a range) and the spec's `{"error": string}`. */
export function expectOipError(
  a: HttpAnswer,
  status: number | [number, number],
): { error: string; code?: string } {
  const text = new TextDecoder().decode(a.body);
  if (Array.isArray(status)) {
    expect(a.status, text).toBeGreaterThanOrEqual(status[0]);
    expect(a.status, text).toBeLessThanOrEqual(status[1]);
  } else {
    expect(a.status, text).toBe(status);
  }
  const body = JSON.parse(text) as { error: unknown; code?: string };
  expect(typeof body.error, text).toBe('string');
  expect((body.error as string).length).toBeGreaterThan(0);
  return body as { error: string; code?: string };
}
