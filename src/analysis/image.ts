/**
 * The image modality as the analysis service sees it: the image analyzers registered as
 * `image/<task>`, decoding in `prepare` (header pixel limit first, then one RGB analysis copy),
 * the NSFW classes as the `sexual` safety score, and presentation that withholds OCR text when
 * the policy blocks the content.
 *
 * Boxes in every result are `{ x, y, width, height }` in pixels of the EXIF-rotated full image.
 */
import { KaleidoError } from '../core/errors.js';
import type { CategoryScore } from '../core/safety/taxonomy.js';
import {
  ALL_IMAGE_TASKS,
  ImageAnalyzers,
  type ImageAnalyzerDeps,
  type ImageInput,
  type ImageTask,
  type NsfwResult,
  type OcrResult,
} from '../modalities/image/index.js';
import { IMAGE_DEFAULT_PIPELINE, IMAGE_PIPELINES } from './pipelines.js';
import type {
  DetectedContent,
  Disclosure,
  ModalityModule,
  PluggedAnalyzer,
  Presented,
  RegisteredAnalyzer,
  SafetySignals,
  StepOutput,
} from './types.js';

/** Default largest image body: 25 MiB holds a full-quality 50-megapixel JPEG. */
export const DEFAULT_IMAGE_MAX_BYTES = 25 * 1024 * 1024;

/** Analyzers whose result feeds the safety verdict. */
const SAFETY_TASKS: ReadonlySet<ImageTask> = new Set(['nsfw']);

export interface ImageModuleDeps extends ImageAnalyzerDeps {
  /** Largest encoded image in bytes (default 25 MiB). */
  readonly maxBytes?: number;
  /**
   * Bring-your-own analyzers (e.g. Hugging Face image classifiers, `image/hf:<name>`); they read
   * the prepared input, so the image is decoded once for them and the built-in analyzers alike.
   */
  readonly plugged?: readonly PluggedAnalyzer<ImageInput>[];
}

/** What a plugged image classifier reads: the RGB analysis copy (EXIF-rotated, ≤ analysisMaxSide). */
export const pluggedImageInput = (input: ImageInput) =>
  ({
    kind: 'image',
    data: input.rgb.data,
    width: input.rgb.width,
    height: input.rgb.height,
    channels: 3,
  }) as const;

export function createImageModule(deps: ImageModuleDeps): ModalityModule<ImageInput> & {
  readonly image: ImageAnalyzers;
} {
  const image = new ImageAnalyzers(deps);
  const maxBytes = deps.maxBytes ?? DEFAULT_IMAGE_MAX_BYTES;

  const registered: RegisteredAnalyzer<ImageInput>[] = ALL_IMAGE_TASKS.map((task) => ({
    id: `image/${task}`,
    modality: 'image',
    task,
    safety: SAFETY_TASKS.has(task),
    describe: () => {
      const i = image.info(task);
      return { model: i.model, version: i.version, method: i.method };
    },
    status: () => image.status(task),
    run: (input, _previous, ctx) =>
      image.run(task, input, ctx.signal === undefined ? {} : { signal: ctx.signal }),
  }));

  return {
    modality: 'image',
    image,
    analyzers: [...registered, ...(deps.plugged ?? [])],
    pipelines: IMAGE_PIPELINES,
    defaultPipeline: IMAGE_DEFAULT_PIPELINE,
    maxBytes,

    async init() {
      await image.init();
      for (const a of deps.plugged ?? []) await a.init();
    },
    async close() {
      await image.close();
      for (const a of deps.plugged ?? []) await a.close();
    },

    prepare(content: DetectedContent): Promise<ImageInput> {
      if (content.kind !== 'bytes' || content.sniffed.modality !== 'image') {
        return Promise.reject(
          new KaleidoError(
            'ERR_UNSUPPORTED_MEDIA_TYPE',
            `${content.kind === 'text' ? 'text/plain' : content.mime} is not an image`,
            { details: { detected: content.kind === 'text' ? 'text/plain' : content.mime } },
          ),
        );
      }
      return image.prepare(content.bytes);
    },

    safetySignals(_input: ImageInput, outputs: readonly StepOutput[]): SafetySignals {
      const scores: CategoryScore[] = [];
      for (const o of outputs) {
        if (o.analyzer !== 'image/nsfw') continue;
        const r = o.value as NsfwResult;
        const info = image.info('nsfw');
        scores.push({
          category: 'sexual',
          score: r.sexual,
          source: { kind: 'model', name: info.model, version: info.version },
        });
      }
      return { scores, piiFindings: [] };
    },

    present(_input: ImageInput, outputs: readonly StepOutput[], d: Disclosure): Presented {
      const results: Record<string, unknown> = {};
      for (const o of outputs) {
        if (o.analyzer === 'image/ocr' && d.withhold) {
          // The text read from a blocked image is its content: keep where text was, not what it says.
          const r = o.value as OcrResult;
          results[o.stepId] = {
            redacted: true,
            confidence: r.confidence,
            readAt: r.readAt,
            lines: r.lines.map((l) => ({ box: l.box, confidence: l.confidence, words: l.words.length })),
          };
        } else {
          results[o.stepId] = o.value;
        }
      }
      return { results, partial: {} };
    },
  };
}
