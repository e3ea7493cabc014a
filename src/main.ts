/**
 * The composition root: reads the frozen config, picks adapters by URI scheme, wires the services
 * and starts the HTTP and gRPC front ends. Nothing else in the codebase constructs an adapter.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
// Image modality (analysis/image.ts): sharp decoder, tfjs-wasm models, Tesseract OCR.
import { createImageModule, pluggedImageInput } from './analysis/image.js';
import { FaceApiFaces, WorkerFaceApiFaces } from './adapters/image-tfjs/index.js';
import { TfjsRuntime, WorkerTfjsRuntime } from './adapters/runtime-tfjs/index.js';
import { ServedNsfwClassifier, ServedObjectDetector } from './modalities/image/index.js';
import { SharpImageDecoder } from './adapters/media-sharp/index.js';
import { TesseractOcr } from './adapters/ocr-tesseract/index.js';
// ---- audio and video modalities ----
import { PocketsphinxRecognizer } from './adapters/asr-pocketsphinx/index.js';
import { SoundswallowerCommands } from './adapters/asr-soundswallower/index.js';
// ---- bring-your-own Hugging Face classifiers ----
import { createHfClassifiers, scanHfModels } from './adapters/hf-transformers/index.js';
import { pluggedClassifier } from './analysis/plugged.js';
import { FfmpegDecoder } from './adapters/media-ffmpeg/index.js';
import { FfmpegVideoSampler } from './adapters/media-ffmpeg/ffmpeg-video.js';
import {
  createAudioModule,
  createTranscriptSafety,
  createVideoModule,
  DEFAULT_VIDEO_MAX_BYTES,
} from './analysis/index.js';
// ---- end audio and video modalities ----
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
import type { InMemoryPolicyStore } from './safety/policy-store.js';
import type { KaleidoConfig } from './config/schema.js';
import { KaleidoError } from './core/errors.js';
import type { Logger } from './core/ports/logger.js';
import type { LifecycleStores } from './core/ports/lifecycle-store.js';
import type { MetadataStore } from './core/ports/metadata-store.js';
import { RegistryService, resolveVersion } from './lifecycle/registry.js';
import { TrackingService } from './lifecycle/tracking.js';
import { buildApp } from './server/app.js';
import { createGrpcServer } from './server/grpc/grpc-server.js';
import { tenantViews } from './serving/tenant-view.js';
import { KaleidoInferenceService } from './serving/inference-service.js';
// ---- security edge (auth wiring) ----
import { MemoryRateLimitStore } from './adapters/ratelimit-memory/index.js';
import { RedisLoginFailureStore, RedisRateLimitStore } from './adapters/ratelimit-redis/index.js';
import { SqlSecurityStore } from './adapters/store-sql/sql-security-store.js';
import { PostgresClient } from './adapters/store-postgres/index.js';
import { SqliteClient } from './adapters/store-sqlite/index.js';
import type { LoginFailureStore, RateLimitStore } from './core/ports/security.js';
import type { TokenBucketPolicy } from './core/security/token-bucket.js';
import { ApiKeyService } from './security/api-keys.js';
import { adminKeyBanner, ensureBootstrapAdmin } from './security/bootstrap.js';
import { JoseJwtVerifier } from './adapters/auth-jwt/jwt-verifier.js';
import type { JWK } from 'jose';
import { LoginThrottle } from './security/login-throttle.js';
import { SessionService } from './security/sessions.js';
import { UserService } from './security/users.js';
import { ModelIntegrity } from './security/model-integrity.js';
import { promotionSignatureCheck } from './security/promotion-signatures.js';
import { registeredDigestCheck } from './security/registered-digest.js';
import {
  bearerAuthenticator,
  routeInventory,
  type AppSecurity,
  type RouteAccess,
} from './server/security/edge.js';
import { openRoutesFor } from './server/security/route-table.js'; // gRPC guard: same open routes as REST
import { createGrpcGuard } from './server/security/grpc-guard.js';
// ---- end security edge imports ----
import { ModelManager } from './serving/model-manager.js';
// ---- lifecycle API (datasets, training jobs, studies) ----
import { createFsArtifactStore } from './adapters/artifacts-fs/index.js';
import { encryptionAtRest } from './security/at-rest.js'; // encryption at rest
import { loadTlsMaterial, tlsEnabled, type TlsMaterial } from './adapters/tls-node/index.js'; // TLS
import { HEAD_INPUT_NAME, HEAD_OUTPUT_NAME, OnnxRepositoryPublisher } from './adapters/onnx-export/index.js';
import { metadataMigrations, runMigrations, type SqlClient } from './adapters/store-sql/index.js';
import { lifecycleJobMigrations } from './adapters/store-sql/migrations-lifecycle2.js';
import { SqlStudyStore } from './adapters/store-sql/sql-study-store.js';
import { SqlTrainingJobStore } from './adapters/store-sql/sql-training-job-store.js';
import type { ModelSignature } from './core/ports/registry-store.js';
import type { TrainedHead } from './core/train/types.js';
import { ArtifactDatasetStore } from './lifecycle/datasets/store.js';
import { StudyRunner } from './lifecycle/studies/study-runner.js';
import { datasetJobPreparer } from './lifecycle/studies/training-set.js'; // lifecycle: background featurisation
import { SPAM_MODEL } from './modalities/text/spam.js'; // model cards: the moderation model's name
import { WorkerImageEmbedder } from './adapters/image-tfjs/embedder.js'; // lifecycle: image/audio heads
import { MediaFeatures } from './lifecycle/datasets/media-features.js'; // lifecycle: image/audio heads
import { ClassifyService } from './lifecycle/classify.js'; // raw content → registered heads
import { TrainingJobs } from './lifecycle/training/training-jobs.js';
// ---- end lifecycle API imports ----

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

// ---- lifecycle API (datasets, training jobs, studies) ----
/** The connection of the training-job and study stores, on the metadata database. */
export function openLifecycleJobsClient(url: string, dataDir: string): SqlClient {
  const t = metadataTarget(url, dataDir);
  return t.kind === 'sqlite'
    ? new SqliteClient({ path: t.path })
    : new PostgresClient({ connectionString: t.url });
}

/** Where artifacts (data sets, training data, checkpoints, heads) live: file:<dir> relative to the data dir. */
function artifactsRoot(url: string, dataDir: string): string {
  if (!url.startsWith('file:')) {
    throw new KaleidoError('ERR_BAD_CONFIG', `artifacts.url: unsupported scheme in "${url}" (file:<dir>)`, {
      details: { field: 'artifacts.url' },
    });
  }
  const p = url.slice('file:'.length);
  return isAbsolute(p) ? p : join(dataDir, p);
}

/** The OIP signature of a head exported by OnnxRepositoryPublisher (batch dimension variable). */
const headSignature = (head: TrainedHead): ModelSignature => ({
  inputs: [{ name: HEAD_INPUT_NAME, datatype: 'FP32', shape: [-1, head.inputDim] }],
  outputs: [{ name: HEAD_OUTPUT_NAME, datatype: 'FP32', shape: [-1, head.classes.length] }],
});
// ---- end lifecycle API ----

// ---- security edge (auth wiring) ----
/**
 * The security store (API keys, tenants, audit log) on the metadata database; its migrations
 * (ids 0100+) run after the metadata ones, into the same history table.
 */
export function openSecurityStore(url: string, dataDir: string): SqlSecurityStore {
  const t = metadataTarget(url, dataDir);
  return new SqlSecurityStore(
    t.kind === 'sqlite'
      ? new SqliteClient({ path: t.path })
      : new PostgresClient({ connectionString: t.url }),
  );
}

/** A configured token bucket, or undefined when either number is 0 (that limit is off). */
const bucket = (p: { refillPerSecond: number; capacity: number }): TokenBucketPolicy | undefined =>
  p.refillPerSecond > 0 && p.capacity > 0
    ? { refillPerSecond: p.refillPerSecond, capacity: p.capacity }
    : undefined;

/** Prints a generated admin key once, on stderr and outside the JSON log stream. */
const printAdminKey = (key: string): void => {
  process.stderr.write(adminKeyBanner(key));
};
// ---- end security edge ----

export interface RunningKaleido {
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly grpcPort: number | undefined;
  readonly service: KaleidoInferenceService;
  readonly logger: PinoLogger;
  // ---- security edge (auth wiring) ----
  /** Every HTTP route with how it is protected (empty when auth.mode is "disabled"). */
  readonly routes: readonly RouteAccess[];
  /**
   * Graceful stop: readiness false; keep serving for `drainDelayMs` (default 0); then refuse new
   * work, finish in-flight work and close everything.
   */
  close(options?: { drainDelayMs?: number }): Promise<void>;
}

export interface StartOptions {
  /** A pino logger to use instead of one built from config.log (tests pass a silent one). */
  readonly logger?: PinoLogger;
  // ---- security edge (auth wiring) ----
  /**
   * Receives the admin API key generated on a first start (default: a banner on stderr). Never
   * called when `auth.adminKey` is configured or an admin key already exists.
   */
  readonly announceAdminKey?: (key: string) => void;
}

/** The package's own policies, then the installation's (`analysis.policyDirs`), in one store. */
async function loadPolicies(extraDirs: readonly string[]): Promise<InMemoryPolicyStore> {
  const store = await loadPolicyDirectory(join(packageRoot(), 'policies'));
  for (const dir of extraDirs) await loadPolicyDirectory(resolve(dir), store);
  return store;
}

export async function startKaleido(
  config: Readonly<KaleidoConfig>,
  options: StartOptions = {},
): Promise<RunningKaleido> {
  const logger = options.logger ?? pino({ level: config.log.level, base: { service: 'kaleido' } });
  const dataDir = resolve(config.data.dir);
  mkdirSync(dataDir, { recursive: true });
  // ---- TLS: one certificate for HTTPS and gRPC; bad files refuse to start (ERR_BAD_CONFIG) ----
  const tls: TlsMaterial | undefined = tlsEnabled(config.server.tls)
    ? await loadTlsMaterial(config.server.tls, { dataDir })
    : undefined;
  if (tls?.selfSigned) {
    logger.warn(
      { certFile: tls.certFile, generated: tls.generated, sha256Fingerprint: tls.fingerprint256 },
      'SECURITY WARNING: server.tls.selfSigned is for development only: clients cannot verify this certificate without its file (--ca); use a certificate from your CA in production',
    );
  } else if (tls) {
    logger.info(
      { certFile: tls.certFile, sha256Fingerprint: tls.fingerprint256, validTo: tls.validTo },
      'TLS on',
    );
  }
  const tlsOptions = tls
    ? {
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.clientCa ? { clientCa: tls.clientCa } : {}), // mutual TLS
      }
    : undefined;
  const scheme = tls ? 'https' : 'http';

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
  // ---- security edge (auth wiring) ----
  const authMode = config.auth.mode;
  let securityStore: SqlSecurityStore | undefined;
  let rateLimitStore: RateLimitStore | undefined;
  let loginFailures: LoginFailureStore | undefined;
  let security: AppSecurity | undefined;
  if (authMode === 'disabled') {
    logger.warn(
      { authMode },
      'SECURITY WARNING: auth.mode is "disabled": NO authentication, authorization, rate limits or security headers. Every caller can load/unload models and use every API. Use only for tests and local experiments.',
    );
  } else {
    try {
      securityStore = openSecurityStore(config.metadata.url, dataDir);
      await securityStore.migrate();
      const apiKeys = new ApiKeyService({
        store: securityStore,
        tenants: securityStore,
        logger: logger as unknown as Logger,
      });
      const bootstrap = await ensureBootstrapAdmin({
        store: securityStore,
        keys: apiKeys,
        adminKey: config.auth.adminKey,
        announce: options.announceAdminKey ?? printAdminKey,
      });
      // The key itself never goes into the logs; its id does, so operators can revoke it.
      if (bootstrap.action === 'revoked') {
        logger.warn({ keyId: bootstrap.keyId }, 'auth.adminKey is revoked: it stays refused');
      } else {
        logger.info({ keyId: bootstrap.keyId, action: bootstrap.action }, 'bootstrap admin key');
      }
      rateLimitStore =
        config.rateLimit.redisUrl === ''
          ? new MemoryRateLimitStore({ clock: createSystemClock() })
          : new RedisRateLimitStore({ url: config.rateLimit.redisUrl });
      loginFailures =
        config.rateLimit.redisUrl === ''
          ? undefined
          : new RedisLoginFailureStore({ url: config.rateLimit.redisUrl });
      const perIp = bucket(config.rateLimit.perIp);
      const perPrincipal = bucket(config.rateLimit.perPrincipal);
      const perTenant = bucket(config.rateLimit.perTenant);
      const jwtConfig = config.auth.jwt;
      const jwt =
        jwtConfig.issuer === ''
          ? undefined
          : new JoseJwtVerifier({
              issuer: jwtConfig.issuer,
              audience: jwtConfig.audience,
              jwksUrl: jwtConfig.jwksUrl,
              jwksFile: jwtConfig.jwksFile,
              keys: jwtConfig.keys as JWK[],
              secret: jwtConfig.secret,
              algorithms: jwtConfig.algorithms,
              clockToleranceSec: jwtConfig.clockToleranceSec,
              jwksTimeoutMs: jwtConfig.jwksTimeoutMs,
              jwksCacheMaxAgeMs: jwtConfig.jwksCacheMaxAgeSec * 1000,
              jwksCooldownMs: jwtConfig.jwksCooldownSec * 1000,
              tenantClaim: jwtConfig.tenantClaim,
              roleClaim: jwtConfig.roleClaim,
              scopeClaim: jwtConfig.scopeClaim,
              defaultTenant: jwtConfig.defaultTenant,
              tenants: securityStore,
            });
      const sessionConfig = config.auth.sessions;
      let accounts: AppSecurity['accounts'];
      if (sessionConfig.enabled) {
        const store = securityStore;
        // Disabling a user or resetting a password also revokes the user's session rows.
        const ended: { sessions?: SessionService } = {};
        const users = new UserService({
          store,
          onCredentialsChanged: async (u) => {
            await ended.sessions?.revokeAllOf('user', u.id);
          },
        });
        const sessions = new SessionService({
          store,
          users,
          apiKeys,
          absoluteTtlMs: sessionConfig.absoluteTtlSec * 1000,
          idleTtlMs: sessionConfig.idleTtlSec * 1000,
          logger: logger as unknown as Logger,
        });
        ended.sessions = sessions;
        const backoff = {
          baseDelayMs: sessionConfig.backoffBaseSec * 1000,
          maxDelayMs: sessionConfig.backoffMaxSec * 1000,
        };
        accounts = {
          users,
          sessions,
          throttle: new LoginThrottle({
            perUsername: { ...backoff, freeFailures: sessionConfig.freeFailuresPerUsername },
            perIp: { ...backoff, freeFailures: sessionConfig.freeFailuresPerIp },
            // With Redis configured for rate limits, failed sign-ins are counted across replicas too.
            ...(loginFailures === undefined ? {} : { store: loginFailures }),
          }),
          secureCookie: sessionConfig.secureCookie,
        };
      }
      security = {
        mode: authMode,
        apiKeys,
        store: securityStore,
        ...(jwt === undefined ? {} : { jwt }),
        ...(accounts === undefined ? {} : { accounts }),
        rateLimit: {
          store: rateLimitStore,
          ...(perIp ? { perIp } : {}),
          ...(perPrincipal ? { perPrincipal } : {}),
          ...(perTenant ? { perTenant } : {}),
          failOpen: config.rateLimit.failOpen,
        },
        allowedOrigins: config.cors.allowedOrigins,
        openRoutes: config.auth.openRoutes,
        openMetrics: config.auth.openMetrics,
        hsts: config.server.hsts || (tls !== undefined && config.server.tls.hsts), // TLS on: HSTS
      };
    } catch (e) {
      await Promise.allSettled([
        store.close(),
        lifecycleStores.close(),
        securityStore?.close(),
        rateLimitStore?.close(),
        loginFailures?.close(),
      ]);
      throw e;
    }
  }
  /** Closes what the security edge opened (after the listeners stopped). */
  const closeSecurity = async (): Promise<void> => {
    await Promise.allSettled([securityStore?.close(), rateLimitStore?.close(), loginFailures?.close()]);
  };
  // ---- end security edge ----

  const tracking = new TrackingService(lifecycleStores.tracking);

  // ---- lifecycle API (datasets, training jobs, studies) ----
  // Trained models are published into their own writable repository, served with the others.
  const trainedRepository = resolve(
    dataDir,
    config.models.trainedRepository === '' ? 'models' : config.models.trainedRepository,
  );
  const modelIntegrity = new ModelIntegrity(); // security edge (auth wiring)
  const registeredDigest = registeredDigestCheck({
    trainedRepository,
    integrity: modelIntegrity,
    recordedSha256: async (tenantId, name, version) => {
      try {
        return (await registry.forTenant(tenantId).getModelVersion(name, version)).sha256;
      } catch (e) {
        if (e instanceof KaleidoError && (e.code === 'ERR_NOT_FOUND' || e.code === 'ERR_VALIDATION')) {
          return undefined; // not registered (yet): published before registration, or by a job
        }
        throw e;
      }
    },
  });
  mkdirSync(trainedRepository, { recursive: true });
  // ---- encryption at rest: sensitive artifacts (data sets, training data, checkpoints) sealed ----
  let atRest: ReturnType<typeof encryptionAtRest>;
  try {
    atRest = encryptionAtRest(
      createFsArtifactStore({ root: artifactsRoot(config.artifacts.url, dataDir) }),
      config.security.encryption,
      { dataDir, logger: logger as unknown as Logger },
    );
  } catch (e) {
    // A bad key configuration (ERR_BAD_CONFIG) must not leave the stores open.
    await Promise.allSettled([store.close(), lifecycleStores.close()]);
    await closeSecurity();
    throw e;
  }
  const artifacts = atRest.artifacts;
  // `artifacts:<key>` sources are checked to exist (and, for tenants, to be their own) and their
  // SHA-256 is taken from the store, so a registered version always names bytes that are there.
  const registry = new RegistryService(lifecycleStores.registry, {
    tracking: lifecycleStores.tracking,
    artifacts,
    ...promotionSignatureCheck(config.security.modelSigning),
  });
  const lifecycleJobsClient = openLifecycleJobsClient(config.metadata.url, dataDir);
  try {
    // Until these migrations join the main list, this connection applies them (a no-op afterwards).
    await runMigrations(lifecycleJobsClient, [...metadataMigrations, ...lifecycleJobMigrations], Date.now);
  } catch (e) {
    await Promise.allSettled([store.close(), lifecycleStores.close(), lifecycleJobsClient.close()]);
    await closeSecurity();
    throw e;
  }
  const datasets = new ArtifactDatasetStore({ artifacts });
  // Image, audio and video heads: frozen MobileNetV2 embeddings (worker thread), log-mel-stats over
  // ffmpeg-decoded audio and both pooled over a video's frames and audio track, computed once per
  // data set version (in the background of a study) and cached as artifacts.
  const mediaFeatures = new MediaFeatures({
    artifacts,
    datasets,
    image: {
      decoder: new SharpImageDecoder(),
      embedder: new WorkerImageEmbedder({ cacheDir: join(dataDir, 'cache') }),
    },
    audio: { decoder: new FfmpegDecoder() },
    // Videos (frame + audio pooling): the file limits of video analysis (200 MiB, 600 s).
    video: {
      sampler: new FfmpegVideoSampler(),
      decoder: new FfmpegDecoder({ maxInputBytes: DEFAULT_VIDEO_MAX_BYTES }),
    },
  });
  const publisher = new OnnxRepositoryPublisher({ repositoryDir: trainedRepository });
  const trainingJobs = new TrainingJobs({
    store: new SqlTrainingJobStore(lifecycleJobsClient),
    artifacts,
    publisher,
    // Each job trains on one worker thread; keep a core for serving.
    maxConcurrent: Math.max(1, Math.min(4, availableParallelism() - 1)),
    // Jobs on media data sets featurise in the background (state `featurizing`), not in the request.
    prepare: datasetJobPreparer(datasets, mediaFeatures),
  });
  // ---- end lifecycle API ----

  const metrics = createPrometheusMetrics();
  const clock = createSystemClock();
  const source = createFsModelSource([...config.models.repositories, trainedRepository]); // + lifecycle API
  const manager = new ModelManager({
    source,
    runtime: config.models.runtimeIsolation === 'worker' ? new WorkerOnnxRuntime() : new OnnxRuntime(),
    // Models whose config says backend "tfjs" (the image analyzers' NSFW and object models).
    runtimes: [config.models.runtimeIsolation === 'worker' ? new WorkerTfjsRuntime() : new TfjsRuntime()],
    clock,
    epochMs: Date.now,
    metrics: metrics.serving,
    logger: logger as unknown as Logger,
    store,
    defaultIntraOpThreads: config.models.defaultIntraOpThreads,
    defaultInterOpThreads: config.models.defaultInterOpThreads,
    // ---- security edge (auth wiring): ONNX external data must stay inside the model directory ----
    verifyModelFile: async (path) => {
      // Only ONNX files carry external-data references; the tfjs runtime confines its shards itself.
      if (path.endsWith('.onnx')) await modelIntegrity.checkOnnxExternalData(path);
      // Trained models: the file must still be the one whose SHA-256 the registry recorded.
      await registeredDigest(path);
    },
  });
  const service = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: packageVersion(),
    clock,
    epochMs: Date.now,
    metrics: metrics.serving,
    resolveAlias: (model, alias) => resolveVersion(lifecycleStores.registry, model, alias),
  });

  // Bring-your-own classifiers: Hugging Face layout directories in the model repositories, run by
  // transformers.js offline as `<modality>/hf:<name>` (their ONNX file is also served over OIP).
  // (each in a worker thread of its own when model sessions are: the library's pre-processing is JS)
  const hfClassifiers = createHfClassifiers(scanHfModels(config.models.repositories), {
    worker: config.models.runtimeIsolation === 'worker',
  });
  const hfFor = (modality: 'text' | 'audio' | 'image') =>
    hfClassifiers.filter((c) => c.modality === modality);

  // The analyzers behind /v1/analyze: vendor engines are constructed here and nowhere else.
  const wink = new WinkNlp();
  const analysis = createDefaultAnalysis({
    clock,
    policies: await loadPolicies(config.analysis.policyDirs),
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
    textPlugged: hfFor('text').map((c) =>
      pluggedClassifier(c, (t: { text: string }) => ({ kind: 'text', text: t.text })),
    ),
  });

  // Image analyzers: models load once in analysis.init() (warm-up included), never per request.
  // (Kept in a variable: the video module below runs these analyzers on sampled frames.)
  const imageModule = config.analysis.modalities.includes('image')
    ? createImageModule({
        decoder: new SharpImageDecoder(),
        // The object and NSFW models are repository models (models/bundled, backend "tfjs") served
        // by the inference service in worker threads; face-api's nets are built in code, so faces
        // are an engine of their own, run in a worker thread too (docs/architecture.md §5).
        objects: new ServedObjectDetector(service),
        faces: config.models.runtimeIsolation === 'worker' ? new WorkerFaceApiFaces() : new FaceApiFaces(),
        nsfw: new ServedNsfwClassifier(service),
        ocr: new TesseractOcr({ workers: 1 }),
        plugged: hfFor('image').map((c) => pluggedClassifier(c, pluggedImageInput)),
      })
    : undefined;
  if (imageModule !== undefined) analysis.register(imageModule);

  // ---- audio and video modalities (analysis/audio.ts, analysis/video.ts) ----
  // ffmpeg decodes audio bodies and the audio track of videos (so it takes video-sized inputs);
  // pocketsphinx transcribes; silero_vad is served by the inference service (models/bundled).
  // Transcripts and a video's text are moderated by the text modality's own analyzers, on
  // engines of their own (the same kinds and settings as the text block above).
  const audioModule = config.analysis.modalities.includes('audio')
    ? createAudioModule({
        audio: {
          decoder: new FfmpegDecoder({ maxInputBytes: DEFAULT_VIDEO_MAX_BYTES }),
          inference: service,
          recognizer: new PocketsphinxRecognizer(),
          commands: new SoundswallowerCommands(),
        },
        transcriptSafety: createTranscriptSafety({
          pii: new PiiAnalyzer({
            recognizers: defaultRecognizers({ phoneValidator: new LibphonenumberPhoneValidator() }),
          }),
          profanity: new ObscenityProfanity(),
        }),
        plugged: hfFor('audio').map((c) =>
          pluggedClassifier(c, (a: { audio: { samples: Float32Array; sampleRate: number } }) => ({
            kind: 'audio',
            samples: a.audio.samples,
            sampleRate: a.audio.sampleRate,
          })),
        ),
      })
    : undefined;
  if (audioModule !== undefined) analysis.register(audioModule);
  if (config.analysis.modalities.includes('video')) {
    // Frames go through the image module and the audio track through the audio module: without
    // them, the NSFW and transcript safety stages are unavailable and a fail-closed policy blocks.
    analysis.register(
      createVideoModule({
        sampler: new FfmpegVideoSampler(),
        ...(imageModule === undefined ? {} : { image: imageModule }),
        ...(audioModule === undefined ? {} : { audio: audioModule }),
      }),
    );
  }
  // ---- end audio and video modalities ----

  // ---- lifecycle API (datasets, training jobs, studies) ----
  const studies = new StudyRunner({
    store: new SqlStudyStore(lifecycleJobsClient),
    jobs: trainingJobs,
    datasets,
    publisher,
    registry,
    tracking,
    modelSignature: headSignature,
    loadModel: async (name) => {
      await manager.load(name);
    },
    onError: (err, context) => logger.warn({ err, ...context }, 'study runner'),
    mediaFeatures,
  });
  // ---- end lifecycle API ----

  const app = await buildApp({
    service,
    logger,
    metrics,
    lifecycle: { tracking, registry },
    analysis,
    webUi: { distDir: join(packageRoot(), 'web', 'dist') },
    lifecycleApi: { datasets, jobs: trainingJobs, studies, media: mediaFeatures }, // lifecycle API
    // POST /v1/classify/{model} and /v1/analyze?classifiers=: the version's recorded featuriser
    // (the same MediaFeatures that trained it) in front of the head, served by the same service.
    classify: new ClassifyService({ registry, inference: service, media: mediaFeatures }),
    // Model cards and fairness of registered versions (lifecycle/model-card.ts, lifecycle/fairness.ts).
    modelCards: {
      registry,
      tracking,
      datasets,
      artifacts,
      inference: service,
      moderationModels: [SPAM_MODEL],
    },
    options: {
      maxBodyBytes: config.server.maxBodyBytes,
      maxAdminBodyBytes: config.server.maxAdminBodyBytes,
      maxJsonDepth: config.server.maxJsonDepth,
      keepAliveTimeoutMs: config.server.keepAliveTimeoutMs,
      maxInflightInferences: config.server.maxInflightInferences,
      trustProxy: config.server.trustProxy, // security edge (auth wiring)
      ...(tlsOptions ? { https: tlsOptions } : {}), // TLS
    },
    ...(security ? { security } : {}), // security edge (auth wiring)
    ...(atRest.encrypting ? { encryption: atRest.encrypting } : {}), // encryption at rest
  });
  const grpc = config.server.grpcEnabled
    ? createGrpcServer({
        service,
        // Tenants own their trained models: each caller sees its tenant's view (tenant-view.ts).
        serviceFor: tenantViews(service, (t, model, alias) =>
          registry.forTenant(t).resolveVersion(model, alias),
        ),
        // security edge: every gRPC call authenticated from metadata and authorized like its REST
        // twin, with the same credentials check, RBAC, rate limits and audit (see grpc-guard.ts).
        ...(security
          ? {
              guard: createGrpcGuard({
                mode: security.mode,
                authenticate: bearerAuthenticator(security),
                openRoutes: openRoutesFor({ openMetrics: security.openMetrics, extra: security.openRoutes }),
                ...(security.rateLimit ? { rateLimit: security.rateLimit } : {}),
                audit: security.store,
                logger,
              }),
            }
          : {}),
        logger: logger as unknown as Logger,
        maxMessageBytes: config.server.maxBodyBytes,
        onCall: (method, code, seconds) => metrics.edge.grpc(method, code, seconds),
        ...(tlsOptions ? { tls: tlsOptions } : {}), // TLS
      })
    : undefined;

  let grpcPort: number | undefined;
  try {
    await app.listen({ host: config.server.host, port: config.server.httpPort });
    grpcPort = grpc ? await grpc.start(config.server.host, config.server.grpcPort) : undefined;
  } catch (e) {
    await app.close().catch(() => undefined);
    await Promise.allSettled([store.close(), lifecycleStores.close()]);
    await closeSecurity(); // security edge (auth wiring)
    await Promise.allSettled([studies.close(), trainingJobs.close()]); // lifecycle API
    await lifecycleJobsClient.close(); // lifecycle API
    throw e;
  }
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.server.httpPort;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  logger.info(
    { http: `${scheme}://${host}:${httpPort}`, grpc: grpcPort, repositories: config.models.repositories },
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
  if (hfClassifiers.length > 0) {
    logger.info(
      {
        models: hfClassifiers.map((c) => ({
          name: c.name,
          modality: c.modality,
          task: c.task,
          available: c.status().available,
          ...(c.status().reason === undefined ? {} : { reason: c.status().reason }),
        })),
      },
      'hugging face models',
    );
  }
  service.markStartupComplete();
  // ---- lifecycle API: studies and training jobs left unfinished by the previous process go on ----
  try {
    const resumedStudies = await studies.recover();
    if (resumedStudies > 0) logger.info({ studies: resumedStudies }, 'resumed unfinished studies');
  } catch (err) {
    logger.error({ err }, 'could not resume unfinished studies and training jobs');
  }
  logger.info({ models: startup.length - failed.length, failed: failed.length }, 'kaleido ready');

  let closing: Promise<void> | undefined;
  return {
    httpUrl: `${scheme}://${host}:${httpPort}`,
    httpPort,
    grpcPort,
    service,
    logger,
    routes: routeInventory(app), // security edge (auth wiring)
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
        // Lifecycle API: studies stop driving trials before the listeners close (a client's open
        // event stream would otherwise keep app.close() waiting while the study ran on), then jobs
        // stop; both resume on the next start.
        await studies.close();
        await trainingJobs.close();
        await mediaFeatures.close();
        await Promise.all([app.close(), grpc?.stop(config.server.shutdownGraceMs)]);
        await analysis.close();
        await manager.shutdown();
        await Promise.all([store.close(), lifecycleStores.close()]);
        await closeSecurity(); // security edge (auth wiring)
        await lifecycleJobsClient.close(); // lifecycle API
        logger.info({}, 'shutdown complete');
      })();
      return closing;
    },
  };
}
