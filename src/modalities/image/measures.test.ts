import { describe, expect, it } from 'vitest';
import type { Raster } from '../../core/ports/image.js';
import { dominantColours } from './colours.js';
import { qualityMetrics } from './quality.js';
import { downscale, luma, scaleBox } from './raster.js';

/** width × height RGB raster filled by `f(x, y)`. */
function rgb(width: number, height: number, f: (x: number, y: number) => [number, number, number]): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { data, width, height, channels: 3 };
}

describe('raster helpers', () => {
  it('downscale averages each cell and keeps the aspect ratio', () => {
    const stripes = rgb(200, 100, (x) => (x % 2 === 0 ? [0, 0, 0] : [200, 100, 50]));
    const small = downscale(stripes, 50);
    expect([small.width, small.height]).toEqual([50, 25]);
    expect([...small.data.subarray(0, 3)]).toEqual([100, 50, 25]);
    expect(downscale(stripes, 500)).toBe(stripes);
  });

  it('downscale equals a per-pixel area average (RGB and grey, odd sizes)', () => {
    // The definition, written the slow way: every source pixel adds to the cell its position maps to.
    const reference = (r: Raster, maxSide: number): number[] => {
      const f = maxSide / Math.max(r.width, r.height);
      const w = Math.max(1, Math.round(r.width * f));
      const h = Math.max(1, Math.round(r.height * f));
      const sums = new Array<number>(w * h * r.channels).fill(0);
      const counts = new Array<number>(w * h).fill(0);
      for (let y = 0; y < r.height; y++)
        for (let x = 0; x < r.width; x++) {
          const t =
            Math.min(h - 1, Math.floor((y * h) / r.height)) * w +
            Math.min(w - 1, Math.floor((x * w) / r.width));
          counts[t]! += 1;
          for (let k = 0; k < r.channels; k++)
            sums[t * r.channels + k]! += r.data[(y * r.width + x) * r.channels + k]!;
        }
      return sums.map((v, i) => Math.round(v / counts[Math.floor(i / r.channels)]!));
    };
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (const [width, height, channels, side] of [
      [97, 61, 3, 40],
      [61, 97, 1, 13],
      [300, 7, 3, 64],
      [5, 400, 1, 3],
    ] as const) {
      const data = Uint8Array.from({ length: width * height * channels }, () => Math.floor(next() * 256));
      const r: Raster = { data, width, height, channels };
      expect([...downscale(r, side).data]).toEqual(reference(r, side));
    }
  });

  it('luma follows BT.601', () => {
    expect([...luma(rgb(1, 1, () => [255, 0, 0]))][0]).toBeCloseTo(76.245, 3);
  });

  it('scaleBox maps, clips and rounds', () => {
    expect(scaleBox({ x: 10, y: 5, width: 20, height: 10 }, { width: 100, height: 50 }, { width: 400, height: 200 })).toEqual({ x: 40, y: 20, width: 80, height: 40 }); // prettier-ignore
    expect(scaleBox({ x: -5, y: 40, width: 20, height: 30 }, { width: 100, height: 50 }, { width: 100, height: 50 })).toEqual({ x: 0, y: 40, width: 15, height: 10 }); // prettier-ignore
  });
});

describe('dominantColours', () => {
  it('returns each distinct colour once with its share, largest first', () => {
    // 50 px wide: under the 64 px sample side, so no cell blends two colours.
    const img = rgb(50, 10, (x) => (x < 10 ? [0, 255, 0] : x < 25 ? [255, 255, 255] : [10, 20, 30]));
    expect(dominantColours(img).map((c) => [c.hex, Number(c.share.toFixed(2))])).toEqual([
      ['#0a141e', 0.5],
      ['#ffffff', 0.3],
      ['#00ff00', 0.2],
    ]);
  });

  it('is deterministic and caps the palette at k', () => {
    const noise = rgb(64, 64, (x, y) => [(x * 37 + y * 11) % 256, (x * 7) % 256, (y * 13) % 256]);
    const a = dominantColours(noise, { k: 4 });
    expect(a).toHaveLength(4);
    expect(dominantColours(noise, { k: 4 })).toEqual(a);
    expect(a.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 10);
  });

  it('refuses a bad k', () => {
    expect(() =>
      dominantColours(
        rgb(2, 2, () => [0, 0, 0]),
        { k: 0 },
      ),
    ).toThrow(/k must be/);
  });
});

describe('qualityMetrics', () => {
  it('a flat image has no sharpness or contrast and is blurry', () => {
    const q = qualityMetrics(rgb(50, 40, () => [51, 51, 51]));
    expect(q).toEqual({ brightness: 0.2, contrast: 0, sharpness: 0, blurry: true });
  });

  it('a checkerboard is sharp with maximal contrast', () => {
    const q = qualityMetrics(rgb(40, 40, (x, y) => ((x + y) % 2 === 0 ? [0, 0, 0] : [255, 255, 255])));
    expect(q.contrast).toBeCloseTo(0.5, 5);
    expect(q.brightness).toBeCloseTo(0.5, 5);
    // Every interior Laplacian is ±4·255, so the variance is (4·255)².
    expect(q.sharpness).toBeCloseTo(1020 * 1020, 0);
    expect(q.blurry).toBe(false);
  });
});
