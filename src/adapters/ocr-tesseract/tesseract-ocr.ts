/**
 * OcrEngine on tesseract.js (Tesseract 5 LSTM compiled to wasm, each worker in its own thread)
 * with the English model from @tesseract.js-data/eng — fully offline: `langPath` is the package
 * folder and `cacheMethod: 'none'` keeps tesseract.js from writing a cache next to the process.
 *
 * A small pool of workers is created once at init and reused; a request waits for a free worker.
 * A Tesseract job cannot be interrupted, so a job that runs past the time limit gets its worker
 * terminated and replaced: the caller gets ERR_TIMEOUT within the limit, and the pool never keeps
 * a worker stuck on a pathological image.
 *
 * Pixels travel as binary PGM (a 15-byte header and the grey bytes), which Leptonica reads
 * directly, so no image codec is needed here and nothing is re-encoded.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { CancelSignal } from '../../core/ports/inference.js';
import type { OcrEngine, OcrLayout, OcrLine, OcrPage, PixelBox, Raster } from '../../core/ports/image.js';

const require = createRequire(import.meta.url);

export type TesseractModel = '4.0.0_best_int' | '4.0.0';

export interface TesseractOcrOptions {
  /** Workers in the pool (default 1; each holds ~40 MB and uses one core while reading). */
  readonly workers?: number;
  /** Default "4.0.0_best_int" (integer LSTM: faster, same accuracy on the evaluation set). */
  readonly model?: TesseractModel;
  /** Wall-clock limit of one recognition (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** How long a request may wait for a free worker (default 10 000 ms). */
  readonly queueTimeoutMs?: number;
}

interface Bbox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}
interface TWord {
  readonly text: string;
  readonly confidence: number;
  readonly bbox: Bbox;
}
interface TLine {
  readonly text: string;
  readonly confidence: number;
  readonly bbox: Bbox;
  readonly words: readonly TWord[];
}
interface TBlock {
  readonly paragraphs: ReadonlyArray<{ readonly lines: readonly TLine[] }>;
}

interface PoolWorker {
  worker: Worker;
  layout: OcrLayout | undefined;
}

const box = (b: Bbox): PixelBox => ({ x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 });
const unit = (c: number): number => Math.min(1, Math.max(0, c / 100));

/** Binary PGM (P5) of a grey raster. */
export function toPgm(image: Raster): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${image.width} ${image.height}\n255\n`);
  const out = new Uint8Array(header.length + image.data.length);
  out.set(header, 0);
  out.set(image.data, header.length);
  return out;
}

export class TesseractOcr implements OcrEngine {
  readonly name = 'tesseract.js';
  readonly version: string;
  readonly model: string;
  readonly language = 'en';
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly queueTimeoutMs: number;
  private readonly langPath: string;
  private readonly idle: PoolWorker[] = [];
  private readonly waiting: Array<(w: PoolWorker) => void> = [];
  private workers = 0;
  private failure: string | undefined = 'not initialised';
  private loading: Promise<void> | undefined;
  private closed = false;

  constructor(options: TesseractOcrOptions = {}) {
    this.size = options.workers ?? 1;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.queueTimeoutMs = options.queueTimeoutMs ?? 10_000;
    const model = options.model ?? '4.0.0_best_int';
    if (!(Number.isInteger(this.size) && this.size >= 1 && this.size <= 16)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'workers must be an integer from 1 to 16', {
        details: { field: 'workers', value: this.size },
      });
    }
    const pkg = require('tesseract.js/package.json') as { version: string };
    const data = require('@tesseract.js-data/eng/package.json') as { version: string };
    this.version = pkg.version;
    this.model = `Tesseract LSTM eng ${model} (@tesseract.js-data/eng ${data.version})`;
    this.langPath = join(require.resolve('@tesseract.js-data/eng/package.json'), '..', model);
  }

  init(): Promise<void> {
    this.closed = false;
    this.loading ??= (async () => {
      const started = await Promise.allSettled(
        Array.from({ length: this.size - this.workers }, () => this.spawn()),
      );
      const failed = started.find((r) => r.status === 'rejected');
      if (this.workers === 0) {
        throw (failed as PromiseRejectedResult | undefined)?.reason ?? new Error('no OCR worker started');
      }
      // Warm-up: the first recognition allocates the LSTM; do it at start, not on a request.
      await this.recognize({ data: new Uint8Array(32 * 32).fill(255), width: 32, height: 32, channels: 1 });
      this.failure = undefined;
    })().catch((e: unknown) => {
      this.loading = undefined;
      this.failure = (e as Error).message;
      throw e instanceof KaleidoError
        ? e
        : new KaleidoError('ERR_UNAVAILABLE', `OCR: ${(e as Error).message}`, { cause: e });
    });
    return this.loading;
  }

  private async spawn(): Promise<void> {
    const worker = await createWorker('eng', OEM.LSTM_ONLY, {
      langPath: this.langPath,
      cacheMethod: 'none',
      gzip: true,
      logger: () => undefined,
      errorHandler: () => undefined,
    });
    // Tesseract prints diagnostics ("Estimating resolution as …") with tprintf; send them nowhere.
    await worker.setParameters({ debug_file: '/dev/null', preserve_interword_spaces: '1' });
    this.workers++;
    this.release({ worker, layout: undefined });
  }

  status(): AnalyzerStatus {
    return this.failure === undefined ? { available: true } : { available: false, reason: this.failure };
  }

  private release(w: PoolWorker): void {
    if (this.closed) {
      void w.worker.terminate().catch(() => undefined);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  private acquire(signal: CancelSignal | undefined): Promise<PoolWorker> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(
          new KaleidoError('ERR_TIMEOUT', `no OCR worker became free within ${this.queueTimeoutMs} ms`, {
            details: { queueTimeoutMs: this.queueTimeoutMs },
          }),
        );
      }, this.queueTimeoutMs);
      const take = (w: PoolWorker): void => {
        clearTimeout(timer);
        if (signal?.aborted === true) {
          this.release(w);
          reject(new KaleidoError('ERR_CANCELLED', 'OCR cancelled while waiting for a worker'));
          return;
        }
        resolve(w);
      };
      this.waiting.push(take);
    });
  }

  async recognize(
    image: Raster,
    options: { readonly layout?: OcrLayout; readonly signal?: CancelSignal } = {},
  ): Promise<OcrPage> {
    if (this.workers === 0 || this.closed) {
      throw new KaleidoError('ERR_UNAVAILABLE', `OCR is not available: ${this.failure ?? 'closed'}`);
    }
    if (image.channels !== 1) throw new KaleidoError('ERR_VALIDATION', 'OCR needs a grey raster');
    if (options.signal?.aborted === true) throw new KaleidoError('ERR_CANCELLED', 'OCR cancelled');
    const layout = options.layout ?? 'auto';
    const w = await this.acquire(options.signal);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      if (w.layout !== layout) {
        await w.worker.setParameters({
          tessedit_pageseg_mode: layout === 'line' ? PSM.SINGLE_LINE : PSM.AUTO,
        });
        w.layout = layout;
      }
      const job = w.worker.recognize(Buffer.from(toPgm(image)), {}, { text: true, blocks: true });
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(
            new KaleidoError('ERR_TIMEOUT', `OCR took longer than ${this.timeoutMs} ms`, {
              details: { timeoutMs: this.timeoutMs },
            }),
          );
        }, this.timeoutMs);
      });
      const r = await Promise.race([job, deadline]);
      return this.page((r.data.blocks ?? []) as unknown as readonly TBlock[]);
    } finally {
      clearTimeout(timer);
      if (timedOut) {
        // The job cannot be stopped: replace the worker so the pool keeps its size.
        this.workers--;
        void w.worker.terminate().catch(() => undefined);
        if (!this.closed) {
          this.spawn().catch((e: unknown) => {
            this.failure = `OCR worker restart failed: ${(e as Error).message}`;
          });
        }
      } else {
        this.release(w);
      }
    }
  }

  private page(blocks: readonly TBlock[]): OcrPage {
    const lines: OcrLine[] = [];
    for (const b of blocks) {
      for (const p of b.paragraphs) {
        for (const l of p.lines) {
          const words = l.words
            .filter((wd) => wd.text.trim() !== '')
            .map((wd) => ({ text: wd.text, confidence: unit(wd.confidence), box: box(wd.bbox) }));
          const text = l.text.replace(/\s+$/u, '');
          if (text === '' || words.length === 0) continue;
          lines.push({ text, confidence: unit(l.confidence), box: box(l.bbox), words });
        }
      }
    }
    const all = lines.flatMap((l) => l.words);
    const confidence = all.length === 0 ? 0 : all.reduce((s, x) => s + x.confidence, 0) / all.length;
    return { text: lines.map((l) => l.text).join('\n'), confidence, lines };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.loading = undefined;
    this.failure = 'closed';
    const idle = this.idle.splice(0);
    this.workers -= idle.length;
    await Promise.allSettled(idle.map((w) => w.worker.terminate()));
  }
}
