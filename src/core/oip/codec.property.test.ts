/**
 * Property tests of the OIP codec: encode → decode is the identity for random tensors of every
 * datatype, and the request decoder fails only with KaleidoError whatever it is fed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { ALL_DATATYPES, datatypeByteSize, elementCount } from '../tensor.js';
import type { Datatype, NumericArray, Tensor, TensorData } from '../tensor.js';
import { assembleBinaryBody, splitBinaryBody } from './binary-body.js';
import { decodeInferRequest } from './decode-request.js';
import { encodeInferResponse } from './encode-response.js';
import { parseJsonLimited } from './json-limits.js';

const FIXED_ARRAYS: Record<Exclude<Datatype, 'BYTES'>, new (buffer: ArrayBuffer) => NumericArray> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP64: Float64Array,
};

type Wire = 'json' | 'binary';

/**
 * Random data for `count` elements. Binary carries any bit pattern; JSON carries what JSON can:
 * 64-bit integers within ±2^53 (JSON numbers are doubles) and BYTES that are UTF-8 text.
 */
function dataArb(datatype: Datatype, count: number, wire: Wire): fc.Arbitrary<TensorData> {
  const n = { minLength: count, maxLength: count };
  if (datatype === 'BYTES') {
    const encoder = new TextEncoder();
    return wire === 'binary'
      ? fc.array(fc.uint8Array({ maxLength: 6 }), n)
      : fc
          .array(fc.string({ unit: 'binary', maxLength: 6 }), n)
          .map((xs) => xs.map((s) => encoder.encode(s)));
  }
  if (datatype === 'BOOL') return fc.array(fc.boolean(), n).map((bs) => Uint8Array.from(bs, Number));
  if (wire === 'json' && (datatype === 'INT64' || datatype === 'UINT64')) {
    const min = datatype === 'INT64' ? -(2n ** 53n) : 0n;
    return fc
      .array(fc.bigInt({ min, max: 2n ** 53n }), n)
      .map((xs) => (datatype === 'INT64' ? BigInt64Array.from(xs) : BigUint64Array.from(xs)));
  }
  const size = datatypeByteSize[datatype] as number;
  return fc
    .uint8Array({ minLength: count * size, maxLength: count * size })
    .map((bytes) => new FIXED_ARRAYS[datatype](bytes.slice().buffer));
}

const tensorArb = (wire: Wire): fc.Arbitrary<Tensor> =>
  fc
    .record({
      datatype: fc.constantFrom(...ALL_DATATYPES),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    })
    .chain(({ datatype, shape }) =>
      dataArb(datatype, elementCount(shape), wire).map((data): Tensor => ({
        name: 'out',
        datatype,
        shape,
        data,
      })),
    );

/**
 * What JSON can carry of a float tensor: JSON.stringify writes -0 as 0, and a NaN is one NaN
 * (its payload bits are not representable), so those two collapse to their canonical forms.
 */
function jsonCanonical(t: Tensor): TensorData {
  switch (t.datatype) {
    case 'FP32':
    case 'FP64': {
      const copy = (t.data as Float32Array | Float64Array).slice();
      copy.forEach((x, i) => {
        copy[i] = Number.isNaN(x) ? NaN : x === 0 ? 0 : x;
      });
      return copy;
    }
    case 'FP16':
    case 'BF16': {
      const nan = t.datatype === 'FP16' ? 0x7e00 : 0x7fc0;
      const expMask = t.datatype === 'FP16' ? 0x7c00 : 0x7f80;
      return (t.data as Uint16Array).map((bits) =>
        (bits & expMask) === expMask && (bits & ~expMask & 0x7fff) !== 0 ? nan : bits === 0x8000 ? 0 : bits,
      );
    }
    default:
      return t.data;
  }
}

/** The exact bytes of tensor data, so that comparisons see NaN payloads and the sign of zero. */
const bitsOf = (data: TensorData): Uint8Array[] =>
  Array.isArray(data) ? data : [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];

/** Regroups flat JSON data into the nested natural-shape form. */
function nest(flat: unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return flat;
  const [, ...inner] = shape;
  const stride = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat.slice(i * stride, (i + 1) * stride), inner));
}

const response = (outputs: Tensor[]) => ({ modelName: 'm', modelVersion: '1', outputs });

describe('codec round trip (property)', () => {
  it('binary: encode → frame → split → decode is bit-exact for every datatype', () => {
    fc.assert(
      fc.property(tensorArb('binary'), fc.nat({ max: 7 }), (t, pad) => {
        // A leading UINT8 tensor of `pad` bytes moves `t` to every possible alignment.
        const padding: Tensor = { name: 'pad', datatype: 'UINT8', shape: [pad], data: new Uint8Array(pad) };
        const { json, chunks } = encodeInferResponse(response([padding, t]), { binaryOutputs: () => true });
        const { body, headerLength } = assembleBinaryBody(json, chunks);
        const split = splitBinaryBody(body, headerLength);
        const decoded = decodeInferRequest(
          { inputs: (split.json as { outputs: unknown[] }).outputs },
          split.binary,
        );
        const got = decoded.inputs[1]!;
        expect(got.datatype).toBe(t.datatype);
        expect(got.shape).toEqual(t.shape);
        expect(bitsOf(got.data)).toEqual(bitsOf(t.data));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON: encode → stringify → parse → decode (flat or nested) is bit-exact up to -0 and NaN payloads', () => {
    fc.assert(
      fc.property(tensorArb('json'), fc.boolean(), (t, nested) => {
        const { json } = encodeInferResponse(response([t]), { binaryOutputs: () => false });
        const wire = parseJsonLimited(JSON.stringify(json)) as { outputs: Record<string, unknown>[] };
        const output = wire.outputs[0]!;
        const input = nested ? { ...output, data: nest(output.data as unknown[], t.shape) } : output;
        const got = decodeInferRequest({ inputs: [input] }).inputs[0]!;
        expect(got.datatype).toBe(t.datatype);
        expect(got.shape).toEqual(t.shape);
        expect(bitsOf(got.data)).toEqual(bitsOf(jsonCanonical(t)));
      }),
      { numRuns: 300 },
    );
  });
});

/** Runs `f` and fails the property if it throws anything but a KaleidoError. */
function onlyKaleidoErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KaleidoError)) throw new Error(`threw a non-KaleidoError: ${String(e)}`, { cause: e });
  }
}

/** Every kind of JS value, including the awkward ones (null prototypes, boxed values, holes). */
const anyValue = fc.anything({
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
  withBigInt: true,
  withTypedArray: true,
  withObjectString: true,
});

/** Requests that look almost right, so the fuzzing reaches the deep validation paths. */
const plausibleRequestArb = fc.record(
  {
    id: fc.oneof(fc.string(), anyValue),
    parameters: fc.oneof(
      fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.double(), fc.boolean())),
      anyValue,
    ),
    inputs: fc.array(
      fc.record(
        {
          name: fc.oneof(fc.constantFrom('a', 'b', ''), anyValue),
          datatype: fc.oneof(fc.constantFrom(...ALL_DATATYPES), fc.string()),
          shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 3 }), { maxLength: 3 }), anyValue),
          parameters: fc.oneof(
            fc.record({ binary_data_size: fc.oneof(fc.integer({ min: -1, max: 40 }), anyValue) }),
            anyValue,
          ),
          data: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 8 }), anyValue),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
    outputs: fc.oneof(
      fc.array(fc.record({ name: anyValue, parameters: anyValue }), { maxLength: 3 }),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);

describe('decoder robustness (property)', () => {
  it('decodeInferRequest throws nothing but KaleidoError on arbitrary values and bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyValue, fc.jsonValue(), plausibleRequestArb),
        fc.uint8Array({ maxLength: 48 }),
        (json, bin) => {
          onlyKaleidoErrors(() => decodeInferRequest(json, bin));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parse → split → decode throws nothing but KaleidoError on arbitrary text and bodies', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.json(), fc.string()),
        fc.uint8Array({ maxLength: 32 }),
        fc.integer({ min: -2, max: 80 }),
        (text, tail, cut) => {
          onlyKaleidoErrors(() => decodeInferRequest(parseJsonLimited(text, { maxDepth: 8 })));
          const body = new Uint8Array([...new TextEncoder().encode(text), ...tail]);
          onlyKaleidoErrors(() => {
            const { json, binary } = splitBinaryBody(body, cut, { maxDepth: 8 });
            decodeInferRequest(json, binary);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
