/**
 * InferenceRuntime that runs every onnxruntime session in a worker thread of its own.
 *
 * Why: onnxruntime-node runs `session.run` synchronously on the calling JavaScript thread, so with
 * the in-thread {@link OnnxRuntime} every inference blocks HTTP/gRPC I/O for its duration, and the
 * instances of one model (instance_group.count) take turns instead of running in parallel. Here each
 * `load()` starts one `worker_threads` Worker that creates the session (with the in-thread runtime,
 * so validation and error mapping are the same) and serves `run` requests; the main thread only
 * posts tensors and awaits the answer.
 *
 * Protocol: one postMessage each way per run (structured clone, no JSON): `{type:'run', id, inputs,
 * outputNames}` → `{type:'result', id, outputs}` or `{type:'failed', id, error}`. Errors cross as
 * `{code, message, details, cause}` and are rebuilt as KaleidoErrors with the same code.
 *
 * Memory (the zero-copy rule):
 * - Outputs: the worker transfers each output's ArrayBuffer to the main thread (no copy); they are
 *   fresh buffers that only the worker's result referenced.
 * - Numeric inputs: structured clone would copy a view's *whole* backing buffer (a 20-byte subarray
 *   of a 10 MB HTTP body would copy 10 MB), so every input crosses as an exact-size copy (one
 *   `slice`) whose buffer is then transferred. With `inputs: 'transfer'` an input whose typed array
 *   is a plain typed array (not a Node Buffer) spanning its whole, non-shared ArrayBuffer is moved
 *   instead of copied: the caller's array is detached (length 0) after `run()`. Views into larger
 *   buffers, Node Buffers (pool slices, request bodies) and SharedArrayBuffers are always copied,
 *   since detaching them would pull memory from under code that still uses it.
 *   'copy' is the default because the RuntimeSession contract lets callers reuse their inputs
 *   (the model manager's warm-up runs one set of tensors on every instance); the copy costs
 *   about as much as a memcpy, small next to an inference.
 * - BYTES inputs and outputs are cloned; an element that is a view into a larger buffer is sliced
 *   first for the same reason as above.
 *
 * Lifetime: a worker is ref'd while it loads, runs or closes, and unref'd while idle, so an open
 * but idle session does not keep the process alive (as with the in-thread runtime) and nothing
 * that must finish is unref'd. If the worker dies (an uncaught error, out of memory, `abort()`),
 * its pending runs reject with ERR_INTERNAL and later runs with ERR_MODEL_NOT_READY.
 *
 * Never terminate a worker inside onnxruntime: `worker.terminate()` while a native run is in
 * progress aborts the whole process (onnxruntime-node 1.30 throws a C++ Napi::Error during the
 * thread's teardown: "terminate called after throwing an instance of 'Napi::Error'"). So the
 * worker counts its native calls in a shared Int32Array, and the main thread first forbids new
 * ones, then waits for the count to reach zero, and only then terminates the thread. Callers do
 * not wait for that: their runs are rejected at once.
 */
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type { InferenceRuntime, RuntimeLoadOptions, RuntimeSession } from '../../core/ports/runtime.js';
import type { Datatype, Tensor, TensorData, TensorMetadata } from '../../core/tensor.js';
import { fromWireError, tsxBootstrap, tsxEsmApiUrl, type WireError } from '../worker-thread.js';
import { checkThreads, labelOf } from './onnx-runtime.js';

// ---------------------------------------------------------------------------------------------
// Wire format shared with session-worker.ts
// ---------------------------------------------------------------------------------------------

/** A tensor as it crosses the thread boundary (`parameters` are dropped: ORT does not read them). */
export interface WireTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export {
  fromWireError as deserializeError,
  toWireError as serializeError,
  type WireError,
} from '../worker-thread.js';

/** `workerData` of a session worker. */
export interface SessionWorkerData {
  readonly modelPath: string;
  readonly options: RuntimeLoadOptions;
  /** Shared with the main thread; slots {@link CONTROL_ACTIVE} and {@link CONTROL_STOP}. */
  readonly control: Int32Array;
}

/**
 * Slot of the shared control array: how many onnxruntime native calls (load, run, release) the
 * worker is in or about to enter. The worker increments it *before* it reads
 * {@link CONTROL_STOP}, and the main thread sets CONTROL_STOP *before* it reads this, so one of
 * the two always sees the other (Atomics are sequentially consistent).
 */
export const CONTROL_ACTIVE = 0;
/** Slot of the shared control array: non-zero once the main thread wants no more native calls. */
export const CONTROL_STOP = 1;

/** A fresh control array for one session worker. */
export const createControl = (): Int32Array => new Int32Array(new SharedArrayBuffer(8));

/** Messages from the main thread to a session worker. */
export type ToSessionWorker =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly inputs: readonly WireTensor[];
      readonly outputNames: readonly string[];
    }
  | { readonly type: 'close' };

/** Messages from a session worker to the main thread. */
export type FromSessionWorker =
  | {
      readonly type: 'ready';
      readonly inputs: readonly TensorMetadata[];
      readonly outputs: readonly TensorMetadata[];
      readonly metadata: Readonly<Record<string, string>>;
    }
  | { readonly type: 'load-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly outputs: readonly WireTensor[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'closed' };

// ---------------------------------------------------------------------------------------------
// Zero-copy rule
// ---------------------------------------------------------------------------------------------

/** How numeric input buffers reach the worker; see the module comment. */
export type InputTransfer = 'copy' | 'transfer';

type TypedArray = Exclude<TensorData, Uint8Array[]>;
type TypedArrayClass = new (buffer: ArrayBuffer) => TypedArray;

/** Typed-array classes a Tensor may hold. Node's Buffer is a Uint8Array and copies as one. */
const TYPED_ARRAY_CLASSES: readonly TypedArrayClass[] = [
  Float32Array,
  Uint8Array,
  Int32Array,
  BigInt64Array,
  Float64Array,
  Uint16Array,
  Int8Array,
  Int16Array,
  Uint32Array,
  BigUint64Array,
];

const typedArrayClassOf = (view: ArrayBufferView): TypedArrayClass | undefined =>
  TYPED_ARRAY_CLASSES.find((C) => view instanceof C);

/**
 * True when moving `view`'s buffer to another thread cannot detach memory that anything else
 * uses: a plain typed array (not a Node Buffer, whose memory belongs to a pool or an I/O body)
 * spanning all of a non-shared ArrayBuffer.
 */
export function ownsWholeBuffer(view: ArrayBufferView): boolean {
  const buffer = view.buffer;
  return (
    buffer instanceof ArrayBuffer &&
    view.byteOffset === 0 &&
    view.byteLength === buffer.byteLength &&
    !Buffer.isBuffer(view)
  );
}

/** An exact-size copy of `view` in a fresh ArrayBuffer, as a plain typed array of the same kind. */
function copyOf<T extends ArrayBufferView>(view: T, Class: TypedArrayClass): TypedArray {
  // Empty views are not read: their buffer may be detached, which a Uint8Array over it rejects.
  if (view.byteLength === 0) return new Class(new ArrayBuffer(0));
  const bytes = new Uint8Array(view.byteLength);
  bytes.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return new Class(bytes.buffer);
}

/**
 * Prepares tensors for postMessage: returns the data to post and the buffers to transfer.
 * `mode` 'transfer' moves buffers that {@link ownsWholeBuffer}; everything else numeric is copied
 * once into a buffer that is then transferred. Data that is neither a typed array nor an array is
 * posted as it is (the session rejects it with ERR_DATATYPE_MISMATCH).
 *
 * Empty data is always replaced by a fresh empty array. That matters for a detached buffer (an
 * input already moved by an earlier run): Node accepts a detached buffer in a transfer list
 * without complaint, but the receiving thread then fails to deserialise the message and drops it,
 * so the run would never answer. A fresh empty array instead reaches the session, which rejects
 * it with ERR_SHAPE_MISMATCH (0 elements).
 */
export function encodeTensors(
  tensors: readonly Tensor[],
  mode: InputTransfer,
): { tensors: WireTensor[]; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const wire = tensors.map((t): WireTensor => {
    let data: TensorData = t.data;
    if (ArrayBuffer.isView(data)) {
      const Class = typedArrayClassOf(data);
      if (Class) {
        const movable = mode === 'transfer' && data.byteLength > 0 && ownsWholeBuffer(data);
        if (!movable) data = copyOf(data, Class);
        // Zero bytes: nothing to gain by moving, and the buffer may be detached (see above).
        if (data.byteLength > 0) transfer.add(data.buffer as ArrayBuffer);
      }
    } else if (Array.isArray(data)) {
      data = data.map((e: unknown) =>
        e instanceof Uint8Array && (e.byteLength === 0 || !ownsWholeBuffer(e))
          ? (copyOf(e, Uint8Array) as Uint8Array)
          : e,
      ) as Uint8Array[];
    }
    return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
  });
  return { tensors: wire, transfer: [...transfer] };
}

// ---------------------------------------------------------------------------------------------
// Locating the worker entry
// ---------------------------------------------------------------------------------------------

/** Where the session worker's code is, and how to start it. */
export interface SessionWorkerEntry {
  /** The worker module. */
  readonly url: URL;
  /**
   * When set, the Worker runs this CommonJS snippet (`eval: true`) instead of `url`; it prepares
   * the thread and then imports `url`.
   */
  readonly bootstrap?: string;
}

/**
 * Resolves the session worker next to the module at `moduleUrl`.
 * - Compiled (".js"/".mjs"): the compiled `session-worker.js` beside it, started directly.
 * - TypeScript sources (tsx, Vitest: ".ts"/".mts"): `session-worker.ts`, which Node cannot load on
 *   its own. On Node 20 neither `--import tsx` in the Worker's execArgv nor tsx's loader entry
 *   registers hooks in a worker thread (tsx skips non-main threads there), but its ESM API
 *   `register()` does; so a small bootstrap registers tsx and then imports the ".ts" entry.
 */
export function resolveSessionWorkerEntry(
  moduleUrl: string,
  resolveTsxApi: () => string = tsxEsmApiUrl,
): SessionWorkerEntry {
  const ext = extname(new URL(moduleUrl).pathname);
  const url = new URL(`./session-worker${ext}`, moduleUrl);
  if (ext === '.js' || ext === '.mjs') return { url };
  if (ext === '.ts' || ext === '.mts') {
    // An import failure rejects unhandled, which ends the worker with an 'error' event: the
    // session reports it as ERR_MODEL_LOAD_FAILED.
    return { url, bootstrap: tsxBootstrap(url.href, resolveTsxApi()) };
  }
  throw new KaleidoError('ERR_INTERNAL', `cannot locate the ONNX session worker beside ${moduleUrl}`, {
    details: { moduleUrl },
  });
}

// ---------------------------------------------------------------------------------------------
// Main-thread side
// ---------------------------------------------------------------------------------------------

let liveWorkers = 0;

/** Number of session worker threads started and not yet exited (for metrics and leak tests). */
export const liveSessionWorkers = (): number => liveWorkers;

export interface WorkerOnnxRuntimeOptions {
  /** How numeric inputs reach the worker (default 'copy'); see the module comment. */
  readonly inputs?: InputTransfer;
  /** How long close() waits for in-flight runs before it terminates the worker (default 30 s). */
  readonly closeTimeoutMs?: number;
}

interface PendingRun {
  readonly resolve: (outputs: Tensor[]) => void;
  readonly reject: (e: KaleidoError) => void;
}

type SessionState = 'loading' | 'ready' | 'closing' | 'closed' | 'dead';

/**
 * A RuntimeSession whose onnxruntime session lives in a worker thread. Runs may overlap: the
 * worker executes them one after another, in the order they were posted.
 *
 * Created by {@link WorkerOnnxRuntime.load}; the constructor takes any Worker that speaks the
 * session-worker protocol (tests use that to simulate crashes).
 */
export class WorkerSession implements RuntimeSession {
  private state: SessionState = 'loading';
  private signature: Extract<FromSessionWorker, { type: 'ready' }> | undefined;
  private readonly pending = new Map<number, PendingRun>();
  private nextId = 1;
  private refed = true;
  /** Set once close() or a crash has begun ending the thread: it stays ref'd until it exits. */
  private ending = false;
  private deathReason = '';
  private closing: Promise<void> | undefined;
  private onClosedAck: (() => void) | undefined;
  private settleStart!: { resolve: () => void; reject: (e: KaleidoError) => void };
  private startSettled = false;
  private loadError: KaleidoError | undefined;
  private hasExited = false;
  private threadEnd: Promise<void> | undefined;
  /** Settles once the worker is ready; rejects with the load error after the worker has exited. */
  readonly started: Promise<void>;
  /** Resolves with the exit code once the worker thread has exited. */
  readonly exited: Promise<number>;

  constructor(
    private readonly worker: Worker,
    private readonly label: string,
    private readonly inputMode: InputTransfer,
    private readonly closeTimeoutMs: number,
    /** The array passed to the worker as `workerData.control` (fake workers may ignore it). */
    private readonly control: Int32Array = createControl(),
  ) {
    this.started = new Promise((resolve, reject) => {
      this.settleStart = {
        resolve: () => {
          this.startSettled = true;
          resolve();
        },
        reject: (e) => {
          this.startSettled = true;
          reject(e);
        },
      };
    });
    liveWorkers++;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    void this.exited.then(() => {
      this.hasExited = true;
    });
    worker.on('message', (msg: FromSessionWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.die(`it threw ${err.name}: ${err.message}`, err));
    worker.on('messageerror', (err) => this.die('a message from it could not be deserialised', err));
    worker.on('exit', (code) => this.onExit(code));
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

  /** The worker's thread id, for logs. */
  get threadId(): number {
    return this.worker.threadId;
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.state !== 'ready') throw this.notReady();
    const { tensors, transfer } = encodeTensors(inputs, this.inputMode);
    const id = this.nextId++;
    const result = new Promise<Tensor[]>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.updateRef();
    const message: ToSessionWorker = { type: 'run', id, inputs: tensors, outputNames: [...outputNames] };
    try {
      this.worker.postMessage(message, transfer);
    } catch (e) {
      this.pending.delete(id);
      this.updateRef();
      // Serialisation failed before anything was transferred: the data holds something that is
      // neither a typed array nor an array of Uint8Array (functions, class instances …).
      throw new KaleidoError(
        'ERR_DATATYPE_MISMATCH',
        `model ${this.label}: input data must be typed arrays (or arrays of Uint8Array for BYTES)`,
        { details: { inputs: inputs.map((t) => t.name) }, cause: e },
      );
    }
    return result;
  }

  /**
   * Releases the session and ends the worker. Runs already posted finish first (up to the close
   * timeout); runs posted afterwards reject with ERR_MODEL_NOT_READY.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /**
   * Fails the instance at once, as a crash would: pending runs reject with ERR_INTERNAL right away
   * and the session is unusable. The thread itself ends when it is out of onnxruntime (an
   * inference already running finishes first; its result is discarded). For a watchdog, and for
   * tests. Resolves when the thread has exited.
   */
  async abort(reason = 'aborted'): Promise<void> {
    this.die(reason);
    await this.endThread();
  }

  private async shutDown(): Promise<void> {
    this.ending = true;
    this.updateRef();
    if (this.state === 'ready') {
      this.state = 'closing';
      const acknowledged = new Promise<void>((resolve) => {
        this.onClosedAck = resolve;
      });
      this.worker.postMessage({ type: 'close' } satisfies ToSessionWorker);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.closeTimeoutMs);
      });
      // 'closed' arrives after the results of every run posted before close (messages keep
      // their order), or the worker dies, or the timeout passes.
      await Promise.race([acknowledged, this.exited, timedOut]);
      clearTimeout(timer);
      if (this.state === 'closing') {
        this.state = 'closed';
        this.rejectPending(`it was closed with runs still in flight after ${this.closeTimeoutMs} ms`);
      }
    } else if (this.state !== 'dead') {
      this.state = 'closed';
    }
    await this.endThread();
  }

  /**
   * Terminates the thread once it is outside onnxruntime (see the module comment). A native run
   * that never returns keeps the thread, but nothing waits on it: its caller was rejected.
   */
  private endThread(): Promise<void> {
    this.threadEnd ??= (async () => {
      Atomics.store(this.control, CONTROL_STOP, 1);
      while (!this.hasExited && Atomics.load(this.control, CONTROL_ACTIVE) > 0) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await this.worker.terminate();
      await this.exited;
    })();
    return this.threadEnd;
  }

  private onMessage(msg: FromSessionWorker): void {
    switch (msg.type) {
      case 'ready':
        if (this.state !== 'loading') break;
        this.signature = msg;
        this.state = 'ready';
        this.updateRef();
        this.settleStart.resolve();
        break;
      case 'load-failed':
        this.loadError = fromWireError(msg.error);
        this.state = 'dead';
        this.ending = true;
        this.deathReason = 'it failed to load';
        void this.endThread();
        break;
      case 'result': {
        const run = this.take(msg.id);
        run?.resolve(msg.outputs as Tensor[]);
        break;
      }
      case 'failed': {
        const run = this.take(msg.id);
        run?.reject(fromWireError(msg.error));
        break;
      }
      case 'closed':
        if (this.state === 'closing') this.state = 'closed';
        this.onClosedAck?.();
        break;
    }
  }

  private take(id: number): PendingRun | undefined {
    const run = this.pending.get(id);
    this.pending.delete(id);
    this.updateRef();
    return run;
  }

  private onExit(code: number): void {
    liveWorkers--;
    if (!this.startSettled) {
      this.state = 'dead';
      this.settleStart.reject(
        this.loadError ??
          new KaleidoError(
            'ERR_MODEL_LOAD_FAILED',
            `cannot load ONNX model ${this.label}: its worker exited with code ${code} before it was ready`,
            { details: { reason: this.deathReason || `exit code ${code}` } },
          ),
      );
      return;
    }
    this.die(`it exited with code ${code}`);
  }

  /** Marks the instance dead, fails what waits on it and makes sure the thread goes away. */
  private die(reason: string, cause?: unknown): void {
    if (this.state === 'dead' || this.state === 'closed') return;
    const wasLoading = this.state === 'loading';
    this.state = 'dead';
    this.ending = true;
    this.deathReason = reason;
    if (wasLoading) {
      this.loadError = new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `cannot load ONNX model ${this.label}: its worker failed (${reason})`,
        { details: { reason }, cause },
      );
    }
    this.rejectPending(reason, cause);
    this.onClosedAck?.();
    this.updateRef();
    // After 'error' or 'exit' the thread is gone already and this settles at once.
    void this.endThread();
  }

  private rejectPending(reason: string, cause?: unknown): void {
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const run of runs) {
      run.reject(
        new KaleidoError('ERR_INTERNAL', `model instance ${this.label} died while running: ${reason}`, {
          details: { reason },
          ...(cause !== undefined ? { cause } : {}),
        }),
      );
    }
  }

  private notReady(): KaleidoError {
    if (this.state === 'dead') {
      return new KaleidoError(
        'ERR_MODEL_NOT_READY',
        `model instance ${this.label} is not running (${this.deathReason})`,
        { details: { reason: this.deathReason } },
      );
    }
    if (this.state === 'loading') {
      return new KaleidoError('ERR_MODEL_NOT_READY', `model instance ${this.label} is still loading`);
    }
    return new KaleidoError('ERR_MODEL_NOT_READY', `model ${this.label} has been unloaded`);
  }

  /** Keeps the process alive exactly while something is owed: a load, runs, or a close. */
  private updateRef(): void {
    const busy = this.state === 'loading' || this.ending || this.pending.size > 0;
    if (busy === this.refed) return;
    this.refed = busy;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }
}

/**
 * The onnxruntime backend with one worker thread per session. Same names as {@link OnnxRuntime}
 * (backend "onnxruntime", platform "onnxruntime_onnx"), so model configs do not change.
 */
export class WorkerOnnxRuntime implements InferenceRuntime {
  readonly backend = 'onnxruntime';
  readonly platform = 'onnxruntime_onnx';
  readonly defaultModelFilename = 'model.onnx';
  private readonly inputMode: InputTransfer;
  private readonly closeTimeoutMs: number;
  private readonly entry: SessionWorkerEntry;

  constructor(options: WorkerOnnxRuntimeOptions = {}) {
    this.inputMode = options.inputs ?? 'copy';
    this.closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
    if (!Number.isFinite(this.closeTimeoutMs) || this.closeTimeoutMs < 0) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'closeTimeoutMs must be a non-negative number', {
        details: { field: 'closeTimeoutMs', value: options.closeTimeoutMs },
      });
    }
    this.entry = resolveSessionWorkerEntry(import.meta.url);
  }

  async load(modelPath: string, options: RuntimeLoadOptions): Promise<WorkerSession> {
    // Checked here as well as in the worker, so that a configuration error costs no thread.
    checkThreads('intraOpThreads', options.intraOpThreads);
    checkThreads('interOpThreads', options.interOpThreads);
    const control = createControl();
    const workerData: SessionWorkerData = {
      modelPath,
      options: { intraOpThreads: options.intraOpThreads, interOpThreads: options.interOpThreads },
      control,
    };
    let worker: Worker;
    try {
      const { url, bootstrap } = this.entry;
      worker = bootstrap
        ? new Worker(bootstrap, { eval: true, workerData })
        : new Worker(url, { workerData });
    } catch (e) {
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `cannot load ONNX model ${labelOf(modelPath)}: cannot start a worker (${(e as Error).message})`,
        { details: { path: modelPath, reason: (e as Error).message }, cause: e },
      );
    }
    const session = new WorkerSession(
      worker,
      labelOf(modelPath),
      this.inputMode,
      this.closeTimeoutMs,
      control,
    );
    await session.started;
    return session;
  }
}
