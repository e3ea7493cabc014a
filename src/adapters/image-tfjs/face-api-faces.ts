/**
 * FaceEngine on @vladmandic/face-api: a face detector (SSD MobileNetV1 by default, or the tiny
 * detector), 68-point landmarks to align each face, then age/gender and expression heads on the
 * aligned crops. Weights are read from the package's `model/` folder with `loadFromDisk`.
 *
 * The `node-wasm` build is required by absolute path and shares the process's tfjs (backend.ts).
 * Why face-api and not Human's blazeface: blazeface gave faces on dogs, horses and kites in the
 * measurements of docs/accuracy.md; face-api's SSD did not.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { EngineFace, FaceEngine, Raster } from '../../core/ports/image.js';
import { packageDir, packageVersion, Serial, tfjsWasm, type Tf } from './backend.js';

const require = createRequire(import.meta.url);

export type FaceDetectorModel = 'ssd' | 'tiny';

export interface FaceApiOptions {
  /** Default "ssd" (more accurate); "tiny" is ~5× faster and misses small faces. */
  readonly detector?: FaceDetectorModel;
  /** Faces below this detector score are dropped (default 0.5). */
  readonly minScore?: number;
  /** At most this many faces get attributes (default 20). */
  readonly maxFaces?: number;
  /** Input size of the tiny detector, a multiple of 32 (default 416). */
  readonly tinyInputSize?: number;
  /** Directory of the weight manifests (default: @vladmandic/face-api/model). */
  readonly modelDir?: string;
}

interface FaceApiBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
interface FaceApiResult {
  readonly detection: { readonly score: number; readonly box: FaceApiBox };
  readonly age: number;
  readonly gender: 'female' | 'male';
  readonly genderProbability: number;
  readonly expressions: Readonly<Record<string, number>>;
}
interface FaceApiTask {
  withFaceLandmarks(useTiny?: boolean): FaceApiTask;
  withFaceExpressions(): FaceApiTask;
  withAgeAndGender(): Promise<FaceApiResult[]>;
}
interface Net {
  loadFromDisk(dir: string): Promise<void>;
  dispose(): void;
}
interface FaceApi {
  readonly nets: Record<
    | 'ssdMobilenetv1'
    | 'tinyFaceDetector'
    | 'faceLandmark68Net'
    | 'faceLandmark68TinyNet'
    | 'ageGenderNet'
    | 'faceExpressionNet',
    Net
  >;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: unknown, options: unknown): FaceApiTask;
}

const EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

export class FaceApiFaces implements FaceEngine {
  readonly name = '@vladmandic/face-api';
  readonly version: string;
  readonly model: string;
  private readonly detector: FaceDetectorModel;
  private readonly minScore: number;
  private readonly maxFaces: number;
  private readonly tinyInputSize: number;
  private readonly modelDir: string | undefined;
  private api: FaceApi | undefined;
  private tf: Tf | undefined;
  private failure: string | undefined = 'not initialised';
  private loading: Promise<void> | undefined;
  private readonly serial = new Serial();

  constructor(options: FaceApiOptions = {}) {
    this.detector = options.detector ?? 'ssd';
    this.minScore = options.minScore ?? 0.5;
    this.maxFaces = options.maxFaces ?? 20;
    this.tinyInputSize = options.tinyInputSize ?? 416;
    this.modelDir = options.modelDir;
    if (this.tinyInputSize % 32 !== 0 || this.tinyInputSize <= 0) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'tinyInputSize must be a positive multiple of 32', {
        details: { field: 'tinyInputSize', value: this.tinyInputSize },
      });
    }
    this.model =
      (this.detector === 'ssd' ? 'ssd_mobilenetv1' : 'tiny_face_detector') +
      ' + face_landmark_68 + age_gender + face_expression';
    let version = 'unknown';
    try {
      version = packageVersion(packageDir('@vladmandic/face-api'));
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
        : new KaleidoError('ERR_UNAVAILABLE', `face analyzer: ${(e as Error).message}`, { cause: e });
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const tf = await tfjsWasm();
    const dir = packageDir('@vladmandic/face-api');
    const api = require(join(dir, 'dist', 'face-api.node-wasm.js')) as FaceApi;
    const modelDir = this.modelDir ?? join(dir, 'model');
    const n = api.nets;
    await (this.detector === 'ssd' ? n.ssdMobilenetv1 : n.tinyFaceDetector).loadFromDisk(modelDir);
    await (this.detector === 'ssd' ? n.faceLandmark68Net : n.faceLandmark68TinyNet).loadFromDisk(modelDir);
    await n.ageGenderNet.loadFromDisk(modelDir);
    await n.faceExpressionNet.loadFromDisk(modelDir);
    this.api = api;
    this.tf = tf;
    await this.detect({ data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, channels: 3 });
    this.failure = undefined;
  }

  status(): AnalyzerStatus {
    return this.failure === undefined ? { available: true } : { available: false, reason: this.failure };
  }

  detect(image: Raster): Promise<EngineFace[]> {
    const api = this.api;
    const tf = this.tf;
    if (api === undefined || tf === undefined) {
      return Promise.reject(
        new KaleidoError('ERR_UNAVAILABLE', `face analyzer is not available: ${this.failure ?? ''}`),
      );
    }
    if (image.channels !== 3) {
      return Promise.reject(new KaleidoError('ERR_VALIDATION', 'the face analyzer needs an RGB raster'));
    }
    return this.serial.run(async () => {
      const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      try {
        const options =
          this.detector === 'ssd'
            ? new api.SsdMobilenetv1Options({ minConfidence: this.minScore, maxResults: this.maxFaces })
            : new api.TinyFaceDetectorOptions({
                inputSize: this.tinyInputSize,
                scoreThreshold: this.minScore,
              });
        const results = await api
          .detectAllFaces(input, options)
          .withFaceLandmarks(this.detector === 'tiny')
          .withFaceExpressions()
          .withAgeAndGender();
        return results
          .map((r) => {
            const expressions: Record<string, number> = {};
            for (const k of EXPRESSIONS) expressions[k] = r.expressions[k] ?? 0;
            const b = r.detection.box;
            return {
              box: { x: b.x, y: b.y, width: b.width, height: b.height },
              score: r.detection.score,
              age: r.age,
              gender: r.gender,
              genderScore: r.genderProbability,
              expressions,
            };
          })
          .sort((a, b) => b.score - a.score)
          .slice(0, this.maxFaces);
      } finally {
        input.dispose();
      }
    });
  }

  close(): Promise<void> {
    this.api = undefined;
    this.loading = undefined;
    this.failure = 'closed';
    return Promise.resolve();
  }
}
