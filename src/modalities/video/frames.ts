/**
 * Which sampled frames need the image analyzers. Models on a frame cost 0.3–2 s each
 * (docs/accuracy.md), and most sampled frames of a talk, a slide deck or a static shot look like
 * the previous one: a frame whose coarse picture is within `threshold` of the last analysed frame,
 * with no scene cut in between, reuses that frame's results instead of running the models again.
 *
 * The coarse picture is a 16 × 16 grid of mean RGB values (aspect ratio ignored); the distance is
 * the mean absolute difference of those 768 values, in [0, 1]. Noise, compression and small motion
 * stay well under 0.02; a new object, a caption or a camera move crosses it.
 */
import { KaleidoError } from '../../core/errors.js';
import type { SampledFrame, SceneChange } from './types.js';

export const SIGNATURE_GRID = 16;
export const DEFAULT_REUSE_THRESHOLD = 0.02;

/** Mean RGB of each cell of a GRID × GRID partition of the frame, scaled to [0, 1]. */
export function frameSignature(frame: Pick<SampledFrame, 'rgb' | 'width' | 'height'>): Float32Array {
  const { rgb, width, height } = frame;
  if (rgb.length !== width * height * 3) {
    throw new KaleidoError('ERR_VALIDATION', 'frame data does not match its size', {
      details: { field: 'rgb', bytes: rgb.length, width, height },
    });
  }
  const g = SIGNATURE_GRID;
  const sums = new Float64Array(g * g * 3);
  const counts = new Uint32Array(g * g);
  for (let y = 0; y < height; y++) {
    const cy = Math.min(g - 1, Math.floor((y * g) / height));
    for (let x = 0; x < width; x++) {
      const cell = cy * g + Math.min(g - 1, Math.floor((x * g) / width));
      const p = (y * width + x) * 3;
      sums[cell * 3] = (sums[cell * 3] as number) + (rgb[p] as number);
      sums[cell * 3 + 1] = (sums[cell * 3 + 1] as number) + (rgb[p + 1] as number);
      sums[cell * 3 + 2] = (sums[cell * 3 + 2] as number) + (rgb[p + 2] as number);
      counts[cell] = (counts[cell] as number) + 1;
    }
  }
  const out = new Float32Array(g * g * 3);
  for (let c = 0; c < g * g; c++) {
    const n = Math.max(1, counts[c] as number) * 255;
    for (let k = 0; k < 3; k++) out[c * 3 + k] = (sums[c * 3 + k] as number) / n;
  }
  return out;
}

/** Mean absolute difference of two signatures, in [0, 1]. */
export function signatureDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', 'frame signatures differ in size', {
      details: { a: a.length, b: b.length },
    });
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((a[i] as number) - (b[i] as number));
  return d / a.length;
}

export interface FramePlan {
  readonly index: number;
  readonly time: number;
  /** Index of the frame whose results this one reuses; absent when it is analysed itself. */
  readonly reuses?: number;
  /** Distance to the last analysed frame (absent for analysed frames after a cut or the first). */
  readonly distance?: number;
}

/**
 * Decides per frame: analyse, or reuse the last analysed frame's results. A cut between the two
 * always forces analysis, whatever the distance (a cut to a similar-looking shot is a new scene).
 */
export function planFrames(
  frames: readonly Pick<SampledFrame, 'index' | 'time' | 'rgb' | 'width' | 'height'>[],
  scenes: readonly SceneChange[],
  threshold: number = DEFAULT_REUSE_THRESHOLD,
): FramePlan[] {
  if (!(threshold >= 0 && threshold < 1)) {
    throw new KaleidoError('ERR_BAD_CONFIG', 'the frame reuse threshold must be in [0, 1)', {
      details: { field: 'reuseThreshold', value: threshold },
    });
  }
  const out: FramePlan[] = [];
  let last: { index: number; time: number; signature: Float32Array } | undefined;
  for (const f of frames) {
    const signature = frameSignature(f);
    const cut =
      last !== undefined && scenes.some((s) => s.time > (last as { time: number }).time && s.time <= f.time);
    if (last !== undefined && !cut && threshold > 0) {
      const distance = signatureDistance(signature, last.signature);
      if (distance < threshold) {
        out.push({ index: f.index, time: f.time, reuses: last.index, distance: round4(distance) });
        continue;
      }
      out.push({ index: f.index, time: f.time, distance: round4(distance) });
    } else {
      out.push({ index: f.index, time: f.time });
    }
    last = { index: f.index, time: f.time, signature };
  }
  return out;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
