/**
 * Dominant colours: k-means in RGB on a copy downscaled to at most 64×64 (4 096 pixels), seeded
 * with k-means++ from a fixed seed, so the same image always gives the same palette. Clusters are
 * reported largest first with their share of the pixels; when the image has fewer distinct
 * colours than `k`, fewer clusters are returned (a two-colour image gives exactly two).
 */
import { KaleidoError } from '../../core/errors.js';
import type { Raster } from '../../core/ports/image.js';
import { Rng } from '../../core/random.js';
import { downscale } from './raster.js';

export interface DominantColour {
  /** `#rrggbb`. */
  readonly hex: string;
  readonly rgb: readonly [number, number, number];
  /** Share of the image's pixels in this cluster, in (0, 1]. */
  readonly share: number;
}

export interface ColourOptions {
  /** Most colours to report (default 5). */
  readonly k?: number;
  /** Longest side of the copy that is clustered (default 64). */
  readonly sampleSide?: number;
  /** k-means iterations at most (default 20). */
  readonly maxIterations?: number;
}

const hex2 = (v: number): string => v.toString(16).padStart(2, '0');

export function dominantColours(image: Raster, options: ColourOptions = {}): DominantColour[] {
  const k = options.k ?? 5;
  const side = options.sampleSide ?? 64;
  const maxIterations = options.maxIterations ?? 20;
  if (!(Number.isInteger(k) && k >= 1 && k <= 16)) {
    throw new KaleidoError('ERR_VALIDATION', 'k must be an integer from 1 to 16', {
      details: { field: 'k', value: k },
    });
  }
  if (image.channels !== 3) {
    throw new KaleidoError('ERR_VALIDATION', 'dominant colours need an RGB raster');
  }
  const small = downscale(image, side);
  const n = small.width * small.height;
  const px = new Float64Array(n * 3);
  for (let i = 0; i < n * 3; i++) px[i] = small.data[i] ?? 0;
  const dist2 = (i: number, c: Float64Array, j: number): number => {
    const dr = (px[3 * i] ?? 0) - (c[3 * j] ?? 0);
    const dg = (px[3 * i + 1] ?? 0) - (c[3 * j + 1] ?? 0);
    const db = (px[3 * i + 2] ?? 0) - (c[3 * j + 2] ?? 0);
    return dr * dr + dg * dg + db * db;
  };

  // k-means++ seeding; stops early when every pixel already sits on a centre.
  const rng = new Rng(0x636f6c6f);
  const centres = new Float64Array(k * 3);
  const first = Math.floor(rng.random() * n);
  for (let c = 0; c < 3; c++) centres[c] = px[3 * first + c] ?? 0;
  let used = 1;
  const nearest = new Float64Array(n).fill(Infinity);
  while (used < k) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = dist2(i, centres, used - 1);
      if (d < (nearest[i] ?? Infinity)) nearest[i] = d;
      total += nearest[i] ?? 0;
    }
    if (total === 0) break;
    let target = rng.random() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i] ?? 0;
      if (target <= 0) {
        pick = i;
        break;
      }
    }
    for (let c = 0; c < 3; c++) centres[3 * used + c] = px[3 * pick + c] ?? 0;
    used++;
  }

  const assign = new Int32Array(n).fill(-1);
  for (let iter = 0; iter < maxIterations; iter++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let j = 0; j < used; j++) {
        const d = dist2(i, centres, j);
        if (d < bestD) {
          bestD = d;
          best = j;
        }
      }
      if (assign[i] !== best) {
        assign[i] = best;
        changed++;
      }
    }
    const sums = new Float64Array(used * 3);
    const counts = new Uint32Array(used);
    for (let i = 0; i < n; i++) {
      const j = assign[i] ?? 0;
      counts[j] = (counts[j] ?? 0) + 1;
      for (let c = 0; c < 3; c++) sums[3 * j + c] = (sums[3 * j + c] ?? 0) + (px[3 * i + c] ?? 0);
    }
    for (let j = 0; j < used; j++) {
      const m = counts[j] ?? 0;
      if (m > 0) for (let c = 0; c < 3; c++) centres[3 * j + c] = (sums[3 * j + c] ?? 0) / m;
    }
    if (changed === 0) break;
  }

  const counts = new Uint32Array(used);
  for (let i = 0; i < n; i++) counts[assign[i] ?? 0] = (counts[assign[i] ?? 0] ?? 0) + 1;
  const out: DominantColour[] = [];
  for (let j = 0; j < used; j++) {
    const m = counts[j] ?? 0;
    if (m === 0) continue;
    const rgb = [0, 1, 2].map((c) => Math.min(255, Math.max(0, Math.round(centres[3 * j + c] ?? 0)))) as [
      number,
      number,
      number,
    ];
    out.push({ hex: `#${rgb.map(hex2).join('')}`, rgb, share: m / n });
  }
  return out.sort((a, b) => b.share - a.share);
}
