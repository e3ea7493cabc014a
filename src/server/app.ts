/**
 * buildApp(deps): the HTTP front end as a Fastify instance. It holds no business logic: routes
 * decode the wire format, call the InferenceService, and encode the answer. Tests drive it with
 * app.inject(); main.ts listens.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, inflateSync } from 'node:zlib';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { KaleidoError } from '../core/errors.js';
import type { InferenceService } from '../core/ports/inference.js';
import type { MetricsExposition } from '../core/ports/metrics.js';
import { sendError } from './errors.js';
import type { AnalysisService } from '../analysis/index.js';
import type { RegistryService } from '../lifecycle/registry.js';
import type { TrackingService } from '../lifecycle/tracking.js';
import { registerAnalyzeRoutes } from './routes/analyze.js';
import { registerMlflowRoutes } from './routes/mlflow.js';
import { registerOipRoutes } from './routes/oip-rest.js';

export interface AppOptions {
  /** Largest body on inference routes (after decompression). */
  readonly maxBodyBytes: number;
  /** Largest body on every other route. */
  readonly maxAdminBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly keepAliveTimeoutMs: number;
  /** Inference requests (routes with `config.inference`) admitted at once; beyond → 429. */
  readonly maxInflightInferences: number;
}

export interface AppDeps {
  readonly service: InferenceService;
  readonly logger: FastifyBaseLogger;
  readonly metrics: MetricsExposition;
  readonly options: AppOptions;
  /** Experiment tracking and the model registry (MLflow-shaped REST under /api/2.0/mlflow). */
  readonly lifecycle?: { readonly tracking: TrackingService; readonly registry: RegistryService };
  /** The multi-modal analysis behind /v1/analyze, /v1/pipelines, /v1/analyzers. */
  readonly analysis?: AnalysisService;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks inference routes: admission control and client-disconnect cancellation apply. */
    inference?: boolean;
  }
  interface FastifyRequest {
    /** Set when the client went away before the answer was sent. */
    kaleidoAbort?: AbortController;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { options } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Per-request info logs would cost more than a small inference; failures are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxAdminBodyBytes,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });

  // Every body is read as bytes and decoded by the route: the inference route needs raw bytes
  // (binary tensor extension) and parses JSON itself with depth limits.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return done(null, body);
    const limit = req.routeOptions.bodyLimit ?? options.maxAdminBodyBytes;
    try {
      if (encoding === 'gzip') return done(null, gunzipSync(body as Buffer, { maxOutputLength: limit }));
      if (encoding === 'deflate') return done(null, inflateSync(body as Buffer, { maxOutputLength: limit }));
    } catch (e) {
      const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return done(
        tooBig
          ? new KaleidoError('ERR_PAYLOAD_TOO_LARGE', 'decompressed body is too large')
          : new KaleidoError('ERR_BAD_REQUEST', `body is not valid ${encoding} data`),
        undefined,
      );
    }
    return done(
      new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', `unsupported content-encoding "${encoding}"`),
      undefined,
    );
  });

  let inferenceInFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (!request.routeOptions.config.inference) return;
    // Admission control before the body is read or decoded: past the cap, answer a cheap 429 so
    // overload costs the server as little as possible (the batcher queues bound each model too).
    if (inferenceInFlight >= options.maxInflightInferences) {
      throw new KaleidoError('ERR_QUEUE_FULL', 'too many inference requests in flight; retry shortly', {
        retryAfterSeconds: 1,
        details: { maxInflightInferences: options.maxInflightInferences },
      });
    }
    inferenceInFlight++;
    const abort = new AbortController();
    request.kaleidoAbort = abort;
    // 'close' before the response finished means the client disconnected: queued work is dropped.
    reply.raw.once('close', () => {
      inferenceInFlight--;
      if (!reply.raw.writableFinished) abort.abort();
    });
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.edge.http(request.method, route, reply.statusCode, reply.elapsedTime / 1e3);
    if (reply.statusCode >= 500) request.log.warn({ status: reply.statusCode, route }, 'request failed');
  });

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new KaleidoError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  app.get('/metrics', async (_request, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.render();
  });

  await registerOipRoutes(app, deps);
  if (deps.analysis) {
    await registerAnalyzeRoutes(app, {
      analysis: deps.analysis,
      options: { maxJsonDepth: options.maxJsonDepth },
    });
  }
  if (deps.lifecycle) {
    await registerMlflowRoutes(app, { ...deps.lifecycle, maxJsonDepth: options.maxJsonDepth });
  }
  return app;
}
