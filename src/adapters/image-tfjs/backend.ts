/**
 * The one TensorFlow.js instance of the process, on the WebAssembly (SIMD) backend, shared by
 * Human, face-api and nsfwjs (all three `require('@tensorflow/tfjs')`, which resolves to the same
 * CommonJS module, so they share kernels, memory and this initialisation).
 *
 * Offline loading: without tfjs-node there is no `file://` model loader, and we do not want to
 * replace `globalThis.fetch` for the whole server, so a tfjs IO router is registered for
 * `file://` URLs that reads model.json and its weight shards from disk. The wasm binaries are read
 * from the installed package (never fetched from a CDN).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { KaleidoError } from '../../core/errors.js';

const require = createRequire(import.meta.url);

export type Tf = typeof tf;

/** Directory of an installed package (works when its package.json is not exported). */
export function packageDir(name: string, entryRelative?: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // `exports` hides package.json: walk up from the main entry to the package's own folder.
    const main = require.resolve(name);
    const marker = `node_modules/${name}/`;
    const at = main.lastIndexOf(marker);
    if (at < 0) throw new Error(`cannot locate the ${name} package directory`);
    const dir = main.slice(0, at + marker.length - 1);
    return entryRelative === undefined ? dir : join(dir, entryRelative);
  }
}

export function packageVersion(dir: string): string {
  return (require(join(dir, 'package.json')) as { version: string }).version;
}

/** A tfjs IO handler that reads a graph/layers model.json and its shards from a directory. */
export function fileModelHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Buffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) buffers.push(await readFile(join(dirname(modelJsonPath), p)));
          specs.push(...group.weights);
        }
        const all = Buffer.concat(buffers);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      });
    },
  };
}

export function fileUrl(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

let ready: Promise<Tf> | undefined;

/**
 * Initialises the wasm backend once per process (idempotent; concurrent callers share the
 * promise). Throws ERR_UNAVAILABLE with the reason when the backend cannot start.
 */
export function tfjsWasm(): Promise<Tf> {
  ready ??= (async () => {
    const wasmDir = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
    // usePlatformFetch=false: Emscripten reads the .wasm with fs; Node's fetch cannot read paths.
    setWasmPaths(`${wasmDir}/`, false);
    tf.io.registerLoadRouter((url) => {
      const u = Array.isArray(url) ? url[0] : url;
      // A router answers null for URLs it does not handle (the IORouter type omits that).
      return typeof u === 'string' && u.startsWith('file://')
        ? fileModelHandler(fileURLToPath(u))
        : (null as unknown as tf.io.IOHandler);
    });
    // Quiet: tfjs otherwise logs hints about tfjs-node to the console.
    tf.env().set('PROD', true);
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'wasm') {
      throw new Error(`the tfjs wasm backend did not start (backend is ${tf.getBackend()})`);
    }
    return tf;
  })().catch((e: unknown) => {
    ready = undefined;
    throw new KaleidoError('ERR_UNAVAILABLE', `TensorFlow.js wasm backend: ${(e as Error).message}`, {
      cause: e,
    });
  });
  return ready;
}

/** Runs calls one at a time: a model instance holds state between its kernels, and one at a time bounds memory. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
