/**
 * ImageEmbedder on MobileNetV2 (the nsfwjs weights, ImageNet-pretrained backbone): the output of
 * the global average pooling over the last 7×7×1280 feature map (`flatten_1` in the nsfwjs layers
 * model, just before its NSFW dense layers) — a 1280-d frozen embedding. The weights come from the
 * installed nsfwjs package (converted once to model.json + weights.bin in a cache directory); no
 * network. Preprocessing is nsfwjs' own: RGB / 255, bilinear resize (align corners) to 224×224.
 *
 * Two forms:
 * - `MobileNetV2Embedder` runs in the calling thread (tfjs wasm, about 0.1 s per image on one core);
 * - `WorkerImageEmbedder` runs the same code in a worker thread (embedder-worker.ts), so embedding a
 *   data set never blocks the server's event loop. Requests are served one batch at a time.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type * as tfTypes from '@tensorflow/tfjs';
import { KaleidoError } from '../../core/errors.js';
import type { Raster } from '../../core/ports/image.js';
import type { ImageEmbedder } from '../../core/ports/media-features.js';
import { startSiblingWorker } from '../worker-thread.js';
import { fileModelHandler, packageDir, packageVersion, Serial, tfjsWasm, type Tf } from './backend.js';

export const MOBILENET_EMBEDDING_NAME = 'nsfwjs-mobilenet_v2-gap';
export const MOBILENET_EMBEDDING_DIM = 1280;
const INPUT_SIZE = 224;
const LAYER = 'flatten_1';
/** Images per forward pass: bounds the memory of one call (224×224×3 floats each). */
const BATCH = 16;

export interface MobileNetEmbedderOptions {
  /** Where the converted nsfwjs model lives (default: <os tmpdir>/kaleido-tfjs-cache). */
  readonly cacheDir?: string;
}

function nsfwjsVersion(): string {
  try {
    return packageVersion(packageDir('nsfwjs'));
  } catch {
    return 'unknown';
  }
}

interface EmbeddedModelJson {
  readonly modelTopology: unknown;
  readonly weightsManifest: ReadonlyArray<{ paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }>;
  readonly format?: string;
}

/**
 * nsfwjs ships its Keras model as base64 inside JS modules; convert it once into `dir` as
 * model.json + weights.bin (atomically: temporary names, weights renamed first). Kept here (not
 * shared with the NSFW classifier) so the embedder does not depend on how that one is loaded.
 */
async function nsfwjsModelJson(dir: string): Promise<string> {
  const modelPath = join(dir, 'model.json');
  const weightsPath = join(dir, 'weights.bin');
  const exists = (p: string): Promise<boolean> =>
    stat(p).then(
      (st) => st.isFile() && st.size > 0,
      () => false,
    );
  if ((await exists(modelPath)) && (await exists(weightsPath))) return modelPath;
  const require = createRequire(import.meta.url);
  const src = join(packageDir('nsfwjs'), 'dist', 'models', 'mobilenet_v2');
  const json = require(join(src, 'model.min.js')) as EmbeddedModelJson;
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const b64 = require(join(src, `${p}.min.js`)) as unknown;
      if (typeof b64 !== 'string') throw new Error(`nsfwjs weight bundle ${p} is not a base64 string`);
      parts.push(Buffer.from(b64, 'base64'));
    }
  }
  await mkdir(dir, { recursive: true });
  const tag = `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  await writeFile(`${weightsPath}.${tag}`, Buffer.concat(parts));
  await writeFile(
    `${modelPath}.${tag}`,
    JSON.stringify({
      format: json.format ?? 'layers-model',
      modelTopology: json.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }],
    }),
  );
  await rename(`${weightsPath}.${tag}`, weightsPath);
  await rename(`${modelPath}.${tag}`, modelPath);
  return modelPath;
}

function checkRasters(images: readonly Raster[]): void {
  for (const [i, r] of images.entries()) {
    if (r.channels !== 3 || r.data.length !== r.width * r.height * 3 || r.width < 1 || r.height < 1) {
      throw new KaleidoError('ERR_VALIDATION', `image ${i} is not a well-formed RGB raster`, {
        details: { index: i, width: r.width, height: r.height, channels: r.channels },
      });
    }
  }
}

export class MobileNetV2Embedder implements ImageEmbedder {
  readonly name = MOBILENET_EMBEDDING_NAME;
  readonly version = nsfwjsVersion();
  readonly dimensions = MOBILENET_EMBEDDING_DIM;
  private readonly cacheDir: string;
  private tf: Tf | undefined;
  private net: tfTypes.LayersModel | undefined;
  private loading: Promise<void> | undefined;
  private readonly serial = new Serial();

  constructor(options: MobileNetEmbedderOptions = {}) {
    this.cacheDir = options.cacheDir ?? join(tmpdir(), 'kaleido-tfjs-cache');
  }

  init(): Promise<void> {
    this.loading ??= this.load().catch((e: unknown) => {
      this.loading = undefined;
      throw e instanceof KaleidoError
        ? e
        : new KaleidoError('ERR_UNAVAILABLE', `image embedder: ${(e as Error).message}`, { cause: e });
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const tf = await tfjsWasm();
    const modelPath = await nsfwjsModelJson(
      join(this.cacheDir, `nsfwjs-${this.version}-mobilenet_v2-embedder`),
    );
    const full = await tf.loadLayersModel(fileModelHandler(modelPath));
    const layer = full.getLayer(LAYER);
    this.net = tf.model({ inputs: full.inputs, outputs: layer.output as tfTypes.SymbolicTensor });
    this.tf = tf;
    // Warm-up: the first call compiles kernels.
    tf.tidy(() => (this.net as tfTypes.LayersModel).predict(tf.zeros([1, INPUT_SIZE, INPUT_SIZE, 3])));
  }

  async embed(images: readonly Raster[]): Promise<Float32Array> {
    checkRasters(images);
    await this.init();
    const tf = this.tf as Tf;
    const net = this.net as tfTypes.LayersModel;
    return this.serial.run(() => {
      const out = new Float32Array(images.length * this.dimensions);
      for (let start = 0; start < images.length; start += BATCH) {
        const chunk = images.slice(start, start + BATCH);
        const values = tf.tidy(() => {
          const batch = tf.stack(
            chunk.map((r) =>
              tf.image.resizeBilinear(
                tf.tensor3d(r.data, [r.height, r.width, 3], 'int32').toFloat().div(255) as tfTypes.Tensor3D,
                [INPUT_SIZE, INPUT_SIZE],
                true,
              ),
            ),
          );
          return (net.predict(batch) as tfTypes.Tensor).dataSync() as Float32Array;
        });
        out.set(values, start * this.dimensions);
      }
      return Promise.resolve(out);
    });
  }

  close(): Promise<void> {
    this.net?.dispose();
    this.net = undefined;
    this.loading = undefined;
    return Promise.resolve();
  }
}

// ---- worker-thread form ----

/** Messages between WorkerImageEmbedder and embedder-worker.ts. */
type EmbedderRequestBody =
  | { readonly type: 'init' }
  | {
      readonly type: 'embed';
      readonly images: ReadonlyArray<{ data: Uint8Array; width: number; height: number }>;
    };
export type EmbedderRequest = EmbedderRequestBody & { readonly id: number };
export type EmbedderResponse =
  | { readonly id: number; readonly ok: true; readonly embeddings?: Float32Array }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/**
 * The worker beside this module: compiled `embedder-worker.js`, or from TypeScript sources the
 * `.ts` file through a tsx bootstrap (Node 20 does not run tsx's hooks in worker threads otherwise;
 * same approach as the ONNX session worker).
 */
function startEmbedderWorker(workerData: MobileNetEmbedderOptions): Worker {
  return startSiblingWorker(import.meta.url, 'embedder-worker', { workerData });
}

export class WorkerImageEmbedder implements ImageEmbedder {
  readonly name = MOBILENET_EMBEDDING_NAME;
  readonly version = nsfwjsVersion();
  readonly dimensions = MOBILENET_EMBEDDING_DIM;
  private readonly options: MobileNetEmbedderOptions;
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: EmbedderResponse) => void; reject: (e: unknown) => void }
  >();
  private ready: Promise<void> | undefined;

  constructor(options: MobileNetEmbedderOptions = {}) {
    this.options = options;
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = startEmbedderWorker({ ...this.options });
    worker.on('message', (m: EmbedderResponse) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      p.resolve(m);
      if (this.pending.size === 0) worker.unref();
    });
    const fail = (e: unknown): void => {
      this.worker = undefined;
      this.ready = undefined;
      const error = new KaleidoError(
        'ERR_UNAVAILABLE',
        `image embedder worker ended: ${(e as Error)?.message ?? String(e)}`,
        {
          cause: e,
        },
      );
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.worker === worker) fail(new Error(`exit code ${code}`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private async call(request: EmbedderRequestBody, transfer: ArrayBuffer[] = []): Promise<EmbedderResponse> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const response = new Promise<EmbedderResponse>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    worker.ref();
    worker.postMessage({ ...request, id }, transfer);
    const r = await response;
    if (!r.ok) throw new KaleidoError(r.code as 'ERR_UNAVAILABLE', r.message);
    return r;
  }

  init(): Promise<void> {
    this.ready ??= this.call({ type: 'init' }).then(
      () => undefined,
      (e: unknown) => {
        this.ready = undefined;
        throw e;
      },
    );
    return this.ready;
  }

  async embed(images: readonly Raster[]): Promise<Float32Array> {
    checkRasters(images);
    await this.init();
    const copies = images.map((r) => ({ data: r.data.slice(), width: r.width, height: r.height }));
    const r = await this.call(
      { type: 'embed', images: copies },
      copies.map((c) => c.data.buffer as ArrayBuffer),
    );
    return r.ok && r.embeddings !== undefined ? r.embeddings : new Float32Array(0);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
