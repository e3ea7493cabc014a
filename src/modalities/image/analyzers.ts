/**
 * The image analyzers over injected engines (ports in core/ports/image.ts): the composition root
 * passes whichever engines it built; a missing engine, or one whose model failed to load, makes
 * that analyzer unavailable with the reason — the others still run.
 *
 * `prepare` decodes once into an RGB analysis copy (longest side ≤ `analysisMaxSide`); every
 * model-backed analyzer runs on that copy and its boxes are mapped back to the full image. OCR is
 * the exception: small print needs resolution, so it decodes its own grey copy (longest side ≤
 * `ocrMaxSide`) from the original bytes, only when it runs.
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerInfo, AnalyzerMethod, AnalyzerStatus } from '../../core/ports/analyzer.js';
import type {
  FaceEngine,
  ImageDecoder,
  ImageEngine,
  NsfwEngine,
  ObjectDetectorEngine,
  OcrEngine,
  OcrLayout,
} from '../../core/ports/image.js';
import type { CancelSignal } from '../../core/ports/inference.js';
import { dominantColours, type ColourOptions } from './colours.js';
import { qualityMetrics, type QualityOptions } from './quality.js';
import { scaleBox } from './raster.js';
import {
  ALL_IMAGE_TASKS,
  type ColoursResult,
  type FacesResult,
  type ImageInput,
  type ImageResults,
  type ImageTask,
  type NsfwResult,
  type ObjectsResult,
  type OcrResult,
  type QualityResult,
} from './types.js';

export const DEFAULT_ANALYSIS_MAX_SIDE = 1024;
export const DEFAULT_OCR_MAX_SIDE = 2048;

export interface ImageAnalyzerDeps {
  /** Decodes every input; without it no image analyzer is available. */
  readonly decoder?: ImageDecoder;
  readonly objects?: ObjectDetectorEngine;
  readonly faces?: FaceEngine;
  readonly nsfw?: NsfwEngine;
  readonly ocr?: OcrEngine;
  /** Longest side of the RGB copy the models see (default 1024). */
  readonly analysisMaxSide?: number;
  /** Longest side of the grey copy OCR reads (default 2048). */
  readonly ocrMaxSide?: number;
  readonly colours?: ColourOptions;
  readonly quality?: QualityOptions;
}

/**
 * The NSFW classes that count towards the `sexual` safety category: the explicit ones. "Sexy"
 * (suggestive) is left out on purpose: on the evaluation's clothed group photos it reached
 * 0.6–0.98, so counting it would flag ordinary party pictures (docs/accuracy.md). It stays in the
 * result's `classes` for policies or clients that want it.
 */
export const SEXUAL_NSFW_CLASSES: readonly string[] = ['Porn', 'Hentai'];

const BUILTIN = { name: 'kaleido-image', version: '1' } as const;

const positiveInt = (v: number, field: string): number => {
  if (!(Number.isInteger(v) && v > 0)) {
    throw new KaleidoError('ERR_BAD_CONFIG', `${field} must be a positive integer`, {
      details: { field, value: v },
    });
  }
  return v;
};

export class ImageAnalyzers {
  private readonly analysisMaxSide: number;
  private readonly ocrMaxSide: number;
  private readonly failures = new Map<ImageTask, string>();

  constructor(private readonly deps: ImageAnalyzerDeps) {
    this.analysisMaxSide = positiveInt(deps.analysisMaxSide ?? DEFAULT_ANALYSIS_MAX_SIDE, 'analysisMaxSide');
    this.ocrMaxSide = positiveInt(deps.ocrMaxSide ?? DEFAULT_OCR_MAX_SIDE, 'ocrMaxSide');
  }

  private engine(task: ImageTask): ImageEngine | undefined {
    switch (task) {
      case 'objects':
        return this.deps.objects;
      case 'faces':
        return this.deps.faces;
      case 'nsfw':
        return this.deps.nsfw;
      case 'ocr':
        return this.deps.ocr;
      default:
        return undefined;
    }
  }

  /** Loads every engine (each warms its model up); a failure only disables its own analyzer. */
  async init(): Promise<void> {
    this.failures.clear();
    if (this.deps.decoder) {
      await this.deps.decoder.init().catch((e: unknown) => {
        for (const t of ALL_IMAGE_TASKS) this.failures.set(t, `decoder: ${(e as Error).message}`);
      });
    }
    // One at a time: the three tfjs models share one backend, and loading them side by side only
    // competes for the same core.
    for (const task of ALL_IMAGE_TASKS) {
      const e = this.engine(task);
      if (e === undefined || this.failures.has(task)) continue;
      await e.init().catch((err: unknown) => this.failures.set(task, (err as Error).message));
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [this.deps.objects, this.deps.faces, this.deps.nsfw, this.deps.ocr, this.deps.decoder].map((e) =>
        e?.close(),
      ),
    );
  }

  status(task: ImageTask): AnalyzerStatus {
    if (this.deps.decoder === undefined) return { available: false, reason: 'no image decoder configured' };
    const failed = this.failures.get(task);
    if (failed !== undefined) return { available: false, reason: failed };
    if (task === 'quality' || task === 'colours') return this.deps.decoder.status();
    const e = this.engine(task);
    if (e === undefined) return { available: false, reason: `no ${task} engine configured` };
    return e.status();
  }

  info(task: ImageTask): AnalyzerInfo {
    const e = this.engine(task);
    const method: AnalyzerMethod = e === undefined ? 'rules' : 'neural';
    const taskName: Record<ImageTask, string> = {
      quality: 'image-quality',
      colours: 'dominant-colours',
      objects: 'object-detection',
      faces: 'face-analysis',
      nsfw: 'nsfw-classification',
      ocr: 'ocr',
    };
    return {
      name: task,
      task: taskName[task],
      modality: 'image',
      model: e === undefined ? BUILTIN.name : `${e.name} ${e.model}`,
      version: e === undefined ? BUILTIN.version : e.version,
      method,
    };
  }

  /** Header check, then one decode to the RGB analysis copy. */
  async prepare(bytes: Uint8Array, signal?: CancelSignal): Promise<ImageInput> {
    const decoder = this.deps.decoder;
    if (decoder === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'no image decoder is configured');
    }
    const probe = await decoder.probe(bytes);
    const rgb = await decoder.decode(bytes, {
      channels: 3,
      maxSide: this.analysisMaxSide,
      ...(signal === undefined ? {} : { signal }),
    });
    return { bytes, probe, rgb };
  }

  async run<T extends ImageTask>(
    task: T,
    input: ImageInput,
    options: { readonly signal?: CancelSignal; readonly ocrLayout?: OcrLayout } = {},
  ): Promise<ImageResults[T]> {
    const s = this.status(task);
    if (!s.available) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `image analyzer ${task} is not available: ${s.reason ?? ''}`,
        {
          details: { analyzer: task },
        },
      );
    }
    if (options.signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', `analysis cancelled before ${task} ran`, {
        details: { analyzer: task },
      });
    }
    const result = await this.runTask(task, input, options);
    return result as ImageResults[T];
  }

  private async runTask(
    task: ImageTask,
    input: ImageInput,
    options: { readonly signal?: CancelSignal; readonly ocrLayout?: OcrLayout },
  ): Promise<ImageResults[ImageTask]> {
    const full = { width: input.probe.width, height: input.probe.height };
    const seen = { width: input.rgb.width, height: input.rgb.height };
    switch (task) {
      case 'quality': {
        const q = qualityMetrics(input.rgb, this.deps.quality);
        const r: QualityResult = {
          format: input.probe.format,
          width: input.probe.width,
          height: input.probe.height,
          orientation: input.probe.orientation,
          pages: input.probe.pages,
          hasAlpha: input.probe.hasAlpha,
          ...q,
        };
        return r;
      }
      case 'colours': {
        const r: ColoursResult = { colours: dominantColours(input.rgb, this.deps.colours) };
        return r;
      }
      case 'objects': {
        const found = await (this.deps.objects as ObjectDetectorEngine).detect(input.rgb);
        const r: ObjectsResult = {
          objects: found.map((o) => ({ label: o.label, score: o.score, box: scaleBox(o.box, seen, full) })),
        };
        return r;
      }
      case 'faces': {
        const found = await (this.deps.faces as FaceEngine).detect(input.rgb);
        const r: FacesResult = {
          faces: found.map((f) => {
            const top =
              f.expressions === undefined
                ? undefined
                : Object.entries(f.expressions).sort((a, b) => b[1] - a[1])[0]?.[0];
            return {
              box: scaleBox(f.box, seen, full),
              score: f.score,
              ...(f.age === undefined ? {} : { age: Math.round(f.age * 10) / 10 }),
              ...(f.gender === undefined ? {} : { gender: f.gender }),
              ...(f.genderScore === undefined ? {} : { genderScore: f.genderScore }),
              ...(top === undefined ? {} : { expression: top }),
              ...(f.expressions === undefined ? {} : { expressions: f.expressions }),
            };
          }),
        };
        return r;
      }
      case 'nsfw': {
        const classes = await (this.deps.nsfw as NsfwEngine).classify(input.rgb);
        const entries = Object.entries(classes).sort((a, b) => b[1] - a[1]);
        const sexual = SEXUAL_NSFW_CLASSES.reduce((s, c) => s + (classes[c] ?? 0), 0);
        const r: NsfwResult = {
          classes,
          top: entries[0]?.[0] ?? 'unknown',
          sexual: Math.min(1, Math.max(0, sexual)),
        };
        return r;
      }
      case 'ocr': {
        const grey = await (this.deps.decoder as ImageDecoder).decode(input.bytes, {
          channels: 1,
          maxSide: this.ocrMaxSide,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        const page = await (this.deps.ocr as OcrEngine).recognize(grey, {
          ...(options.ocrLayout === undefined ? {} : { layout: options.ocrLayout }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        const at = { width: grey.width, height: grey.height };
        const scaled = at.width !== full.width || at.height !== full.height;
        const r: OcrResult = {
          text: page.text,
          confidence: page.confidence,
          lines: scaled
            ? page.lines.map((l) => ({
                ...l,
                box: scaleBox(l.box, at, full),
                words: l.words.map((w) => ({ ...w, box: scaleBox(w.box, at, full) })),
              }))
            : page.lines,
          readAt: at,
        };
        return r;
      }
    }
  }
}
