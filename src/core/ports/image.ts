/**
 * Ports of the image modality: a decoder that turns any common format into oriented pixels
 * (src/adapters/media-sharp), and the engines the image analyzers are built on — object
 * detection, faces, NSFW classification (src/adapters/image-tfjs) and OCR
 * (src/adapters/ocr-tesseract). The modality (src/modalities/image) never imports a vendor
 * package: it hands these engines rasters and maps their answers back to the original image.
 *
 * Coordinates: pixel boxes `{ x, y, width, height }` with the origin at the top-left corner of
 * the raster the engine was given. The modality rescales them to the full, EXIF-rotated image.
 */
import type { AnalyzerStatus } from './analyzer.js';
import type { CancelSignal } from './inference.js';

/** What the header says, before any pixel is decoded. */
export interface ImageProbe {
  /** Decoder's format name: "jpeg", "png", "webp", "gif", "tiff", "heif", "svg", … */
  readonly format: string;
  /** Width after EXIF orientation is applied (orientations 5–8 swap width and height). */
  readonly width: number;
  /** Height after EXIF orientation is applied. */
  readonly height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  readonly orientation: number;
  /** Frames/pages in the file (animated GIF/WebP, multi-page TIFF); the first is analysed. */
  readonly pages: number;
  readonly hasAlpha: boolean;
}

/** Decoded pixels, row-major, interleaved channels, 8 bits each. */
export interface Raster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 1 = grey, 3 = RGB (alpha is flattened onto white). */
  readonly channels: 1 | 3;
}

export interface ImageDecodeOptions {
  readonly channels: 1 | 3;
  /** Longest side of the result; larger images are downscaled (never upscaled). */
  readonly maxSide?: number;
  readonly signal?: CancelSignal;
}

/**
 * Decodes encoded images held in memory. Failures are KaleidoErrors: ERR_VALIDATION (empty
 * input), ERR_PAYLOAD_TOO_LARGE (more pixels than allowed, decided from the header before any
 * pixel is decoded), ERR_UNSUPPORTED_MEDIA_TYPE (not an image format the decoder reads),
 * ERR_MEDIA_CORRUPT (recognised but damaged or truncated), ERR_TIMEOUT, ERR_CANCELLED.
 */
export interface ImageDecoder {
  /** e.g. "sharp". */
  readonly name: string;
  /** Package and library versions, e.g. "0.35.5 (libvips 8.17.3)". */
  readonly version: string;
  /** Largest width × height accepted. */
  readonly maxPixels: number;
  init(): Promise<void>;
  status(): AnalyzerStatus;
  probe(input: Uint8Array): Promise<ImageProbe>;
  /** The first frame, EXIF-rotated, alpha flattened on white. */
  decode(input: Uint8Array, options: ImageDecodeOptions): Promise<Raster>;
  close(): Promise<void>;
}

export interface PixelBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A loaded model behind an image analyzer. */
export interface ImageEngine {
  /** Vendor package, e.g. "@vladmandic/human". */
  readonly name: string;
  /** Package version. */
  readonly version: string;
  /** The model inside it, e.g. "nanodet (COCO-80)". */
  readonly model: string;
  /** Loads the model and runs it once (warm-up); idempotent. Throws ERR_UNAVAILABLE with the reason. */
  init(): Promise<void>;
  status(): AnalyzerStatus;
  close(): Promise<void>;
}

export interface EngineObject {
  /** Class name from the model's label set (COCO-80 for nanodet/centernet), e.g. "dog". */
  readonly label: string;
  readonly score: number;
  readonly box: PixelBox;
}

export interface ObjectDetectorEngine extends ImageEngine {
  /** Every label the model can report. */
  readonly labels: readonly string[];
  /** Detections on an RGB raster, best first. */
  detect(image: Raster): Promise<EngineObject[]>;
}

export interface EngineFace {
  readonly box: PixelBox;
  /** Detector confidence. */
  readonly score: number;
  /** Estimated age in years. */
  readonly age?: number;
  readonly gender?: 'female' | 'male';
  /** Probability of `gender`. */
  readonly genderScore?: number;
  /** Expression probabilities (neutral, happy, sad, angry, fearful, disgusted, surprised). */
  readonly expressions?: Readonly<Record<string, number>>;
}

export interface FaceEngine extends ImageEngine {
  /** Faces on an RGB raster, best first. */
  detect(image: Raster): Promise<EngineFace[]>;
}

export interface NsfwEngine extends ImageEngine {
  /** Class names, e.g. Drawing, Hentai, Neutral, Porn, Sexy. */
  readonly classes: readonly string[];
  /** One probability per class (they sum to ~1). */
  classify(image: Raster): Promise<Readonly<Record<string, number>>>;
}

export interface OcrWord {
  readonly text: string;
  /** In [0, 1]. */
  readonly confidence: number;
  readonly box: PixelBox;
}

export interface OcrLine {
  readonly text: string;
  readonly confidence: number;
  readonly box: PixelBox;
  readonly words: readonly OcrWord[];
}

export interface OcrPage {
  /** Lines joined with "\n". */
  readonly text: string;
  /** Mean word confidence in [0, 1] (0 when nothing was read). */
  readonly confidence: number;
  readonly lines: readonly OcrLine[];
}

export const OcrLayout = {
  /** Find text blocks anywhere on the page (Tesseract PSM 3). */
  AUTO: 'auto',
  /** The image is one line of text (PSM 7): faster and more accurate on line crops. */
  LINE: 'line',
} as const;
export type OcrLayout = (typeof OcrLayout)[keyof typeof OcrLayout];

export interface OcrEngine extends ImageEngine {
  /** BCP-47 language of the model, e.g. "en". */
  readonly language: string;
  /** Reads a grey raster. ERR_TIMEOUT past the engine's limit, ERR_CANCELLED on abort. */
  recognize(
    image: Raster,
    options?: { readonly layout?: OcrLayout; readonly signal?: CancelSignal },
  ): Promise<OcrPage>;
}
