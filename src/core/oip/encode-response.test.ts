import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import type { InferResponse } from '../ports/inference.js';
import type { Datatype, Tensor, TensorData } from '../tensor.js';
import { assembleBinaryBody, encodeInferResponse, splitBinaryBody } from './encode-response.js';
import { decodeInferRequest } from './decode-request.js';

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

const response = (outputs: Tensor[], extra: Partial<InferResponse> = {}): InferResponse => ({
  modelName: 'm',
  modelVersion: '1',
  outputs,
  ...extra,
});

const allJson = { binaryOutputs: () => false };
const allBinary = { binaryOutputs: () => true };

/** One [2,3] tensor per datatype with edge values, and its expected flat JSON data. */
const samples: [Datatype, TensorData, unknown[]][] = [
  ['BOOL', new Uint8Array([1, 0, 0, 1, 1, 0]), [true, false, false, true, true, false]],
  ['UINT8', new Uint8Array([0, 1, 127, 128, 254, 255]), [0, 1, 127, 128, 254, 255]],
  ['INT8', new Int8Array([-128, -1, 0, 1, 2, 127]), [-128, -1, 0, 1, 2, 127]],
  ['UINT16', new Uint16Array([0, 1, 2, 3, 65534, 65535]), [0, 1, 2, 3, 65534, 65535]],
  ['INT16', new Int16Array([-32768, -1, 0, 1, 2, 32767]), [-32768, -1, 0, 1, 2, 32767]],
  ['UINT32', new Uint32Array([0, 1, 2, 3, 4, 4294967295]), [0, 1, 2, 3, 4, 4294967295]],
  ['INT32', new Int32Array([-2147483648, -1, 0, 1, 2, 2147483647]), [-2147483648, -1, 0, 1, 2, 2147483647]],
  [
    'UINT64',
    new BigUint64Array([0n, 1n, 2n, 3n, 2n ** 53n - 1n, 2n ** 53n]),
    [0, 1, 2, 3, 2 ** 53 - 1, 2 ** 53],
  ],
  [
    'INT64',
    new BigInt64Array([-(2n ** 63n), -1n, 0n, 1n, -(2n ** 53n), 2n ** 53n]),
    [-(2 ** 63), -1, 0, 1, -(2 ** 53), 2 ** 53],
  ],
  [
    'FP16',
    new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00]),
    [1, -2, 65504, 2 ** -24, 'Infinity', '-Infinity'],
  ],
  [
    'BF16',
    new Uint16Array([0x3f80, 0xbf80, 0x4049, 0x0001, 0x7f80, 0x7fc0]),
    [1, -1, 3.140625, 2 ** -133, 'Infinity', 'NaN'],
  ],
  [
    'FP32',
    new Float32Array([0.5, -1.25, 3.4028234663852886e38, 1e-45, Infinity, NaN]),
    [0.5, -1.25, 3.4028234663852886e38, Math.fround(1e-45), 'Infinity', 'NaN'],
  ],
  [
    'FP64',
    new Float64Array([0.1, -2, Number.MAX_VALUE, Number.MIN_VALUE, -Infinity, NaN]),
    [0.1, -2, Number.MAX_VALUE, Number.MIN_VALUE, '-Infinity', 'NaN'],
  ],
  [
    'BYTES',
    ['', 'a', 'héllo', '🙂', '\u0000', '\ufeffbom'].map(utf8),
    ['', 'a', 'héllo', '🙂', '\u0000', '\ufeffbom'],
  ],
];

/** Regroups flat JSON data into nested arrays of `shape` (the natural-shape form). */
function nest(flat: unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return flat;
  const [, ...inner] = shape;
  const stride = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat.slice(i * stride, (i + 1) * stride), inner));
}

/** The bytes a tensor's data occupies, to compare bit patterns exactly (NaN payloads, -0). */
function bitsOf(data: TensorData): Uint8Array[] {
  if (Array.isArray(data)) return data;
  return [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

describe('encodeInferResponse', () => {
  it('writes the snake_case envelope, echoing id and parameters only when present', () => {
    const out: Tensor = {
      name: 'y',
      datatype: 'INT32',
      shape: [1],
      data: new Int32Array([3]),
      parameters: { unit: 'ms' },
    };
    const { json, chunks } = encodeInferResponse(
      response([out], { id: 'ïd', parameters: { seq: 1 } }),
      allJson,
    );
    expect(json).toEqual({
      model_name: 'm',
      model_version: '1',
      id: 'ïd',
      parameters: { seq: 1 },
      outputs: [{ name: 'y', datatype: 'INT32', shape: [1], parameters: { unit: 'ms' }, data: [3] }],
    });
    expect(chunks).toEqual([]);
    const bare = encodeInferResponse(response([], { parameters: {} }), allJson).json;
    expect(bare).toEqual({ model_name: 'm', model_version: '1', outputs: [] });
    expect(Object.keys(bare)).toEqual(['model_name', 'model_version', 'outputs']);
  });

  it('produces the 24-byte binary output of the Triton worked example', () => {
    const values = new Float32Array([1, 2, 3, 4, 5, 6]);
    const output0: Tensor = { name: 'output0', datatype: 'FP32', shape: [3, 2], data: values };
    const { json, chunks } = encodeInferResponse(response([output0]), {
      binaryOutputs: (n) => n === 'output0',
    });
    expect(json.outputs).toEqual([
      { name: 'output0', datatype: 'FP32', shape: [3, 2], parameters: { binary_data_size: 24 } },
    ]);
    expect(chunks.map((c) => c.length)).toEqual([24]);
    const { body, headerLength } = assembleBinaryBody(json, chunks);
    expect(body.length).toBe(headerLength + 24);
    const split = splitBinaryBody(body, headerLength);
    expect(split.json).toEqual(json);
    expect(new Float32Array(split.binary.slice().buffer)).toEqual(values);
  });

  it('appends binary chunks in output order and keeps JSON outputs inline', () => {
    const a: Tensor = { name: 'a', datatype: 'UINT8', shape: [2], data: new Uint8Array([1, 2]) };
    const b: Tensor = { name: 'b', datatype: 'INT16', shape: [1], data: new Int16Array([-1]) };
    const c: Tensor = {
      name: 'c',
      datatype: 'BYTES',
      shape: [1],
      data: [utf8('z')],
      parameters: { binary_data_size: 99 },
    };
    const { json, chunks } = encodeInferResponse(response([a, b, c]), { binaryOutputs: (n) => n !== 'b' });
    expect(json.outputs).toEqual([
      { name: 'a', datatype: 'UINT8', shape: [2], parameters: { binary_data_size: 2 } },
      { name: 'b', datatype: 'INT16', shape: [1], data: [-1] },
      { name: 'c', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 5 } },
    ]);
    expect(chunks.map((x) => [...x])).toEqual([
      [1, 2],
      [1, 0, 0, 0, 0x7a],
    ]);
  });

  it('drops a stale binary_data_size from a JSON output', () => {
    const t: Tensor = {
      name: 'a',
      datatype: 'UINT8',
      shape: [1],
      data: new Uint8Array([1]),
      parameters: { binary_data_size: 7 },
    };
    expect(encodeInferResponse(response([t]), allJson).json.outputs).toEqual([
      { name: 'a', datatype: 'UINT8', shape: [1], data: [1] },
    ]);
  });

  it('refuses to put non-UTF-8 BYTES into JSON, but sends them as binary', () => {
    const t: Tensor = {
      name: 'img',
      datatype: 'BYTES',
      shape: [2],
      data: [utf8('ok'), new Uint8Array([0xff, 0xfe])],
    };
    const e = errorOf(() => encodeInferResponse(response([t]), allJson));
    expect(e.code).toBe('ERR_DATATYPE_MISMATCH');
    expect(e.details).toEqual({ output: 'img', index: 1 });
    expect(e.message).toMatch(/binary_data/);
    expect(encodeInferResponse(response([t]), allBinary).chunks[0]!.length).toBe(4 + 2 + 4 + 2);
  });

  it('reports an inconsistent output tensor as an internal error', () => {
    const t: Tensor = { name: 'y', datatype: 'FP32', shape: [4], data: new Float32Array(2) };
    expect(errorOf(() => encodeInferResponse(response([t]), allJson)).code).toBe('ERR_INTERNAL');
  });
});

describe('every datatype round-trips: response encoding → request decoding', () => {
  // A response output has the same fields as a request input, so an encoded output can be fed
  // straight back to the request decoder.
  it.each(samples)('%s as JSON, flat and nested', (datatype, data, expectedJson) => {
    const t: Tensor = { name: 'out', datatype, shape: [2, 3], data };
    const { json } = encodeInferResponse(response([t]), allJson);
    const [output] = json.outputs as Record<string, unknown>[];
    expect(output!.data).toEqual(expectedJson);

    const wire = JSON.parse(JSON.stringify(json)) as { outputs: Record<string, unknown>[] };
    const flat = decodeInferRequest({ inputs: wire.outputs });
    expect(flat.inputs[0]).toEqual({ name: 'out', datatype, shape: [2, 3], data });
    expect(bitsOf(flat.inputs[0]!.data)).toEqual(bitsOf(data));

    const nestedInput = { ...wire.outputs[0], data: nest(wire.outputs[0]!.data as unknown[], [2, 3]) };
    const nested = decodeInferRequest({ inputs: [nestedInput] });
    expect(bitsOf(nested.inputs[0]!.data)).toEqual(bitsOf(data));
  });

  it.each(samples)('%s as binary data through one framed body', (datatype, data) => {
    const t: Tensor = { name: 'out', datatype, shape: [2, 3], data };
    const other: Tensor = { name: 'pad', datatype: 'UINT8', shape: [3], data: new Uint8Array([7, 8, 9]) };
    // `pad` first, so that the tensor under test sits at an offset that is usually misaligned.
    const { json, chunks } = encodeInferResponse(response([other, t]), allBinary);
    const { body, headerLength } = assembleBinaryBody(json, chunks);
    const split = splitBinaryBody(body, headerLength);
    const decoded = decodeInferRequest(
      { inputs: (split.json as { outputs: unknown[] }).outputs },
      split.binary,
    );
    expect(decoded.inputs[1]).toEqual({ name: 'out', datatype, shape: [2, 3], data });
    expect(bitsOf(decoded.inputs[1]!.data)).toEqual(bitsOf(data));
    expect(decoded.inputs[0]!.data).toEqual(other.data);
  });
});

describe('splitBinaryBody', () => {
  const body = utf8('{"inputs":[]}xyz');

  it('splits at the header length, accepting the raw header string', () => {
    const { json, binary } = splitBinaryBody(body, ' 13 ');
    expect(json).toEqual({ inputs: [] });
    expect([...binary]).toEqual([...utf8('xyz')]);
    expect(splitBinaryBody(utf8('{"inputs":[]}'), 13).binary.length).toBe(0);
  });

  it('treats a header length of 0 as a raw binary request', () => {
    expect(splitBinaryBody(body, 0)).toEqual({ json: undefined, binary: body });
  });

  it.each([-1, 1.5, 17, NaN, Infinity, '-1', '1e1', 'abc', '', '99999999999999999'])(
    'rejects header length %s with ERR_BINARY_HEADER',
    (length) => {
      const e = errorOf(() => splitBinaryBody(body, length));
      expect(e.code).toBe('ERR_BINARY_HEADER');
      expect(e.details?.bodyLength).toBe(16);
    },
  );

  it('parses the header under JSON limits and reports malformed headers', () => {
    expect(errorOf(() => splitBinaryBody(body, 5)).code).toBe('ERR_INVALID_JSON');
    const deep = utf8('[[[[1]]]]');
    expect(errorOf(() => splitBinaryBody(deep, deep.length, { maxDepth: 2 })).details).toEqual({
      maxDepth: 2,
    });
  });
});

describe('assembleBinaryBody', () => {
  it('reports an unserialisable header as an internal error', () => {
    expect(errorOf(() => assembleBinaryBody({ big: 1n }, [])).code).toBe('ERR_INTERNAL');
  });

  it('counts the header in UTF-8 bytes, not UTF-16 code units', () => {
    const { body, headerLength } = assembleBinaryBody({ s: 'é🙂' }, [new Uint8Array([1])]);
    expect(headerLength).toBe(utf8('{"s":"é🙂"}').length);
    expect(body[headerLength]).toBe(1);
  });
});
