/**
 * Starting a real Kaleido for conformance and e2e tests: in this process (startKaleido, the same
 * composition root as production, on free ports), or as a child process through the real CLI.
 * Both use the fixture repository (models/fixtures) and a fresh temporary data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { startKaleido, type RunningKaleido } from '../../src/main.js';

/** The repository root (where package.json and models/fixtures live). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_REPOSITORY = join(REPO_ROOT, 'models', 'fixtures');
/** The models that ship with Kaleido (spam_classifier, which /v1/analyze's text/spam step serves). */
export const BUNDLED_REPOSITORY = join(REPO_ROOT, 'models', 'bundled');

export interface TestServer {
  readonly httpUrl: string;
  /** host:port of the gRPC server. */
  readonly grpcTarget: string;
  readonly running: RunningKaleido;
  /** Graceful close, then removes the data directory. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Models to load at start; default every model of the fixture repository. */
  readonly startupModels?: readonly string[];
  /** Further config overrides (dotted path → string), e.g. `server.maxBodyBytes`. */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Model repositories to serve; default the fixture repository only. */
  readonly repositories?: readonly string[];
  /**
   * Authentication. By default test servers start with `auth.mode=disabled`: the conformance,
   * e2e and CLI suites test other things and stay auth-agnostic. Security tests pass this to run
   * the real edge with a known bootstrap admin key (`auth.adminKey`).
   */
  readonly auth?: {
    readonly mode?: 'required' | 'open-inference';
    /**
     * Installed as the system tenant's admin key; default TEST_ADMIN_KEY. '' = none configured:
     * the server generates one and hands it to `onAdminKey` (the first-start path).
     */
    readonly adminKey?: string;
    /** Receives a generated admin key (instead of the stderr banner). */
    readonly onAdminKey?: (key: string) => void;
  };
}

/** A well-formed admin key for security tests (never valid anywhere but a test server). */
export const TEST_ADMIN_KEY = `kal_0123456789ab_${'5ec0'.repeat(16)}`;

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kaleido-test-'));
  const config = loadConfig({
    overrides: {
      'server.httpPort': '0',
      'server.grpcPort': '0',
      'server.host': '127.0.0.1',
      'models.repositories': (options.repositories ?? [FIXTURE_REPOSITORY]).join(','),
      'data.dir': dataDir,
      'log.level': 'silent',
      // In-thread sessions start in a fraction of the time of worker threads under tsx; suites
      // that must exercise the production default (worker) pass it in `overrides`.
      'models.runtimeIsolation': 'inline',
      ...(options.auth
        ? {
            'auth.mode': options.auth.mode ?? 'required',
            'auth.adminKey': options.auth.adminKey ?? TEST_ADMIN_KEY,
          }
        : { 'auth.mode': 'disabled' }),
      ...(options.startupModels ? { 'models.startup': options.startupModels.join(',') } : {}),
      ...options.overrides,
    },
  });
  let running: RunningKaleido;
  try {
    running = await startKaleido(config, {
      logger: pino({ level: 'silent' }),
      ...(options.auth?.onAdminKey ? { announceAdminKey: options.auth.onAdminKey } : {}),
    });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  if (running.grpcPort === undefined) throw new Error('the test server started without gRPC');
  return {
    httpUrl: running.httpUrl,
    grpcTarget: `127.0.0.1:${running.grpcPort}`,
    running,
    async close() {
      try {
        await running.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export interface CliServer {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly dataDir: string;
  /** Every line the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

/**
 * Spawns `kaleido serve` (src/cli/main.ts under tsx) on free ports and resolves once it logs where
 * it listens. The URL comes from the "kaleido listening" log line, so no port is ever guessed.
 */
export async function spawnCliServer(args: readonly string[], timeoutMs = 30_000): Promise<CliServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kaleido-cli-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'src', 'cli', 'main.ts'),
      'serve',
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      '--model-repository',
      FIXTURE_REPOSITORY,
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      ...args,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  let text = '';
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kaleido serve did not start in ${timeoutMs} ms:\n${text}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      for (const line of text.split('\n')) {
        if (!line.includes('kaleido listening')) continue;
        try {
          const entry = JSON.parse(line) as { http?: string };
          if (entry.http) {
            clearTimeout(timer);
            resolve(entry.http);
          }
        } catch {
          // a partial line: wait for the rest
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`kaleido serve exited (${code}) before listening:\n${text}`));
    });
  });
  return { child, httpUrl, dataDir, output: () => text, exited };
}

/** Polls `url` until it answers 200 or `timeoutMs` passes. */
export async function waitFor200(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
