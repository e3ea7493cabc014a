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
import { nodeTlsServerOptions, type ServerTlsOptions } from './tls-options.js';
import type { AnalysisService } from '../analysis/index.js';
import type { RegistryService } from '../lifecycle/registry.js';
import type { TrackingService } from '../lifecycle/tracking.js';
import { registerAnalyzeRoutes } from './routes/analyze.js';
import { registerMlflowRoutes } from './routes/mlflow.js';
// Lifecycle API (datasets, training jobs, studies): one import block.
import { registerLifecycleRoutes, type LifecycleApi } from './routes/lifecycle.js';
import { registerModelCardRoutes, type ModelCardApi } from './routes/model-cards.js';
import { registerClassifyRoutes } from './routes/classify.js'; // raw content → registered heads
import type { ClassifyService } from '../lifecycle/classify.js';
import { registerOipRoutes } from './routes/oip-rest.js';
import { registerWebUi } from './routes/web-ui.js';
import { registerEncryptionAdminRoutes, type EncryptionAdmin } from './routes/encryption-admin.js'; // encryption at rest
// ---- security edge (auth wiring) ----
import { registerSecurityEdge, type AppSecurity } from './security/edge.js';
import { registerDisabledAuthSessionRoute } from './routes/auth-sessions.js';

export interface AppOptions {
  /** Largest body on inference routes (after decompression). */
  readonly maxBodyBytes: number;
  /** Largest body on every other route. */
  readonly maxAdminBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly keepAliveTimeoutMs: number;
  /** Inference requests (routes with `config.inference`) admitted at once; beyond → 429. */
  readonly maxInflightInferences: number;
  // ---- security edge (auth wiring) ----
  /**
   * Proxies whose X-Forwarded-For is believed: comma-separated addresses/CIDRs; empty or absent =
   * none (the socket address is the client).
   */
  readonly trustProxy?: string;
  /** Serve HTTPS with this certificate (server.tls); absent = plain HTTP. */
  /** TLS material (adapters/tls-node): with `clientCa`, client certificates are required (mTLS). */
  readonly https?: ServerTlsOptions;
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
  /** The built web console (web/dist), served at / . */
  readonly webUi?: { readonly distDir: string };
  /** Data sets, training jobs and studies under /v1/datasets, /v1/training-jobs, /v1/studies. */
  readonly lifecycleApi?: LifecycleApi;
  /** Model cards and fairness of registered versions under /v1/registry/models/… */
  readonly modelCards?: Omit<ModelCardApi, 'maxJsonDepth'>;
  /** POST /v1/classify/{model} and /v1/analyze's `classifiers` option (registered heads on raw content). */
  readonly classify?: ClassifyService;
  // ---- security edge (auth wiring) ----
  /**
   * Authentication, RBAC, rate limits, audit, security headers and CORS (src/server/security).
   * Absent = no security edge at all: only for `auth.mode=disabled` and for tests that exercise
   * other things through buildApp directly; main.ts passes it in every other mode.
   */
  readonly security?: AppSecurity;
  /** Encryption at rest: POST/GET /v1/admin/encryption/rewrap (system administrators). */
  readonly encryption?: EncryptionAdmin;
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
    // ---- security edge (auth wiring): request.ip from trusted proxies only ----
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    // ---- TLS: HTTPS with the configured certificate (REST and the web UI) ----
    ...(options.https
      ? { https: { ...nodeTlsServerOptions(options.https), minVersion: 'TLSv1.2' as const } }
      : {}),
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

  // ---- security edge (auth wiring) ----
  // Registered before every route so its hooks and route inventory cover all of them.
  if (deps.security) {
    await registerSecurityEdge(app, deps.security, { maxJsonDepth: options.maxJsonDepth });
  } else {
    // "Who am I" still answers (auth: disabled, every permission) so the console needs no 404 case.
    await registerDisabledAuthSessionRoute(app);
  }
  // ---- end security edge ----

  app.get('/metrics', async (_request, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.render();
  });

  await registerOipRoutes(app, deps);
  if (deps.analysis) {
    await registerAnalyzeRoutes(app, {
      analysis: deps.analysis,
      options: { maxJsonDepth: options.maxJsonDepth },
      ...(deps.classify ? { classify: deps.classify } : {}),
    });
  }
  if (deps.classify) {
    await registerClassifyRoutes(app, {
      classify: deps.classify,
      maxBodyBytes: options.maxBodyBytes,
      maxJsonDepth: options.maxJsonDepth,
    });
  }
  if (deps.lifecycle) {
    await registerMlflowRoutes(app, {
      ...deps.lifecycle,
      maxJsonDepth: options.maxJsonDepth,
      // ---- security edge (auth wiring): registry history names the authenticated caller ----
      actorOf: (request) => request.principal?.subject,
    });
  }
  // ---- lifecycle API (datasets, training jobs, studies) ----
  if (deps.lifecycleApi) {
    await registerLifecycleRoutes(app, {
      ...deps.lifecycleApi,
      // Uploads are data sets, as large as inference bodies may be.
      maxUploadBytes: options.maxBodyBytes,
      maxJsonDepth: options.maxJsonDepth,
    });
  }
  if (deps.encryption) await registerEncryptionAdminRoutes(app, deps.encryption); // encryption at rest
  if (deps.modelCards) {
    await registerModelCardRoutes(app, { ...deps.modelCards, maxJsonDepth: options.maxJsonDepth });
  }
  if (deps.webUi) await registerWebUi(app, deps.webUi);
  return app;
}
