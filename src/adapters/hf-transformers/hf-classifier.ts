/**
 * ExternalClassifier on `@huggingface/transformers` (transformers.js): a text, audio or image
 * classifier exported by Optimum runs through the library's own pipeline (its tokenizer / feature
 * extractor / image processor, then onnxruntime-node), strictly offline:
 *
 * - `env.allowRemoteModels = false`: a missing file is an error, never a download;
 * - `env.useFSCache = false` / `useBrowserCache = false`: nothing is written (no cache dir);
 * - `env.localModelPath` is set to the model's repository for the duration of each load, which
 *   is why loads are serialised (the env object is global to the library).
 *
 * The same ONNX file is also served over OIP by the project's own runtime (the repository loader
 * reads the Hugging Face layout as version 1). Inference here runs on the calling thread (the
 * library's pre-/post-processing in JavaScript, then its onnxruntime session); the server runs
 * each classifier in a worker thread of its own instead (WorkerHfClassifier, hf-worker.ts), which
 * runs this class there.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KaleidoError } from '../../core/errors.js';
import type {
  AnalyzerStatus,
  ClassifierInput,
  ClassLabel,
  ExternalClassifier,
  Modality,
} from '../../core/ports/analyzer.js';
import { WorkerHfClassifier } from './hf-worker.js';
import { initialStatus, type HfModelEntry, type HfPipelineTask } from './scan.js';

type Classify = (input: unknown, options: { top_k: number | null }) => Promise<unknown>;
interface LoadedPipeline {
  (input: unknown, options: { top_k: number | null }): Promise<unknown>;
  dispose?: () => Promise<void>;
}

let loadQueue: Promise<unknown> = Promise.resolve();
/** Runs loads one at a time (they set the library's global env). */
function serialised<T>(f: () => Promise<T>): Promise<T> {
  const next = loadQueue.then(f, f);
  loadQueue = next.catch(() => undefined);
  return next;
}

/** The installed transformers.js version (for stages and the start-up report). */
export function transformersVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@huggingface/transformers');
    let dir = dirname(main);
    for (let i = 0; i < 4; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === '@huggingface/transformers') return pkg.version ?? 'unknown';
      } catch {
        /* go up */
      }
      dir = dirname(dir);
    }
  } catch {
    /* not installed */
  }
  return 'unknown';
}

/** A plain input of each modality for the warm-up call: a word, 0.5 s of silence, a grey image. */
function warmUpInput(modality: Modality): ClassifierInput {
  if (modality === 'audio') return { kind: 'audio', samples: new Float32Array(8000), sampleRate: 16000 };
  if (modality === 'image') {
    return { kind: 'image', data: new Uint8Array(64 * 64 * 3).fill(128), width: 64, height: 64, channels: 3 };
  }
  return { kind: 'text', text: 'warm up' };
}

export class HfClassifier implements ExternalClassifier {
  readonly name: string;
  readonly modality: Modality;
  readonly task: string;
  readonly model: string;
  private versionText = '1';
  private pipe: LoadedPipeline | undefined;
  private state: AnalyzerStatus;

  constructor(private readonly entry: HfModelEntry) {
    this.name = entry.name;
    this.modality = entry.modality ?? 'text';
    this.task = entry.task ?? 'unsupported';
    this.model = entry.name;
    this.state = initialStatus(entry);
  }

  /** "1+<first 12 hex of the ONNX file's SHA-256>": version 1 as OIP serves it, and which bytes. */
  get version(): string {
    return this.versionText;
  }

  async init(): Promise<void> {
    const e = this.entry;
    if (e.problems.length > 0 || e.task === undefined || e.onnxFile === undefined) return;
    if (this.pipe !== undefined) return;
    const task: HfPipelineTask = e.task;
    const onnxFile = e.onnxFile;
    try {
      const hash = createHash('sha256')
        .update(readFileSync(join(e.dir, onnxFile)))
        .digest('hex');
      this.versionText = `1+${hash.slice(0, 12)}`;
      this.pipe = await serialised(async () => {
        const { env, pipeline } = await import('@huggingface/transformers');
        env.allowRemoteModels = false;
        env.allowLocalModels = true;
        env.useFSCache = false;
        env.useBrowserCache = false;
        env.localModelPath = `${e.repository}/`;
        const p = await pipeline(task, e.name, {
          dtype: 'fp32',
          subfolder: onnxFile.startsWith('onnx/') ? 'onnx' : '',
          local_files_only: true,
        });
        return p as unknown as LoadedPipeline;
      });
      this.state = { available: true };
    } catch (err) {
      this.state = {
        available: false,
        reason: `transformers.js could not load ${e.name}: ${(err as Error).message}`,
      };
      return;
    }
    // Warm-up before ready: the first call pays the session's and the pre-processor's first-run
    // costs (measured on the fixtures: 7 ms vs 0.3 ms text, 55 ms vs ~10 ms image). A model that
    // cannot classify a plain input of its modality is not usable, and says why.
    try {
      await this.classify(warmUpInput(this.modality));
    } catch (err) {
      this.state = { available: false, reason: `warm-up failed: ${(err as Error).message}` };
    }
  }

  status(): AnalyzerStatus {
    return this.state;
  }

  async classify(input: ClassifierInput): Promise<ClassLabel[]> {
    const pipe = this.pipe;
    if (pipe === undefined || !this.state.available) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `classifier ${this.name} is not available: ${this.state.reason ?? ''}`,
        {
          details: { analyzer: this.entry.taskName },
        },
      );
    }
    if (input.kind !== this.modality) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `classifier ${this.name} reads ${this.modality}, not ${input.kind}`,
      );
    }
    if (input.kind === 'audio' && input.sampleRate !== 16000) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `classifier ${this.name} reads 16000 Hz audio, got ${input.sampleRate} Hz`,
      );
    }
    let raw: unknown;
    if (input.kind === 'text') raw = input.text;
    else if (input.kind === 'audio') raw = input.samples;
    else {
      if (input.data.length !== input.width * input.height * input.channels) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          `image of ${input.width}×${input.height}×${input.channels} needs ${input.width * input.height * input.channels} bytes, got ${input.data.length}`,
        );
      }
      // The library's image processor (resize with sharp, rescale, normalise) takes a RawImage;
      // the pixels are viewed, not copied.
      const { RawImage } = await import('@huggingface/transformers');
      raw = new RawImage(
        new Uint8ClampedArray(input.data.buffer, input.data.byteOffset, input.data.length),
        input.width,
        input.height,
        input.channels,
      );
    }
    const out = await (pipe as Classify)(raw, { top_k: null });
    const list = (Array.isArray(out) && Array.isArray(out[0]) ? out[0] : out) as Array<{
      label: string;
      score: number;
    }>;
    return list
      .map((r) => ({ label: String(r.label), score: Number(r.score) }))
      .sort((a, b) => b.score - a.score);
  }

  async close(): Promise<void> {
    const p = this.pipe;
    this.pipe = undefined;
    if (this.state.available) this.state = { available: false, reason: 'closed' };
    await p?.dispose?.();
  }
}

/**
 * One classifier per scanned entry (unusable entries become unavailable classifiers). `worker`:
 * each runs in a worker thread of its own (WorkerHfClassifier, the server's default with
 * `models.runtimeIsolation: worker`); otherwise on the calling thread.
 */
export function createHfClassifiers(
  entries: readonly HfModelEntry[],
  options: { readonly worker?: boolean } = {},
): ExternalClassifier[] {
  return entries.map((e) => (options.worker === true ? new WorkerHfClassifier(e) : new HfClassifier(e)));
}
