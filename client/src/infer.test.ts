import { describe, expect, it } from 'vitest';
import { decodeInferResponse, encodeInferRequest } from './infer.js';
import type { InferInput } from './infer.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
};

describe('encodeInferRequest: JSON', () => {
  it('writes the OIP request with flat data, exact 64-bit integers and schedule parameters', () => {
    const request: InferInput = {
      id: 'req-é',
      parameters: { sequence_id: 7 },
      priority: 1,
      timeoutUs: 5000,
      inputs: [
        { name: 'a', datatype: 'INT64', shape: [2, 1], data: [[9007199254740993n], [-2]] },
        { name: 'b', datatype: 'BOOL', shape: [2], data: [true, false], parameters: { note: 'x' } },
        { name: 'c', datatype: 'BYTES', shape: [1], data: ['hi'] },
      ],
      outputs: ['y', { name: 'z', binary: true, parameters: { classification: 2 } }],
    };
    const encoded = encodeInferRequest(request);
    expect(encoded.contentType).toBe('application/json');
    expect(encoded.inferenceHeaderLength).toBeUndefined();
    expect(text(encoded.body)).toBe(
      '{"inputs":[' +
        '{"name":"a","shape":[2,1],"datatype":"INT64","data":[9007199254740993,-2]},' +
        '{"name":"b","shape":[2],"datatype":"BOOL","parameters":{"note":"x"},"data":[true,false]},' +
        '{"name":"c","shape":[1],"datatype":"BYTES","data":["hi"]}],' +
        '"id":"req-é","parameters":{"sequence_id":7,"priority":1,"timeout":5000},' +
        '"outputs":[{"name":"y"},{"name":"z","parameters":{"classification":2,"binary_data":true}}]}',
    );
  });

  it('carries FP16 inputs in binary even in JSON mode', () => {
    const encoded = encodeInferRequest({
      inputs: [
        { name: 'h', datatype: 'FP16', shape: [2], data: [1, -2] },
        { name: 'f', datatype: 'FP32', shape: [1], data: [0.5] },
      ],
    });
    const header =
      '{"inputs":[{"name":"h","shape":[2],"datatype":"FP16","parameters":{"binary_data_size":4}},' +
      '{"name":"f","shape":[1],"datatype":"FP32","data":[0.5]}]}';
    expect(encoded.contentType).toBe('application/octet-stream');
    expect(encoded.inferenceHeaderLength).toBe(utf8(header).byteLength);
    expect(
      Buffer.from(encoded.body).equals(Buffer.concat([utf8(header), Buffer.from([0x00, 0x3c, 0x00, 0xc0])])),
    ).toBe(true);
  });
});

describe('encodeInferRequest: binary', () => {
  it('puts all tensors after the JSON header in input order, with BYTES length prefixes', () => {
    const encoded = encodeInferRequest(
      {
        inputs: [
          {
            name: 'x',
            datatype: 'FP32',
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 4],
            ],
          },
          { name: 's', datatype: 'BYTES', shape: [2], data: ['ab', new Uint8Array([0xff])] },
        ],
        outputs: [{ name: 'y', binary: false }],
      },
      { binary: true },
    );
    const header =
      '{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":{"binary_data_size":16}},' +
      '{"name":"s","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":11}}],' +
      '"parameters":{"binary_data_output":true},"outputs":[{"name":"y","parameters":{"binary_data":false}}]}';
    const expected = Buffer.concat([
      utf8(header),
      Buffer.from(new Float32Array([1, 2, 3, 4]).buffer),
      Buffer.from([2, 0, 0, 0, 0x61, 0x62, 1, 0, 0, 0, 0xff]),
    ]);
    expect(encoded.inferenceHeaderLength).toBe(utf8(header).byteLength);
    expect(Buffer.from(encoded.body).toString('hex')).toBe(expected.toString('hex'));
  });

  it('sends a raw single input with no JSON header', () => {
    const encoded = encodeInferRequest(
      { inputs: [{ name: 'x', datatype: 'INT16', shape: [2], data: [1, -1] }] },
      { rawInput: true },
    );
    expect(encoded.inferenceHeaderLength).toBe(0);
    expect(Array.from(encoded.body)).toEqual([1, 0, 0xff, 0xff]);
  });

  it('refuses raw input with several inputs or header-only fields', () => {
    const one = { name: 'x', datatype: 'UINT8' as const, shape: [1], data: [1] };
    expect(() => encodeInferRequest({ inputs: [one, { ...one, name: 'y' }] }, { rawInput: true })).toThrow(
      /exactly one input, got 2/,
    );
    expect(() => encodeInferRequest({ id: 'a', priority: 1, inputs: [one] }, { rawInput: true })).toThrow(
      /cannot carry id, priority/,
    );
  });
});

describe('encodeInferRequest: validation', () => {
  const x = { name: 'x', datatype: 'FP32' as const, shape: [1], data: [1] };
  it.each<[string, unknown, RegExp]>([
    ['missing inputs', {}, /needs an `inputs` array/],
    ['unknown datatype', { inputs: [{ ...x, datatype: 'STRING' }] }, /unknown datatype "STRING"/],
    ['empty name', { inputs: [{ ...x, name: '' }] }, /non-empty name/],
    ['duplicate inputs', { inputs: [x, x] }, /input "x" is listed twice/],
    ['duplicate outputs', { inputs: [x], outputs: ['y', { name: 'y' }] }, /output "y" is listed twice/],
    ['negative priority', { inputs: [x], priority: -1 }, /priority must be a non-negative integer/],
    ['fractional timeout', { inputs: [x], timeoutUs: 1.5 }, /timeoutUs must be a non-negative integer/],
    ['bad parameter', { inputs: [x], parameters: { a: null } }, /parameter "a" must be/],
    [
      'reserved parameter',
      { inputs: [{ ...x, parameters: { binary_data_size: 4 } }] },
      /set by the client itself/,
    ],
    [
      'shape mismatch',
      { inputs: [{ ...x, shape: [2] }] },
      /input "x": shape \[2\] needs 2 elements, but data has 1/,
    ],
    ['non-string id', { inputs: [x], id: 5 }, /`id` must be a string/],
  ])('%s', (_label, request, message) => {
    expect(() => encodeInferRequest(request as InferInput)).toThrow(message);
  });
});

describe('decodeInferResponse', () => {
  it('reads a JSON response with nested and flat data into typed arrays', () => {
    const body = utf8(
      JSON.stringify({
        model_name: 'm',
        model_version: '3',
        id: 'r1',
        parameters: { p: 1 },
        outputs: [
          {
            name: 'f',
            datatype: 'FP32',
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 4],
            ],
          },
          { name: 'b', datatype: 'BOOL', shape: [2], data: [true, false] },
          { name: 'i', datatype: 'INT64', shape: [1], data: [5] },
          { name: 'h', datatype: 'FP16', shape: [1], data: [1.5] },
          { name: 's', datatype: 'BYTES', shape: [2], data: ['a', 'ü'], parameters: { classification: 2 } },
        ],
      }),
    );
    const result = decodeInferResponse(body);
    expect(result.modelName).toBe('m');
    expect(result.modelVersion).toBe('3');
    expect(result.id).toBe('r1');
    expect(result.parameters).toEqual({ p: 1 });
    expect(result.output('f').data).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(result.output('f').shape).toEqual([2, 2]);
    expect(result.output('b').data).toEqual(new Uint8Array([1, 0]));
    expect(result.output('i').data).toEqual(new BigInt64Array([5n]));
    expect(result.output('h').data).toEqual(new Uint16Array([0x3e00]));
    expect(result.output('h').toNumbers()).toEqual([1.5]);
    expect(result.output('s').toStrings()).toEqual(['a', 'ü']);
    expect(result.output('s').parameters).toEqual({ classification: 2 });
    expect(() => result.output('nope')).toThrow(/no output named "nope".*"f", "b"/);
  });

  it('keeps INT64/UINT64 JSON integers beyond 2^53 exact', () => {
    const body = utf8(
      '{"model_name":"m","outputs":[' +
        '{"name":"i","datatype":"INT64","shape":[2],"data":[9223372036854775807,-9007199254740993]},' +
        '{"name":"u","datatype":"UINT64","shape":[1],"data":[18446744073709551615]},' +
        '{"name":"f","datatype":"FP64","shape":[1],"data":[9007199254740993]}]}',
    );
    const result = decodeInferResponse(body);
    expect(result.modelVersion).toBe('');
    expect(result.output('i').data).toEqual(new BigInt64Array([9223372036854775807n, -9007199254740993n]));
    expect(result.output('u').data).toEqual(new BigUint64Array([18446744073709551615n]));
    expect(result.output('f').data).toEqual(new Float64Array([9007199254740992]));
  });

  it('reads binary outputs in header order and JSON outputs beside them', () => {
    const header = utf8(
      JSON.stringify({
        model_name: 'm',
        model_version: '1',
        outputs: [
          { name: 'y', datatype: 'FP32', shape: [3, 2], parameters: { binary_data_size: 24 } },
          { name: 'j', datatype: 'INT32', shape: [1], data: [7] },
          { name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 7 } },
          { name: 'h', datatype: 'FP16', shape: [1], parameters: { binary_data_size: 2 } },
        ],
      }),
    );
    const body = concat(
      header,
      new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer),
      new Uint8Array([3, 0, 0, 0, 0x61, 0x62, 0x63]),
      new Uint8Array([0x00, 0xbc]),
    );
    const result = decodeInferResponse(body, header.byteLength);
    expect(result.output('y').data).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(result.output('y').parameters).toBeUndefined();
    expect(result.output('j').data).toEqual(new Int32Array([7]));
    expect(result.output('s').toStrings()).toEqual(['abc']);
    expect(result.output('h').toNumbers()).toEqual([-1]);
  });

  it.each<[string, Uint8Array, number | undefined, RegExp]>([
    ['header length past the body', utf8('{}'), 3, /does not fit a 2-byte body/],
    ['zero header length', utf8('{}'), 0, /does not fit/],
    ['not an object', utf8('[]'), undefined, /expected a JSON object/],
    ['no model_name', utf8('{"outputs":[]}'), undefined, /model_name/],
    ['no outputs', utf8('{"model_name":"m"}'), undefined, /`outputs` must be an array/],
    [
      'unknown datatype',
      utf8('{"model_name":"m","outputs":[{"name":"y","datatype":"STRING","shape":[1],"data":["a"]}]}'),
      undefined,
      /output "y": unknown datatype "STRING"/,
    ],
    [
      'data and shape disagree',
      utf8('{"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[2],"data":[1]}]}'),
      undefined,
      /needs 2 elements, but data has 1/,
    ],
    [
      'neither data nor binary',
      utf8('{"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[1]}]}'),
      undefined,
      /neither data nor binary_data_size/,
    ],
  ])('rejects %s', (_label, body, length, message) => {
    expect(() => decodeInferResponse(body, length)).toThrow(message);
  });

  it('rejects binary sizes that overrun or leave bytes unclaimed, and sizes that break the shape', () => {
    const header = (size: number): Uint8Array =>
      utf8(
        `{"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":${size}}}]}`,
      );
    const h4 = header(4);
    expect(() => decodeInferResponse(concat(h4, new Uint8Array(2)), h4.byteLength)).toThrow(/runs past/);
    expect(() => decodeInferResponse(concat(h4, new Uint8Array(6)), h4.byteLength)).toThrow(
      /2 bytes after the JSON header/,
    );
    const h8 = header(8);
    expect(() => decodeInferResponse(concat(h8, new Uint8Array(8)), h8.byteLength)).toThrow(
      /output "y": FP32 data of 1 elements needs 4 bytes, got 8/,
    );
  });

  it('toNumbers and toStrings refuse the wrong datatype', () => {
    const result = decodeInferResponse(
      utf8(
        '{"model_name":"m","outputs":[{"name":"s","datatype":"BYTES","shape":[1],"data":["a"]},' +
          '{"name":"u","datatype":"UINT64","shape":[1],"data":[3]}]}',
      ),
    );
    expect(() => result.output('s').toNumbers()).toThrow(/use toStrings/);
    expect(() => result.output('u').toStrings()).toThrow(/UINT64, not BYTES/);
    expect(result.output('u').toNumbers()).toEqual([3]);
  });
});
