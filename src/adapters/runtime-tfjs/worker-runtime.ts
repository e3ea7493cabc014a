/**
 * InferenceRuntime that runs every TensorFlow.js model instance in a worker thread of its own.
 *
 * Why: tfjs on the wasm backend computes on the calling JavaScript thread; in the main thread an
 * inference of a few hundred milliseconds blocks HTTP/gRPC I/O and every other analyzer for its
 * duration, and the instances of a model cannot run side by side. Here each `load()` starts one
 * `worker_threads` Worker that initialises its own tfjs + wasm backend, loads the model with the
 * in-thread {@link loadTfjsSession} (so validation and error mapping are the same) and answers
 * `run` messages one at a time. The main thread only posts tensors and awaits the answer.
 *
 * Protocol: `{type:'run', id, inputs, outputNames}` → `{type:'result', id, outputs}` or
 * `{type:'failed', id, error}`; errors cross as `{code, message, details}` and are rebuilt as
 * KaleidoErrors with the same code. Inputs are copied once into exact-size buffers that are
 * transferred (never the caller's buffer: a view into a request body would otherwise drag the
 * whole body along); outputs are transferred back without a copy.
 *
 * Lifetime: the worker is ref'd while it loads or has runs pending, and unref'd while idle, so an
 * idle loaded model does not keep the process alive. `close()` lets runs already posted finish,
 * then terminates the thread (tfjs-wasm holds no native resources whose teardown could abort the
 * process, unlike onnxruntime-node). If the thread dies, pending runs reject with ERR_INTERNAL and
 * later ones with ERR_MODEL_NOT_READY.
 */
import type { Worker } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type { InferenceRuntime, RuntimeLoadOptions, RuntimeSession } from '../../core/ports/runtime.js';
import type { Tensor, TensorData, TensorMetadata } from '../../core/tensor.js';
import { fromWireError, startSiblingWorker, type WireError } from '../worker-thread.js';
import { labelOf, TFJS_BACKEND, TFJS_MODEL_FILENAME, TFJS_PLATFORM } from './tfjs-runtime.js';

export {
  fromWireError as deserializeError,
  toWireError as serializeError,
  type WireError,
} from '../worker-thread.js';

export type ToTfjsWorker =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly inputs: readonly Tensor[];
      readonly outputNames: readonly string[];
    }
  | { readonly type: 'close' };

export type FromTfjsWorker =
  | {
      readonly type: 'ready';
      readonly inputs: readonly TensorMetadata[];
      readonly outputs: readonly TensorMetadata[];
      readonly metadata: Readonly<Record<string, string>>;
    }
  | { readonly type: 'load-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly outputs: readonly Tensor[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'closed' };

export interface TfjsWorkerData {
  readonly modelPath: string;
}

/**
 * Prepares tensors for postMessage. `owned` true (the worker's fresh outputs): buffers are moved.
 * Otherwise every typed array is copied once into an exact-size buffer, which is then moved.
 */
export function encodeTensors(
  tensors: readonly Tensor[],
  owned: boolean,
): { tensors: Tensor[]; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const wire = tensors.map((t): Tensor => {
    let data: TensorData = t.data;
    if (ArrayBuffer.isView(data)) {
      const view = data as Exclude<TensorData, Uint8Array[]>;
      const whole =
        view.buffer instanceof ArrayBuffer &&
        view.byteOffset === 0 &&
        view.byteLength === view.buffer.byteLength &&
        !Buffer.isBuffer(view);
      if (!(owned && whole)) data = view.slice() as typeof view;
      const b = (data as Exclude<TensorData, Uint8Array[]>).buffer;
      if (b instanceof ArrayBuffer && b.byteLength > 0) transfer.add(b);
    }
    return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
  });
  return { tensors: wire, transfer: [...transfer] };
}

function startWorker(workerData: TfjsWorkerData): Worker {
  return startSiblingWorker(import.meta.url, 'session-worker', { workerData });
}

interface Pending {
  resolve(outputs: Tensor[]): void;
  reject(e: unknown): void;
}

let liveWorkers = 0;
/** Worker threads started by this runtime and not yet exited (for leak tests). */
export const liveTfjsWorkers = (): number => liveWorkers;

export class TfjsWorkerSession implements RuntimeSession {
  private state: 'loading' | 'ready' | 'closing' | 'closed' | 'dead' = 'loading';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private signature: Extract<FromTfjsWorker, { type: 'ready' }> | undefined;
  private refed = true;
  private deathReason = '';
  private onClosed: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  readonly started: Promise<void>;
  private readonly exited: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly label: string,
  ) {
    liveWorkers++;
    let settle!: { resolve: () => void; reject: (e: unknown) => void };
    this.started = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    this.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (msg: FromTfjsWorker) => {
      switch (msg.type) {
        case 'ready':
          this.signature = msg;
          this.state = 'ready';
          this.updateRef();
          settle.resolve();
          break;
        case 'load-failed':
          this.state = 'dead';
          this.deathReason = 'it failed to load';
          settle.reject(fromWireError(msg.error));
          void this.worker.terminate();
          break;
        case 'result':
          this.take(msg.id)?.resolve(msg.outputs as Tensor[]);
          break;
        case 'failed':
          this.take(msg.id)?.reject(fromWireError(msg.error));
          break;
        case 'closed':
          this.onClosed?.();
          break;
      }
    });
    worker.on('error', (e) => this.die(`it failed: ${e.message}`, settle.reject));
    worker.on('exit', (code) => {
      liveWorkers--;
      this.die(`it exited with code ${code}`, settle.reject);
    });
  }

  get inputs(): readonly TensorMetadata[] {
    return this.signature?.inputs ?? [];
  }
  get outputs(): readonly TensorMetadata[] {
    return this.signature?.outputs ?? [];
  }
  get metadata(): Readonly<Record<string, string>> {
    return this.signature?.metadata ?? {};
  }
  get threadId(): number {
    return this.worker.threadId;
  }

  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.state !== 'ready') {
      return Promise.reject(
        new KaleidoError(
          'ERR_MODEL_NOT_READY',
          this.state === 'dead'
            ? `model instance ${this.label} is not running (${this.deathReason})`
            : `model ${this.label} has been unloaded`,
        ),
      );
    }
    let encoded: ReturnType<typeof encodeTensors>;
    try {
      encoded = encodeTensors(inputs, false);
    } catch (e) {
      return Promise.reject(
        new KaleidoError('ERR_DATATYPE_MISMATCH', `model ${this.label}: input data must be typed arrays`, {
          cause: e,
        }),
      );
    }
    const id = this.nextId++;
    const result = new Promise<Tensor[]>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.updateRef();
    try {
      this.worker.postMessage(
        { type: 'run', id, inputs: encoded.tensors, outputNames: [...outputNames] } satisfies ToTfjsWorker,
        encoded.transfer,
      );
    } catch (e) {
      this.take(id);
      return Promise.reject(
        new KaleidoError('ERR_DATATYPE_MISMATCH', `model ${this.label}: input data must be typed arrays`, {
          cause: e,
        }),
      );
    }
    return result;
  }

  /** Runs already posted finish (up to `timeoutMs`), then the thread ends. */
  close(timeoutMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      if (this.state === 'ready') {
        this.state = 'closing';
        const acked = new Promise<void>((resolve) => (this.onClosed = resolve));
        this.worker.ref();
        this.worker.postMessage({ type: 'close' } satisfies ToTfjsWorker);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          acked,
          this.exited,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ]);
        clearTimeout(timer);
      }
      if (this.state !== 'dead') this.state = 'closed';
      this.failPending('it was closed');
      await this.worker.terminate();
      await this.exited;
    })();
    return this.closing;
  }

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    this.updateRef();
    return p;
  }

  private die(reason: string, rejectStart: (e: unknown) => void): void {
    if (this.state === 'loading') {
      rejectStart(
        new KaleidoError(
          'ERR_MODEL_LOAD_FAILED',
          `cannot load tfjs model ${this.label}: its worker ${reason}`,
          {
            details: { reason },
          },
        ),
      );
    }
    if (this.state === 'closed' || this.state === 'dead') return;
    this.state = 'dead';
    this.deathReason = reason;
    this.failPending(reason);
  }

  private failPending(reason: string): void {
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const r of runs) {
      r.reject(
        new KaleidoError('ERR_INTERNAL', `model instance ${this.label} ended while running: ${reason}`, {
          details: { reason },
        }),
      );
    }
    this.updateRef();
  }

  private updateRef(): void {
    const busy = this.state === 'loading' || this.state === 'closing' || this.pending.size > 0;
    if (busy === this.refed) return;
    this.refed = busy;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }
}

/**
 * The tfjs backend with one worker thread per model instance (backend "tfjs", platform "tfjs",
 * file model.json). Each thread holds its own tfjs + wasm heap (a few tens of MB plus the weights).
 */
export class WorkerTfjsRuntime implements InferenceRuntime {
  readonly backend = TFJS_BACKEND;
  readonly platform = TFJS_PLATFORM;
  readonly defaultModelFilename = TFJS_MODEL_FILENAME;

  async load(modelPath: string, _options: RuntimeLoadOptions): Promise<RuntimeSession> {
    let worker: Worker;
    try {
      worker = startWorker({ modelPath });
    } catch (e) {
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `cannot load tfjs model ${labelOf(modelPath)}: cannot start a worker (${(e as Error).message})`,
        { details: { path: modelPath }, cause: e },
      );
    }
    const session = new TfjsWorkerSession(worker, labelOf(modelPath));
    await session.started;
    return session;
  }
}
