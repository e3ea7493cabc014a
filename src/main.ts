/**
 * The composition root: reads the frozen config, picks adapters by URI scheme, wires the services
 * and starts the HTTP and gRPC front ends. Nothing else in the codebase constructs an adapter.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';
import { createSystemClock } from './adapters/clock-system/system-clock.js';
import { NodePiiCrypto } from './adapters/crypto-node/index.js';
import { LibphonenumberPhoneValidator } from './adapters/pii-phone-libphonenumber/index.js';
import { Cld3LanguageIdentifier } from './adapters/text-cld3/index.js';
import { CompromiseEntities } from './adapters/text-compromise/index.js';
import { ObscenityProfanity } from './adapters/text-obscenity/index.js';
import { WinkEntities, WinkNlp, WinkSentiment } from './adapters/text-wink/index.js';
import { createDefaultAnalysis } from './analysis/index.js';
import { createPrometheusMetrics } from './adapters/metrics-prometheus/prometheus.js';
import { createFsModelSource } from './adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from './adapters/runtime-onnx/onnx-runtime.js';
import { WorkerOnnxRuntime } from './adapters/runtime-onnx/worker-runtime.js';
import {
  createPostgresLifecycleStores,
  createPostgresMetadataStore,
} from './adapters/store-postgres/index.js';
import { createSqliteLifecycleStores, createSqliteMetadataStore } from './adapters/store-sqlite/index.js';
import { packageRoot, packageVersion } from './config/paths.js';
import { defaultRecognizers, PiiAnalyzer } from './core/safety/pii/index.js';
import { loadPolicyDirectory } from './safety/load.js';
import type { KaleidoConfig } from './config/schema.js';
import { KaleidoError } from './core/errors.js';
import type { Logger } from './core/ports/logger.js';
import type { LifecycleStores } from './core/ports/lifecycle-store.js';
import type { MetadataStore } from './core/ports/metadata-store.js';
import { RegistryService, resolveVersion } from './lifecycle/registry.js';
import { TrackingService } from './lifecycle/tracking.js';
import { buildApp } from './server/app.js';
import { createGrpcServer } from './server/grpc/grpc-server.js';
import { KaleidoInferenceService } from './serving/inference-service.js';
import { ModelManager } from './serving/model-manager.js';

/** Where `metadata.url` points: an SQLite file (relative to the data dir) or a PostgreSQL URL. */
function metadataTarget(
  url: string,
  dataDir: string,
): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } {
  if (url.startsWith('sqlite:')) {
    const p = url.slice('sqlite:'.length);
    if (p === ':memory:') return { kind: 'sqlite', path: ':memory:' };
    const path = isAbsolute(p) ? p : join(dataDir, p);
    mkdirSync(dirname(path), { recursive: true });
    return { kind: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  throw new KaleidoError(
    'ERR_BAD_CONFIG',
    `metadata.url: unsupported scheme in "${url.replace(/\/\/[^@]*@/, '//***@')}"`,
    {
      details: { field: 'metadata.url' },
    },
  );
}

/** Opens the metadata store named by a URL: sqlite:<path> (relative to the data dir) or postgres://… */
export function openMetadataStore(url: string, dataDir: string): MetadataStore {
  const t = metadataTarget(url, dataDir);
  return t.kind === 'sqlite'
    ? createSqliteMetadataStore({ path: t.path })
    : createPostgresMetadataStore({ connectionString: t.url });
}

/** The tracking and registry stores, on the same database as the metadata store. */
export function openLifecycleStores(url: string, dataDir: string): LifecycleStores {
  const t = metadataTarget(url, dataDir);
  return t.kind === 'sqlite'
    ? createSqliteLifecycleStores({ path: t.path })
    : createPostgresLifecycleStores({ connectionString: t.url });
}

export interface RunningKaleido {
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly grpcPort: number | undefined;
  readonly service: KaleidoInferenceService;
  readonly logger: PinoLogger;
  /**
   * Graceful stop: readiness false; keep serving for `drainDelayMs` (default 0); then refuse new
   * work, finish in-flight work and close everything.
   */
  close(options?: { drainDelayMs?: number }): Promise<void>;
}

export interface StartOptions {
  /** A pino logger to use instead of one built from config.log (tests pass a silent one). */
  readonly logger?: PinoLogger;
}

export async function startKaleido(
  config: Readonly<KaleidoConfig>,
  options: StartOptions = {},
): Promise<RunningKaleido> {
  const logger = options.logger ?? pino({ level: config.log.level, base: { service: 'kaleido' } });
  const dataDir = resolve(config.data.dir);
  mkdirSync(dataDir, { recursive: true });

  const store = openMetadataStore(config.metadata.url, dataDir);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }

  const lifecycleStores = openLifecycleStores(config.metadata.url, dataDir);
  try {
    await lifecycleStores.migrate(); // a no-op after store.migrate(), except for sqlite::memory:
  } catch (e) {
    await Promise.allSettled([store.close(), lifecycleStores.close()]);
    throw e;
  }
  const tracking = new TrackingService(lifecycleStores.tracking);
  const registry = new RegistryService(lifecycleStores.registry, { tracking: lifecycleStores.tracking });

  const metrics = createPrometheusMetrics();
  const clock = createSystemClock();
  const source = createFsModelSource(config.models.repositories);
  const manager = new ModelManager({
    source,
    runtime: config.models.runtimeIsolation === 'worker' ? new WorkerOnnxRuntime() : new OnnxRuntime(),
    clock,
    epochMs: Date.now,
    metrics: metrics.serving,
    logger: logger as unknown as Logger,
    store,
    defaultIntraOpThreads: config.models.defaultIntraOpThreads,
    defaultInterOpThreads: config.models.defaultInterOpThreads,
  });
  const service = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: packageVersion(),
    clock,
    epochMs: Date.now,
    metrics: metrics.serving,
    resolveAlias: (model, alias) => resolveVersion(lifecycleStores.registry, model, alias),
  });

  // The analyzers behind /v1/analyze: vendor engines are constructed here and nowhere else.
  const wink = new WinkNlp();
  const analysis = createDefaultAnalysis({
    clock,
    policies: await loadPolicyDirectory(join(packageRoot(), 'policies')),
    crypto: new NodePiiCrypto(),
    text: {
      language: new Cld3LanguageIdentifier(),
      sentiment: new WinkSentiment(wink),
      entities: [new WinkEntities(wink), new CompromiseEntities()],
      pii: new PiiAnalyzer({
        recognizers: defaultRecognizers({ phoneValidator: new LibphonenumberPhoneValidator() }),
      }),
      profanity: new ObscenityProfanity(),
      inference: service,
    },
  });

  const app = await buildApp({
    service,
    logger,
    metrics,
    lifecycle: { tracking, registry },
    analysis,
    options: {
      maxBodyBytes: config.server.maxBodyBytes,
      maxAdminBodyBytes: config.server.maxAdminBodyBytes,
      maxJsonDepth: config.server.maxJsonDepth,
      keepAliveTimeoutMs: config.server.keepAliveTimeoutMs,
      maxInflightInferences: config.server.maxInflightInferences,
    },
  });
  const grpc = config.server.grpcEnabled
    ? createGrpcServer({
        service,
        logger: logger as unknown as Logger,
        maxMessageBytes: config.server.maxBodyBytes,
        onCall: (method, code, seconds) => metrics.edge.grpc(method, code, seconds),
      })
    : undefined;

  let grpcPort: number | undefined;
  try {
    await app.listen({ host: config.server.host, port: config.server.httpPort });
    grpcPort = grpc ? await grpc.start(config.server.host, config.server.grpcPort) : undefined;
  } catch (e) {
    await app.close().catch(() => undefined);
    await Promise.allSettled([store.close(), lifecycleStores.close()]);
    throw e;
  }
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.server.httpPort;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  logger.info(
    { http: `http://${host}:${httpPort}`, grpc: grpcPort, repositories: config.models.repositories },
    'kaleido listening',
  );

  // Liveness answers while models load; readiness waits for the startup set.
  const startup = config.models.startup.includes('*') ? await source.list() : config.models.startup;
  const results = await Promise.allSettled(startup.map((m) => manager.load(m)));
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${startup[i]}: ${(r.reason as Error).message}`] : [],
  );
  if (failed.length > 0) logger.error({ failed }, 'some startup models failed to load');
  // After the startup models: analyzers that call served models (spam_classifier) need them loaded.
  const report = await analysis.init();
  logger.info(
    {
      analyzers: report.map((a) => ({
        id: a.id,
        available: a.available,
        ...(a.reason ? { reason: a.reason } : {}),
      })),
    },
    'analyzers',
  );
  service.markStartupComplete();
  logger.info({ models: startup.length - failed.length, failed: failed.length }, 'kaleido ready');

  let closing: Promise<void> | undefined;
  return {
    httpUrl: `http://${host}:${httpPort}`,
    httpPort,
    grpcPort,
    service,
    logger,
    close(closeOptions = {}) {
      closing ??= (async () => {
        const drainDelayMs = closeOptions.drainDelayMs ?? 0;
        service.markDraining();
        if (drainDelayMs > 0) {
          logger.info({ drainDelayMs }, 'shutting down: readiness off, still serving during the drain delay');
          await new Promise((r) => setTimeout(r, drainDelayMs));
        }
        logger.info({}, 'shutting down: refusing new work, finishing in-flight requests');
        service.beginShutdown();
        await Promise.all([app.close(), grpc?.stop(config.server.shutdownGraceMs)]);
        await analysis.close();
        await manager.shutdown();
        await Promise.all([store.close(), lifecycleStores.close()]);
        logger.info({}, 'shutdown complete');
      })();
      return closing;
    },
  };
}
