/**
 * Open Inference Protocol v2 REST conformance suite (shared/reference/oip-v2.md §2.8, §2.10).
 *
 * It runs against ANY OIP server that serves the fixture models of models/fixtures
 * (identity_<dtype>, add_sub_fp32 v1+v2, mlp_fp32), so it can be pointed at Triton as an oracle.
 * Generic blocks assert only what the protocol (and Triton's extensions) define; what is
 * Kaleido's own choice (the `code` field, FP16 in JSON, exact status codes beyond the spec) sits
 * in the "Kaleido specifics" block, which skips itself when the server is not Kaleido. Binary and
 * extension tests skip themselves when the server does not advertise the extension.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import {
  BYTE_SIZE,
  OIP_DATATYPES,
  binaryBody,
  decodeElements,
  encodeElements,
  expectOipError,
  getJson,
  http,
  infer,
  nest,
  postJson,
  readInferAnswer,
  type HttpAnswer,
} from '../helpers/oip-wire.js';
import { SAMPLES, SAMPLE_SHAPE, WIDE_SAMPLES, asDecoded, identityModel } from '../helpers/samples.js';

export interface RestConformanceOptions {
  /** The server's inference body limit; the 413 test runs only when it is known. */
  readonly maxBodyBytes?: number;
}

interface ServerInfo {
  name: string;
  version: string;
  extensions: string[];
}

const JSON_DATATYPES = OIP_DATATYPES.filter((d) => d !== 'FP16');
const utf8 = new TextEncoder();

const ADD_SUB_A = Array.from({ length: 16 }, (_, i) => i * 0.5 - 3);
const ADD_SUB_B = Array.from({ length: 16 }, (_, i) => (i % 5) * 1.25 + 1);

/** One FP32 identity request in JSON, `[1, n]`. */
const fp32Request = (data: number[] = [1.5, -2]) => ({
  inputs: [{ name: 'INPUT0', shape: [1, data.length], datatype: 'FP32', data }],
});

const addSubRequest = (extra: Record<string, unknown> = {}) => ({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: ADD_SUB_A },
    { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: ADD_SUB_B },
  ],
  ...extra,
});

/** A malformed request and the answer the protocol (and Kaleido) give it. */
interface BadRequest {
  readonly title: string;
  readonly model: string;
  readonly body: () => { body: Uint8Array | string; headers?: Record<string, string> };
  /** Kaleido's catalog code for it (checked only against Kaleido). */
  readonly code: string;
  /** Exact HTTP status; the generic block accepts any 4xx. */
  readonly status?: number;
  readonly needsBinary?: boolean;
}

function binaryRequest(header: unknown, bytes: Uint8Array, headerLength?: string) {
  const { body, headerLength: length } = binaryBody(header, [bytes]);
  return {
    body,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': headerLength ?? String(length),
    },
  };
}

const FP32_PAIR = encodeElements('FP32', [1.5, 2]);
const fp32BinaryHeader = (size: number, shape = [1, 2]) => ({
  inputs: [{ name: 'INPUT0', shape, datatype: 'FP32', parameters: { binary_data_size: size } }],
});

export const BAD_REQUESTS: readonly BadRequest[] = [
  {
    title: 'malformed JSON',
    model: 'identity_fp32',
    body: () => ({ body: '{"inputs":[{"name":"INPUT0","shape":[1,2],"datatype":"FP32","data":[1,2' }),
    code: 'ERR_INVALID_JSON',
  },
  {
    title: 'a 100 000-deep nesting bomb',
    model: 'identity_fp32',
    body: () => ({
      body: `{"inputs":[{"name":"INPUT0","shape":[1,1],"datatype":"FP32","data":${'['.repeat(100_000)}1${']'.repeat(100_000)}}]}`,
    }),
    code: 'ERR_INVALID_JSON',
  },
  {
    title: 'a body that is not an object',
    model: 'identity_fp32',
    body: () => ({ body: '[1, 2, 3]' }),
    code: 'ERR_VALIDATION',
  },
  {
    title: 'an empty body',
    model: 'identity_fp32',
    body: () => ({ body: '' }),
    code: 'ERR_BAD_REQUEST',
  },
  {
    title: 'a datatype other than the model input',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'INT32', data: [1, 2] }] }),
    }),
    code: 'ERR_DATATYPE_MISMATCH',
  },
  {
    title: 'an unknown datatype name',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FLOAT', data: [1, 2] }] }),
    }),
    code: 'ERR_DATATYPE_MISMATCH',
  },
  {
    title: 'more elements than the shape holds',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({
        inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'FP32', data: [1, 2, 3] }],
      }),
    }),
    code: 'ERR_SHAPE_MISMATCH',
  },
  {
    title: 'fewer elements than the shape holds',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({
        inputs: [{ name: 'INPUT0', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3] }],
      }),
    }),
    code: 'ERR_SHAPE_MISMATCH',
  },
  {
    title: 'a negative dimension',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, -2], datatype: 'FP32', data: [1, 2] }] }),
    }),
    code: 'ERR_SHAPE_MISMATCH',
  },
  {
    title: 'a value outside the datatype range (300 as UINT8)',
    model: 'identity_uint8',
    body: () => ({
      body: JSON.stringify({
        inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'UINT8', data: [1, 300] }],
      }),
    }),
    code: 'ERR_DATATYPE_MISMATCH',
  },
  {
    title: 'an unknown input name',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({ inputs: [{ name: 'NOPE', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }),
    }),
    code: 'ERR_UNKNOWN_INPUT',
  },
  {
    title: 'a missing input',
    model: 'add_sub_fp32',
    body: () => ({
      body: JSON.stringify({
        inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: ADD_SUB_A }],
      }),
    }),
    code: 'ERR_MISSING_INPUT',
  },
  {
    title: 'the same input twice',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({
        inputs: [fp32Request().inputs[0], fp32Request().inputs[0]],
      }),
    }),
    code: 'ERR_DUPLICATE_NAME',
  },
  {
    title: 'the same output requested twice',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({ ...fp32Request(), outputs: [{ name: 'OUTPUT0' }, { name: 'OUTPUT0' }] }),
    }),
    code: 'ERR_DUPLICATE_NAME',
  },
  {
    title: 'an unknown requested output',
    model: 'identity_fp32',
    body: () => ({ body: JSON.stringify({ ...fp32Request(), outputs: [{ name: 'OUTPUT9' }] }) }),
    code: 'ERR_UNKNOWN_OUTPUT',
  },
  {
    title: 'a batch larger than max_batch_size (65 > 64)',
    model: 'identity_fp32',
    body: () => ({
      body: JSON.stringify({
        inputs: [{ name: 'INPUT0', shape: [65, 1], datatype: 'FP32', data: Array<number>(65).fill(1) }],
      }),
    }),
    code: 'ERR_BATCH_TOO_LARGE',
  },
  {
    title: 'inputs that disagree on the batch size',
    model: 'add_sub_fp32',
    body: () => ({
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: ADD_SUB_A },
          { name: 'INPUT1', shape: [2, 16], datatype: 'FP32', data: [...ADD_SUB_B, ...ADD_SUB_B] },
        ],
      }),
    }),
    code: 'ERR_SHAPE_MISMATCH',
  },
  {
    title: 'JSON data and binary_data_size on one input',
    model: 'identity_fp32',
    body: () =>
      binaryRequest(
        { inputs: [{ ...fp32Request([1, 2]).inputs[0], parameters: { binary_data_size: 8 } }] },
        FP32_PAIR,
      ),
    code: 'ERR_VALIDATION',
    needsBinary: true,
  },
  {
    title: 'Inference-Header-Content-Length larger than the body',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(8), FP32_PAIR, '100000'),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'a negative Inference-Header-Content-Length',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(8), FP32_PAIR, '-5'),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'a non-numeric Inference-Header-Content-Length',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(8), FP32_PAIR, 'abc'),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'an Inference-Header-Content-Length that cuts the JSON',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(8), FP32_PAIR, '10'),
    code: 'ERR_INVALID_JSON',
    needsBinary: true,
  },
  {
    title: 'binary_data_size larger than the bytes that follow',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(12), FP32_PAIR),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'bytes left over after every binary_data_size',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(8), new Uint8Array([...FP32_PAIR, 0, 0, 0, 0])),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'binary_data_size that does not fit the shape',
    model: 'identity_fp32',
    body: () => binaryRequest(fp32BinaryHeader(8, [1, 3]), FP32_PAIR),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'a BYTES length prefix that overruns its tensor',
    model: 'identity_bytes',
    body: () =>
      binaryRequest(
        {
          inputs: [{ name: 'INPUT0', shape: [1, 1], datatype: 'BYTES', parameters: { binary_data_size: 8 } }],
        },
        new Uint8Array([100, 0, 0, 0, 0x61, 0x62, 0x63, 0x64]),
      ),
    code: 'ERR_BINARY_HEADER',
    needsBinary: true,
  },
  {
    title: 'a BOOL byte other than 0 or 1',
    model: 'identity_bool',
    body: () =>
      binaryRequest(
        {
          inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'BOOL', parameters: { binary_data_size: 2 } }],
        },
        new Uint8Array([1, 7]),
      ),
    code: 'ERR_DATATYPE_MISMATCH',
    needsBinary: true,
  },
  {
    title: 'a raw binary request to a model with two inputs',
    model: 'add_sub_fp32',
    body: () => ({
      body: encodeElements('FP32', ADD_SUB_A),
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' },
    }),
    code: 'ERR_BAD_REQUEST',
    needsBinary: true,
  },
];

export function oipRestConformance(getBaseUrl: () => string, options: RestConformanceOptions = {}): void {
  const base = () => getBaseUrl();
  let server: ServerInfo;

  beforeAll(async () => {
    const { status, json } = await getJson(base(), '/v2');
    expect(status).toBe(200);
    server = json as ServerInfo;
  });

  const requireExtension = (ctx: TestContext, name: string) => {
    if (!server.extensions.includes(name)) ctx.skip(`the server does not advertise "${name}"`);
  };
  const requireKaleido = (ctx: TestContext) => {
    if (server.name !== 'kaleido') ctx.skip(`Kaleido-specific; the server is "${server.name}"`);
  };
  const expectLive = async () => {
    const a = await http(base(), 'GET', '/v2/health/live');
    expect(a.status).toBe(200);
  };
  const send = async (bad: BadRequest): Promise<HttpAnswer> => {
    const { body, headers } = bad.body();
    return http(base(), 'POST', `/v2/models/${bad.model}/infer`, body, headers);
  };

  describe('OIP REST: health and server metadata', () => {
    it('GET /v2/health/live answers 200 (body empty or {"live": true})', async () => {
      const a = await http(base(), 'GET', '/v2/health/live');
      expect(a.status).toBe(200);
      if (a.body.length > 0)
        expect(JSON.parse(new TextDecoder().decode(a.body))).toMatchObject({ live: true });
    });

    it('GET /v2/health/ready answers 200 once the models are loaded', async () => {
      const a = await http(base(), 'GET', '/v2/health/ready');
      expect(a.status).toBe(200);
      if (a.body.length > 0)
        expect(JSON.parse(new TextDecoder().decode(a.body))).toMatchObject({ ready: true });
    });

    it('GET /v2 gives name, version and a list of extensions', async () => {
      const { status, json } = await getJson(base(), '/v2');
      expect(status).toBe(200);
      const m = json as ServerInfo;
      expect(typeof m.name).toBe('string');
      expect(m.name.length).toBeGreaterThan(0);
      expect(typeof m.version).toBe('string');
      expect(Array.isArray(m.extensions)).toBe(true);
      for (const e of m.extensions) expect(typeof e).toBe('string');
    });

    it('an inference route does not answer GET', async () => {
      const a = await http(base(), 'GET', '/v2/models/identity_fp32/infer');
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
    });
  });

  describe('OIP REST: model metadata and readiness', () => {
    it('model metadata lists the inputs and outputs with -1 for variable dimensions', async () => {
      const { status, json } = await getJson(base(), '/v2/models/add_sub_fp32');
      expect(status).toBe(200);
      const m = json as {
        name: string;
        versions?: string[];
        platform: string;
        inputs: { name: string; datatype: string; shape: number[] }[];
        outputs: { name: string; datatype: string; shape: number[] }[];
      };
      expect(m.name).toBe('add_sub_fp32');
      expect(typeof m.platform).toBe('string');
      expect(m.inputs).toEqual([
        { name: 'INPUT0', datatype: 'FP32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'FP32', shape: [-1, 16] },
      ]);
      expect(m.outputs).toEqual([
        { name: 'OUTPUT0', datatype: 'FP32', shape: [-1, 16] },
        { name: 'OUTPUT1', datatype: 'FP32', shape: [-1, 16] },
      ]);
      if (m.versions !== undefined) expect([...m.versions].sort()).toEqual(['1', '2']);
    });

    it('model metadata of an explicit version', async () => {
      const { status, json } = await getJson(base(), '/v2/models/add_sub_fp32/versions/1');
      expect(status).toBe(200);
      expect(json).toMatchObject({ name: 'add_sub_fp32', inputs: [{ name: 'INPUT0' }, { name: 'INPUT1' }] });
    });

    it('model metadata of every identity model names its datatype', async () => {
      for (const dt of OIP_DATATYPES) {
        const { status, json } = await getJson(base(), `/v2/models/${identityModel(dt)}`);
        expect(status, dt).toBe(200);
        expect(json, dt).toMatchObject({
          inputs: [{ name: 'INPUT0', datatype: dt, shape: [-1, -1] }],
          outputs: [{ name: 'OUTPUT0', datatype: dt, shape: [-1, -1] }],
        });
      }
    });

    it('an unknown model is 404 with {"error": string}', async () => {
      expectOipError(await http(base(), 'GET', '/v2/models/no_such_model'), 404);
      expectOipError(
        await http(base(), 'POST', '/v2/models/no_such_model/infer', JSON.stringify(fp32Request())),
        404,
      );
    });

    it('an unknown version is an error', async () => {
      expectOipError(await http(base(), 'GET', '/v2/models/add_sub_fp32/versions/99'), [400, 404]);
    });

    it('model ready: 200 for a loaded model, 4xx for an unknown model or version', async () => {
      expect((await http(base(), 'GET', '/v2/models/identity_fp32/ready')).status).toBe(200);
      expect((await http(base(), 'GET', '/v2/models/add_sub_fp32/versions/2/ready')).status).toBe(200);
      for (const path of ['/v2/models/no_such_model/ready', '/v2/models/add_sub_fp32/versions/99/ready']) {
        const a = await http(base(), 'GET', path);
        expect(a.status, path).toBeGreaterThanOrEqual(400);
        expect(a.status, path).toBeLessThanOrEqual(503);
      }
    });
  });

  describe('OIP REST: every datatype round-trips through identity_<dtype>', () => {
    const shape = [...SAMPLE_SHAPE];

    describe.each(JSON_DATATYPES)('%s', (dt) => {
      const model = identityModel(dt);
      const values = SAMPLES[dt];

      it('JSON nested data → JSON', async () => {
        const { response } = await infer(base(), model, {
          inputs: [{ name: 'INPUT0', shape, datatype: dt, data: nest(values, shape) }],
        });
        expect(response.model_name).toBe(model);
        expect(response.outputs).toHaveLength(1);
        expect(response.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape });
        expect(response.outputs[0]?.data).toEqual(values);
      });

      it('JSON flat data → JSON', async () => {
        const { response } = await infer(base(), model, {
          inputs: [{ name: 'INPUT0', shape, datatype: dt, data: values }],
        });
        expect(response.outputs[0]?.data).toEqual(values);
      });

      it('JSON data → binary output (little-endian bytes)', async (ctx) => {
        requireExtension(ctx, 'binary_tensor_data');
        const { response } = await infer(base(), model, {
          inputs: [{ name: 'INPUT0', shape, datatype: dt, data: values }],
          outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
        });
        const out = response.outputs[0];
        expect(out).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape });
        expect(out?.data).toBeUndefined();
        expect(out?.bytes).toEqual(encodeElements(dt, values));
      });

      it('binary data → JSON output', async (ctx) => {
        requireExtension(ctx, 'binary_tensor_data');
        const bytes = encodeElements(dt, values);
        const { response } = await infer(
          base(),
          model,
          {
            inputs: [{ name: 'INPUT0', shape, datatype: dt, parameters: { binary_data_size: bytes.length } }],
          },
          [bytes],
        );
        expect(response.outputs[0]?.data).toEqual(values);
      });
    });

    describe.each([...OIP_DATATYPES, 'BF16' as const])('%s in binary', (dt) => {
      const model = identityModel(dt);

      it('binary data → binary output, byte for byte', async (ctx) => {
        requireExtension(ctx, 'binary_tensor_data');
        if (dt === 'BF16' && (await http(base(), 'GET', `/v2/models/${model}/ready`)).status !== 200) {
          ctx.skip('BF16 is optional and the server has no identity_bf16');
        }
        const bytes = encodeElements(dt, SAMPLES[dt]);
        const { response } = await infer(
          base(),
          model,
          {
            inputs: [{ name: 'INPUT0', shape, datatype: dt, parameters: { binary_data_size: bytes.length } }],
            parameters: { binary_data_output: true },
          },
          [bytes],
        );
        const out = response.outputs[0];
        expect(out).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape });
        expect(out?.parameters?.binary_data_size).toBe(bytes.length);
        expect(out?.bytes).toEqual(bytes);
        expect(decodeElements(dt, out?.bytes ?? new Uint8Array())).toEqual(asDecoded(dt, SAMPLES[dt]));
      });

      if (WIDE_SAMPLES[dt]) {
        it('the full 64-bit range survives binary exactly', async (ctx) => {
          requireExtension(ctx, 'binary_tensor_data');
          const wide = WIDE_SAMPLES[dt] ?? [];
          const bytes = new Uint8Array(wide.length * 8);
          const view = new DataView(bytes.buffer);
          wide.forEach((v, i) =>
            dt === 'UINT64' ? view.setBigUint64(i * 8, v, true) : view.setBigInt64(i * 8, v, true),
          );
          const { response } = await infer(
            base(),
            model,
            {
              inputs: [
                { name: 'INPUT0', shape, datatype: dt, parameters: { binary_data_size: bytes.length } },
              ],
              parameters: { binary_data_output: true },
            },
            [bytes],
          );
          expect(decodeElements(dt, response.outputs[0]?.bytes ?? new Uint8Array())).toEqual(wide);
        });
      }
    });

    it('binary data at every byte alignment of the body (header padded by 0–7 spaces)', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      // The tensor bytes start right after the JSON header, so their offset in the body is the
      // header length: a server must not assume it is a multiple of the element size.
      for (const dt of ['FP32', 'FP64', 'INT64', 'UINT16'] as const) {
        const values = dt === 'INT64' ? [-(2 ** 40), 7] : dt === 'UINT16' ? [65535, 258] : [1.5, -0.25];
        const bytes = encodeElements(dt, values);
        const json = JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 2], datatype: dt, parameters: { binary_data_size: bytes.length } },
          ],
        });
        for (let pad = 0; pad < 8; pad++) {
          const header = utf8.encode(json + ' '.repeat(pad));
          const body = new Uint8Array([...header, ...bytes]);
          const a = await http(base(), 'POST', `/v2/models/${identityModel(dt)}/infer`, body, {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': String(header.length),
          });
          expect(a.status, `${dt} pad ${pad}: ${new TextDecoder().decode(a.body)}`).toBe(200);
          expect(readInferAnswer(a).outputs[0]?.data, `${dt} pad ${pad}`).toEqual(values);
        }
      }
    });

    it('BYTES: elements with embedded NUL bytes round-trip exactly (servers whose backend keeps them)', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      // onnxruntime string tensors are C strings: Kaleido answers 400 instead (next test).
      if (server.name === 'kaleido') ctx.skip('onnxruntime string tensors cannot hold NUL bytes');
      const values = ['\u0000lead', 'mid\u0000dle', 'trail\u0000'];
      const bytes = encodeElements('BYTES', values);
      const { response } = await infer(
        base(),
        'identity_bytes',
        {
          inputs: [
            {
              name: 'INPUT0',
              shape: [1, 3],
              datatype: 'BYTES',
              parameters: { binary_data_size: bytes.length },
            },
          ],
          parameters: { binary_data_output: true },
        },
        [bytes],
      );
      expect(decodeElements('BYTES', response.outputs[0]?.bytes ?? new Uint8Array())).toEqual(values);
    });

    it('BYTES: NUL bytes are never silently dropped (exact round trip, or a clear 400)', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const values = ['\u0000lead', 'mid\u0000dle', 'trail\u0000'];
      const bytes = encodeElements('BYTES', values);
      const header = {
        inputs: [
          {
            name: 'INPUT0',
            shape: [1, 3],
            datatype: 'BYTES',
            parameters: { binary_data_size: bytes.length },
          },
        ],
        parameters: { binary_data_output: true },
      };
      const { body, headerLength } = binaryBody(header, [bytes]);
      const a = await http(base(), 'POST', '/v2/models/identity_bytes/infer', body, {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(headerLength),
      });
      if (a.status === 200) {
        expect(decodeElements('BYTES', readInferAnswer(a).outputs[0]?.bytes ?? new Uint8Array())).toEqual(
          values,
        );
      } else {
        expect(expectOipError(a, 400).error).toMatch(/NUL/);
      }
    });

    it('BYTES: non-ASCII and empty strings survive binary', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const values = ['', 'naïve café', 'tab\tand\nnewline', '𝄞 music', '', 'Ωμέγα'];
      const bytes = encodeElements('BYTES', values);
      const { response } = await infer(
        base(),
        'identity_bytes',
        {
          inputs: [
            {
              name: 'INPUT0',
              shape: [3, 2],
              datatype: 'BYTES',
              parameters: { binary_data_size: bytes.length },
            },
          ],
          parameters: { binary_data_output: true },
        },
        [bytes],
      );
      expect(response.outputs[0]?.bytes).toEqual(bytes);
    });

    it('BYTES: a single empty string in JSON', async () => {
      const { response } = await infer(base(), 'identity_bytes', {
        inputs: [{ name: 'INPUT0', shape: [1, 1], datatype: 'BYTES', data: [''] }],
      });
      expect(response.outputs[0]).toMatchObject({ shape: [1, 1], data: [''] });
    });

    it('a JSON input and a binary input in one request', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const b = encodeElements('FP32', ADD_SUB_B);
      const { response } = await infer(
        base(),
        'add_sub_fp32',
        {
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: ADD_SUB_A },
            { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', parameters: { binary_data_size: b.length } },
          ],
        },
        [b],
        '/v2/models/add_sub_fp32/versions/1/infer',
      );
      const sum = response.outputs.find((o) => o.name === 'OUTPUT0');
      expect(sum?.data).toEqual(ADD_SUB_A.map((a, i) => Math.fround(a + (ADD_SUB_B[i] ?? 0))));
    });
  });

  describe('OIP REST: request id, outputs and binary_data_output', () => {
    it('the id is absent from the answer when the request has none', async () => {
      const { response } = await infer(base(), 'identity_fp32', fp32Request());
      expect(response.id === undefined || response.id === '').toBe(true);
    });

    it.each(['request-42', 'ユニコード-✓-🙂', ''])('the id %j is echoed', async (id) => {
      const { response } = await infer(base(), 'identity_fp32', { id, ...fp32Request() });
      if (id === '') expect(response.id === undefined || response.id === '').toBe(true);
      else expect(response.id).toBe(id);
    });

    it('the id is echoed in a binary answer too', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const { response, answer } = await infer(base(), 'identity_fp32', {
        id: 'bin-ü',
        ...fp32Request(),
        parameters: { binary_data_output: true },
      });
      expect(answer.headers.get('inference-header-content-length')).not.toBeNull();
      expect(response.id).toBe('bin-ü');
    });

    it('the version in the path selects the model version (v2 OUTPUT1 = b − a)', async () => {
      const v1 = await infer(
        base(),
        'add_sub_fp32',
        addSubRequest(),
        undefined,
        '/v2/models/add_sub_fp32/versions/1/infer',
      );
      const v2 = await infer(
        base(),
        'add_sub_fp32',
        addSubRequest(),
        undefined,
        '/v2/models/add_sub_fp32/versions/2/infer',
      );
      expect(v1.response.model_version).toBe('1');
      expect(v2.response.model_version).toBe('2');
      const diff = ADD_SUB_A.map((a, i) => Math.fround(a - (ADD_SUB_B[i] ?? 0)));
      expect(v1.response.outputs.find((o) => o.name === 'OUTPUT1')?.data).toEqual(diff);
      expect(v2.response.outputs.find((o) => o.name === 'OUTPUT1')?.data).toEqual(diff.map((d) => -d));
    });

    it('requested outputs: only the named subset comes back', async () => {
      const { response } = await infer(
        base(),
        'add_sub_fp32',
        addSubRequest({ outputs: [{ name: 'OUTPUT1' }] }),
        undefined,
        '/v2/models/add_sub_fp32/versions/1/infer',
      );
      expect(response.outputs.map((o) => o.name)).toEqual(['OUTPUT1']);
      expect(response.outputs[0]?.data).toEqual(
        ADD_SUB_A.map((a, i) => Math.fround(a - (ADD_SUB_B[i] ?? 0))),
      );
    });

    it('binary_data_output: true makes every output binary', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const { response } = await infer(
        base(),
        'add_sub_fp32',
        addSubRequest({ parameters: { binary_data_output: true } }),
        undefined,
        '/v2/models/add_sub_fp32/versions/1/infer',
      );
      expect(response.outputs).toHaveLength(2);
      for (const o of response.outputs) {
        expect(o.data).toBeUndefined();
        expect(o.parameters?.binary_data_size).toBe(64);
      }
      const sum = response.outputs.find((o) => o.name === 'OUTPUT0');
      expect(decodeElements('FP32', sum?.bytes ?? new Uint8Array())).toEqual(
        ADD_SUB_A.map((a, i) => Math.fround(a + (ADD_SUB_B[i] ?? 0))),
      );
    });

    it('a per-output binary_data overrides binary_data_output, both ways', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const on = await infer(
        base(),
        'add_sub_fp32',
        addSubRequest({
          parameters: { binary_data_output: true },
          outputs: [{ name: 'OUTPUT0', parameters: { binary_data: false } }, { name: 'OUTPUT1' }],
        }),
      );
      expect(on.response.outputs.map((o) => [o.name, o.data !== undefined, o.bytes !== undefined])).toEqual([
        ['OUTPUT0', true, false],
        ['OUTPUT1', false, true],
      ]);
      const off = await infer(
        base(),
        'add_sub_fp32',
        addSubRequest({
          parameters: { binary_data_output: false },
          outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }, { name: 'OUTPUT1' }],
        }),
      );
      expect(off.response.outputs.map((o) => [o.name, o.data !== undefined, o.bytes !== undefined])).toEqual([
        ['OUTPUT0', false, true],
        ['OUTPUT1', true, false],
      ]);
    });

    it('raw binary request (Inference-Header-Content-Length: 0): batch 1, binary answer', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const values = [1.5, -2, 0.25, 1e-3];
      const bytes = encodeElements('FP32', values);
      const a = await http(base(), 'POST', '/v2/models/identity_fp32/infer', bytes, {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': '0',
      });
      expect(a.status, new TextDecoder().decode(a.body)).toBe(200);
      const res = readInferAnswer(a);
      expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: 'FP32', shape: [1, 4] });
      expect(res.outputs[0]?.bytes).toEqual(bytes);
    });
  });

  describe('OIP REST: malformed requests are 4xx with {"error": string}, and the server lives on', () => {
    afterEach(expectLive);

    it.for(BAD_REQUESTS)('$title', async (bad, ctx) => {
      if (bad.needsBinary) requireExtension(ctx, 'binary_tensor_data');
      expectOipError(await send(bad), [400, 499]);
    });

    it('a body over the limit is 413', async (ctx) => {
      if (options.maxBodyBytes === undefined) ctx.skip('the body limit of this server is not known');
      const limit = options.maxBodyBytes ?? 0;
      const filler = 'x'.repeat(limit + 1024);
      const a = await http(
        base(),
        'POST',
        '/v2/models/identity_bytes/infer',
        JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 1], datatype: 'BYTES', data: [filler] }] }),
      );
      expect(a.status).toBe(413);
      if (a.body.length > 0) expectOipError(a, 413);
    });
  });

  describe('OIP REST: content encoding', () => {
    it('a gzip-compressed JSON request works', async () => {
      const body = gzipSync(utf8.encode(JSON.stringify(fp32Request([3.5, -1]))));
      const a = await http(base(), 'POST', '/v2/models/identity_fp32/infer', body, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(a.status, new TextDecoder().decode(a.body)).toBe(200);
      expect(readInferAnswer(a).outputs[0]?.data).toEqual([3.5, -1]);
    });

    it('a gzip-compressed binary request works', async (ctx) => {
      requireExtension(ctx, 'binary_tensor_data');
      const { body, headerLength } = binaryBody(fp32BinaryHeader(8), [FP32_PAIR]);
      const a = await http(base(), 'POST', '/v2/models/identity_fp32/infer', gzipSync(body), {
        'content-type': 'application/octet-stream',
        'content-encoding': 'gzip',
        'inference-header-content-length': String(headerLength),
      });
      expect(a.status, new TextDecoder().decode(a.body)).toBe(200);
      expect(readInferAnswer(a).outputs[0]?.data).toEqual([1.5, 2]);
    });
  });

  describe('OIP REST: Triton extensions', () => {
    it('model_repository: POST /v2/repository/index lists models with their state', async (ctx) => {
      requireExtension(ctx, 'model_repository');
      const { status, json } = await postJson(base(), '/v2/repository/index', {});
      expect(status).toBe(200);
      const index = json as { name: string; version?: string; state?: string; reason?: string }[];
      expect(Array.isArray(index)).toBe(true);
      for (const e of index) expect(typeof e.name).toBe('string');
      const names = new Set(index.map((e) => e.name));
      for (const dt of OIP_DATATYPES) expect(names.has(identityModel(dt)), dt).toBe(true);
      expect(index.find((e) => e.name === 'identity_fp32')?.state).toBe('READY');

      const ready = await postJson(base(), '/v2/repository/index', { ready: true });
      expect(ready.status).toBe(200);
      for (const e of ready.json as { state?: string }[]) expect(e.state).toBe('READY');
    });

    it('model_configuration: /v2/models/{m}/config has max_batch_size and TYPE_ datatypes', async (ctx) => {
      requireExtension(ctx, 'model_configuration');
      const { status, json } = await getJson(base(), '/v2/models/add_sub_fp32/config');
      expect(status).toBe(200);
      const c = json as {
        name: string;
        max_batch_size: number;
        input: { name: string; data_type: string; dims: (number | string)[] }[];
        output: { name: string; data_type: string; dims: (number | string)[] }[];
      };
      expect(c.name).toBe('add_sub_fp32');
      expect(c.max_batch_size).toBe(64);
      expect(c.input.map((i) => [i.name, i.data_type, i.dims.map(Number)])).toEqual([
        ['INPUT0', 'TYPE_FP32', [16]],
        ['INPUT1', 'TYPE_FP32', [16]],
      ]);
      expect(c.output.map((o) => [o.name, o.data_type])).toEqual([
        ['OUTPUT0', 'TYPE_FP32'],
        ['OUTPUT1', 'TYPE_FP32'],
      ]);
      const bytes = await getJson(base(), '/v2/models/identity_bytes/config');
      expect((bytes.json as typeof c).input[0]?.data_type).toBe('TYPE_STRING');
    });

    it('statistics: counts grow after an inference', async (ctx) => {
      requireExtension(ctx, 'statistics');
      type Stats = {
        model_stats: {
          name: string;
          version: string;
          inference_count: number;
          execution_count: number;
          inference_stats: Record<string, { count: number; ns: number }>;
        }[];
      };
      const read = async () => {
        const { status, json } = await getJson(base(), '/v2/models/identity_int32/stats');
        expect(status).toBe(200);
        const s = (json as Stats).model_stats;
        expect(s).toHaveLength(1);
        return s[0]!;
      };
      const before = await read();
      expect(before.name).toBe('identity_int32');
      await infer(base(), 'identity_int32', {
        inputs: [{ name: 'INPUT0', shape: [3, 1], datatype: 'INT32', data: [1, 2, 3] }],
      });
      const after = await read();
      expect(Number(after.inference_count) - Number(before.inference_count)).toBe(3);
      expect(Number(after.execution_count)).toBeGreaterThan(Number(before.execution_count));
      const success = (s: typeof after) => Number(s.inference_stats.success?.count);
      expect(success(after) - success(before)).toBe(1);
      for (const phase of ['queue', 'compute_input', 'compute_infer', 'compute_output']) {
        expect(Number(after.inference_stats[phase]?.count), phase).toBeGreaterThan(
          Number(before.inference_stats[phase]?.count),
        );
        expect(Number(after.inference_stats[phase]?.ns), phase).toBeGreaterThanOrEqual(
          Number(before.inference_stats[phase]?.ns),
        );
      }
      const all = await getJson(base(), '/v2/models/stats');
      expect(all.status).toBe(200);
      expect((all.json as Stats).model_stats.some((m) => m.name === 'identity_int32')).toBe(true);
    });

    it('classification: top-k "value:index:label" strings, in order, as BYTES', async (ctx) => {
      requireExtension(ctx, 'classification');
      const features = Array.from({ length: 64 }, (_, i) => Math.sin(i) * 1.5);
      const request = { inputs: [{ name: 'features', shape: [1, 64], datatype: 'FP32', data: features }] };
      const plain = await infer(base(), 'mlp_fp32', request);
      const probabilities = (plain.response.outputs[0]?.data ?? []) as number[];
      expect(probabilities).toHaveLength(10);
      const { response } = await infer(base(), 'mlp_fp32', {
        ...request,
        outputs: [{ name: 'probabilities', parameters: { classification: 3 } }],
      });
      const out = response.outputs[0];
      expect(out).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [1, 3] });
      const ranked = probabilities.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      const entries = (out?.data as string[]).map((s) => s.split(':'));
      entries.forEach((parts, k) => {
        expect(parts).toHaveLength(3);
        expect(Number(parts[1])).toBe(ranked[k]?.[1]);
        expect(Number(parts[0])).toBeCloseTo(ranked[k]?.[0] ?? NaN, 6);
        expect(parts[2]?.length).toBeGreaterThan(0);
      });
    });

    it('schedule_policy: priority and timeout are accepted; a malformed priority is rejected', async (ctx) => {
      requireExtension(ctx, 'schedule_policy');
      const ok = await infer(base(), 'identity_fp32', {
        ...fp32Request(),
        parameters: { priority: 1, timeout: 5_000_000 },
      });
      expect(ok.response.outputs[0]?.data).toEqual([1.5, -2]);
      const bad = await http(
        base(),
        'POST',
        '/v2/models/identity_fp32/infer',
        JSON.stringify({ ...fp32Request(), parameters: { priority: 'urgent' } }),
      );
      expectOipError(bad, [400, 499]);
      await expectLive();
    });
  });

  describe('Kaleido specifics (skipped against other servers)', () => {
    it.for(BAD_REQUESTS)('$title → its catalog code', async (bad, ctx) => {
      requireKaleido(ctx);
      const body = expectOipError(await send(bad), bad.status ?? 400);
      expect(body.code).toBe(bad.code);
    });

    it('unknown model / version: 404 with ERR_MODEL_NOT_FOUND / ERR_VERSION_NOT_FOUND', async (ctx) => {
      requireKaleido(ctx);
      expect(expectOipError(await http(base(), 'GET', '/v2/models/no_such_model'), 404).code).toBe(
        'ERR_MODEL_NOT_FOUND',
      );
      expect(expectOipError(await http(base(), 'GET', '/v2/models/add_sub_fp32/versions/99'), 404).code).toBe(
        'ERR_VERSION_NOT_FOUND',
      );
    });

    it('an unknown route under /v2 is 404 with ERR_NOT_FOUND in the OIP error shape', async (ctx) => {
      requireKaleido(ctx);
      expect(expectOipError(await http(base(), 'GET', '/v2/no/such/route'), 404).code).toBe('ERR_NOT_FOUND');
    });

    it('health bodies are the KServe JSON', async (ctx) => {
      requireKaleido(ctx);
      expect((await getJson(base(), '/v2/health/live')).json).toEqual({ live: true });
      expect((await getJson(base(), '/v2/health/ready')).json).toEqual({ ready: true });
    });

    it('advertises every extension it implements', async (ctx) => {
      requireKaleido(ctx);
      expect(server.extensions).toEqual(
        expect.arrayContaining([
          'binary_tensor_data',
          'classification',
          'model_repository',
          'schedule_policy',
          'model_configuration',
          'statistics',
        ]),
      );
    });

    it.for(['nested', 'flat'])(
      'FP16 is accepted in JSON (%s) and returned as JSON numbers',
      async (form, ctx) => {
        requireKaleido(ctx);
        const shape = [...SAMPLE_SHAPE];
        const values = SAMPLES.FP16;
        const { response } = await infer(base(), 'identity_fp16', {
          inputs: [
            {
              name: 'INPUT0',
              shape,
              datatype: 'FP16',
              data: form === 'nested' ? nest(values, shape) : values,
            },
          ],
        });
        expect(response.outputs[0]).toMatchObject({ datatype: 'FP16', shape, data: values });
      },
    );

    it('FP16 JSON in → binary out gives the IEEE binary16 bits', async (ctx) => {
      requireKaleido(ctx);
      const { response } = await infer(base(), 'identity_fp16', {
        inputs: [{ name: 'INPUT0', shape: [...SAMPLE_SHAPE], datatype: 'FP16', data: SAMPLES.FP16 }],
        parameters: { binary_data_output: true },
      });
      expect(response.outputs[0]?.bytes).toEqual(encodeElements('FP16', SAMPLES.FP16));
      expect(response.outputs[0]?.bytes?.length).toBe(SAMPLES.FP16.length * BYTE_SIZE.FP16);
    });

    it('raw binary BYTES request: the whole body is the one element', async (ctx) => {
      requireKaleido(ctx);
      const text = utf8.encode('raw ✓ body');
      const a = await http(base(), 'POST', '/v2/models/identity_bytes/infer', text, {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': '0',
      });
      expect(a.status, new TextDecoder().decode(a.body)).toBe(200);
      const out = readInferAnswer(a).outputs[0];
      expect(out?.shape).toEqual([1, 1]);
      expect(decodeElements('BYTES', out?.bytes ?? new Uint8Array())).toEqual(['raw ✓ body']);
    });

    it('a priority beyond the configured levels is ERR_VALIDATION; a negative timeout too', async (ctx) => {
      requireKaleido(ctx);
      for (const parameters of [{ priority: 1000 }, { priority: -1 }, { priority: 1.5 }, { timeout: -1 }]) {
        const a = await http(
          base(),
          'POST',
          '/v2/models/identity_fp32/infer',
          JSON.stringify({ ...fp32Request(), parameters }),
        );
        expect(expectOipError(a, 400).code, JSON.stringify(parameters)).toBe('ERR_VALIDATION');
      }
    });

    it('64-bit integers beyond 2^53 in JSON are refused, not silently rounded', async (ctx) => {
      requireKaleido(ctx);
      const a = await http(
        base(),
        'POST',
        '/v2/models/identity_uint64/infer',
        '{"inputs":[{"name":"INPUT0","shape":[1,1],"datatype":"UINT64","data":[18446744073709551615]}]}',
      );
      expect(expectOipError(a, 400).code).toBe('ERR_DATATYPE_MISMATCH');
    });

    it('classification without labels gives "value:index"; k beyond the classes is clamped', async (ctx) => {
      requireKaleido(ctx);
      const { response } = await infer(base(), 'identity_fp32', {
        inputs: [{ name: 'INPUT0', shape: [2, 3], datatype: 'FP32', data: [0.5, 2, -1, 7, 7, 1] }],
        outputs: [{ name: 'OUTPUT0', parameters: { classification: 5 } }],
      });
      expect(response.outputs[0]).toMatchObject({
        datatype: 'BYTES',
        shape: [2, 3],
        data: ['2:1', '0.5:0', '-1:2', '7:0', '7:1', '1:2'],
      });
    });

    it('stats of an unknown model is 404', async (ctx) => {
      requireKaleido(ctx);
      expect(expectOipError(await http(base(), 'GET', '/v2/models/no_such_model/stats'), 404).code).toBe(
        'ERR_MODEL_NOT_FOUND',
      );
    });

    it('a load with an unknown parameter is ERR_VALIDATION, file: parameters ERR_UNIMPLEMENTED', async (ctx) => {
      requireKaleido(ctx);
      const unknown = await http(
        base(),
        'POST',
        '/v2/repository/models/identity_fp32/load',
        JSON.stringify({ parameters: { colour: 'blue' } }),
      );
      expect(expectOipError(unknown, 400).code).toBe('ERR_VALIDATION');
      const file = await http(
        base(),
        'POST',
        '/v2/repository/models/identity_fp32/load',
        JSON.stringify({ parameters: { 'file:1/model.onnx': 'AAAA' } }),
      );
      expect(expectOipError(file, 501).code).toBe('ERR_UNIMPLEMENTED');
      expect((await http(base(), 'GET', '/v2/models/identity_fp32/ready')).status).toBe(200);
    });
  });
}
