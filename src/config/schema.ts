/**
 * The server configuration: one schema, validated once at start, frozen and injected.
 * Sources, lowest to highest precedence: defaults ← YAML file ← KALEIDO_* env ← CLI flags.
 * Units are in the names (…Ms, …Bytes).
 */
import { z } from 'zod';
import { bundledModelsDir } from './paths.js';

const port = z.number().int().min(0).max(65535);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** A token bucket for the security edge; 0 in either field turns the limit off. */
const rateLimitPolicy = (perSecond: number, burst: number) =>
  z
    .object({
      refillPerSecond: z.number().min(0).default(perSecond),
      capacity: z.number().int().min(0).default(burst),
    })
    .strict()
    .prefault({});

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        httpPort: port.default(8080),
        grpcPort: port.default(8081),
        grpcEnabled: z.boolean().default(true),
        /** Largest accepted request body on the inference routes. */
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024 * 1024),
        /** Largest accepted body on admin/control routes. */
        maxAdminBodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(8 * 1024 * 1024),
        /** Inference requests admitted at once across all models; beyond it a fast 429 (admission control). */
        maxInflightInferences: z.number().int().min(1).default(4096),
        /** JSON nesting deeper than this is refused before parsing (nesting bombs). */
        maxJsonDepth: z.number().int().min(4).max(1024).default(64),
        /** On SIGTERM/SIGINT: how long in-flight requests may take before the process exits anyway. */
        shutdownGraceMs: z.number().int().min(0).default(15_000),
        /**
         * On SIGTERM/SIGINT readiness turns false at once, but requests keep being accepted and served
         * this long before the listeners close: load balancers need time to stop routing here, and
         * requests already on the wire (sent, not yet read) must not be reset.
         */
        shutdownDrainDelayMs: z.number().int().min(0).max(120_000).default(1000),
        /** Keep-alive idle timeout of HTTP connections. */
        keepAliveTimeoutMs: z.number().int().min(0).default(72_000),
        // ---- security edge (auth wiring) ----
        /**
         * Proxies whose X-Forwarded-For is believed (client address for per-IP limits and the audit
         * log): comma-separated addresses or CIDRs, e.g. "10.0.0.0/8,127.0.0.1". Empty (default):
         * none — the socket address is the client. Never "trust everything": any caller could then
         * pick its own address and walk around the per-IP limit.
         */
        trustProxy: z.string().default(''),
        /** Served over TLS (directly or by a TLS-terminating proxy): send Strict-Transport-Security. */
        hsts: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    models: z
      .object({
        /**
         * Triton-style repositories: each subdirectory is a model. Relative paths resolve against
         * the working directory; the default is the package's own models/bundled.
         */
        repositories: z
          .array(z.string().min(1))
          .min(1)
          .default(() => [bundledModelsDir()]),
        /** Models loaded at start: ["*"] means every model found in the repositories. */
        startup: z.array(z.string().min(1)).default(['*']),
        /**
         * Where model instances run: 'worker' (default) gives each instance its own worker thread, so
         * inference never blocks HTTP/gRPC I/O and instances run in parallel; 'inline' runs them on
         * the event-loop thread (onnxruntime-node's run is synchronous) — lower per-call overhead,
         * for tests and tiny models.
         */
        runtimeIsolation: z.enum(['worker', 'inline']).default('worker'),
        /** Defaults for models whose config does not say. */
        defaultIntraOpThreads: z.number().int().min(0).default(1),
        defaultInterOpThreads: z.number().int().min(0).default(1),
        /**
         * The writable repository that studies and training jobs publish trained models into; it is
         * served with the other repositories. Empty (default): <data.dir>/models; a relative path
         * resolves against data.dir.
         */
        trainedRepository: z.string().default(''),
      })
      .strict()
      .prefault({}),
    data: z
      .object({
        /** Where the embedded stores live (SQLite file, artifacts). */
        dir: z.string().min(1).default('data'),
      })
      .strict()
      .prefault({}),
    metadata: z
      .object({
        /** sqlite:<path> (relative to data.dir; default) or postgres://… */
        url: z.string().min(1).default('sqlite:kaleido.db'),
      })
      .strict()
      .prefault({}),
    artifacts: z
      .object({
        /** file:<path> (relative to data.dir; default). */
        url: z.string().min(1).default('file:artifacts'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: logLevel.default('info'),
      })
      .strict()
      .prefault({}),
    analysis: z
      .object({
        /**
         * Modalities /v1/analyze serves. Their models load once at start (the image models take
         * seconds), so a deployment that never sees images can leave them out.
         */
        modalities: z
          .array(z.enum(['text', 'image', 'audio', 'video']))
          .default(['text', 'image', 'audio', 'video']),
      })
      .strict()
      .prefault({}),
    // ---- security edge (auth wiring): authentication, rate limits, CORS ----
    auth: z
      .object({
        /**
         * required (default): every route but liveness/readiness (and the web UI's static files)
         * needs a credential. open-inference: inference and model-metadata reads are also open to
         * anonymous callers (local demos; a loud warning is logged). disabled: no authentication,
         * no rate limits, no security headers at all — tests and local experiments only.
         */
        mode: z.enum(['required', 'open-inference', 'disabled']).default('required'),
        /**
         * A `kal_<12 hex>_<64 hex>` key installed as the system tenant's admin on start (env
         * KALEIDO_AUTH_ADMIN_KEY). Empty (default): on first start one is generated and printed
         * once to stderr.
         */
        adminKey: z
          .string()
          .default('')
          .refine((v) => v === '' || /^kal_[0-9a-f]{12}_[0-9a-f]{64}$/.test(v), {
            message: 'must be an API key of the form kal_<12 hex>_<64 hex>',
          }),
        /** Further routes (as registered, e.g. "/v2/models/:model/ready") that need no credential. */
        openRoutes: z.array(z.string().min(1)).default([]),
        /** Let Prometheus scrape /metrics without a credential (default false: read/deployment). */
        openMetrics: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({
        /** redis://… to share the buckets between replicas; empty (default): in process memory. */
        redisUrl: z.string().default(''),
        /**
         * Token buckets (requests per second, burst). Generous by default so that benchmarks and
         * normal clients never meet them; 0 for either number switches that limit off.
         */
        perIp: rateLimitPolicy(5000, 10_000),
        perPrincipal: rateLimitPolicy(2000, 4000),
        perTenant: rateLimitPolicy(5000, 10_000),
        /** When the limiter store (Redis) is down: true serves the request (logged), false answers 503. */
        failOpen: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    cors: z
      .object({
        /** Exact origins ("https://app.example.com") allowed to call the API from a browser; [] = CORS off. */
        allowedOrigins: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type KaleidoConfig = z.infer<typeof configSchema>;
/** What a YAML file, env or flags may say: any subset. */
export type KaleidoConfigInput = z.input<typeof configSchema>;
