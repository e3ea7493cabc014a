/**
 * Port: frozen encoders that turn media into fixed-length feature vectors, so custom classifier
 * heads (core/train) can be trained on images and audio the way they are on hashed text.
 *
 * An ImageEmbedder is a pretrained network used as a frozen feature extractor (today MobileNetV2's
 * global-average-pooled penultimate layer, src/adapters/image-tfjs/embedder.ts). Nothing is fine-
 * tuned: the same input always gives the same vector, so a data set version is embedded once and
 * the vectors are cached (lifecycle/datasets/media-features.ts).
 */
import type { Raster } from './image.js';

export interface ImageEmbedder {
  /** Stable identifier of the encoder and layer, e.g. "nsfwjs-mobilenet_v2-gap". Part of cache keys. */
  readonly name: string;
  /** Package version of the weights, e.g. "4.3.0". Part of cache keys. */
  readonly version: string;
  /** Length of one embedding. */
  readonly dimensions: number;
  /** Loads the encoder (idempotent); ERR_UNAVAILABLE with the reason when it cannot. */
  init(): Promise<void>;
  /**
   * Embeds RGB rasters of any size (the encoder resizes them); returns a row-major
   * images.length × dimensions matrix. Deterministic for a given input.
   */
  embed(images: readonly Raster[]): Promise<Float32Array>;
  close(): Promise<void>;
}
