import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { decodeInferRequest, decodeRawInput } from './decode-request.js';
import { assembleBinaryBody, splitBinaryBody } from './binary-body.js';

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

const input = (extra: Record<string, unknown>): Record<string, unknown> => ({
  name: 'x',
  datatype: 'FP32',
  shape: [2],
  data: [1, 2],
  ...extra,
});

describe('decodeInferRequest: structure', () => {
  it('decodes a minimal request and keeps id, parameters and requested outputs', () => {
    const decoded = decodeInferRequest({
      id: 'réq-1',
      parameters: { priority: 1, tag: 'a', flag: true, binary_data_output: true },
      inputs: [input({ parameters: { note: 'n' } })],
      outputs: [{ name: 'y', parameters: { binary_data: false, classification: 2 } }, { name: 'z' }],
    });
    expect(decoded).toEqual({
      id: 'réq-1',
      parameters: { priority: 1, tag: 'a', flag: true },
      binaryDataOutput: true,
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [2],
          data: new Float32Array([1, 2]),
          parameters: { note: 'n' },
        },
      ],
      outputs: [{ name: 'y', parameters: { binary_data: false, classification: 2 } }, { name: 'z' }],
    });
  });

  it('leaves optional fields out when they are absent, and treats an empty outputs list as all', () => {
    const decoded = decodeInferRequest({ inputs: [input({})], outputs: [] });
    expect(decoded).toEqual({
      parameters: {},
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) }],
    });
    expect('id' in decoded).toBe(false);
    expect('outputs' in decoded).toBe(false);
    expect('binaryDataOutput' in decoded).toBe(false);
    expect('parameters' in decoded.inputs[0]!).toBe(false);
  });

  it('keeps a "__proto__" parameter as a plain key', () => {
    const json = JSON.parse('{"inputs":[],"parameters":{"__proto__":"p"}}') as unknown;
    const decoded = decodeInferRequest(json);
    expect(Object.getPrototypeOf(decoded.parameters)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded.parameters, '__proto__')).toBe(true);
  });

  const cases: [string, unknown, ErrorCode, string | undefined][] = [
    ['a non-object request', [1], 'ERR_VALIDATION', 'request'],
    ['a null request', null, 'ERR_VALIDATION', 'request'],
    ['missing inputs', {}, 'ERR_VALIDATION', 'inputs'],
    ['inputs not an array', { inputs: {} }, 'ERR_VALIDATION', 'inputs'],
    ['a numeric id', { id: 7, inputs: [] }, 'ERR_VALIDATION', 'id'],
    ['parameters not an object', { parameters: [], inputs: [] }, 'ERR_VALIDATION', 'parameters'],
    [
      'a nested parameter value',
      { parameters: { a: { b: 1 } }, inputs: [] },
      'ERR_VALIDATION',
      'parameters.a',
    ],
    ['a null parameter value', { parameters: { a: null }, inputs: [] }, 'ERR_VALIDATION', 'parameters.a'],
    [
      'a non-boolean binary_data_output',
      { parameters: { binary_data_output: 1 }, inputs: [] },
      'ERR_VALIDATION',
      'parameters.binary_data_output',
    ],
    ['an input that is not an object', { inputs: ['x'] }, 'ERR_VALIDATION', 'inputs[0]'],
    ['an input without a name', { inputs: [input({ name: undefined })] }, 'ERR_VALIDATION', 'inputs[0].name'],
    ['an empty input name', { inputs: [input({ name: '' })] }, 'ERR_VALIDATION', 'inputs[0].name'],
    [
      'a missing shape',
      { inputs: [input({}), input({ name: 'y', shape: undefined })] },
      'ERR_VALIDATION',
      'inputs[1].shape',
    ],
    [
      'a shape that is not an array',
      { inputs: [input({}), input({ name: 'y', shape: 2 })] },
      'ERR_VALIDATION',
      'inputs[1].shape',
    ],
    ['a string dimension', { inputs: [input({ shape: ['2'] })] }, 'ERR_VALIDATION', 'inputs[0].shape[0]'],
    [
      'a missing datatype',
      { inputs: [input({ datatype: undefined })] },
      'ERR_VALIDATION',
      'inputs[0].datatype',
    ],
    ['a numeric datatype', { inputs: [input({ datatype: 3 })] }, 'ERR_VALIDATION', 'inputs[0].datatype'],
    [
      'input parameters not an object',
      { inputs: [input({ parameters: 'p' })] },
      'ERR_VALIDATION',
      'inputs[0].parameters',
    ],
    ['missing data', { inputs: [input({ data: undefined })] }, 'ERR_VALIDATION', 'inputs[0].data'],
    ['data that is not an array', { inputs: [input({ data: 'ab' })] }, 'ERR_VALIDATION', 'inputs[0].data'],
    ['outputs not an array', { inputs: [], outputs: {} }, 'ERR_VALIDATION', 'outputs'],
    ['an output without a name', { inputs: [], outputs: [{}] }, 'ERR_VALIDATION', 'outputs[0].name'],
    [
      'a non-boolean binary_data',
      { inputs: [], outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }] },
      'ERR_VALIDATION',
      'outputs[0].parameters.binary_data',
    ],
    [
      'an unknown datatype',
      { inputs: [input({ datatype: 'STRING' })] },
      'ERR_DATATYPE_MISMATCH',
      'inputs[0].datatype',
    ],
    [
      'a lowercase datatype',
      { inputs: [input({ datatype: 'fp32' })] },
      'ERR_DATATYPE_MISMATCH',
      'inputs[0].datatype',
    ],
    ['a negative dimension', { inputs: [input({ shape: [-1] })] }, 'ERR_SHAPE_MISMATCH', 'inputs[0].shape'],
    [
      'a fractional dimension',
      { inputs: [input({ shape: [1.5] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].shape',
    ],
    [
      'an overflowing element count',
      { inputs: [input({ shape: [2 ** 30, 2 ** 30, 2 ** 30] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].shape',
    ],
    [
      'too many dimensions',
      { inputs: [input({ shape: new Array<number>(65).fill(1) })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].shape',
    ],
    ['too few elements', { inputs: [input({ data: [1] })] }, 'ERR_SHAPE_MISMATCH', 'inputs[0].data'],
    ['too many elements', { inputs: [input({ data: [1, 2, 3] })] }, 'ERR_SHAPE_MISMATCH', 'inputs[0].data'],
    [
      'nested data for a rank-1 shape',
      { inputs: [input({ data: [[1], [2]] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].data',
    ],
    [
      'nested data of the wrong length',
      { inputs: [input({ shape: [2, 2], data: [[1, 2], [3]] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].data',
    ],
    [
      'nested data with too few rows',
      { inputs: [input({ shape: [3, 1], data: [[1], [2]] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].data',
    ],
    [
      'nested data deeper than the shape',
      { inputs: [input({ shape: [1, 2], data: [[[1], [2]]] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].data',
    ],
    [
      'nested data with a scalar row',
      { inputs: [input({ shape: [2, 1], data: [[1], 2] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].data',
    ],
    [
      'flat data with an array element',
      { inputs: [input({ data: [1, [2]] })] },
      'ERR_SHAPE_MISMATCH',
      'inputs[0].data',
    ],
    ['a duplicate input name', { inputs: [input({}), input({})] }, 'ERR_DUPLICATE_NAME', 'inputs[1].name'],
    [
      'a duplicate output name',
      { inputs: [], outputs: [{ name: 'y' }, { name: 'y' }] },
      'ERR_DUPLICATE_NAME',
      'outputs[1].name',
    ],
  ];

  it.each(cases)('rejects %s', (_label, json, code, field) => {
    const e = errorOf(() => decodeInferRequest(json));
    expect(e.code).toBe(code);
    expect(e.details?.field).toBe(field);
  });

  it('does not allocate for a huge shape that nested data does not back', () => {
    // 1000^3 FP64 elements would be 8 GB: the structure check must fail before any allocation.
    const row = new Array<number>(1000).fill(0);
    const data = [[row], ...new Array<number[][]>(999).fill([])];
    const e = errorOf(() =>
      decodeInferRequest({ inputs: [input({ datatype: 'FP64', shape: [1000, 1000, 1000], data })] }),
    );
    expect(e.code).toBe('ERR_SHAPE_MISMATCH');
  });
});

describe('decodeInferRequest: JSON data elements', () => {
  const ok: [string, unknown[], ArrayLike<unknown>][] = [
    ['BOOL', [true, false, 1, 0], new Uint8Array([1, 0, 1, 0])],
    ['UINT8', [0, 255, -0], new Uint8Array([0, 255, 0])],
    ['INT8', [-128, 127], new Int8Array([-128, 127])],
    ['UINT16', [65535], new Uint16Array([65535])],
    ['INT16', [-32768, 32767], new Int16Array([-32768, 32767])],
    ['UINT32', [4294967295], new Uint32Array([4294967295])],
    ['INT32', [-2147483648, 2147483647], new Int32Array([-2147483648, 2147483647])],
    ['UINT64', [0, 2 ** 53, '18446744073709551615'], new BigUint64Array([0n, 2n ** 53n, 2n ** 64n - 1n])],
    [
      'INT64',
      [-(2 ** 63), '9007199254740993', '-9223372036854775808'],
      new BigInt64Array([-(2n ** 63n), 9007199254740993n, -(2n ** 63n)]),
    ],
    [
      'FP16',
      [1, -2, 65504, 'Infinity', 'NaN', 1e-10],
      new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x7e00, 0]),
    ],
    ['BF16', [1, -1, '-Infinity'], new Uint16Array([0x3f80, 0xbf80, 0xff80])],
    ['FP32', [0.1, 3.4e38, '-Infinity'], new Float32Array([0.1, 3.4e38, -Infinity])],
    ['FP64', [0.1, 1e308, 'NaN'], new Float64Array([0.1, 1e308, NaN])],
    ['BYTES', ['', 'héllo', '🙂'], [new Uint8Array(0), utf8('héllo'), utf8('🙂')]],
  ];

  it.each(ok)('accepts valid %s elements', (datatype, data, expected) => {
    const decoded = decodeInferRequest({ inputs: [{ name: 'x', datatype, shape: [data.length], data }] });
    expect(decoded.inputs[0]!.data).toEqual(expected);
  });

  const bad: [string, unknown][] = [
    ['BOOL', 2],
    ['BOOL', 'true'],
    ['UINT8', 300],
    ['UINT8', -1],
    ['INT8', 128],
    ['UINT16', 65536],
    ['INT16', -32769],
    ['UINT32', 2 ** 32],
    ['INT32', 1.5],
    ['INT32', true],
    ['UINT64', -1],
    ['UINT64', 2 ** 64],
    ['UINT64', '18446744073709551616'],
    ['INT64', 2 ** 63],
    ['INT64', '1e3'],
    ['INT64', 1.25],
    ['FP16', 70000],
    ['BF16', 1e39],
    ['FP32', 'x'],
    ['FP32', 1e40],
    ['FP32', null],
    ['FP64', 'nan'],
    ['FP64', { v: 1 }],
    ['BYTES', 5],
    ['BYTES', null],
  ];

  it.each(bad)('rejects %s element %j with ERR_DATATYPE_MISMATCH', (datatype, value) => {
    const e = errorOf(() =>
      decodeInferRequest({
        inputs: [input({}), { name: 'v', datatype, shape: [2, 1], data: [[value], [value]] }],
      }),
    );
    expect(e.code).toBe('ERR_DATATYPE_MISMATCH');
    expect(e.details).toEqual({ field: 'inputs[1].data', index: 0, datatype });
  });

  it('names the element index in row-major order for nested data', () => {
    const e = errorOf(() =>
      decodeInferRequest({
        inputs: [
          input({
            datatype: 'UINT8',
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 999],
            ],
          }),
        ],
      }),
    );
    expect(e.details?.index).toBe(3);
    expect(e.message).toContain('999');
  });

  it('accepts nested and flat data for a scalar and for empty tensors', () => {
    const scalar = decodeInferRequest({ inputs: [input({ shape: [], data: [7] })] });
    expect(scalar.inputs[0]!.data).toEqual(new Float32Array([7]));
    const empty = decodeInferRequest({
      inputs: [input({ shape: [2, 0], data: [[], []] }), input({ name: 'y', shape: [0, 3], data: [] })],
    });
    expect(empty.inputs.map((t) => t.data)).toEqual([new Float32Array(0), new Float32Array(0)]);
  });
});

describe('decodeInferRequest: binary data', () => {
  it('decodes the worked example of the Triton binary data extension (16 + 3 bytes)', () => {
    const header = {
      model_name: 'mymodel',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
        { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
      ],
      outputs: [{ name: 'output0', parameters: { binary_data: true } }],
    };
    const input0 = new Uint32Array([1, 2, 3, 0xdeadbeef]);
    const input1 = new Uint8Array([1, 0, 1]);
    const { body, headerLength } = assembleBinaryBody(header, [new Uint8Array(input0.buffer), input1]);
    expect(body.length).toBe(headerLength + 19);

    const { json, binary } = splitBinaryBody(body, String(headerLength));
    expect(binary.length).toBe(19);
    const decoded = decodeInferRequest(json, binary);
    expect(decoded.inputs).toEqual([
      { name: 'input0', datatype: 'UINT32', shape: [2, 2], data: input0 },
      { name: 'input1', datatype: 'BOOL', shape: [3], data: input1 },
    ]);
    expect(decoded.outputs).toEqual([{ name: 'output0', parameters: { binary_data: true } }]);
  });

  it('mixes JSON and binary inputs, and decodes BYTES from length prefixes', () => {
    const bytes = new Uint8Array([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0, 1, 0, 0, 0, 0xff]);
    const decoded = decodeInferRequest(
      {
        inputs: [
          { name: 'a', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: 15, other: 1 } },
          { name: 'b', datatype: 'INT32', shape: [1], data: [5] },
        ],
      },
      bytes,
    );
    expect(decoded.inputs[0]).toEqual({
      name: 'a',
      datatype: 'BYTES',
      shape: [3],
      data: [utf8('hi'), new Uint8Array(0), new Uint8Array([0xff])],
      parameters: { other: 1 },
    });
    expect(decoded.inputs[1]!.data).toEqual(new Int32Array([5]));
  });

  it('views aligned binary data without copying and copies misaligned data', () => {
    const body = new Uint8Array(4 + 8 + 1 + 4);
    const view = new DataView(body.buffer);
    view.setFloat32(4, 1.5, true);
    view.setFloat32(8, 2.5, true);
    body[12] = 1;
    view.setFloat32(13, -3, true);
    const decoded = decodeInferRequest(
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
          { name: 'b', datatype: 'BOOL', shape: [1], parameters: { binary_data_size: 1 } },
          { name: 'c', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
        ],
      },
      body.subarray(4),
    );
    const [a, , c] = decoded.inputs.map((t) => t.data as Float32Array);
    expect(a).toEqual(new Float32Array([1.5, 2.5]));
    expect(a!.buffer).toBe(body.buffer);
    expect(c).toEqual(new Float32Array([-3]));
    expect(c!.buffer).not.toBe(body.buffer);
  });

  const binaryCases: [string, unknown, number[], ErrorCode][] = [
    [
      'a negative binary_data_size',
      { name: 'a', datatype: 'UINT8', shape: [1], parameters: { binary_data_size: -1 } },
      [1],
      'ERR_BINARY_HEADER',
    ],
    [
      'a fractional binary_data_size',
      { name: 'a', datatype: 'UINT8', shape: [1], parameters: { binary_data_size: 0.5 } },
      [1],
      'ERR_BINARY_HEADER',
    ],
    [
      'a string binary_data_size',
      { name: 'a', datatype: 'UINT8', shape: [1], parameters: { binary_data_size: '1' } },
      [1],
      'ERR_BINARY_HEADER',
    ],
    [
      'a size beyond the binary part',
      { name: 'a', datatype: 'UINT8', shape: [2], parameters: { binary_data_size: 2 } },
      [1],
      'ERR_BINARY_HEADER',
    ],
    [
      'a size that does not fit the shape',
      { name: 'a', datatype: 'INT32', shape: [2], parameters: { binary_data_size: 4 } },
      [1, 2, 3, 4],
      'ERR_BINARY_HEADER',
    ],
    [
      'trailing bytes',
      { name: 'a', datatype: 'UINT8', shape: [1], parameters: { binary_data_size: 1 } },
      [1, 2],
      'ERR_BINARY_HEADER',
    ],
    [
      'binary bytes but no binary input',
      { name: 'a', datatype: 'UINT8', shape: [1], data: [1] },
      [1],
      'ERR_BINARY_HEADER',
    ],
    [
      'BYTES with too few elements',
      { name: 'a', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 5 } },
      [1, 0, 0, 0, 9],
      'ERR_BINARY_HEADER',
    ],
    [
      'BYTES with too many elements',
      { name: 'a', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 8 } },
      [0, 0, 0, 0, 0, 0, 0, 0],
      'ERR_BINARY_HEADER',
    ],
    [
      'BYTES running past binary_data_size',
      { name: 'a', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 4 } },
      [1, 0, 0, 0, 9],
      'ERR_BINARY_HEADER',
    ],
    [
      'BOOL bytes other than 0/1',
      { name: 'a', datatype: 'BOOL', shape: [1], parameters: { binary_data_size: 1 } },
      [2],
      'ERR_DATATYPE_MISMATCH',
    ],
    [
      'data and binary_data_size together',
      { name: 'a', datatype: 'UINT8', shape: [1], data: [1], parameters: { binary_data_size: 1 } },
      [1],
      'ERR_VALIDATION',
    ],
  ];

  it.each(binaryCases)('rejects %s', (_label, inputJson, bytes, code) => {
    const e = errorOf(() => decodeInferRequest({ inputs: [inputJson] }, new Uint8Array(bytes)));
    expect(e.code).toBe(code);
  });

  it('rejects a binary input when no binary part was sent', () => {
    const e = errorOf(() =>
      decodeInferRequest({
        inputs: [{ name: 'a', datatype: 'FP64', shape: [1], parameters: { binary_data_size: 8 } }],
      }),
    );
    expect(e.code).toBe('ERR_BINARY_HEADER');
    expect(e.details).toMatchObject({
      field: 'inputs[0].parameters.binary_data_size',
      binaryDataSize: 8,
      remaining: 0,
    });
  });
});

describe('decodeRawInput', () => {
  it('computes the one variable dimension from the byte length', () => {
    const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const t = decodeRawInput(bytes, { name: 'img', datatype: 'FP32', shape: [-1, 3] });
    expect(t).toEqual({
      name: 'img',
      datatype: 'FP32',
      shape: [2, 3],
      data: new Float32Array([1, 2, 3, 4, 5, 6]),
    });
    const fixed = decodeRawInput(bytes, { name: 'img', datatype: 'FP32', shape: [3, 2] });
    expect(fixed.shape).toEqual([3, 2]);
  });

  it('takes the whole body as the single element of a BYTES input', () => {
    const body = new Uint8Array([0, 1, 2, 255]);
    expect(decodeRawInput(body, { name: 's', datatype: 'BYTES', shape: [1] })).toEqual({
      name: 's',
      datatype: 'BYTES',
      shape: [1],
      data: [body],
    });
    expect(decodeRawInput(body, { name: 's', datatype: 'BYTES', shape: [-1, 1] }).shape).toEqual([1, 1]);
  });

  it.each([
    ['two variable dimensions', { name: 'x', datatype: 'FP32', shape: [-1, -1] }, 8],
    ['a length that does not divide', { name: 'x', datatype: 'FP32', shape: [-1, 3] }, 16],
    ['a length that does not match a fixed shape', { name: 'x', datatype: 'INT16', shape: [2] }, 2],
    ['a zero-size fixed part', { name: 'x', datatype: 'FP32', shape: [-1, 0] }, 0],
    ['a BYTES input of more than one element', { name: 's', datatype: 'BYTES', shape: [2] }, 3],
    ['an invalid model shape', { name: 'x', datatype: 'FP32', shape: [-2] }, 4],
  ] as const)('rejects %s with ERR_SHAPE_MISMATCH', (_label, meta, length) => {
    const e = errorOf(() => decodeRawInput(new Uint8Array(length), meta));
    expect(e.code).toBe('ERR_SHAPE_MISMATCH');
  });
});
