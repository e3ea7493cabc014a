/**
 * Request functions for the three wire formats the bench drives: OIP REST with JSON tensors,
 * OIP REST with the binary tensor extension, and OIP gRPC with raw_input_contents.
 *
 * Each request body is encoded once and reused, and answers are read as bytes without parsing,
 * so that the load generator (which shares the machine with the server) spends as little CPU per
 * request as a client can. A separate `verify()` call decodes one answer fully to prove that the
 * server really returned the expected output (a benchmark of error pages proves nothing).
 */
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Pool } from 'undici';

export type Protocol = 'http-json' | 'http-binary' | 'grpc';
export const PROTOCOLS: readonly Protocol[] = ['http-json', 'http-binary', 'grpc'];

/** One FP32 input and the one output the bench asks for. */
export interface Workload {
  readonly model: string;
  readonly input: { readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array };
  readonly output: { readonly name: string; readonly shape: readonly number[] };
}

/** A failed request: `kind` is what the load generator counts ("429", "grpc:RESOURCE_EXHAUSTED" …). */
export class RequestFailure extends Error {
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ProtocolClient {
  readonly protocol: Protocol;
  /** One inference; rejects with RequestFailure on any non-success answer. */
  infer(): Promise<void>;
  /** One inference whose answer is decoded and checked against the workload's output shape. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

const HEADER_LENGTH = 'inference-header-content-length';

function jsonBody(w: Workload): Buffer {
  return Buffer.from(
    JSON.stringify({
      inputs: [
        { name: w.input.name, shape: w.input.shape, datatype: 'FP32', data: Array.from(w.input.data) },
      ],
      outputs: [{ name: w.output.name }],
    }),
  );
}

function binaryBody(w: Workload): { body: Buffer; headerLength: number } {
  const bytes = Buffer.from(w.input.data.buffer, w.input.data.byteOffset, w.input.data.byteLength);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: w.input.name,
          shape: w.input.shape,
          datatype: 'FP32',
          parameters: { binary_data_size: bytes.byteLength },
        },
      ],
      outputs: [{ name: w.output.name, parameters: { binary_data: true } }],
      parameters: { binary_data_output: true },
    }),
  );
  return { body: Buffer.concat([header, bytes]), headerLength: header.byteLength };
}

const expectedElements = (w: Workload): number => w.output.shape.reduce((a, b) => a * b, 1);

function httpClient(
  protocol: 'http-json' | 'http-binary',
  baseUrl: string,
  w: Workload,
  connections: number,
): ProtocolClient {
  // pipelining 1: one request per connection at a time, as browsers and most clients do.
  const pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const path = `/v2/models/${w.model}/infer`;
  let body: Buffer;
  let headers: Record<string, string>;
  if (protocol === 'http-json') {
    body = jsonBody(w);
    headers = { 'content-type': 'application/json' };
  } else {
    const b = binaryBody(w);
    body = b.body;
    headers = { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(b.headerLength) };
  }
  const send = async (): Promise<{ headers: Record<string, unknown>; bytes: Buffer }> => {
    const res = await pool.request({ path, method: 'POST', headers, body });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) {
      throw new RequestFailure(String(res.statusCode), bytes.toString('utf8').slice(0, 200));
    }
    return { headers: res.headers, bytes };
  };
  return {
    protocol,
    async infer() {
      await send();
    },
    async verify() {
      const { headers: h, bytes } = await send();
      const want = expectedElements(w);
      if (protocol === 'http-json') {
        const parsed = JSON.parse(bytes.toString('utf8')) as {
          outputs: Array<{ name: string; data: number[] }>;
        };
        const out = parsed.outputs.find((o) => o.name === w.output.name);
        if (!out || out.data.length !== want)
          throw new Error(`${protocol}: unexpected answer ${bytes.toString('utf8').slice(0, 200)}`);
      } else {
        const headerLength = Number(h[HEADER_LENGTH]);
        if (!Number.isInteger(headerLength) || bytes.byteLength - headerLength !== want * 4) {
          throw new Error(
            `${protocol}: expected ${want * 4} binary bytes, got ${bytes.byteLength - headerLength}`,
          );
        }
      }
    },
    async close() {
      await pool.close();
    },
  };
}

interface InferStub extends Client {
  ModelInfer(
    req: unknown,
    meta: Metadata,
    cb: (err: (Error & { code?: number; details?: string }) | null, res?: GrpcInferResponse) => void,
  ): void;
}
interface GrpcInferResponse {
  outputs: Array<{ name: string; shape: string[] }>;
  raw_output_contents: Buffer[];
}

const GRPC_CODE_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  8: 'RESOURCE_EXHAUSTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
};

function grpcClient(address: string, w: Workload, channels: number): ProtocolClient {
  const dir = join(process.cwd(), 'api', 'proto');
  const def = loadSync(join(dir, 'grpc_service.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [dir],
  });
  const pkg = loadPackageDefinition(def) as unknown as {
    inference: {
      GRPCInferenceService: new (
        addr: string,
        creds: ReturnType<typeof credentials.createInsecure>,
        opts: object,
      ) => InferStub;
    };
  };
  // Several channels (distinct HTTP/2 connections) so that one connection's flow control and
  // the server's per-session processing do not become the bottleneck at high concurrency.
  const stubs = Array.from(
    { length: channels },
    (_, i) =>
      new pkg.inference.GRPCInferenceService(address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        // distinct channel args → distinct subchannels/connections
        'grpc.bench_channel': i,
      }),
  );
  let next = 0;
  const message = {
    model_name: w.model,
    inputs: [{ name: w.input.name, datatype: 'FP32', shape: [...w.input.shape] }],
    outputs: [{ name: w.output.name }],
    raw_input_contents: [Buffer.from(w.input.data.buffer, w.input.data.byteOffset, w.input.data.byteLength)],
  };
  const meta = new Metadata();
  const call = () =>
    new Promise<GrpcInferResponse>((resolve, reject) => {
      const stub = stubs[next++ % stubs.length] as InferStub;
      stub.ModelInfer(message, meta, (err, res) => {
        if (err) {
          const name = GRPC_CODE_NAMES[err.code ?? -1] ?? String(err.code);
          reject(new RequestFailure(`grpc:${name}`, err.details ?? err.message));
        } else resolve(res as GrpcInferResponse);
      });
    });
  return {
    protocol: 'grpc',
    async infer() {
      await call();
    },
    async verify() {
      const res = await call();
      const raw = res.raw_output_contents[0];
      if (res.outputs[0]?.name !== w.output.name || !raw || raw.byteLength !== expectedElements(w) * 4) {
        throw new Error(`grpc: unexpected answer ${JSON.stringify(res.outputs)}`);
      }
    },
    async close() {
      for (const s of stubs) s.close();
    },
  };
}

/**
 * GET /v2/health/ready: no body, no model, no batcher. Its server CPU per request is the floor
 * that Node's HTTP stack, Fastify and the kernel's loopback TCP put under every inference.
 */
export function createHealthProbe(
  baseUrl: string,
  connections: number,
): Pick<ProtocolClient, 'infer' | 'close'> {
  const pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  return {
    async infer() {
      const res = await pool.request({ path: '/v2/health/ready', method: 'GET' });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) throw new RequestFailure(String(res.statusCode), bytes.toString('utf8'));
    },
    async close() {
      await pool.close();
    },
  };
}

export interface ClientTarget {
  readonly httpUrl: string;
  readonly grpcPort: number;
}

/** A client for `protocol`; `connections` bounds the HTTP sockets (≥ the concurrency you drive). */
export function createClient(
  protocol: Protocol,
  target: ClientTarget,
  w: Workload,
  connections: number,
): ProtocolClient {
  if (protocol === 'grpc')
    return grpcClient(
      `127.0.0.1:${target.grpcPort}`,
      w,
      Math.min(4, Math.max(1, Math.ceil(connections / 32))),
    );
  return httpClient(protocol, target.httpUrl, w, connections);
}

/** Deterministic input values (no Math.random: runs are comparable). */
export function workload(
  model: string,
  inputName: string,
  shape: number[],
  outputName: string,
  outputShape: number[],
): Workload {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  return { model, input: { name: inputName, shape, data }, output: { name: outputName, shape: outputShape } };
}
