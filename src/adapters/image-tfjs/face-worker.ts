/**
 * FaceEngine that runs {@link FaceApiFaces} in a worker thread of its own.
 *
 * face-api builds its networks in code (the package ships weight manifests without a topology),
 * so its nets cannot be repository models served by the tfjs runtime; what matters for latency is
 * that their ~1 s of tfjs work per photo leaves the event loop. The worker loads face-api with its
 * own tfjs + wasm backend, warms it up, and answers `detect` messages one at a time; the raster's
 * pixels are copied once into a buffer that is transferred (the caller keeps its raster).
 *
 * If the thread dies, pending calls reject with ERR_INTERNAL and the engine reports itself
 * unavailable with the reason; `close()` ends the thread.
 */
import type { Worker } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { EngineFace, FaceEngine, Raster } from '../../core/ports/image.js';
import type { FaceApiOptions } from './face-api-faces.js';
import { FaceApiFaces } from './face-api-faces.js';
import { fromWireError, PendingCalls, startSiblingWorker, type WireError } from '../worker-thread.js';

export type ToFaceWorker =
  { readonly type: 'detect'; readonly id: number; readonly image: Raster } | { readonly type: 'close' };
export type FromFaceWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'load-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly faces: EngineFace[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError };

export { toWireError as toWire, type WireError } from '../worker-thread.js';

function startWorker(options: FaceApiOptions): Worker {
  return startSiblingWorker(import.meta.url, 'face-worker-entry', { workerData: options });
}

export class WorkerFaceApiFaces implements FaceEngine {
  readonly name: string;
  readonly version: string;
  readonly model: string;
  private worker: Worker | undefined;
  private failure: string | undefined = 'not initialised';
  private loading: Promise<void> | undefined;
  private readonly pending = new PendingCalls<EngineFace[]>(() => this.worker);

  constructor(private readonly options: FaceApiOptions = {}) {
    // Same identity as the in-thread engine (validates the options too).
    const probe = new FaceApiFaces(options);
    this.name = probe.name;
    this.version = probe.version;
    this.model = probe.model;
  }

  init(): Promise<void> {
    this.loading ??= new Promise<void>((resolve, reject) => {
      let worker: Worker;
      try {
        worker = startWorker(this.options);
      } catch (e) {
        reject(
          new KaleidoError(
            'ERR_UNAVAILABLE',
            `face analyzer: cannot start a worker (${(e as Error).message})`,
          ),
        );
        return;
      }
      this.worker = worker;
      let started = false;
      worker.on('message', (msg: FromFaceWorker) => {
        switch (msg.type) {
          case 'ready':
            started = true;
            this.failure = undefined;
            worker.unref();
            resolve();
            break;
          case 'load-failed':
            this.failure = msg.error.message;
            reject(fromWireError(msg.error));
            void worker.terminate();
            break;
          case 'result':
            this.pending.resolve(msg.id, msg.faces);
            break;
          case 'failed':
            this.pending.reject(msg.id, fromWireError(msg.error));
            break;
        }
      });
      const die = (reason: string) => {
        if (this.failure === undefined || !started) this.failure = `face worker ${reason}`;
        this.pending.rejectAll(new KaleidoError('ERR_INTERNAL', `face analyzer worker ${reason}`));
        if (!started) reject(new KaleidoError('ERR_UNAVAILABLE', `face analyzer: its worker ${reason}`));
      };
      worker.on('error', (e) => die(`failed: ${e.message}`));
      worker.on('exit', (code) => die(`exited with code ${code}`));
    }).catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  status(): AnalyzerStatus {
    return this.failure === undefined ? { available: true } : { available: false, reason: this.failure };
  }

  detect(image: Raster): Promise<EngineFace[]> {
    const worker = this.worker;
    if (worker === undefined || this.failure !== undefined) {
      return Promise.reject(
        new KaleidoError('ERR_UNAVAILABLE', `face analyzer is not available: ${this.failure ?? ''}`),
      );
    }
    const { id, result } = this.pending.open();
    const data = image.data.slice();
    worker.postMessage({ type: 'detect', id, image: { ...image, data } } satisfies ToFaceWorker, [
      data.buffer as ArrayBuffer,
    ]);
    return result;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.loading = undefined;
    this.failure = 'closed';
    this.pending.rejectAll(new KaleidoError('ERR_UNAVAILABLE', 'face analyzer closed'));
    if (worker) await worker.terminate();
  }
}
