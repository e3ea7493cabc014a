/**
 * Locating and starting the training worker, from compiled JavaScript (dist) or TypeScript
 * sources (tsx, Vitest).
 *
 * Compiled: `training-worker.js` sits beside this module and Node starts it directly.
 * Sources: Node cannot run a ".ts" worker on its own, and on Node 20 `execArgv: ['--import', 'tsx']`
 * does not install tsx's hooks in a worker thread (tsx skips non-main threads there). tsx's ESM API
 * `register()` does work inside the thread, so a two-line bootstrap (eval'd CommonJS) registers
 * tsx and then imports the ".ts" entry. (The ONNX session worker solved the same problem the same
 * way; lifecycle code may not import adapters, hence this small copy of the idea.)
 */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type { TrainingWorkerData } from './protocol.js';

export interface TrainingWorkerEntry {
  readonly url: URL;
  /** CommonJS source run with `eval: true` instead of `url` (sources only). */
  readonly bootstrap?: string;
}

/** The file URL of `tsx/esm/api` (its ESM build, read from tsx's package.json exports). */
function tsxEsmApiUrl(): string {
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
      `running the training worker from TypeScript sources needs tsx (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
}

export function resolveTrainingWorkerEntry(moduleUrl: string = import.meta.url): TrainingWorkerEntry {
  const ext = extname(new URL(moduleUrl).pathname);
  const url = new URL(`./training-worker${ext}`, moduleUrl);
  if (ext === '.js' || ext === '.mjs') return { url };
  if (ext === '.ts' || ext === '.mts') {
    const api = JSON.stringify(tsxEsmApiUrl());
    const target = JSON.stringify(url.href);
    return {
      url,
      bootstrap: `import(${api}).then(({ register }) => { register(); return import(${target}); });`,
    };
  }
  throw new KaleidoError('ERR_INTERNAL', `cannot locate the training worker beside ${moduleUrl}`, {
    details: { moduleUrl },
  });
}

/** Starts a training worker thread (the default `createWorker` of TrainingJobs). */
export function startTrainingWorker(input: TrainingWorkerData, resourceLimits?: ResourceLimits): Worker {
  const { url, bootstrap } = resolveTrainingWorkerEntry();
  // Transferring detaches the whole underlying buffer: copy views of shared (pooled) buffers first.
  const own = (u: Uint8Array): Uint8Array =>
    u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? u : u.slice();
  const workerData: TrainingWorkerData = {
    ...input,
    data: own(input.data),
    checkpoint: input.checkpoint === null ? null : own(input.checkpoint),
  };
  const transferList = [workerData.data.buffer as ArrayBuffer];
  if (workerData.checkpoint) transferList.push(workerData.checkpoint.buffer as ArrayBuffer);
  const options = { workerData, transferList, ...(resourceLimits ? { resourceLimits } : {}) };
  return bootstrap !== undefined
    ? new Worker(bootstrap, { ...options, eval: true })
    : new Worker(url, options);
}
