/**
 * The OIP v2 gRPC front end: `inference.GRPCInferenceService` (KServe V2 + Triton extensions) and
 * the standard `grpc.health.v1.Health` Check, over @grpc/grpc-js with the contracts of api/proto
 * loaded at run time.
 *
 * No business logic lives here: every RPC converts its message (codec.ts), calls the
 * InferenceService port, and converts the answer back. Errors follow the one error model:
 * a KaleidoError's status maps through `grpcStatusOf`, its code travels in the
 * `kaleido-error-code` trailer, and anything else (or any INTERNAL) is answered as INTERNAL with
 * a generic message while the cause is logged.
 *
 * Inference outputs are always returned in `raw_output_contents` (see codec.ts for why).
 */
import { performance } from 'node:perf_hooks';
import { Metadata, Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type {
  ServerDuplexStream,
  ServerErrorResponse,
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import { KaleidoError, Status, grpcStatusOf, toKaleidoError } from '../../core/errors.js';
import type { InferenceService } from '../../core/ports/inference.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { GrpcAdmission, GrpcGuard } from '../security/grpc-guard.js';
import {
  inferRequestFromProto,
  inferResponseToProto,
  loadOptionsFromProto,
  modelConfigToProto,
  modelMetadataToProto,
  modelStatisticsToProto,
  optionalVersion,
  repositoryEntryToProto,
  requireName,
} from './codec.js';
import { HEALTH_SERVICE, INFERENCE_SERVICE, loadProtoDefinition } from './proto.js';
import type {
  HealthCheckRequestMsg,
  HealthCheckResponseMsg,
  ModelConfigResponseMsg,
  ModelInferRequestMsg,
  ModelInferResponseMsg,
  ModelMetadataResponseMsg,
  ModelStatisticsResponseMsg,
  ModelStreamInferResponseMsg,
  NameVersionMsg,
  RepositoryIndexRequestMsg,
  RepositoryIndexResponseMsg,
  RepositoryModelRequestMsg,
  ServerMetadataResponseMsg,
} from './wire.js';

/** The logging the front end needs (pino and the core Logger port satisfy it). */
export interface GrpcLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): GrpcLogger;
}

export interface GrpcServerDeps {
  readonly service: InferenceService;
  readonly logger: GrpcLogger;
  /** Largest message accepted or sent, in bytes (both directions). */
  readonly maxMessageBytes: number;
  /**
   * Called once per finished RPC, and once per request inside a ModelStreamInfer stream, with the
   * method name (e.g. "ModelInfer"), the numeric gRPC status code and the duration in seconds.
   */
  readonly onCall?: (method: string, code: number, seconds: number) => void;
  /** Serve TLS with this certificate (server.tls, the same as HTTPS); absent = plaintext. */
  readonly tls?: {
    readonly cert: Buffer;
    readonly key: Buffer;
    readonly ca?: Buffer;
    /** Mutual TLS: client certificates must be issued by these CAs. */
    readonly clientCa?: Buffer;
  };
  /**
   * Authenticates and authorizes every call from its metadata before the handler runs
   * (security/grpc-guard.ts); absent = no security edge (auth.mode=disabled).
   */
  readonly guard?: GrpcGuard;
  /**
   * The caller's tenant's view of `service` (src/serving/tenant-view.ts): another tenant's trained
   * models answer like missing ones. Called with the admitted principal's tenant, or the system
   * tenant without a principal (no guard, or an open RPC). Absent = `service` for every caller.
   */
  readonly serviceFor?: (tenantId: string) => InferenceService;
}

export interface GrpcServer {
  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  start(host: string, port: number): Promise<number>;
  /**
   * Stops accepting calls and waits for in-flight calls to finish; after `graceMs` the remaining
   * calls are cancelled (their cancel signals abort) and the server closes.
   */
  stop(graceMs: number): Promise<void>;
}

/** Trailer carrying the stable ERR_* code of a failed call, for clients that want more than a status. */
export const ERROR_CODE_TRAILER = 'kaleido-error-code';

/** Trailer with the seconds to wait before retrying (queue full, rate limited, shutting down). */
export const RETRY_AFTER_TRAILER = 'retry-after';

/**
 * Requests one ModelStreamInfer stream may have in flight. Reading pauses at this depth, so a
 * client that writes faster than models answer is held back by HTTP/2 flow control instead of
 * growing server memory.
 */
export const MAX_IN_FLIGHT_PER_STREAM = 64;

const GENERIC_INTERNAL_MESSAGE = 'internal server error';

interface WireError {
  readonly code: number;
  readonly message: string;
  readonly metadata: Metadata;
}

interface CallCancellation {
  /** Aborts when the client cancels the call or its deadline passes, while the call is open. */
  readonly signal: AbortSignal;
  /** Marks the call answered: grpc-js may still emit 'cancelled' as the stream closes afterwards. */
  finish(): void;
}

function watchCancellation(call: {
  cancelled: boolean;
  on(event: 'cancelled', listener: () => void): unknown;
}): CallCancellation {
  const controller = new AbortController();
  let finished = false;
  if (call.cancelled) controller.abort();
  else {
    call.on('cancelled', () => {
      if (!finished) controller.abort();
    });
  }
  return {
    signal: controller.signal,
    finish: () => {
      finished = true;
    },
  };
}

/** Status code to record for a call the client cancelled or whose deadline passed. */
function abandonedCode(call: { getDeadline(): Date | number }): number {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && Date.now() >= ms ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED;
}

export function createGrpcServer(deps: GrpcServerDeps): GrpcServer {
  const { service, maxMessageBytes } = deps;
  const log = deps.logger.child({ component: 'grpc' });
  const definition = loadProtoDefinition();
  let shuttingDown = false;
  let state: 'created' | 'starting' | 'started' | 'stopped' = 'created';

  const server = new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });

  const record = (method: string, code: number, started: number): void => {
    deps.onCall?.(method, code, (performance.now() - started) / 1000);
  };

  /** Maps any thrown value to a wire error; INTERNAL causes are logged and never sent. */
  function toWireError(method: string, thrown: unknown): WireError {
    const error = toKaleidoError(thrown);
    const metadata = new Metadata();
    metadata.set(ERROR_CODE_TRAILER, error.code);
    if (error.retryAfterSeconds !== undefined)
      metadata.set(RETRY_AFTER_TRAILER, String(error.retryAfterSeconds));
    if (error.status === Status.INTERNAL) {
      log.error(
        { method, err: error.cause ?? error, code: error.code },
        'gRPC call failed with an internal error',
      );
      return { code: GrpcStatus.INTERNAL, message: GENERIC_INTERNAL_MESSAGE, metadata };
    }
    return { code: grpcStatusOf[error.status], message: error.message, metadata };
  }

  /** Wraps a unary handler: timing, cancellation, error mapping and the onCall report. */
  function unary<Req, Res>(
    method: string,
    handle: (request: Req, signal: AbortSignal, scoped: InferenceService) => Res | Promise<Res>,
  ): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
    return (call, callback) => {
      const started = performance.now();
      const cancellation = watchCancellation(call);
      void (async () => {
        let admission: GrpcAdmission | undefined;
        try {
          admission = await deps.guard?.({
            method,
            metadata: call.metadata,
            peer: call.getPeer(),
            request: call.request,
          });
          const response = await handle(call.request, cancellation.signal, viewOf(admission));
          cancellation.finish();
          if (call.cancelled) record(method, abandonedCode(call), started);
          else {
            callback(null, response);
            record(method, GrpcStatus.OK, started);
          }
          admission?.finish(call.cancelled ? abandonedCode(call) : GrpcStatus.OK);
        } catch (thrown) {
          cancellation.finish();
          const wire = toWireError(method, thrown);
          admission?.finish(wire.code);
          if (call.cancelled) record(method, abandonedCode(call), started);
          else {
            const reply: Partial<ServerErrorResponse> = {
              code: wire.code,
              details: wire.message,
              metadata: wire.metadata,
            };
            callback(reply);
            record(method, wire.code, started);
          }
        }
      })();
    };
  }

  /** The inference service as the admitted caller's tenant sees it. */
  function viewOf(admission: GrpcAdmission | undefined): InferenceService {
    return deps.serviceFor?.(admission?.principal?.tenantId ?? SYSTEM_TENANT) ?? service;
  }

  async function infer(
    msg: ModelInferRequestMsg,
    signal: AbortSignal,
    scoped: InferenceService,
  ): Promise<ModelInferResponseMsg> {
    const request = inferRequestFromProto(msg);
    const response = await scoped.infer({ ...request, signal });
    return inferResponseToProto(response, msg.id);
  }

  /**
   * ModelStreamInfer: each request is started as soon as it arrives (so stream requests can be
   * batched together), and the answers are written in request order, one per request; a failed
   * request answers with `error_message` and leaves the stream open.
   */
  function streamInfer(call: ServerDuplexStream<ModelInferRequestMsg, ModelStreamInferResponseMsg>): void {
    const method = 'ModelStreamInfer';
    const cancellation = watchCancellation(call);
    const { signal } = cancellation;
    let inFlight = 0;
    let paused = false;
    let written: Promise<void> = Promise.resolve();
    // The stream is authenticated and authorized once, from its metadata; every streamed request
    // then takes rate-limit tokens like a REST request. A refused stream ends with the status.
    const streamStarted = performance.now();
    let refused = false;
    let firstRequest = true;
    const admitted: Promise<GrpcAdmission | undefined> = deps.guard
      ? deps.guard({ method, metadata: call.metadata, peer: call.getPeer() })
      : Promise.resolve(undefined);
    admitted.catch((thrown: unknown) => {
      refused = true;
      cancellation.finish();
      const wire = toWireError(method, thrown);
      record(method, wire.code, streamStarted);
      if (!call.cancelled)
        call.emit('error', { code: wire.code, details: wire.message, metadata: wire.metadata });
    });

    call.on('data', (msg: ModelInferRequestMsg) => {
      if (refused) return;
      const started = performance.now();
      inFlight += 1;
      if (inFlight >= MAX_IN_FLIGHT_PER_STREAM && !paused) {
        paused = true;
        call.pause();
      }
      // The stream's admission paid for its first request; later ones take tokens of their own.
      const another = !firstRequest;
      firstRequest = false;
      const answer = admitted
        .then(async (admission) => {
          if (another) await admission?.admitAnother();
          return infer(msg, signal, viewOf(admission));
        })
        .then(
          (response): [ModelStreamInferResponseMsg, number] => [
            { error_message: '', infer_response: response },
            GrpcStatus.OK,
          ],
          (thrown: unknown): [ModelStreamInferResponseMsg, number] => {
            const wire = toWireError(method, thrown);
            const echo = { model_name: msg.model_name, model_version: msg.model_version, id: msg.id };
            return [{ error_message: wire.message, infer_response: echo }, wire.code];
          },
        );
      written = written.then(async () => {
        const [response, code] = await answer;
        inFlight -= 1;
        if (refused) return;
        if (call.cancelled) {
          record(method, abandonedCode(call), started);
          return;
        }
        call.write(response);
        record(method, code, started);
        if (paused && inFlight < MAX_IN_FLIGHT_PER_STREAM) {
          paused = false;
          call.resume();
        }
      });
    });
    call.on('end', () => {
      void written.then(() => {
        cancellation.finish();
        if (!call.cancelled && !refused) call.end();
      });
    });
    call.on('error', (err: Error) => {
      if (refused) return; // the guard's refusal, already recorded
      log.warn({ method, err }, 'gRPC stream failed');
    });
  }

  function healthCheck(request: HealthCheckRequestMsg): HealthCheckResponseMsg {
    if (request.service !== '' && request.service !== INFERENCE_SERVICE) {
      // The health-checking protocol answers NOT_FOUND for services the server does not know.
      throw new KaleidoError('ERR_NOT_FOUND', `unknown service '${request.service}'`, {
        details: { service: request.service },
      });
    }
    return { status: !shuttingDown && service.isReady() ? 'SERVING' : 'NOT_SERVING' };
  }

  const inference: UntypedServiceImplementation = {
    ServerLive: unary('ServerLive', () => ({ live: service.isLive() })),
    ServerReady: unary('ServerReady', () => ({ ready: !shuttingDown && service.isReady() })),
    ModelReady: unary('ModelReady', (r: NameVersionMsg, _signal, scoped) => ({
      ready: scoped.modelReady(r.name, optionalVersion(r.version)),
    })),
    ServerMetadata: unary('ServerMetadata', (): ServerMetadataResponseMsg => {
      const m = service.serverMetadata();
      return { name: m.name, version: m.version, extensions: [...m.extensions] };
    }),
    ModelMetadata: unary('ModelMetadata', (r: NameVersionMsg, _signal, scoped): ModelMetadataResponseMsg =>
      modelMetadataToProto(scoped.modelMetadata(requireName(r.name, 'name'), optionalVersion(r.version))),
    ),
    ModelInfer: unary('ModelInfer', infer),
    ModelStreamInfer: streamInfer,
    ModelConfig: unary('ModelConfig', (r: NameVersionMsg, _signal, scoped): ModelConfigResponseMsg => ({
      config: modelConfigToProto(scoped.modelConfig(requireName(r.name, 'name'), optionalVersion(r.version))),
    })),
    ModelStatistics: unary(
      'ModelStatistics',
      (r: NameVersionMsg, _signal, scoped): ModelStatisticsResponseMsg => ({
        model_stats: scoped
          .modelStatistics(r.name === '' ? undefined : r.name, optionalVersion(r.version))
          .map(modelStatisticsToProto),
      }),
    ),
    RepositoryIndex: unary(
      'RepositoryIndex',
      async (r: RepositoryIndexRequestMsg, _signal, scoped): Promise<RepositoryIndexResponseMsg> => ({
        models: (await scoped.repositoryIndex(r.ready)).map(repositoryEntryToProto),
      }),
    ),
    RepositoryModelLoad: unary(
      'RepositoryModelLoad',
      async (r: RepositoryModelRequestMsg, _signal, scoped) => {
        const options = loadOptionsFromProto(r.parameters);
        await scoped.loadModel(requireName(r.model_name, 'model_name'), options);
        return {};
      },
    ),
    RepositoryModelUnload: unary(
      'RepositoryModelUnload',
      async (r: RepositoryModelRequestMsg, _signal, scoped) => {
        await scoped.unloadModel(requireName(r.model_name, 'model_name'));
        return {};
      },
    ),
  };

  server.addService(definition[INFERENCE_SERVICE] as ServiceDefinition, inference);
  server.addService(definition[HEALTH_SERVICE] as ServiceDefinition, {
    Check: unary('Health.Check', healthCheck),
  });

  return {
    async start(host: string, port: number): Promise<number> {
      if (state !== 'created') {
        throw new KaleidoError('ERR_BAD_CONFIG', `the gRPC server cannot start: it is ${state}`);
      }
      state = 'starting';
      // IPv6 literals need brackets in a gRPC target ("[::]:8001").
      const address = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
      const bound = await new Promise<number>((resolve, reject) => {
        const credentials = deps.tls
          ? ServerCredentials.createSsl(
              deps.tls.clientCa ?? null,
              [
                {
                  private_key: deps.tls.key,
                  // The chain: the certificate, then the issuing CA bundle when configured.
                  cert_chain: deps.tls.ca
                    ? Buffer.concat([deps.tls.cert, Buffer.from('\n'), deps.tls.ca])
                    : deps.tls.cert,
                },
              ],
              deps.tls.clientCa !== undefined, // mutual TLS: refuse a client without a valid certificate
            )
          : ServerCredentials.createInsecure();
        server.bindAsync(address, credentials, (err, boundPort) => {
          if (err) {
            state = 'created';
            reject(
              new KaleidoError('ERR_BAD_CONFIG', `cannot listen for gRPC on ${address}: ${err.message}`, {
                details: { host, port },
                cause: err,
              }),
            );
          } else resolve(boundPort);
        });
      });
      state = 'started';
      log.info({ host, port: bound }, 'gRPC server listening');
      return bound;
    },

    async stop(graceMs: number): Promise<void> {
      if (state === 'stopped') return;
      const wasServing = state !== 'created';
      state = 'stopped';
      shuttingDown = true;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          log.warn({ graceMs }, 'gRPC calls still running after the grace period; cancelling them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (wasServing) log.info({}, 'gRPC server stopped');
    },
  };
}
