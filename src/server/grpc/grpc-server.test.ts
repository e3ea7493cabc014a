/**
 * The gRPC front end over a real socket, driven by a real @grpc/grpc-js client built from the same
 * api/proto files, against a small in-memory InferenceService fake (the real service is tested
 * on its own; here only the protocol edge is under test).
 */
import { credentials, loadPackageDefinition, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type {
  Client,
  ClientDuplexStream,
  GrpcObject,
  ServiceClientConstructor,
  ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { decodeTensorBytes } from '../../core/oip/tensor-bytes.js';
import type {
  CancelSignal,
  InferRequest,
  InferResponse,
  InferenceService,
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
} from '../../core/ports/inference.js';
import type { Datatype, TensorData } from '../../core/tensor.js';
import { createGrpcServer, ERROR_CODE_TRAILER, RETRY_AFTER_TRAILER } from './grpc-server.js';
import type { GrpcLogger, GrpcServer } from './grpc-server.js';
import { loadProtoDefinition } from './proto.js';

// ---- the fake service ----------------------------------------------------------------------------

/** A promise that the test resolves by hand, to hold a model call in flight. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const duration = (count: number, ns: number) => ({ count, ns });

class FakeService implements InferenceService {
  readonly loads: { name: string; options: LoadOptions | undefined }[] = [];
  readonly unloads: string[] = [];
  /** Signals seen by the "slow" model, to check cancellation. */
  readonly slowSignals: CancelSignal[] = [];
  slowGate = gate();
  ready = true;

  serverMetadata() {
    return { name: 'kaleido', version: '0.1.0', extensions: ['model_repository', 'statistics'] };
  }
  isLive() {
    return true;
  }
  isReady() {
    return this.ready;
  }
  modelReady(name: string, version?: string) {
    return name === 'identity' && (version === undefined || version === '1');
  }
  modelMetadata(name: string, version?: string): ModelMetadata {
    this.requireIdentity(name, version);
    return {
      name,
      versions: ['1'],
      platform: 'kaleido_fake',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      properties: { ignored: 'on the gRPC wire' },
    };
  }
  modelConfig(name: string, version?: string): Record<string, unknown> {
    this.requireIdentity(name, version);
    return {
      name,
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 8,
      version_policy: { latest: { num_versions: 1 } },
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3], format: 'FORMAT_NONE' }],
      output: [{ name: 'y', data_type: 'BYTES', dims: [-1], label_filename: 'labels.txt' }],
      dynamic_batching: {
        preferred_batch_size: [4, 8],
        max_queue_delay_microseconds: '2000',
        default_queue_policy: { max_queue_size: 1024 },
      },
      instance_group: [{ name: 'cpu', kind: 'KIND_CPU', count: 2 }],
      parameters: { threads: '4', legacy: { string_value: 'yes' } },
      // Not in Kaleido's reduced ModelConfig message: must be dropped, not break serialisation.
      ensemble_scheduling: { step: 'not an array' },
    };
  }
  modelStatistics(name?: string, version?: string): ModelStatistics[] {
    if (name !== undefined) this.requireIdentity(name, version);
    const d = duration(3, 3_000_000);
    return [
      {
        name: 'identity',
        version: '1',
        lastInference: 1_700_000_000_000,
        inferenceCount: 12,
        executionCount: 3,
        inferenceStats: {
          success: d,
          fail: duration(1, 10),
          queue: d,
          computeInput: d,
          computeInfer: d,
          computeOutput: d,
          cacheHit: duration(0, 0),
          cacheMiss: duration(0, 0),
        },
        batchStats: [{ batchSize: 4, computeInput: d, computeInfer: d, computeOutput: d }],
      },
    ];
  }
  repositoryIndex(readyOnly?: boolean): Promise<RepositoryIndexEntry[]> {
    const all: RepositoryIndexEntry[] = [
      { name: 'identity', version: '1', state: 'READY', reason: '' },
      { name: 'broken', state: 'UNAVAILABLE', reason: 'load failed' },
    ];
    return Promise.resolve(readyOnly === true ? all.filter((e) => e.state === 'READY') : all);
  }
  async loadModel(name: string, options?: LoadOptions): Promise<void> {
    if (name === 'broken') throw new KaleidoError('ERR_MODEL_LOAD_FAILED', 'weights are corrupt');
    this.loads.push({ name, options });
  }
  async unloadModel(name: string): Promise<void> {
    this.unloads.push(name);
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    switch (request.modelName) {
      case 'identity':
        // Echoes every input (and the parameters) back, so the wire codec round trip is visible.
        return {
          modelName: 'identity',
          modelVersion: '1',
          ...(request.parameters ? { parameters: request.parameters } : {}),
          outputs: request.inputs.map((t) => ({ ...t, parameters: { echoed: true } })),
        };
      case 'busy':
        throw new KaleidoError('ERR_QUEUE_FULL', 'model queue is full', { retryAfterSeconds: 1 });
      case 'buggy':
        throw new TypeError('secret internal detail');
      case 'slow':
        if (request.signal) this.slowSignals.push(request.signal);
        await this.slowGate.promise;
        return { modelName: 'slow', modelVersion: '1', outputs: [] };
      default:
        throw new KaleidoError('ERR_MODEL_NOT_FOUND', `model '${request.modelName}' not found`);
    }
  }

  private requireIdentity(name: string, version?: string): void {
    if (name !== 'identity') throw new KaleidoError('ERR_MODEL_NOT_FOUND', `model '${name}' not found`);
    if (version !== undefined && version !== '1') {
      throw new KaleidoError('ERR_VERSION_NOT_FOUND', `model '${name}' has no version ${version}`);
    }
  }
}

function recordingLogger(): GrpcLogger & { errors: unknown[] } {
  const errors: unknown[] = [];
  const logger = {
    errors,
    info: () => undefined,
    warn: () => undefined,
    error: (obj: object) => void errors.push(obj),
    child: () => logger,
  };
  return logger;
}

// ---- the client ------------------------------------------------------------------------------------

type Unary = (
  request: object,
  metadata: Metadata,
  options: { deadline?: number },
) => Promise<Record<string, unknown>>;

interface Clients {
  inference: Client;
  health: Client;
  close(): void;
}

function connect(port: number): Clients {
  const root = loadPackageDefinition(loadProtoDefinition());
  const pkg = root['inference'] as GrpcObject;
  const grpcNs = (root['grpc'] as GrpcObject)['health'] as GrpcObject;
  const Inference = pkg['GRPCInferenceService'] as ServiceClientConstructor;
  const Health = (grpcNs['v1'] as GrpcObject)['Health'] as ServiceClientConstructor;
  const inference = new Inference(`127.0.0.1:${port}`, credentials.createInsecure());
  const health = new Health(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    inference,
    health,
    close: () => {
      inference.close();
      health.close();
    },
  };
}

/** Promisified unary call on a client built by loadPackageDefinition. */
function caller(client: Client, method: string): Unary {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(client);
  return (request, metadata, options) =>
    new Promise((resolve, reject) => {
      fn(request, metadata, options, (err: ServiceError | null, res: Record<string, unknown>) =>
        err ? reject(err) : resolve(res),
      );
    });
}

async function expectGrpcError(
  promise: Promise<unknown>,
  code: number,
  errorCode?: string,
): Promise<ServiceError> {
  const err = (await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as ServiceError;
  expect(err.code).toBe(code);
  if (errorCode !== undefined) expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual([errorCode]);
  return err;
}

// ---- tensor samples --------------------------------------------------------------------------------

const utf8 = (s: string) => new TextEncoder().encode(s);

/** One sample per datatype, with edge values (extremes, beyond 2^53, empty and non-ASCII bytes). */
const SAMPLES: Record<Datatype, TensorData> = {
  BOOL: Uint8Array.from([1, 0, 1]),
  UINT8: Uint8Array.from([0, 255, 7]),
  UINT16: Uint16Array.from([0, 65535, 300]),
  UINT32: Uint32Array.from([0, 4294967295, 70000]),
  UINT64: BigUint64Array.from([0n, 18446744073709551615n, 9007199254740993n]),
  INT8: Int8Array.from([-128, 127, 0]),
  INT16: Int16Array.from([-32768, 32767, -1]),
  INT32: Int32Array.from([-2147483648, 2147483647, 42]),
  INT64: BigInt64Array.from([-9223372036854775808n, 9223372036854775807n, -9007199254740993n]),
  FP16: Uint16Array.from([0x3c00, 0xc000, 0x7bff]),
  BF16: Uint16Array.from([0x3f80, 0xbf80, 0x0000]),
  FP32: Float32Array.from([1.5, -2.25, 3.4028234663852886e38]),
  FP64: Float64Array.from([Math.PI, -0, Number.MIN_VALUE]),
  BYTES: [utf8('hello'), new Uint8Array(0), utf8('héllo ✓')],
};

/** The typed `contents` message a client would send for a sample (FP16/BF16 have none). */
function typedContents(datatype: Datatype, data: TensorData): Record<string, unknown> {
  const numbers = Array.from(data as ArrayLike<number>);
  switch (datatype) {
    case 'BOOL':
      return { bool_contents: numbers.map((v) => v === 1) };
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { int_contents: numbers };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return { uint_contents: numbers };
    case 'INT64':
      return { int64_contents: Array.from(data as BigInt64Array, String) };
    case 'UINT64':
      return { uint64_contents: Array.from(data as BigUint64Array, String) };
    case 'FP32':
      return { fp32_contents: numbers };
    case 'FP64':
      return { fp64_contents: numbers };
    case 'BYTES':
      return { bytes_contents: (data as Uint8Array[]).map((b) => Buffer.from(b)) };
    default:
      throw new Error(`${datatype} has no typed contents`);
  }
}

/** Raw wire bytes of a sample, written by hand here so the test does not trust the code under test. */
function rawBytes(datatype: Datatype, data: TensorData): Buffer {
  if (datatype === 'BYTES') {
    return Buffer.concat(
      (data as Uint8Array[]).flatMap((b) => {
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32LE(b.length);
        return [prefix, Buffer.from(b)];
      }),
    );
  }
  const typed = data as Exclude<TensorData, Uint8Array[]>;
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength); // tests run little-endian
}

interface OutputMsg {
  name: string;
  datatype: string;
  shape: string[];
  parameters: Record<string, Record<string, unknown>>;
}

// ---- the suite -------------------------------------------------------------------------------------

describe('gRPC front end', () => {
  const service = new FakeService();
  const logger = recordingLogger();
  const calls: { method: string; code: number; seconds: number }[] = [];
  let server: GrpcServer;
  let clients: Clients;
  let call: (
    method: string,
    request?: object,
    options?: { deadline?: number },
  ) => Promise<Record<string, unknown>>;

  beforeAll(async () => {
    server = createGrpcServer({
      service,
      logger,
      maxMessageBytes: 1 << 20,
      onCall: (method, code, seconds) => calls.push({ method, code, seconds }),
    });
    const port = await server.start('127.0.0.1', 0);
    expect(port).toBeGreaterThan(0);
    clients = connect(port);
    call = (method, request = {}, options = {}) =>
      caller(clients.inference, method)(request, new Metadata(), options);
  });

  afterAll(async () => {
    clients.close();
    await server.stop(1000);
  });

  it('answers ServerLive, ServerReady and ServerMetadata', async () => {
    expect(await call('ServerLive')).toEqual({ live: true });
    expect(await call('ServerReady')).toEqual({ ready: true });
    expect(await call('ServerMetadata')).toEqual({
      name: 'kaleido',
      version: '0.1.0',
      extensions: ['model_repository', 'statistics'],
    });
  });

  it('answers ModelReady without failing for unknown models or versions', async () => {
    expect(await call('ModelReady', { name: 'identity' })).toEqual({ ready: true });
    expect(await call('ModelReady', { name: 'identity', version: '1' })).toEqual({ ready: true });
    expect(await call('ModelReady', { name: 'identity', version: '7' })).toEqual({ ready: false });
    expect(await call('ModelReady', { name: 'nope' })).toEqual({ ready: false });
  });

  it('answers ModelMetadata, and NOT_FOUND for an unknown model or version', async () => {
    expect(await call('ModelMetadata', { name: 'identity' })).toEqual({
      name: 'identity',
      versions: ['1'],
      platform: 'kaleido_fake',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '3'] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '3'] }],
    });
    const err = await expectGrpcError(
      call('ModelMetadata', { name: 'nope' }),
      GrpcStatus.NOT_FOUND,
      'ERR_MODEL_NOT_FOUND',
    );
    expect(err.details).toBe("model 'nope' not found");
    await expectGrpcError(
      call('ModelMetadata', { name: 'identity', version: '9' }),
      GrpcStatus.NOT_FOUND,
      'ERR_VERSION_NOT_FOUND',
    );
    await expectGrpcError(call('ModelMetadata', { name: '' }), GrpcStatus.INVALID_ARGUMENT, 'ERR_VALIDATION');
  });

  const TYPED: Datatype[] = [
    'BOOL',
    'UINT8',
    'UINT16',
    'UINT32',
    'UINT64',
    'INT8',
    'INT16',
    'INT32',
    'INT64',
    'FP32',
    'FP64',
    'BYTES',
  ];
  const ALL = Object.keys(SAMPLES) as Datatype[];

  async function roundTrip(
    inputs: object[],
    raw?: Buffer[],
  ): Promise<{ outputs: OutputMsg[]; raw: Buffer[] }> {
    const res = await call('ModelInfer', {
      model_name: 'identity',
      id: 'req-1',
      inputs,
      ...(raw ? { raw_input_contents: raw } : {}),
    });
    expect(res['model_name']).toBe('identity');
    expect(res['model_version']).toBe('1');
    expect(res['id']).toBe('req-1');
    const outputs = res['outputs'] as OutputMsg[];
    for (const o of outputs) expect(o).not.toHaveProperty('contents.fp32_contents.0'); // raw only
    return { outputs, raw: res['raw_output_contents'] as Buffer[] };
  }

  it('round-trips typed contents of every datatype that has them, answering raw', async () => {
    const inputs = TYPED.map((dt) => ({
      name: dt,
      datatype: dt,
      shape: [3],
      contents: typedContents(dt, SAMPLES[dt]),
    }));
    const { outputs, raw } = await roundTrip(inputs);
    expect(outputs.map((o) => o.name)).toEqual(TYPED);
    expect(raw).toHaveLength(TYPED.length);
    TYPED.forEach((dt, i) => {
      expect(outputs[i]!.datatype).toBe(dt);
      expect(outputs[i]!.shape).toEqual(['3']);
      expect(outputs[i]!.parameters['echoed']).toEqual({ bool_param: true, parameter_choice: 'bool_param' });
      // Byte-exact, against independently built raw bytes (catches -0, NaN-free floats, big ints).
      expect(Buffer.compare(raw[i]!, rawBytes(dt, SAMPLES[dt]))).toBe(0);
    });
  });

  it('round-trips raw contents of every datatype, FP16 and BF16 included', async () => {
    const inputs = ALL.map((dt) => ({ name: dt, datatype: dt, shape: [1, 3] }));
    const { outputs, raw } = await roundTrip(
      inputs,
      ALL.map((dt) => rawBytes(dt, SAMPLES[dt])),
    );
    ALL.forEach((dt, i) => {
      expect(outputs[i]).toMatchObject({ name: dt, datatype: dt, shape: ['1', '3'] });
      const decoded = decodeTensorBytes(dt, [1, 3], new Uint8Array(raw[i]!));
      if (dt === 'BYTES')
        expect((decoded as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual([
          'hello',
          '',
          'héllo ✓',
        ]);
      else
        expect(Array.from(decoded as ArrayLike<unknown>)).toEqual(
          Array.from(SAMPLES[dt] as ArrayLike<unknown>),
        );
    });
  });

  it('accepts an empty tensor with no data at all', async () => {
    const { outputs, raw } = await roundTrip([{ name: 'e', datatype: 'FP32', shape: [0, 3] }]);
    expect(outputs[0]!.shape).toEqual(['0', '3']);
    expect(raw[0]!.length).toBe(0);
  });

  it('maps parameters of every InferParameter kind both ways', async () => {
    const res = await call('ModelInfer', {
      model_name: 'identity',
      parameters: {
        flag: { bool_param: true },
        small: { int64_param: '-5' },
        huge: { uint64_param: '18446744073709551615' },
        ratio: { double_param: 0.25 },
        label: { string_param: 'ok' },
      },
      inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
    });
    const p = res['parameters'] as Record<string, Record<string, unknown>>;
    expect(p['flag']).toMatchObject({ bool_param: true });
    expect(p['small']).toMatchObject({ int64_param: '-5' });
    // Beyond 2^53 a parameter becomes its decimal string rather than lose digits.
    expect(p['huge']).toMatchObject({ string_param: '18446744073709551615' });
    expect(p['ratio']).toMatchObject({ double_param: 0.25 });
    expect(p['label']).toMatchObject({ string_param: 'ok' });
    expect(res['id']).toBe('');
  });

  it('rejects raw and typed contents mixed in one request', async () => {
    const err = await expectGrpcError(
      call('ModelInfer', {
        model_name: 'identity',
        inputs: [
          { name: 'a', datatype: 'INT32', shape: [1] },
          { name: 'b', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } },
        ],
        raw_input_contents: [
          rawBytes('INT32', Int32Array.from([1])),
          rawBytes('INT32', Int32Array.from([2])),
        ],
      }),
      GrpcStatus.INVALID_ARGUMENT,
      'ERR_MIXED_CONTENTS',
    );
    expect(err.details).toContain("'b'");
  });

  it.each([
    [
      'typed element count',
      { name: 'x', datatype: 'FP32', shape: [2, 2], contents: { fp32_contents: [1, 2, 3] } },
      'ERR_SHAPE_MISMATCH',
    ],
    [
      'FP16 in typed contents',
      { name: 'x', datatype: 'FP16', shape: [1], contents: { uint_contents: [15360] } },
      'ERR_DATATYPE_MISMATCH',
    ],
    [
      'data in the wrong field',
      { name: 'x', datatype: 'FP32', shape: [1], contents: { fp64_contents: [1] } },
      'ERR_DATATYPE_MISMATCH',
    ],
    [
      'out of range for INT8',
      { name: 'x', datatype: 'INT8', shape: [1], contents: { int_contents: [128] } },
      'ERR_DATATYPE_MISMATCH',
    ],
    ['unknown datatype', { name: 'x', datatype: 'FP8', shape: [1], contents: {} }, 'ERR_DATATYPE_MISMATCH'],
    ['negative dimension', { name: 'x', datatype: 'FP32', shape: [-1], contents: {} }, 'ERR_SHAPE_MISMATCH'],
    ['no data', { name: 'x', datatype: 'FP32', shape: [2] }, 'ERR_SHAPE_MISMATCH'],
  ])('rejects %s with INVALID_ARGUMENT', async (_label, input, code) => {
    await expectGrpcError(
      call('ModelInfer', { model_name: 'identity', inputs: [input] }),
      GrpcStatus.INVALID_ARGUMENT,
      code,
    );
  });

  it('rejects raw data whose size does not fit the shape, and a wrong raw entry count', async () => {
    const input = { name: 'x', datatype: 'FP32', shape: [2] };
    await expectGrpcError(
      call('ModelInfer', { model_name: 'identity', inputs: [input], raw_input_contents: [Buffer.alloc(12)] }),
      GrpcStatus.INVALID_ARGUMENT,
      'ERR_SHAPE_MISMATCH',
    );
    await expectGrpcError(
      call('ModelInfer', {
        model_name: 'identity',
        inputs: [input],
        raw_input_contents: [Buffer.alloc(8), Buffer.alloc(8)],
      }),
      GrpcStatus.INVALID_ARGUMENT,
      'ERR_BAD_REQUEST',
    );
    await expectGrpcError(
      call('ModelInfer', {
        model_name: 'identity',
        inputs: [input, input],
        raw_input_contents: [Buffer.alloc(8), Buffer.alloc(8)],
      }),
      GrpcStatus.INVALID_ARGUMENT,
      'ERR_DUPLICATE_NAME',
    );
  });

  it('maps service errors: unknown model NOT_FOUND, KaleidoError by status, anything else INTERNAL', async () => {
    const input = { name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } };
    await expectGrpcError(
      call('ModelInfer', { model_name: 'ghost', inputs: [input] }),
      GrpcStatus.NOT_FOUND,
      'ERR_MODEL_NOT_FOUND',
    );
    const busy = await expectGrpcError(
      call('ModelInfer', { model_name: 'busy', inputs: [input] }),
      GrpcStatus.RESOURCE_EXHAUSTED,
      'ERR_QUEUE_FULL',
    );
    expect(busy.metadata.get(RETRY_AFTER_TRAILER)).toEqual(['1']);
    const before = logger.errors.length;
    const err = await expectGrpcError(
      call('ModelInfer', { model_name: 'buggy', inputs: [input] }),
      GrpcStatus.INTERNAL,
      'ERR_INTERNAL',
    );
    expect(err.details).toBe('internal server error');
    expect(err.details).not.toContain('secret');
    expect(logger.errors.length).toBe(before + 1);
    expect(JSON.stringify((logger.errors.at(-1) as { err: Error }).err.message)).toContain(
      'secret internal detail',
    );
    await expectGrpcError(
      call('RepositoryModelLoad', { model_name: 'broken' }),
      GrpcStatus.FAILED_PRECONDITION,
      'ERR_MODEL_LOAD_FAILED',
    );
  });

  it('reports every finished call to onCall with its method, gRPC code and duration', async () => {
    calls.length = 0;
    await call('ServerLive');
    await call('ModelInfer', { model_name: 'ghost' }).catch(() => undefined);
    expect(calls.map((c) => [c.method, c.code])).toEqual([
      ['ServerLive', GrpcStatus.OK],
      ['ModelInfer', GrpcStatus.NOT_FOUND],
    ]);
    for (const c of calls) expect(c.seconds).toBeGreaterThanOrEqual(0);
  });

  it('streams inferences in order, one answer per request, errors in-band', async () => {
    const stream = (
      clients.inference as unknown as {
        ModelStreamInfer(): ClientDuplexStream<object, Record<string, unknown>>;
      }
    ).ModelStreamInfer();
    const answers: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: Record<string, unknown>) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const ok = (id: string, v: number) => ({
      model_name: 'identity',
      id,
      inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [v] } }],
    });
    stream.write(ok('a', 1));
    stream.write({ model_name: 'ghost', id: 'b', inputs: [] });
    stream.write(ok('c', 3));
    stream.end();
    await done;
    expect(answers).toHaveLength(3);
    expect(answers.map((a) => a['error_message'])).toEqual(['', "model 'ghost' not found", '']);
    const responses = answers.map((a) => a['infer_response'] as Record<string, unknown>);
    expect(responses.map((r) => r['id'])).toEqual(['a', 'b', 'c']);
    expect((responses[2]!['raw_output_contents'] as Buffer[])[0]!.readInt32LE(0)).toBe(3);
  });

  it('answers ModelConfig with the reduced Triton ModelConfig', async () => {
    const res = await call('ModelConfig', { name: 'identity' });
    const config = res['config'] as Record<string, unknown>;
    expect(config).toMatchObject({
      name: 'identity',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 8,
      version_policy: { latest: { num_versions: 1 }, policy_choice: 'latest' },
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: ['3'], format: 'FORMAT_NONE' }],
      output: [{ name: 'y', data_type: 'TYPE_STRING', dims: ['-1'], label_filename: 'labels.txt' }],
      dynamic_batching: {
        preferred_batch_size: [4, 8],
        max_queue_delay_microseconds: '2000',
        default_queue_policy: { max_queue_size: 1024 },
      },
      instance_group: [{ name: 'cpu', kind: 'KIND_CPU', count: 2 }],
      parameters: { threads: { string_value: '4' }, legacy: { string_value: 'yes' } },
    });
    await expectGrpcError(call('ModelConfig', { name: 'nope' }), GrpcStatus.NOT_FOUND);
  });

  it('answers ModelStatistics with Triton field names', async () => {
    const res = await call('ModelStatistics', { name: 'identity' });
    const [stats] = res['model_stats'] as Record<string, unknown>[];
    expect(stats).toMatchObject({
      name: 'identity',
      version: '1',
      last_inference: '1700000000000',
      inference_count: '12',
      execution_count: '3',
      inference_stats: { success: { count: '3', ns: '3000000' }, fail: { count: '1', ns: '10' } },
      batch_stats: [{ batch_size: '4', compute_infer: { count: '3', ns: '3000000' } }],
    });
    await expectGrpcError(call('ModelStatistics', { name: 'nope' }), GrpcStatus.NOT_FOUND);
  });

  it('answers RepositoryIndex, RepositoryModelLoad and RepositoryModelUnload', async () => {
    const all = await call('RepositoryIndex', {});
    expect(all['models']).toEqual([
      { name: 'identity', version: '1', state: 'READY', reason: '' },
      { name: 'broken', version: '', state: 'UNAVAILABLE', reason: 'load failed' },
    ]);
    expect((await call('RepositoryIndex', { ready: true }))['models']).toHaveLength(1);

    expect(await call('RepositoryModelLoad', { model_name: 'm1' })).toEqual({});
    await call('RepositoryModelLoad', {
      model_name: 'm2',
      parameters: { config: { string_param: '{"max_batch_size":4}' }, unknown: { bool_param: true } },
    });
    expect(service.loads).toEqual([
      { name: 'm1', options: {} },
      { name: 'm2', options: { config: '{"max_batch_size":4}' } },
    ]);
    await expectGrpcError(
      call('RepositoryModelLoad', {
        model_name: 'm3',
        parameters: { 'file:1/model.onnx': { bytes_param: Buffer.from([1]) } },
      }),
      GrpcStatus.UNIMPLEMENTED,
      'ERR_UNIMPLEMENTED',
    );
    await expectGrpcError(
      call('RepositoryModelLoad', { model_name: 'm4', parameters: { config: { int64_param: '1' } } }),
      GrpcStatus.INVALID_ARGUMENT,
      'ERR_VALIDATION',
    );
    expect(await call('RepositoryModelUnload', { model_name: 'm1' })).toEqual({});
    expect(service.unloads).toEqual(['m1']);
  });

  it('serves grpc.health.v1.Health Check', async () => {
    const check = caller(clients.health, 'Check');
    expect(await check({}, new Metadata(), {})).toEqual({ status: 'SERVING' });
    expect(await check({ service: 'inference.GRPCInferenceService' }, new Metadata(), {})).toEqual({
      status: 'SERVING',
    });
    service.ready = false;
    try {
      expect(await check({}, new Metadata(), {})).toEqual({ status: 'NOT_SERVING' });
    } finally {
      service.ready = true;
    }
    await expectGrpcError(check({ service: 'other.Service' }, new Metadata(), {}), GrpcStatus.NOT_FOUND);
  });

  it('aborts the cancel signal when the deadline passes', async () => {
    service.slowGate = gate();
    service.slowSignals.length = 0;
    await expectGrpcError(
      call('ModelInfer', { model_name: 'slow', inputs: [] }, { deadline: Date.now() + 100 }),
      GrpcStatus.DEADLINE_EXCEEDED,
    );
    expect(service.slowSignals).toHaveLength(1);
    await expect.poll(() => service.slowSignals[0]!.aborted).toBe(true);
    service.slowGate.open();
  });
});

describe('gRPC server lifecycle', () => {
  it('stop() lets an in-flight call complete, then refuses new calls', async () => {
    const service = new FakeService();
    const server = createGrpcServer({ service, logger: recordingLogger(), maxMessageBytes: 1 << 20 });
    const port = await server.start('127.0.0.1', 0);
    const clients = connect(port);
    try {
      const infer = caller(clients.inference, 'ModelInfer');
      const inFlight = infer({ model_name: 'slow', inputs: [] }, new Metadata(), {});
      await expect.poll(() => service.slowSignals.length).toBe(1);

      let stopped = false;
      const stopping = server.stop(5000).then(() => (stopped = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stopped).toBe(false); // still waiting for the in-flight call

      service.slowGate.open();
      expect(await inFlight).toMatchObject({ model_name: 'slow', model_version: '1' });
      await stopping;
      expect(service.slowSignals[0]!.aborted).toBe(false);

      await expectGrpcError(
        infer({ model_name: 'identity', inputs: [] }, new Metadata(), { deadline: Date.now() + 2000 }),
        GrpcStatus.UNAVAILABLE,
      );
    } finally {
      clients.close();
      await server.stop(100);
    }
  });

  it('stop() cancels calls still running after the grace period', async () => {
    const service = new FakeService();
    const server = createGrpcServer({ service, logger: recordingLogger(), maxMessageBytes: 1 << 20 });
    const port = await server.start('127.0.0.1', 0);
    const clients = connect(port);
    try {
      const inFlight = caller(clients.inference, 'ModelInfer')(
        { model_name: 'slow', inputs: [] },
        new Metadata(),
        {},
      );
      await expect.poll(() => service.slowSignals.length).toBe(1);
      await server.stop(50);
      await expect.poll(() => service.slowSignals[0]!.aborted).toBe(true);
      await expect(inFlight).rejects.toMatchObject({ code: expect.any(Number) });
    } finally {
      service.slowGate.open();
      clients.close();
    }
  });

  it('refuses to start twice, and reports a port it cannot bind', async () => {
    const a = createGrpcServer({
      service: new FakeService(),
      logger: recordingLogger(),
      maxMessageBytes: 1024,
    });
    const b = createGrpcServer({
      service: new FakeService(),
      logger: recordingLogger(),
      maxMessageBytes: 1024,
    });
    try {
      const port = await a.start('127.0.0.1', 0);
      await expect(a.start('127.0.0.1', 0)).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
      await expect(b.start('127.0.0.1', port)).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
    } finally {
      await a.stop(100);
      await b.stop(100);
    }
  });
});
