/**
 * What every adapter that runs work in a worker thread shares: starting the entry module that sits
 * beside the calling module, compiled or from TypeScript sources, and carrying errors across the
 * thread boundary with their catalog codes.
 *
 * From TypeScript sources (tsx, Vitest) Node 20 cannot load a `.ts` worker entry by itself, and
 * neither `--import tsx` in the worker's execArgv nor tsx's loader entry registers hooks in a worker
 * thread; tsx's ESM API `register()` does. So a small eval'd bootstrap registers tsx and then
 * imports the entry. Compiled builds start the `.js` entry directly.
 */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { ErrorCatalog, KaleidoError, toKaleidoError, type ErrorCode } from '../core/errors.js';

/**
 * The file URL of tsx's ESM API (`tsx/esm/api`, import condition), read from tsx's package.json
 * exports: `require.resolve('tsx/esm/api')` would pick the CommonJS build, whose `register()`
 * cannot be used here.
 */
export function tsxEsmApiUrl(): string {
  try {
    const require = createRequire(import.meta.url);
    const manifestPath = require.resolve('tsx/package.json');
    const manifest = require(manifestPath) as {
      exports?: Record<string, string | { import?: string | { default?: string } }>;
    };
    const entry = manifest.exports?.['./esm/api'];
    const target = typeof entry === 'object' ? entry.import : undefined;
    const relative = typeof target === 'object' ? target.default : target;
    if (!relative) throw new Error('tsx/package.json does not export ./esm/api for import');
    return new URL(relative, pathToFileURL(manifestPath)).href;
  } catch (e) {
    throw new KaleidoError(
      'ERR_INTERNAL',
      `running a worker thread from TypeScript sources needs tsx (${(e as Error).message})`,
      { cause: e },
    );
  }
}

/** The bootstrap that registers tsx in a worker thread, then imports `entryUrl`. */
export const tsxBootstrap = (entryUrl: string, api: string = tsxEsmApiUrl()): string =>
  `import(${JSON.stringify(api)}).then(({ register }) => { register(); ` +
  `return import(${JSON.stringify(entryUrl)}); });`;

/**
 * Starts the worker entry `<entryName>.js` (or `.ts` under tsx) that sits beside the module at
 * `moduleUrl` (pass `import.meta.url`).
 */
export function startSiblingWorker(
  moduleUrl: string,
  entryName: string,
  options: WorkerOptions = {},
): Worker {
  const ext = extname(new URL(moduleUrl).pathname);
  const url = new URL(`./${entryName}${ext}`, moduleUrl);
  if (ext === '.ts' || ext === '.mts') return new Worker(tsxBootstrap(url.href), { ...options, eval: true });
  return new Worker(url, options);
}

/** A KaleidoError as it crosses a thread boundary. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly retryAfterSeconds?: number;
  /** The underlying error (e.g. the engine's own message), kept for the server log. */
  readonly cause?: { readonly name: string; readonly message: string; readonly stack?: string };
}

function describeCause(cause: unknown): WireError['cause'] {
  if (cause instanceof Error) {
    return { name: cause.name, message: cause.message, ...(cause.stack ? { stack: cause.stack } : {}) };
  }
  return { name: 'Error', message: String(cause) };
}

/** Details that survive postMessage, or none (a detail holding a function must not fail the answer). */
function cloneableDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (details === undefined) return undefined;
  try {
    return structuredClone(details);
  } catch {
    return undefined;
  }
}

/** Serialises any thrown value for postMessage; non-KaleidoErrors become ERR_INTERNAL. */
export function toWireError(e: unknown): WireError {
  const k = toKaleidoError(e);
  const details = cloneableDetails(k.details);
  return {
    code: k.code,
    message: k.message,
    ...(details !== undefined ? { details } : {}),
    ...(k.retryAfterSeconds !== undefined ? { retryAfterSeconds: k.retryAfterSeconds } : {}),
    ...(k.cause !== undefined ? { cause: describeCause(k.cause) } : {}),
  };
}

/** Rebuilds a KaleidoError from its wire form; a code unknown to this build becomes ERR_INTERNAL. */
export function fromWireError(w: WireError): KaleidoError {
  const code: ErrorCode = Object.hasOwn(ErrorCatalog, w.code) ? (w.code as ErrorCode) : 'ERR_INTERNAL';
  let cause: Error | undefined;
  if (w.cause) {
    cause = new Error(w.cause.message);
    cause.name = w.cause.name;
    if (w.cause.stack !== undefined) cause.stack = w.cause.stack;
  }
  return new KaleidoError(code, w.message, {
    ...(w.details !== undefined ? { details: w.details } : {}),
    ...(w.retryAfterSeconds !== undefined ? { retryAfterSeconds: w.retryAfterSeconds } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * The calls in flight to one worker: ids, their promises, and the worker's ref count. While a call
 * is pending the worker is ref'd (the process waits for the answer); once none is, it is unref'd so
 * an idle worker never keeps the process alive.
 */
export class PendingCalls<T> {
  private readonly calls = new Map<number, { resolve: (value: T) => void; reject: (e: unknown) => void }>();
  private nextId = 1;

  constructor(private readonly worker: () => Worker | undefined) {}

  /** A new call: its id (to post with the request) and the promise its answer settles. */
  open(): { readonly id: number; readonly result: Promise<T> } {
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => this.calls.set(id, { resolve, reject }));
    this.worker()?.ref();
    return { id, result };
  }

  resolve(id: number, value: T): void {
    this.take(id)?.resolve(value);
  }

  reject(id: number, error: unknown): void {
    this.take(id)?.reject(error);
  }

  /** Fails every call in flight (the worker died or is closing). */
  rejectAll(error: unknown): void {
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
    this.worker()?.unref();
  }

  private take(id: number) {
    const call = this.calls.get(id);
    this.calls.delete(id);
    if (this.calls.size === 0) this.worker()?.unref();
    return call;
  }
}
