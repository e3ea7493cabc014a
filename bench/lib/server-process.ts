/**
 * Starts bench/server-child.ts in a child process and talks to its control plane: model reloads
 * with a run-time config (the model_repository extension) and shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';

export interface ServerHandle {
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly pid: number;
  /** Reloads `model` with a Triton-style config (POST /v2/repository/models/{m}/load). */
  reload(model: string, config: TritonModelConfig): Promise<void>;
  stop(): Promise<void>;
}

/** The subset of a Triton model config the bench varies (the rest is copied from the repository). */
export interface TritonModelConfig {
  readonly name: string;
  readonly max_batch_size: number;
  readonly dynamic_batching?: {
    preferred_batch_sizes?: number[];
    max_queue_delay_ms?: number;
    max_queue_size?: number;
  };
  readonly instance_group?: { count: number };
  readonly parameters?: Record<string, string>;
  readonly [key: string]: unknown;
}

/** What a run varies in a model's serving config. */
export interface ServingVariant {
  /** Undefined: no dynamic_batching section (each request runs alone). */
  readonly batching?: { preferred: number[]; maxQueueDelayMs: number; maxQueueSize: number };
  readonly instances: number;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
}

export const describeVariant = (v: ServingVariant): string =>
  [
    v.batching
      ? `batching pref=[${v.batching.preferred.join(',')}] delay=${v.batching.maxQueueDelayMs}ms queue=${v.batching.maxQueueSize}`
      : 'batching off',
    `instances=${v.instances}`,
    `intra=${v.intraOpThreads}`,
    `inter=${v.interOpThreads}`,
  ].join(', ');

export function readModelConfig(repository: string, model: string): TritonModelConfig {
  return JSON.parse(readFileSync(join(repository, model, 'config.json'), 'utf8')) as TritonModelConfig;
}

/** The repository config of a model with the variant's batching, instance and thread settings. */
export function applyVariant(base: TritonModelConfig, v: ServingVariant): TritonModelConfig {
  const { dynamic_batching: _dropped, ...rest } = base;
  void _dropped;
  return {
    ...rest,
    ...(v.batching
      ? {
          dynamic_batching: {
            preferred_batch_sizes: v.batching.preferred,
            max_queue_delay_ms: v.batching.maxQueueDelayMs,
            max_queue_size: v.batching.maxQueueSize,
          },
        }
      : {}),
    instance_group: { count: v.instances },
    parameters: {
      ...base.parameters,
      intra_op_thread_count: String(v.intraOpThreads),
      inter_op_thread_count: String(v.interOpThreads),
    },
  };
}

export interface StartServerOptions {
  readonly repository: string;
  readonly dataDir: string;
  readonly startupModels: readonly string[];
  /** Extra node flags for the child, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  readonly nodeFlags?: readonly string[];
  readonly startTimeoutMs?: number;
  /** More config overrides (dotted path → string), applied last. */
  readonly overrides?: Readonly<Record<string, string>>;
}

export async function startServer(opts: StartServerOptions): Promise<ServerHandle> {
  const overrides = {
    'server.host': '127.0.0.1',
    'server.httpPort': '0',
    'server.grpcPort': '0',
    'models.repositories': opts.repository,
    'models.startup': opts.startupModels.join(','),
    'data.dir': opts.dataDir,
    'metadata.url': 'sqlite::memory:',
    'log.level': 'error',
    // The bench measures serving, not the security edge: no credentials, no rate limits.
    'auth.mode': 'disabled',
    ...opts.overrides,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeFlags ?? []), '--import', 'tsx', 'bench/server-child.ts', JSON.stringify(overrides)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ httpPort: number; grpcPort: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the server child did not become ready in time')),
      opts.startTimeoutMs ?? 60_000,
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; httpPort: number; grpcPort: number };
        if (msg.ready) {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // not the ready line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server child exited during start (code ${String(code)})`));
    });
  });
  const httpUrl = `http://127.0.0.1:${ports.httpPort}`;
  return {
    httpUrl,
    httpPort: ports.httpPort,
    grpcPort: ports.grpcPort,
    pid: child.pid as number,
    async reload(model, config) {
      const res = await request(`${httpUrl}/v2/repository/models/${model}/load`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ parameters: { config: JSON.stringify(config) } }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`reload of ${model} failed: ${res.statusCode} ${text}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
