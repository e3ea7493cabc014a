/**
 * Pure pre- and post-processing for the served image models: bilinear resizing into model input
 * tensors (the same arithmetic as TensorFlow.js' ResizeBilinear kernel, so a served model sees the
 * pixels its original library fed it), NanoDet box decoding and greedy non-maximum suppression.
 */
import { KaleidoError } from '../../core/errors.js';
import type { Raster } from '../../core/ports/image.js';
import { checkRaster } from './raster.js';

/**
 * Resizes an RGB raster to `width` × `height` by bilinear interpolation and returns float32 HWC
 * values multiplied by `scale` (e.g. 1/255). `alignCorners` as in tf.image.resizeBilinear
 * (half-pixel centres off): true maps the corner pixels onto each other.
 */
export function resizeBilinearHwc(
  r: Raster,
  width: number,
  height: number,
  alignCorners: boolean,
  scale = 1,
): Float32Array {
  checkRaster(r);
  const c = r.channels;
  const out = new Float32Array(width * height * c);
  const sy = alignCorners && height > 1 ? (r.height - 1) / (height - 1) : r.height / height;
  const sx = alignCorners && width > 1 ? (r.width - 1) / (width - 1) : r.width / width;
  const xs0 = new Int32Array(width);
  const xs1 = new Int32Array(width);
  const xl = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const inX = Math.fround(x * sx);
    const x0 = Math.floor(inX);
    xs0[x] = x0;
    xs1[x] = Math.min(r.width - 1, Math.ceil(inX));
    xl[x] = inX - x0;
  }
  const d = r.data;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const inY = Math.fround(y * sy);
    const y0 = Math.floor(inY);
    const y1 = Math.min(r.height - 1, Math.ceil(inY));
    const yl = inY - y0;
    const row0 = y0 * r.width;
    const row1 = y1 * r.width;
    for (let x = 0; x < width; x++) {
      const a = (row0 + (xs0[x] as number)) * c;
      const b = (row0 + (xs1[x] as number)) * c;
      const e = (row1 + (xs0[x] as number)) * c;
      const f = (row1 + (xs1[x] as number)) * c;
      const lx = xl[x] as number;
      for (let k = 0; k < c; k++) {
        const top = (d[a + k] as number) + ((d[b + k] as number) - (d[a + k] as number)) * lx;
        const bottom = (d[e + k] as number) + ((d[f + k] as number) - (d[e + k] as number)) * lx;
        out[o++] = (top + (bottom - top) * yl) * scale;
      }
    }
  }
  return out;
}

/** HWC → CHW (planar), as NCHW models (NanoDet) take it. */
export function hwcToChw(hwc: Float32Array, width: number, height: number, channels: number): Float32Array {
  const out = new Float32Array(hwc.length);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < channels; k++) out[k * plane + i] = hwc[i * channels + k] as number;
  }
  return out;
}

/** A candidate box in TensorFlow's [y1, x1, y2, x2] order (any two opposite corners). */
export type NmsBox = readonly [number, number, number, number];

function iou(a: NmsBox, b: NmsBox): number {
  const aymin = Math.min(a[0], a[2]);
  const axmin = Math.min(a[1], a[3]);
  const aymax = Math.max(a[0], a[2]);
  const axmax = Math.max(a[1], a[3]);
  const bymin = Math.min(b[0], b[2]);
  const bxmin = Math.min(b[1], b[3]);
  const bymax = Math.max(b[0], b[2]);
  const bxmax = Math.max(b[1], b[3]);
  const areaA = (aymax - aymin) * (axmax - axmin);
  const areaB = (bymax - bymin) * (bxmax - bxmin);
  if (areaA <= 0 || areaB <= 0) return 0;
  const ih = Math.max(Math.min(aymax, bymax) - Math.max(aymin, bymin), 0);
  const iw = Math.max(Math.min(axmax, bxmax) - Math.max(axmin, bxmin), 0);
  const inter = ih * iw;
  return inter / (areaA + areaB - inter);
}

/**
 * Greedy non-maximum suppression as tf.image.nonMaxSuppression: candidates above
 * `scoreThreshold`, best first (ties: lower index first); one is dropped when its IoU with an
 * already kept box is ≥ `iouThreshold`. Returns kept indices, best first, at most `maxOutput`.
 */
export function nonMaxSuppression(
  boxes: readonly NmsBox[],
  scores: readonly number[],
  maxOutput: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const order = scores
    .map((s, i) => ({ s, i }))
    .filter((c) => c.s > scoreThreshold)
    .sort((a, b) => b.s - a.s || a.i - b.i);
  const kept: number[] = [];
  for (const c of order) {
    if (kept.length >= maxOutput) break;
    const box = boxes[c.i] as NmsBox;
    if (kept.every((k) => iou(boxes[k] as NmsBox, box) < iouThreshold)) kept.push(c.i);
  }
  return kept;
}

export interface NanodetDetection {
  /** Class index in the COCO-80 order. */
  readonly classIndex: number;
  /** Rounded to two decimals, as Human reports it. */
  readonly score: number;
  /** x, y, width, height in pixels of the image the detector was given (truncated to integers). */
  readonly box: readonly [number, number, number, number];
}

export interface NanodetOutputs {
  /**
   * Per stride (32, 16, 8 pixels: S/32, S/16, S/8 cells a side for input side S, i.e. 13, 26, 52
   * at 416): class scores [cells × classes] and box features [cells × 4·bins].
   */
  readonly levels: ReadonlyArray<{
    readonly side: number;
    readonly scores: Float32Array;
    readonly classes: number;
    readonly features: Float32Array;
    readonly featureWidth: number;
  }>;
}

/** The strides of NanoDet's three heads, coarsest first, in input pixels. */
export const NANODET_STRIDES = [32, 16, 8] as const;

/** Cells a side of each level for input side `inputSize` (a multiple of 32): 13, 26, 52 at 416. */
export function nanodetGridSides(inputSize: number): number[] {
  if (!Number.isInteger(inputSize) || inputSize <= 0 || inputSize % 32 !== 0) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `NanoDet input side must be a positive multiple of 32, not ${inputSize}`,
      {
        details: { inputSize },
      },
    );
  }
  return NANODET_STRIDES.map((s) => inputSize / s);
}

/**
 * Decodes NanoDet outputs as Human 3.x does (src/object/nanodet.ts): for every cell and class
 * above `minScore` (class 61 skipped, as Human does), the box edges are the arg-max bins of the
 * distance features, scaled by 2.5 / stride; then NMS. `inputSize` is the model's input side (a
 * multiple of 32; Human only ran 416); `width`/`height` the size of the image the boxes are
 * reported on. Coordinates are fractions of the input, so they map onto the image at any size.
 *
 * Human hard-codes the coarsest grid as 13 (416 / 32) and a box scale of 2.5 fitted to it: its
 * edge distance is bin · 2.5 · 13 / 32 / side of the input (≈ 1.016 bin strides, NanoDet's own
 * decoding being exactly one stride per bin). Here the coarsest grid is inputSize / 32 and the
 * scale 2.5 · 13 / (inputSize / 32), which is the same distance in strides at every input side and
 * the very same float arithmetic as Human's at 416.
 */
export function decodeNanodet(
  out: NanodetOutputs,
  options: {
    readonly inputSize: number;
    readonly width: number;
    readonly height: number;
    readonly minScore: number;
    readonly iouThreshold: number;
    readonly maxDetections: number;
  },
): NanodetDetection[] {
  const coarsest = nanodetGridSides(options.inputSize)[0] as number; // 13 at 416
  const SCALE_BOX = 2.5 * (13 / coarsest);
  const found: Array<NanodetDetection & { raw: [number, number, number, number] }> = [];
  for (const level of out.levels) {
    const baseSize = level.side;
    // 1, 2, 4 for strides 32, 16, 8.
    const strideSize = baseSize / coarsest;
    if (!Number.isInteger(strideSize) || level.scores.length !== baseSize * baseSize * level.classes) {
      throw new KaleidoError(
        'ERR_INTERNAL',
        `NanoDet level of ${baseSize} cells a side does not fit input side ${options.inputSize}`,
      );
    }
    const bins = level.featureWidth / 4;
    for (let i = 0; i < baseSize * baseSize; i++) {
      for (let j = 0; j < level.classes; j++) {
        const score = level.scores[i * level.classes + j] as number;
        if (!(score > options.minScore) || j === 61) continue;
        const cx = (0.5 + Math.trunc(i % baseSize)) / baseSize;
        const cy = (0.5 + Math.trunc(i / baseSize)) / baseSize;
        const offset: number[] = [];
        for (let e = 0; e < 4; e++) {
          let best = 0;
          let bestV = -Infinity;
          for (let b = 0; b < bins; b++) {
            const v = level.features[i * level.featureWidth + e * bins + b] as number;
            if (v > bestV) {
              bestV = v;
              best = b;
            }
          }
          offset.push(best * (baseSize / strideSize / options.inputSize));
        }
        const x = cx - (SCALE_BOX / strideSize) * (offset[0] as number);
        const y = cy - (SCALE_BOX / strideSize) * (offset[1] as number);
        const w = cx + (SCALE_BOX / strideSize) * (offset[2] as number) - x;
        const h = cy + (SCALE_BOX / strideSize) * (offset[3] as number) - y;
        const raw = [x, y, w, h].map((a) => Math.max(0, Math.min(a, 1))) as [number, number, number, number];
        found.push({
          classIndex: j,
          score: Math.round(100 * score) / 100,
          box: [
            Math.trunc(raw[0] * options.width),
            Math.trunc(raw[1] * options.height),
            Math.trunc(raw[2] * options.width),
            Math.trunc(raw[3] * options.height),
          ],
          raw,
        });
      }
    }
  }
  // Human hands tf.nonMaxSuppression [y, x, h, w] (its width/height as the second corner), as
  // float32 tensors: kept as is, float32 rounding included (a score rounded to 0.3 is 0.30000001
  // in float32 and so passes a 0.3 threshold), so the served detector reports what Human reported.
  const f32 = Math.fround;
  const keep = nonMaxSuppression(
    found.map((f) => [f32(f.raw[1]), f32(f.raw[0]), f32(f.raw[3]), f32(f.raw[2])] as const),
    found.map((f) => f32(f.score)),
    options.maxDetections,
    options.iouThreshold,
    options.minScore,
  );
  const kept = new Set(keep);
  return found
    .filter((_, i) => kept.has(i))
    .sort((a, b) => b.score - a.score)
    .map(({ classIndex, score, box }) => ({ classIndex, score, box }));
}
