/**
 * A plain @grpc/grpc-js client for `inference.GRPCInferenceService`, built at run time from
 * api/proto/grpc_service.proto — the published contract, not the server's own loader, so the
 * conformance suite sees the server exactly as any outside client would.
 */
import { join } from 'node:path';
import { Metadata, credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import type { Client, GrpcObject, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { REPO_ROOT } from './kaleido-server.js';

const PROTO_DIR = join(REPO_ROOT, 'api', 'proto');

export type GrpcMessage = Record<string, unknown>;

export interface InferenceGrpcClient {
  /** Calls a unary RPC by its proto name (e.g. "ModelInfer") and resolves with the response. */
  call<T = GrpcMessage>(method: string, request: GrpcMessage, deadlineMs?: number): Promise<T>;
  /** Calls a unary RPC that must fail; resolves with the gRPC error. */
  fail(method: string, request: GrpcMessage): Promise<ServiceError>;
  /**
   * Opens ModelStreamInfer, writes `requests`, half-closes, and resolves with every response and
   * the status the stream ended with (null = OK).
   */
  stream(requests: readonly GrpcMessage[]): Promise<{ responses: GrpcMessage[]; error: ServiceError | null }>;
  close(): void;
}

export interface GrpcClientOptions {
  /** Metadata sent with every call (e.g. `{ authorization: 'Bearer kal_…' }`). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Connect over TLS, trusting this CA/certificate (PEM). */
  readonly rootCert?: Buffer;
  /** Mutual TLS: present this client certificate and key (PEM). */
  readonly clientCert?: { readonly cert: Buffer; readonly key: Buffer };
}

export function createInferenceGrpcClient(
  target: string,
  options: GrpcClientOptions = {},
): InferenceGrpcClient {
  const definition = loadSync(join(PROTO_DIR, 'grpc_service.proto'), {
    keepCase: true,
    // 64-bit integers as decimal strings, so INT64/UINT64 elements survive beyond 2^53.
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const pkg = loadPackageDefinition(definition).inference as GrpcObject;
  const Ctor = pkg.GRPCInferenceService as ServiceClientConstructor;
  const client = new Ctor(
    target,
    options.rootCert
      ? credentials.createSsl(
          options.rootCert,
          options.clientCert?.key ?? null,
          options.clientCert?.cert ?? null,
        )
      : credentials.createInsecure(),
  ) as Client &
    Record<
      string,
      (
        req: GrpcMessage,
        md: Metadata,
        opts: { deadline: Date },
        cb: (e: ServiceError | null, r: unknown) => void,
      ) => void
    >;
  const metadata = (): Metadata => {
    const md = new Metadata();
    for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
    return md;
  };

  const call = <T>(method: string, request: GrpcMessage, deadlineMs = 20_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const fn = client[method];
      if (typeof fn !== 'function') return reject(new Error(`no RPC ${method}`));
      fn.call(client, request, metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (err, res) =>
        err ? reject(err) : resolve(res as T),
      );
    });

  return {
    call,
    async fail(method, request) {
      try {
        await call(method, request);
      } catch (e) {
        return e as ServiceError;
      }
      throw new Error(`${method} succeeded but was expected to fail`);
    },
    stream(requests) {
      return new Promise((resolve) => {
        const open = (
          client as unknown as Record<
            string,
            (md: Metadata) => NodeJS.EventEmitter & {
              write(m: GrpcMessage): void;
              end(): void;
            }
          >
        )['ModelStreamInfer'] as (
          md: Metadata,
        ) => NodeJS.EventEmitter & { write(m: GrpcMessage): void; end(): void };
        const s = open.call(client, metadata());
        const responses: GrpcMessage[] = [];
        let error: ServiceError | null = null;
        s.on('data', (r: GrpcMessage) => responses.push(r));
        s.on('error', (e: ServiceError) => {
          error = e;
        });
        s.on('status', () => setImmediate(() => resolve({ responses, error })));
        for (const r of requests) s.write(r);
        s.end();
      });
    },
    close: () => client.close(),
  };
}
