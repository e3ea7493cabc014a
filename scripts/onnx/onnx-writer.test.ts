import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModelProto, decodeModelSignature } from '../../src/adapters/runtime-onnx/onnx-schema.js';
import { KaleidoError } from '../../src/core/errors.js';
import { halfBitsFromNumber, numberFromHalfBits } from './fp16.js';
import {
  attr,
  buildModel,
  type BuildModelOptions,
  type OnnxElemTypeName,
  type TensorValues,
} from './onnx-writer.js';
import { mulberry32 } from './prng.js';

const session = (bytes: Uint8Array) =>
  ort.InferenceSession.create(bytes, { logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1 });

/** Top-level protobuf tags of a message as [field number, wire type] (a hand-rolled walker). */
function topLevelTags(bytes: Uint8Array): [number, number][] {
  const tags: [number, number][] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++] ?? 0;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    tags.push([field, wire]);
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint(); // read before updating pos (`pos += varint()` would use the old pos)
      pos += length;
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return tags;
}

const addModel: BuildModelOptions = {
  graphName: 'add',
  inputs: [
    { name: 'a', elemType: 'FLOAT', shape: ['batch', 4] },
    { name: 'b', elemType: 'FLOAT', shape: ['batch', 4] },
  ],
  outputs: [{ name: 'y', elemType: 'FLOAT', shape: ['batch', 4] }],
  nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
  producer: { name: 'test', version: '0.1' },
  docString: 'a + b',
  metadata: { author: 'kaleido', note: 'ünïcode ✓' },
};

describe('buildModel wire format', () => {
  it('uses the onnx.proto field numbers for ModelProto', () => {
    const tags = topLevelTags(buildModel({ ...addModel, domain: 'ai.kaleido', modelVersion: 3 }));
    // ir_version=1 (varint), producer_name=2, producer_version=3, domain=4, model_version=5 (varint),
    // doc_string=6, graph=7, opset_import=8, metadata_props=14 (length-delimited, two entries).
    expect(tags).toEqual([
      [1, 0],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 0],
      [6, 2],
      [7, 2],
      [8, 2],
      [14, 2],
      [14, 2],
    ]);
  });

  it('round-trips through the decoder', () => {
    const decoded = decodeModelProto(buildModel(addModel));
    expect(decoded.irVersion).toBe(8);
    expect(decoded.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(decoded.graph.node[0]).toMatchObject({ opType: 'Add', input: ['a', 'b'], output: ['y'] });
    expect(decoded.graph.input[0]?.type?.tensorType?.shape?.dim).toEqual([
      { dimParam: 'batch' },
      { dimValue: 4 },
    ]);
    expect(decoded.metadataProps).toEqual([
      { key: 'author', value: 'kaleido' },
      { key: 'note', value: 'ünïcode ✓' },
    ]);
  });

  it('is deterministic', () => {
    expect(Buffer.from(buildModel(addModel)).equals(Buffer.from(buildModel(addModel)))).toBe(true);
  });

  it('writes metadata and header readable by the signature decoder', () => {
    const header = decodeModelSignature(buildModel(addModel));
    expect(header.producerName).toBe('test');
    expect(header.producerVersion).toBe('0.1');
    expect(header.docString).toBe('a + b');
    expect(header.graph?.input?.map((v) => v.name)).toEqual(['a', 'b']);
  });
});

describe('buildModel runs in onnxruntime', () => {
  it('computes Add with symbolic batch dims', async () => {
    const s = await session(buildModel(addModel));
    expect(s.inputMetadata[0]).toMatchObject({
      name: 'a',
      isTensor: true,
      type: 'float32',
      shape: ['batch', 4],
    });
    const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]);
    const b = new ort.Tensor('float32', Float32Array.from([10, 20, 30, 40, 50, 60, 70, 80]), [2, 4]);
    const { y } = await s.run({ a, b });
    expect(Array.from(y?.data as Float32Array)).toEqual([11, 22, 33, 44, 55, 66, 77, 88]);
    await s.release();
  });

  it('writes unnamed dynamic dims (null) as neither dim_value nor dim_param', async () => {
    const s = await session(
      buildModel({
        graphName: 'neg',
        inputs: [{ name: 'x', elemType: 'INT32', shape: [null, 2] }],
        outputs: [{ name: 'y', elemType: 'INT32', shape: [null, 2] }],
        nodes: [{ opType: 'Neg', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const meta = s.inputMetadata[0];
    expect(meta?.isTensor && typeof meta.shape[0]).toBe('string'); // ORT reports unnamed dims as ''
    const { y } = await s.run({ x: new ort.Tensor('int32', Int32Array.from([1, -2, 3, -4]), [2, 2]) });
    expect(Array.from(y?.data as Int32Array)).toEqual([-1, 2, -3, 4]);
    await s.release();
  });

  // Initializers of every element type, echoed through Identity: checks raw_data/string_data layout.
  const initializerCases: [OnnxElemTypeName, TensorValues, (data: unknown) => unknown[]][] = [
    ['FLOAT', [1.5, -2.25, 3.4028234663852886e38], (d) => Array.from(d as Float32Array)],
    ['DOUBLE', [Math.PI, -1e300, 5e-324], (d) => Array.from(d as Float64Array)],
    ['UINT8', [0, 200, 255], (d) => Array.from(d as Uint8Array)],
    ['INT8', [-128, 0, 127], (d) => Array.from(d as Int8Array)],
    ['UINT16', [0, 1000, 65535], (d) => Array.from(d as Uint16Array)],
    ['INT16', [-32768, 7, 32767], (d) => Array.from(d as Int16Array)],
    ['UINT32', [0, 123456, 4294967295], (d) => Array.from(d as Uint32Array)],
    ['INT32', [-2147483648, 5, 2147483647], (d) => Array.from(d as Int32Array)],
    ['UINT64', [0n, 1n, 18446744073709551615n], (d) => Array.from(d as BigUint64Array)],
    ['INT64', [-9223372036854775808n, 3, 9223372036854775807n], (d) => Array.from(d as BigInt64Array)],
    ['BOOL', [true, false, true], (d) => Array.from(d as Uint8Array, (v) => v === 1)],
    [
      'FLOAT16',
      [halfBitsFromNumber(1.5), halfBitsFromNumber(-65504), halfBitsFromNumber(2 ** -24)],
      (d) => Array.from(d as Uint16Array, numberFromHalfBits),
    ],
    ['STRING', ['hello', '', 'naïve ✓'], (d) => [...(d as string[])]],
  ];
  const expectedValues: Partial<Record<OnnxElemTypeName, unknown[]>> = {
    INT64: [-9223372036854775808n, 3n, 9223372036854775807n],
    FLOAT16: [1.5, -65504, 2 ** -24],
  };

  it.each(initializerCases)('encodes %s initializers', async (elemType, values, read) => {
    const s = await session(
      buildModel({
        graphName: 'const',
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1] }],
        outputs: [
          { name: 'c_out', elemType, shape: [3] },
          { name: 'x_out', elemType: 'FLOAT', shape: [1] },
        ],
        initializers: [{ name: 'c', elemType, dims: [3], values }],
        nodes: [
          { opType: 'Identity', inputs: ['c'], outputs: ['c_out'] },
          { opType: 'Identity', inputs: ['x'], outputs: ['x_out'] },
        ],
      }),
    );
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([0]), [1]) });
    const want = expectedValues[elemType] ?? Array.from(values as ArrayLike<unknown>);
    const got = read(out['c_out']?.data);
    if (elemType === 'FLOAT') expect(got).toEqual((want as number[]).map(Math.fround));
    else expect(got).toEqual(want);
    await s.release();
  });

  it('encodes attributes of every kind (Gemm, Constant, Transpose)', async () => {
    const s = await session(
      buildModel({
        graphName: 'attrs',
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [2, 2] }],
        outputs: [
          { name: 'gemm', elemType: 'FLOAT', shape: [2, 2] },
          { name: 't', elemType: 'FLOAT', shape: [2, 2] },
          { name: 'f', elemType: 'FLOAT', shape: [] },
          { name: 'i', elemType: 'INT64', shape: [] },
          { name: 'fs', elemType: 'FLOAT', shape: [2] },
          { name: 'is', elemType: 'INT64', shape: [3] },
          { name: 's', elemType: 'STRING', shape: [] },
          { name: 'ss', elemType: 'STRING', shape: [2] },
          { name: 'tensor', elemType: 'INT32', shape: [2] },
        ],
        nodes: [
          // gemm = 0.5 · x · xᵀ
          {
            opType: 'Gemm',
            inputs: ['x', 'x'],
            outputs: ['gemm'],
            attributes: [attr.float('alpha', 0.5), attr.int('transB', 1)],
          },
          { opType: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: [attr.ints('perm', [1, 0])] },
          { opType: 'Constant', inputs: [], outputs: ['f'], attributes: [attr.float('value_float', 2.5)] },
          { opType: 'Constant', inputs: [], outputs: ['i'], attributes: [attr.int('value_int', -7)] },
          {
            opType: 'Constant',
            inputs: [],
            outputs: ['fs'],
            attributes: [attr.floats('value_floats', [1, 2])],
          },
          {
            opType: 'Constant',
            inputs: [],
            outputs: ['is'],
            attributes: [attr.ints('value_ints', [3, 4, 5])],
          },
          { opType: 'Constant', inputs: [], outputs: ['s'], attributes: [attr.string('value_string', 'hé')] },
          {
            opType: 'Constant',
            inputs: [],
            outputs: ['ss'],
            attributes: [attr.strings('value_strings', ['a', 'b'])],
          },
          {
            opType: 'Constant',
            inputs: [],
            outputs: ['tensor'],
            attributes: [attr.tensor('value', { elemType: 'INT32', dims: [2], values: [9, -9] })],
          },
        ],
      }),
    );
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]) });
    expect(Array.from(out['gemm']?.data as Float32Array)).toEqual([2.5, 5.5, 5.5, 12.5]);
    expect(Array.from(out['t']?.data as Float32Array)).toEqual([1, 3, 2, 4]);
    expect(Array.from(out['f']?.data as Float32Array)).toEqual([2.5]);
    expect(Array.from(out['i']?.data as BigInt64Array)).toEqual([-7n]);
    expect(Array.from(out['fs']?.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(out['is']?.data as BigInt64Array)).toEqual([3n, 4n, 5n]);
    expect(out['s']?.data).toEqual(['hé']);
    expect(out['ss']?.data).toEqual(['a', 'b']);
    expect(Array.from(out['tensor']?.data as Int32Array)).toEqual([9, -9]);
    await s.release();
  });
});

describe('buildModel validation', () => {
  const expectInvalid = (options: BuildModelOptions, message: RegExp) => {
    let caught: unknown;
    try {
      buildModel(options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KaleidoError);
    expect((caught as KaleidoError).code).toBe('ERR_VALIDATION');
    expect((caught as KaleidoError).message).toMatch(message);
  };

  it('rejects a node that reads an undefined value', () => {
    expectInvalid(
      { ...addModel, nodes: [{ opType: 'Add', inputs: ['a', 'nope'], outputs: ['y'] }] },
      /reads "nope"/,
    );
  });

  it('rejects nodes out of topological order', () => {
    expectInvalid(
      {
        ...addModel,
        nodes: [
          { opType: 'Relu', inputs: ['s'], outputs: ['y'] },
          { opType: 'Add', inputs: ['a', 'b'], outputs: ['s'] },
        ],
      },
      /reads "s" before it is defined/,
    );
  });

  it('rejects a value defined twice', () => {
    expectInvalid(
      { ...addModel, nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['a'] }] },
      /defined twice/,
    );
  });

  it('rejects a graph output that nothing produces', () => {
    expectInvalid({ ...addModel, nodes: [] }, /not produced/);
  });

  it('rejects initializer data that does not fit its dims', () => {
    expectInvalid(
      { ...addModel, initializers: [{ name: 'w', elemType: 'FLOAT', dims: [2, 2], values: [1, 2, 3] }] },
      /3 values for dims \[2,2\]/,
    );
  });

  it('rejects bad dimensions, opsets and IR versions', () => {
    const withShape = (shape: (number | string)[]): BuildModelOptions => ({
      ...addModel,
      inputs: [{ name: 'a', elemType: 'FLOAT', shape }, ...addModel.inputs.slice(1)],
    });
    expectInvalid(withShape([-1, 4]), /non-negative/);
    expectInvalid(withShape(['', 4]), /empty symbolic/);
    expectInvalid({ ...addModel, opset: 0 }, /opset/);
    expectInvalid({ ...addModel, irVersion: 2 }, /irVersion/);
  });

  it('rejects non-integer INT attributes and 64-bit values', () => {
    expectInvalid(
      {
        ...addModel,
        nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['y'], attributes: [attr.int('k', 1.5)] }],
      },
      /not an integer/,
    );
    expectInvalid(
      { ...addModel, initializers: [{ name: 'w', elemType: 'INT64', dims: [1], values: [0.5] }] },
      /expected an integer/,
    );
  });
});

describe('mulberry32', () => {
  it('is deterministic and uniform enough', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });
});

describe('fp16', () => {
  it('converts known bit patterns both ways', () => {
    const known: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [value, bits] of known) {
      expect(halfBitsFromNumber(value)).toBe(bits);
      expect(numberFromHalfBits(bits)).toBe(value);
    }
    expect(halfBitsFromNumber(1e6)).toBe(0x7c00); // overflow
    expect(halfBitsFromNumber(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(halfBitsFromNumber(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(numberFromHalfBits(halfBitsFromNumber(Number.NaN)))).toBe(true);
  });
});
