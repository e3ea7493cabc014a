/**
 * Result types of the image analyzers. Every box is `{ x, y, width, height }` in whole pixels of
 * the full image as displayed, i.e. after its EXIF orientation is applied (`quality.width` ×
 * `quality.height`), whatever copy the model actually saw.
 */
import type { ImageProbe, OcrLine, PixelBox, Raster } from '../../core/ports/image.js';
import type { DominantColour } from './colours.js';
import type { QualityMetrics } from './quality.js';

export const ALL_IMAGE_TASKS = ['quality', 'colours', 'objects', 'faces', 'nsfw', 'ocr'] as const;
export type ImageTask = (typeof ALL_IMAGE_TASKS)[number];

export interface ImageInput {
  /** The encoded image as received (OCR decodes its own, larger grey copy from it). */
  readonly bytes: Uint8Array;
  readonly probe: ImageProbe;
  /** RGB analysis copy, EXIF-rotated, longest side at most the module's `analysisMaxSide`. */
  readonly rgb: Raster;
}

export interface DetectedObject {
  readonly label: string;
  readonly score: number;
  readonly box: PixelBox;
}
export interface ObjectsResult {
  readonly objects: readonly DetectedObject[];
}

export interface Face {
  readonly box: PixelBox;
  readonly score: number;
  readonly age?: number;
  readonly gender?: 'female' | 'male';
  readonly genderScore?: number;
  /** The most probable expression. */
  readonly expression?: string;
  readonly expressions?: Readonly<Record<string, number>>;
}
export interface FacesResult {
  readonly faces: readonly Face[];
}

export interface NsfwResult {
  /** Probability per class (Drawing, Hentai, Neutral, Porn, Sexy). */
  readonly classes: Readonly<Record<string, number>>;
  /** The most probable class. */
  readonly top: string;
  /** What the safety step scores as `sexual`: Porn + Hentai (explicit classes; Sexy is not counted). */
  readonly sexual: number;
}

export interface OcrResult {
  readonly text: string;
  readonly confidence: number;
  readonly lines: readonly OcrLine[];
  /** Size of the grey copy OCR read, when it was downscaled (boxes are mapped back). */
  readonly readAt: { readonly width: number; readonly height: number };
}

export interface ColoursResult {
  readonly colours: readonly DominantColour[];
}

export interface QualityResult extends QualityMetrics {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly orientation: number;
  readonly pages: number;
  readonly hasAlpha: boolean;
}

export interface ImageResults {
  quality: QualityResult;
  colours: ColoursResult;
  objects: ObjectsResult;
  faces: FacesResult;
  nsfw: NsfwResult;
  ocr: OcrResult;
}
