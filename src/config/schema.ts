/**
 * The server configuration: one schema, validated once at start, frozen and injected.
 * Sources, lowest to highest precedence: defaults ← YAML file ← KALEIDO_* env ← CLI flags.
 * Units are in the names (…Ms, …Bytes).
 */
import { z } from 'zod';
import { bundledModelsDir } from './paths.js';

const port = z.number().int().min(0).max(65535);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

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
  })
  .strict();

export type KaleidoConfig = z.infer<typeof configSchema>;
/** What a YAML file, env or flags may say: any subset. */
export type KaleidoConfigInput = z.input<typeof configSchema>;
