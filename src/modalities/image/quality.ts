/**
 * Basic quality metrics without a model: brightness and RMS contrast of the luma, and sharpness
 * as the variance of the 4-neighbour Laplacian (Pech-Pacheco et al., 2000). Sharpness depends on
 * scale, so it is measured on a copy whose longest side is `sampleSide` (default 512): a photo
 * and its 4× larger original get comparable numbers. `blurry` compares it with a threshold
 * (default 100 on 0–255 luma, the customary value; see docs/accuracy.md for the calibration).
 */
import type { Raster } from '../../core/ports/image.js';
import { downscale, luma } from './raster.js';

export interface QualityMetrics {
  /** Mean luma in [0, 1]. */
  readonly brightness: number;
  /** Standard deviation of luma in [0, 0.5] (RMS contrast). */
  readonly contrast: number;
  /** Variance of the Laplacian of the 0–255 luma at `sampleSide`. */
  readonly sharpness: number;
  readonly blurry: boolean;
}

export interface QualityOptions {
  readonly sampleSide?: number;
  readonly blurThreshold?: number;
}

export const DEFAULT_BLUR_THRESHOLD = 100;

export function qualityMetrics(image: Raster, options: QualityOptions = {}): QualityMetrics {
  const small = downscale(image, options.sampleSide ?? 512);
  const y = luma(small);
  const { width: w, height: h } = small;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i] ?? 0;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / y.length;
  const variance = Math.max(0, sumSq / y.length - mean * mean);

  let lapSum = 0;
  let lapSq = 0;
  let count = 0;
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      const l = (y[i - 1] ?? 0) + (y[i + 1] ?? 0) + (y[i - w] ?? 0) + (y[i + w] ?? 0) - 4 * (y[i] ?? 0);
      lapSum += l;
      lapSq += l * l;
      count++;
    }
  }
  const lapMean = count === 0 ? 0 : lapSum / count;
  const sharpness = count === 0 ? 0 : Math.max(0, lapSq / count - lapMean * lapMean);
  return {
    brightness: mean / 255,
    contrast: Math.sqrt(variance) / 255,
    sharpness,
    blurry: sharpness < (options.blurThreshold ?? DEFAULT_BLUR_THRESHOLD),
  };
}
