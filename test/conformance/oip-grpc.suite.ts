/**
 * Open Inference Protocol v2 gRPC conformance suite (`inference.GRPCInferenceService`,
 * shared/reference/oip-v2.md §2.6). Runs against any server at `host:port` that serves the
 * fixture models of models/fixtures; the client is built from api/proto/grpc_service.proto.
 * Kaleido's own additions (the kaleido-error-code trailer) sit in a block that skips itself when
 * the server is not Kaleido.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import {
  createInferenceGrpcClient,
  type GrpcMessage,
  type InferenceGrpcClient,
} from '../helpers/grpc-client.js';
import {
  OIP_DATATYPES,
  decodeElements,
  encodeElements,
  type JsonElement,
  type OipDatatype,
} from '../helpers/oip-wire.js';
import { SAMPLES, SAMPLE_SHAPE, WIDE_SAMPLES, asDecoded, identityModel } from '../helpers/samples.js';

type Contents = Record<string, unknown[]>;

interface OutputTensor {
  name: string;
  datatype: string;
  shape: string[];
  parameters: Record<string, unknown>;
  contents: Contents | null;
}

interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: OutputTensor[];
  raw_output_contents: Uint8Array[];
}

/** The InferTensorContents field that carries each datatype (FP16/BF16 have none: raw only). */
const CONTENTS_FIELD: Partial<Record<OipDatatype, string>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const TYPED_DATATYPES = OIP_DATATYPES.filter((d) => CONTENTS_FIELD[d] !== undefined);
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** JSON-style sample values → the typed contents message of a datatype. */
function typedContents(dt: OipDatatype, values: readonly (JsonElement | bigint)[]): Contents {
  const field = CONTENTS_FIELD[dt];
  if (field === undefined) throw new Error(`${dt} has no typed contents`);
  const wire = values.map((v) => {
    if (dt === 'BYTES') return Buffer.from(utf8.encode(String(v)));
    if (dt === 'INT64' || dt === 'UINT64') return String(v); // exact beyond 2^53
    return v;
  });
  return { [field]: wire };
}

/**
 * An output's elements, from raw_output_contents when the server used them (it may, for any
 * output) or else from its typed contents; 64-bit integers as bigint, BYTES as strings.
 */
function outputValues(res: InferResponse, index: number): (JsonElement | bigint)[] {
  const out = res.outputs[index];
  if (out === undefined) throw new Error(`no output ${index}`);
  const dt = out.datatype as OipDatatype;
  if (res.raw_output_contents.length > 0) {
    expect(res.raw_output_contents).toHaveLength(res.outputs.length);
    // The spec: with raw contents, no output sets `contents`.
    for (const o of res.outputs) expect(hasTypedData(o.contents)).toBe(false);
    return decodeElements(dt, new Uint8Array(res.raw_output_contents[index] ?? []));
  }
  const field = CONTENTS_FIELD[dt];
  if (field === undefined) throw new Error(`${dt} came back without raw contents`);
  const data = (out.contents?.[field] ?? []) as unknown[];
  return data.map((v) => {
    if (dt === 'BYTES') return utf8Decoder.decode(v as Uint8Array);
    if (dt === 'INT64' || dt === 'UINT64') return BigInt(v as string);
    return v as JsonElement;
  });
}

const hasTypedData = (c: Contents | null): boolean =>
  c !== null && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);

/** Float32 contents travel as proto `float`: compare after rounding to single precision. */
const expectedTyped = (dt: OipDatatype, values: readonly JsonElement[]) =>
  dt === 'FP32' ? values.map((v) => Math.fround(v as number)) : asDecoded(dt, values);

const shapeOf = (out: OutputTensor | undefined) => (out?.shape ?? []).map(Number);

export function oipGrpcConformance(getTarget: () => string): void {
  let client: InferenceGrpcClient;
  let serverName = '';

  beforeAll(async () => {
    client = createInferenceGrpcClient(getTarget());
    const meta = await client.call<{ name: string }>('ServerMetadata', {});
    serverName = meta.name;
  });
  afterAll(() => client?.close());

  const requireKaleido = (ctx: TestContext) => {
    if (serverName !== 'kaleido') ctx.skip(`Kaleido-specific; the server is "${serverName}"`);
  };
  const inferCall = (request: GrpcMessage) => client.call<InferResponse>('ModelInfer', request);
  const fp32Input = (data: number[] = [1.5, -2]) => ({
    name: 'INPUT0',
    datatype: 'FP32',
    shape: [1, data.length],
    contents: { fp32_contents: data },
  });
  const expectCode = (err: ServiceError, code: GrpcStatus) => {
    expect(err.code, err.details).toBe(code);
    expect(typeof err.details).toBe('string');
    expect(err.details.length).toBeGreaterThan(0);
  };

  describe('OIP gRPC: health and metadata', () => {
    it('ServerLive and ServerReady are true', async () => {
      expect(await client.call('ServerLive', {})).toEqual({ live: true });
      expect(await client.call('ServerReady', {})).toEqual({ ready: true });
    });

    it('ServerMetadata has name, version and extensions', async () => {
      const m = await client.call<{ name: string; version: string; extensions: string[] }>(
        'ServerMetadata',
        {},
      );
      expect(m.name.length).toBeGreaterThan(0);
      expect(typeof m.version).toBe('string');
      expect(Array.isArray(m.extensions)).toBe(true);
    });

    it('ModelReady: true for a loaded model and version, false (or NOT_FOUND) otherwise', async () => {
      expect(await client.call('ModelReady', { name: 'identity_fp32', version: '' })).toEqual({
        ready: true,
      });
      expect(await client.call('ModelReady', { name: 'add_sub_fp32', version: '2' })).toEqual({
        ready: true,
      });
      for (const request of [
        { name: 'no_such_model', version: '' },
        { name: 'add_sub_fp32', version: '99' },
      ]) {
        try {
          expect(await client.call('ModelReady', request)).toEqual({ ready: false });
        } catch (e) {
          expectCode(e as ServiceError, GrpcStatus.NOT_FOUND);
        }
      }
    });

    it('ModelMetadata with and without a version', async () => {
      for (const version of ['', '1']) {
        const m = await client.call<{
          name: string;
          versions: string[];
          platform: string;
          inputs: { name: string; datatype: string; shape: string[] }[];
          outputs: { name: string; datatype: string; shape: string[] }[];
        }>('ModelMetadata', { name: 'add_sub_fp32', version });
        expect(m.name).toBe('add_sub_fp32');
        expect(m.inputs.map((t) => [t.name, t.datatype, t.shape.map(Number)])).toEqual([
          ['INPUT0', 'FP32', [-1, 16]],
          ['INPUT1', 'FP32', [-1, 16]],
        ]);
        expect(m.outputs.map((t) => t.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
        if (m.versions.length > 0) expect([...m.versions].sort()).toEqual(['1', '2']);
      }
    });

    it('ModelMetadata of an unknown model is NOT_FOUND', async () => {
      expectCode(
        await client.fail('ModelMetadata', { name: 'no_such_model', version: '' }),
        GrpcStatus.NOT_FOUND,
      );
    });
  });

  describe('OIP gRPC: ModelInfer round trips', () => {
    const shape = [...SAMPLE_SHAPE];

    it.each(TYPED_DATATYPES)('%s: typed contents in, the same values out', async (dt) => {
      const res = await inferCall({
        model_name: identityModel(dt),
        inputs: [{ name: 'INPUT0', datatype: dt, shape, contents: typedContents(dt, SAMPLES[dt]) }],
      });
      expect(res.model_name).toBe(identityModel(dt));
      expect(res.outputs).toHaveLength(1);
      expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: dt });
      expect(shapeOf(res.outputs[0])).toEqual(shape);
      expect(outputValues(res, 0)).toEqual(expectedTyped(dt, SAMPLES[dt]));
    });

    it.for([...OIP_DATATYPES, 'BF16' as const])(
      '%s: raw_input_contents in, the same bytes out',
      async (dt, ctx) => {
        if (dt === 'BF16') {
          const ready = await client
            .call<{ ready: boolean }>('ModelReady', { name: identityModel(dt), version: '' })
            .catch(() => ({ ready: false }));
          if (!ready.ready) ctx.skip('BF16 is optional and the server has no identity_bf16');
        }
        const bytes = encodeElements(dt, SAMPLES[dt]);
        const res = await inferCall({
          model_name: identityModel(dt),
          inputs: [{ name: 'INPUT0', datatype: dt, shape }],
          raw_input_contents: [Buffer.from(bytes)],
        });
        expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: dt });
        expect(shapeOf(res.outputs[0])).toEqual(shape);
        if (res.raw_output_contents.length > 0) {
          expect(new Uint8Array(res.raw_output_contents[0] ?? [])).toEqual(bytes);
        }
        expect(outputValues(res, 0)).toEqual(asDecoded(dt, SAMPLES[dt]));
      },
    );

    it.each(Object.keys(WIDE_SAMPLES) as OipDatatype[])(
      '%s: the full 64-bit range, typed and raw',
      async (dt) => {
        const wide = WIDE_SAMPLES[dt] ?? [];
        const typed = await inferCall({
          model_name: identityModel(dt),
          inputs: [{ name: 'INPUT0', datatype: dt, shape, contents: typedContents(dt, wide) }],
        });
        expect(outputValues(typed, 0)).toEqual(wide);
        const bytes = new Uint8Array(wide.length * 8);
        const view = new DataView(bytes.buffer);
        wide.forEach((v, i) =>
          dt === 'UINT64' ? view.setBigUint64(i * 8, v, true) : view.setBigInt64(i * 8, v, true),
        );
        const raw = await inferCall({
          model_name: identityModel(dt),
          inputs: [{ name: 'INPUT0', datatype: dt, shape }],
          raw_input_contents: [Buffer.from(bytes)],
        });
        expect(outputValues(raw, 0)).toEqual(wide);
      },
    );

    it('raw and typed outputs decode to the same values; raw entries follow the outputs order', async () => {
      const a = Array.from({ length: 16 }, (_, i) => i - 4.5);
      const b = Array.from({ length: 16 }, (_, i) => i * 0.25);
      const typed = await inferCall({
        model_name: 'add_sub_fp32',
        model_version: '1',
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: a } },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: b } },
        ],
        outputs: [{ name: 'OUTPUT1' }, { name: 'OUTPUT0' }],
      });
      const raw = await inferCall({
        model_name: 'add_sub_fp32',
        model_version: '1',
        inputs: [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16] },
        ],
        outputs: [{ name: 'OUTPUT1' }, { name: 'OUTPUT0' }],
        raw_input_contents: [Buffer.from(encodeElements('FP32', a)), Buffer.from(encodeElements('FP32', b))],
      });
      for (const res of [typed, raw]) {
        expect(res.model_version).toBe('1');
        expect(res.outputs.map((o) => o.name)).toEqual(['OUTPUT1', 'OUTPUT0']);
        expect(outputValues(res, 0)).toEqual(a.map((x, i) => Math.fround(x - (b[i] ?? 0))));
        expect(outputValues(res, 1)).toEqual(a.map((x, i) => Math.fround(x + (b[i] ?? 0))));
      }
    });

    it.each(['req-7', 'ユニコード-🙂'])('the id %j is echoed', async (id) => {
      const res = await inferCall({ model_name: 'identity_fp32', id, inputs: [fp32Input()] });
      expect(res.id).toBe(id);
      expect(outputValues(res, 0)).toEqual([1.5, -2]);
    });

    it('the requested subset of outputs comes back', async () => {
      const res = await inferCall({
        model_name: 'add_sub_fp32',
        model_version: '2',
        inputs: [
          {
            name: 'INPUT0',
            datatype: 'FP32',
            shape: [1, 16],
            contents: { fp32_contents: Array(16).fill(1) },
          },
          {
            name: 'INPUT1',
            datatype: 'FP32',
            shape: [1, 16],
            contents: { fp32_contents: Array(16).fill(3) },
          },
        ],
        outputs: [{ name: 'OUTPUT1' }],
      });
      expect(res.outputs.map((o) => o.name)).toEqual(['OUTPUT1']);
      expect(outputValues(res, 0)).toEqual(Array(16).fill(2)); // v2: b − a
    });
  });

  describe('OIP gRPC: errors', () => {
    it('mixing raw_input_contents with typed contents is INVALID_ARGUMENT', async () => {
      const err = await client.fail('ModelInfer', {
        model_name: 'add_sub_fp32',
        inputs: [
          {
            name: 'INPUT0',
            datatype: 'FP32',
            shape: [1, 16],
            contents: { fp32_contents: Array(16).fill(1) },
          },
          { name: 'INPUT1', datatype: 'FP32', shape: [1, 16] },
        ],
        raw_input_contents: [Buffer.from(encodeElements('FP32', Array(16).fill(2)))],
      });
      expectCode(err, GrpcStatus.INVALID_ARGUMENT);
    });

    it('an unknown model is NOT_FOUND', async () => {
      expectCode(
        await client.fail('ModelInfer', { model_name: 'no_such_model', inputs: [fp32Input()] }),
        GrpcStatus.NOT_FOUND,
      );
    });

    it('raw contents of the wrong size are INVALID_ARGUMENT', async () => {
      const err = await client.fail('ModelInfer', {
        model_name: 'identity_fp32',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 3] }],
        raw_input_contents: [Buffer.from(encodeElements('FP32', [1, 2]))],
      });
      expectCode(err, GrpcStatus.INVALID_ARGUMENT);
    });

    it('more raw entries than inputs is INVALID_ARGUMENT', async () => {
      const bytes = Buffer.from(encodeElements('FP32', [1, 2]));
      const err = await client.fail('ModelInfer', {
        model_name: 'identity_fp32',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2] }],
        raw_input_contents: [bytes, bytes],
      });
      expectCode(err, GrpcStatus.INVALID_ARGUMENT);
    });

    it('FP16 in typed contents (it has no field) is INVALID_ARGUMENT', async () => {
      const err = await client.fail('ModelInfer', {
        model_name: 'identity_fp16',
        inputs: [{ name: 'INPUT0', datatype: 'FP16', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
      });
      expectCode(err, GrpcStatus.INVALID_ARGUMENT);
    });

    it.each([
      [
        'a wrong datatype',
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 2], contents: { int_contents: [1, 2] } },
      ],
      [
        'an unknown input',
        { name: 'NOPE', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } },
      ],
      [
        'a wrong element count',
        { name: 'INPUT0', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2] } },
      ],
    ])('%s is INVALID_ARGUMENT', async (_title, input) => {
      expectCode(
        await client.fail('ModelInfer', { model_name: 'identity_fp32', inputs: [input] }),
        GrpcStatus.INVALID_ARGUMENT,
      );
    });

    it('the server still answers after the errors', async () => {
      expect(await client.call('ServerLive', {})).toEqual({ live: true });
    });
  });

  describe('OIP gRPC: Triton extensions', () => {
    it('ModelConfig has max_batch_size and TYPE_ datatypes', async () => {
      const { config } = await client.call<{
        config: {
          name: string;
          max_batch_size: number;
          input: { name: string; data_type: string; dims: string[] }[];
          output: { name: string; data_type: string }[];
        };
      }>('ModelConfig', { name: 'add_sub_fp32', version: '' });
      expect(config.name).toBe('add_sub_fp32');
      expect(config.max_batch_size).toBe(64);
      expect(config.input.map((i) => [i.name, i.data_type, i.dims.map(Number)])).toEqual([
        ['INPUT0', 'TYPE_FP32', [16]],
        ['INPUT1', 'TYPE_FP32', [16]],
      ]);
      expect(config.output.map((o) => [o.name, o.data_type])).toEqual([
        ['OUTPUT0', 'TYPE_FP32'],
        ['OUTPUT1', 'TYPE_FP32'],
      ]);
      expectCode(
        await client.fail('ModelConfig', { name: 'no_such_model', version: '' }),
        GrpcStatus.NOT_FOUND,
      );
    });

    it('ModelStatistics counts grow after ModelInfer', async () => {
      type Stats = {
        model_stats: {
          name: string;
          inference_count: string;
          execution_count: string;
          inference_stats: { success: { count: string; ns: string } };
        }[];
      };
      const read = async () => {
        const s = (await client.call<Stats>('ModelStatistics', { name: 'identity_int16', version: '' }))
          .model_stats;
        expect(s).toHaveLength(1);
        return s[0]!;
      };
      const before = await read();
      expect(before.name).toBe('identity_int16');
      await inferCall({
        model_name: 'identity_int16',
        inputs: [
          { name: 'INPUT0', datatype: 'INT16', shape: [2, 2], contents: { int_contents: [1, 2, 3, 4] } },
        ],
      });
      const after = await read();
      expect(Number(after.inference_count) - Number(before.inference_count)).toBe(2);
      expect(Number(after.execution_count)).toBeGreaterThan(Number(before.execution_count));
      expect(Number(after.inference_stats.success.count) - Number(before.inference_stats.success.count)).toBe(
        1,
      );
      expect(Number(after.inference_stats.success.ns)).toBeGreaterThan(
        Number(before.inference_stats.success.ns),
      );
    });

    it('RepositoryIndex lists the models with their state', async () => {
      const { models } = await client.call<{ models: { name: string; version: string; state: string }[] }>(
        'RepositoryIndex',
        { repository_name: '', ready: false },
      );
      const names = new Set(models.map((m) => m.name));
      for (const dt of OIP_DATATYPES) expect(names.has(identityModel(dt)), dt).toBe(true);
      expect(models.find((m) => m.name === 'identity_fp32')?.state).toBe('READY');
      const ready = await client.call<{ models: { state: string }[] }>('RepositoryIndex', {
        repository_name: '',
        ready: true,
      });
      for (const m of ready.models) expect(m.state).toBe('READY');
    });

    it('RepositoryModelUnload then RepositoryModelLoad', async () => {
      const model = 'identity_uint8';
      const input = {
        name: 'INPUT0',
        datatype: 'UINT8',
        shape: [1, 2],
        contents: { uint_contents: [7, 250] },
      };
      await client.call('RepositoryModelUnload', { repository_name: '', model_name: model, parameters: {} });
      const notReady = await client
        .call<{ ready: boolean }>('ModelReady', { name: model, version: '' })
        .catch(() => ({ ready: false }));
      expect(notReady.ready).toBe(false);
      const err = await client.fail('ModelInfer', { model_name: model, inputs: [input] });
      expect([GrpcStatus.UNAVAILABLE, GrpcStatus.NOT_FOUND, GrpcStatus.FAILED_PRECONDITION]).toContain(
        err.code,
      );

      await client.call('RepositoryModelLoad', { repository_name: '', model_name: model, parameters: {} });
      expect(await client.call('ModelReady', { name: model, version: '' })).toEqual({ ready: true });
      expect(outputValues(await inferCall({ model_name: model, inputs: [input] }), 0)).toEqual([7, 250]);
    });

    it('loading an unknown model fails', async () => {
      const err = await client.fail('RepositoryModelLoad', {
        repository_name: '',
        model_name: 'no_such_model',
        parameters: {},
      });
      expect(err.code).not.toBe(GrpcStatus.OK);
    });
  });

  describe('Kaleido specifics over gRPC (skipped against other servers)', () => {
    it('errors carry the catalog code in the kaleido-error-code trailer', async (ctx) => {
      requireKaleido(ctx);
      const mixed = await client.fail('ModelInfer', {
        model_name: 'identity_fp32',
        inputs: [fp32Input()],
        raw_input_contents: [Buffer.from(encodeElements('FP32', [1, 2]))],
      });
      expect(mixed.metadata.get('kaleido-error-code')).toEqual(['ERR_MIXED_CONTENTS']);
      const missing = await client.fail('ModelInfer', { model_name: 'no_such_model', inputs: [fp32Input()] });
      expect(missing.metadata.get('kaleido-error-code')).toEqual(['ERR_MODEL_NOT_FOUND']);
    });

    it('an unloaded model is UNAVAILABLE with ERR_MODEL_NOT_READY', async (ctx) => {
      requireKaleido(ctx);
      const model = 'identity_uint32';
      await client.call('RepositoryModelUnload', { repository_name: '', model_name: model, parameters: {} });
      try {
        const err = await client.fail('ModelInfer', {
          model_name: model,
          inputs: [{ name: 'INPUT0', datatype: 'UINT32', shape: [1, 1], contents: { uint_contents: [1] } }],
        });
        expect(err.code).toBe(GrpcStatus.UNAVAILABLE);
        expect(err.metadata.get('kaleido-error-code')).toEqual(['ERR_MODEL_NOT_READY']);
      } finally {
        await client.call('RepositoryModelLoad', { repository_name: '', model_name: model, parameters: {} });
      }
    });
  });
}
