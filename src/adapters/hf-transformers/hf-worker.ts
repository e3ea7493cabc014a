/**
 * ExternalClassifier that runs an {@link HfClassifier} (transformers.js) in a worker thread of its
 * own, so a plugged model's preprocessing and onnxruntime session never run on the event loop.
 *
 * transformers.js runs its ONNX session through onnxruntime-node, whose `run` is asynchronous but
 * whose pre-processing (tokenizer, feature extractor, image processor: resize, rescale, normalise
 * into a float tensor) and post-processing (softmax, sorting) are JavaScript on the calling thread;
 * for a real model (a DistilBERT on a long text, a ViT on a photo) that is tens of milliseconds of
 * main-thread work per call. The worker loads the model with the library's own env (set per
 * thread, so loads in different workers no longer contend for the library's global env),
 * answers `classify` messages one at a time, and reports the same identity (version = ONNX SHA-256
 * prefix) as the in-thread classifier. Inputs are copied once into transferred buffers.
 *
 * If the thread dies, pending calls reject with ERR_INTERNAL and the classifier reports itself
 * unavailable with the reason; `close()` ends the thread.
 */
import type { Worker } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type {
  AnalyzerStatus,
  ClassifierInput,
  ClassLabel,
  ExternalClassifier,
  Modality,
} from '../../core/ports/analyzer.js';
import { fromWireError, PendingCalls, startSiblingWorker, type WireError } from '../worker-thread.js';
import { initialStatus, type HfModelEntry } from './scan.js';

export type ToHfWorker =
  | { readonly type: 'classify'; readonly id: number; readonly input: ClassifierInput }
  | { readonly type: 'close' };
export type FromHfWorker =
  | { readonly type: 'ready'; readonly version: string; readonly status: AnalyzerStatus }
  | { readonly type: 'result'; readonly id: number; readonly labels: ClassLabel[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError };

export { toWireError as toWire, type WireError } from '../worker-thread.js';

function startWorker(entry: HfModelEntry): Worker {
  return startSiblingWorker(import.meta.url, 'hf-worker-entry', { workerData: entry });
}

/** The input with its large buffer copied (the caller keeps its own), and what to transfer. */
function transferable(input: ClassifierInput): { input: ClassifierInput; transfer: ArrayBuffer[] } {
  if (input.kind === 'audio') {
    const samples = input.samples.slice();
    return { input: { ...input, samples }, transfer: [samples.buffer as ArrayBuffer] };
  }
  if (input.kind === 'image') {
    const data = input.data.slice();
    return { input: { ...input, data }, transfer: [data.buffer as ArrayBuffer] };
  }
  return { input, transfer: [] };
}

export class WorkerHfClassifier implements ExternalClassifier {
  readonly name: string;
  readonly modality: Modality;
  readonly task: string;
  readonly model: string;
  private versionText = '1';
  private worker: Worker | undefined;
  private state: AnalyzerStatus;
  private loading: Promise<void> | undefined;
  private readonly pending = new PendingCalls<ClassLabel[]>(() => this.worker);

  constructor(private readonly entry: HfModelEntry) {
    this.name = entry.name;
    this.modality = entry.modality ?? 'text';
    this.task = entry.task ?? 'unsupported';
    this.model = entry.name;
    this.state = initialStatus(entry);
  }

  get version(): string {
    return this.versionText;
  }

  /** Never throws: a failure (no thread, a model the library cannot load) shows in `status()`. */
  init(): Promise<void> {
    if (this.entry.problems.length > 0) return Promise.resolve();
    this.loading ??= new Promise<void>((resolve) => {
      let worker: Worker;
      try {
        worker = startWorker(this.entry);
      } catch (e) {
        this.state = { available: false, reason: `cannot start a worker thread: ${(e as Error).message}` };
        resolve();
        return;
      }
      this.worker = worker;
      let started = false;
      worker.on('message', (msg: FromHfWorker) => {
        switch (msg.type) {
          case 'ready':
            started = true;
            this.versionText = msg.version;
            this.state = msg.status;
            worker.unref();
            resolve();
            break;
          case 'result':
            this.pending.resolve(msg.id, msg.labels);
            break;
          case 'failed':
            this.pending.reject(msg.id, fromWireError(msg.error));
            break;
        }
      });
      const die = (reason: string) => {
        if (this.worker === worker) {
          this.state = { available: false, reason: `classifier worker ${reason}` };
        }
        this.pending.rejectAll(
          new KaleidoError('ERR_INTERNAL', `classifier ${this.name}: its worker ${reason}`),
        );
        if (!started) resolve();
      };
      worker.on('error', (e) => die(`failed: ${e.message}`));
      worker.on('exit', (code) => die(`exited with code ${code}`));
    });
    return this.loading;
  }

  status(): AnalyzerStatus {
    return this.state;
  }

  classify(input: ClassifierInput): Promise<ClassLabel[]> {
    const worker = this.worker;
    if (worker === undefined || !this.state.available) {
      return Promise.reject(
        new KaleidoError(
          'ERR_UNAVAILABLE',
          `classifier ${this.name} is not available: ${this.state.reason ?? ''}`,
          { details: { analyzer: this.entry.taskName } },
        ),
      );
    }
    const { id, result } = this.pending.open();
    const t = transferable(input);
    worker.postMessage({ type: 'classify', id, input: t.input } satisfies ToHfWorker, t.transfer);
    return result;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.loading = undefined;
    if (this.state.available) this.state = { available: false, reason: 'closed' };
    this.pending.rejectAll(new KaleidoError('ERR_UNAVAILABLE', `classifier ${this.name} closed`));
    if (worker) await worker.terminate();
  }
}
