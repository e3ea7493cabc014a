/** The image modality: analyzers over injected engines, dominant colours, quality metrics. */
export * from './types.js';
export {
  ImageAnalyzers,
  DEFAULT_ANALYSIS_MAX_SIDE,
  DEFAULT_OCR_MAX_SIDE,
  SEXUAL_NSFW_CLASSES,
  type ImageAnalyzerDeps,
} from './analyzers.js';
export { dominantColours, type ColourOptions, type DominantColour } from './colours.js';
export {
  qualityMetrics,
  DEFAULT_BLUR_THRESHOLD,
  type QualityMetrics,
  type QualityOptions,
} from './quality.js';
export { downscale, luma, scaleBox, checkRaster } from './raster.js';
export {
  ServedNsfwClassifier,
  ServedObjectDetector,
  NSFW_MODEL,
  OBJECT_MODEL,
  COCO80,
  SERVED_NSFW_CLASSES,
  type ServedModelOptions,
  type ServedObjectsOptions,
} from './served.js';
export {
  resizeBilinearHwc,
  hwcToChw,
  nonMaxSuppression,
  decodeNanodet,
  type NmsBox,
  type NanodetDetection,
} from './tensors.js';
