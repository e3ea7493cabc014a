/**
 * Small pure raster operations for the measurements that need no model: downscaling by area
 * averaging, grey conversion, and mapping boxes between an analysis copy and the full image.
 */
import { KaleidoError } from '../../core/errors.js';
import type { PixelBox, Raster } from '../../core/ports/image.js';

export function checkRaster(r: Raster): void {
  const ok =
    Number.isInteger(r.width) &&
    Number.isInteger(r.height) &&
    r.width > 0 &&
    r.height > 0 &&
    (r.channels === 1 || r.channels === 3) &&
    r.data.length === r.width * r.height * r.channels;
  if (!ok) {
    throw new KaleidoError('ERR_VALIDATION', 'the raster size does not match its data', {
      details: { width: r.width, height: r.height, channels: r.channels, bytes: r.data.length },
    });
  }
}

/**
 * Downscales so the longest side is at most `maxSide`, averaging every source pixel into its
 * target cell (no aliasing: a thin line still darkens its cell). Returns the input when it is
 * already small enough.
 */
export function downscale(r: Raster, maxSide: number): Raster {
  checkRaster(r);
  const longest = Math.max(r.width, r.height);
  if (longest <= maxSide) return r;
  const f = maxSide / longest;
  const w = Math.max(1, Math.round(r.width * f));
  const h = Math.max(1, Math.round(r.height * f));
  const c = r.channels;
  const src = r.data;
  // Target column of every source column, computed once (not per pixel): this loop runs on the
  // event loop for every image, over up to a million source pixels. Sums of integers in float64
  // are exact, so the result does not depend on the summation order.
  const colOf = new Int32Array(r.width);
  for (let x = 0; x < r.width; x++) colOf[x] = Math.min(w - 1, Math.floor((x * w) / r.width));
  const sums = new Float64Array(w * h * c);
  const counts = new Uint32Array(w * h);
  for (let y = 0; y < r.height; y++) {
    const row = Math.min(h - 1, Math.floor((y * h) / r.height)) * w;
    let s = y * r.width * c;
    if (c === 3) {
      for (let x = 0; x < r.width; x++, s += 3) {
        const t = row + (colOf[x] as number);
        counts[t] = (counts[t] as number) + 1;
        const o = t * 3;
        sums[o] = (sums[o] as number) + (src[s] as number);
        sums[o + 1] = (sums[o + 1] as number) + (src[s + 1] as number);
        sums[o + 2] = (sums[o + 2] as number) + (src[s + 2] as number);
      }
    } else {
      for (let x = 0; x < r.width; x++, s++) {
        const t = row + (colOf[x] as number);
        counts[t] = (counts[t] as number) + 1;
        sums[t] = (sums[t] as number) + (src[s] as number);
      }
    }
  }
  const data = new Uint8Array(w * h * c);
  for (let t = 0; t < w * h; t++) {
    const n = (counts[t] as number) || 1;
    for (let k = 0; k < c; k++) data[t * c + k] = Math.round((sums[t * c + k] as number) / n);
  }
  return { data, width: w, height: h, channels: c };
}

/** Luma (ITU-R BT.601) of an RGB raster as a Float32 plane in 0–255; grey rasters are copied. */
export function luma(r: Raster): Float32Array {
  checkRaster(r);
  const n = r.width * r.height;
  const out = new Float32Array(n);
  if (r.channels === 1) {
    for (let i = 0; i < n; i++) out[i] = r.data[i] ?? 0;
    return out;
  }
  for (let i = 0; i < n; i++) {
    out[i] =
      0.299 * (r.data[3 * i] ?? 0) + 0.587 * (r.data[3 * i + 1] ?? 0) + 0.114 * (r.data[3 * i + 2] ?? 0);
  }
  return out;
}

/**
 * Maps a box found on a `from`-sized copy onto the `to`-sized image, clipped to it, rounded to
 * whole pixels.
 */
export function scaleBox(
  b: PixelBox,
  from: { width: number; height: number },
  to: { width: number; height: number },
): PixelBox {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const x0 = Math.min(to.width, Math.max(0, b.x * sx));
  const y0 = Math.min(to.height, Math.max(0, b.y * sy));
  const x1 = Math.min(to.width, Math.max(0, (b.x + b.width) * sx));
  const y1 = Math.min(to.height, Math.max(0, (b.y + b.height) * sy));
  const x = Math.round(x0);
  const y = Math.round(y0);
  return { x, y, width: Math.max(0, Math.round(x1) - x), height: Math.max(0, Math.round(y1) - y) };
}
