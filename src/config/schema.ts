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
        // ---- TLS (security part B) ----
        /**
         * HTTPS for REST and the web UI, TLS for gRPC, with one certificate. On when `certFile` is set
         * or `selfSigned` is true. `selfSigned` (development only) generates a certificate for
         * localhost/127.0.0.1/::1 into <data.dir>/tls/ once and reuses it. `hsts`: send
         * Strict-Transport-Security while TLS is on (server.hsts sends it regardless, for proxies).
         */
        tls: z
          .object({
            certFile: z.string().default(''),
            keyFile: z.string().default(''),
            /** CA bundle that issued certFile (sent as the chain); optional. */
            caFile: z.string().default(''),
            /**
             * Mutual TLS: a CA bundle (PEM). When set, HTTPS and gRPC require a client certificate
             * issued by it, verified in the handshake, before any request is read; API keys, JWTs
             * and sessions are still checked on top. Health probes then need a certificate too.
             */
            clientCaFile: z.string().default(''),
            selfSigned: z.boolean().default(false),
            hsts: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
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
        /**
         * Further directories of moderation policies (YAML, docs/safety-policies.md), loaded after
         * the package's own `policies/`: per-tenant, per-route and per-pipeline policies of this
         * installation. A scope claimed twice, or a bad policy, stops the start naming the file.
         */
        policyDirs: z.array(z.string().min(1)).default([]),
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
        /**
         * Bearer JWTs from an OIDC/OAuth issuer, verified with `jose`. Off while `issuer` is empty.
         * Give one key source: jwksUrl (fetched with a timeout, cached, refetched at most once per
         * cooldown for an unknown kid), jwksFile, or keys (inline JWKs, YAML only); or a secret for HS*.
         */
        jwt: z
          .object({
            issuer: z.string().default(''),
            /** Accepted `aud` values (any one must match). */
            audience: z.array(z.string().min(1)).default([]),
            jwksUrl: z.string().default(''),
            jwksFile: z.string().default(''),
            keys: z.array(z.record(z.string(), z.unknown())).default([]),
            /** HS256/384/512 shared secret (≥ 32 bytes); HS* algorithms are refused without it. */
            secret: z.string().default(''),
            /** Allow-list; "none" is never accepted. */
            algorithms: z.array(z.string().min(1)).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
            clockToleranceSec: z.number().min(0).max(600).default(30),
            jwksTimeoutMs: z.number().int().min(100).default(5000),
            jwksCacheMaxAgeSec: z.number().min(1).default(600),
            jwksCooldownSec: z.number().min(0).default(30),
            /** Claim names: tenant id, role(s) (string or array), scopes (space-separated or array). */
            tenantClaim: z.string().min(1).default('tenant'),
            roleClaim: z.string().min(1).default('roles'),
            scopeClaim: z.string().min(1).default('scope'),
            /** Tenant of tokens without the tenant claim; empty: such tokens are refused. */
            defaultTenant: z.string().default(''),
          })
          .strict()
          .prefault({}),
        /** Console sign-in: users with passwords or an API key → server-side session cookie. */
        sessions: z
          .object({
            enabled: z.boolean().default(true),
            /** Session cookie Secure attribute (browsers accept it on http://localhost too). */
            secureCookie: z.boolean().default(true),
            absoluteTtlSec: z.number().int().min(60).default(28_800),
            idleTtlSec: z.number().int().min(60).default(1800),
            /** Failed sign-ins before backoff starts, per username and per address. */
            freeFailuresPerUsername: z.number().int().min(1).default(5),
            freeFailuresPerIp: z.number().int().min(1).default(20),
            /** First backoff (doubling per further failure) and its cap, in seconds. */
            backoffBaseSec: z.number().min(0.1).default(1),
            backoffMaxSec: z.number().min(1).default(900),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({
        /** redis://… to share the buckets and the failed sign-in counts between replicas; empty (default): in process memory. */
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
    // ---- encryption at rest (security part B) ----
    security: z
      .object({
        encryption: z
          .object({
            /**
             * On (default): artifacts under `sensitivePrefixes` are stored with envelope encryption.
             * Without configured keys a key is generated into <data.dir>/keys on first start (0600).
             */
            enabled: z.boolean().default(true),
            /**
             * Key-encryption keys: "id:<base64 of 32 bytes>" or "id:env:VARIABLE" (the key is read
             * from that environment variable), or { id, key } / { id, env } in a config file.
             */
            keys: z
              .array(
                z.union([
                  z.string().min(1),
                  z
                    .object({
                      id: z.string().min(1),
                      key: z.string().min(1).optional(),
                      env: z.string().min(1).optional(),
                    })
                    .strict(),
                ]),
              )
              .default([]),
            /** The KEK new writes use; empty = the only configured key (or the generated one). */
            activeKeyId: z.string().default(''),
            /**
             * Artifact key prefixes stored encrypted: data set blobs and manifests (the system
             * tenant's under datasets/, other tenants' under tenants/<id>/), training data,
             * checkpoints and trained heads (training/).
             */
            sensitivePrefixes: z.array(z.string().min(1)).default(['datasets/', 'training/', 'tenants/']),
          })
          .strict()
          .prefault({}),
        modelSigning: z
          .object({
            /**
             * PEM files of trusted publishers' Ed25519 public keys. When set, pointing one of
             * `requiredAliases` at a registry version needs a valid signature of the version's
             * recorded SHA-256 in its tag `kaleido.signature` (`kaleido registry sign`).
             */
            publicKeyFiles: z.array(z.string().min(1)).default([]),
            /** Aliases that count as a promotion ("*" = every alias). */
            requiredAliases: z.array(z.string().min(1)).default(['champion']),
          })
          .strict()
          .prefault({}),
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
