import { describe, expect, it } from 'vitest';
import type { Raster } from '../../core/ports/image.js';
import {
  decodeNanodet,
  hwcToChw,
  nanodetGridSides,
  nonMaxSuppression,
  resizeBilinearHwc,
} from './tensors.js';

const grey2x2: Raster = { data: new Uint8Array([0, 100, 200, 255]), width: 2, height: 2, channels: 1 };

describe('resizeBilinearHwc (tf.image.resizeBilinear arithmetic)', () => {
  it('aligned corners: 2×2 → 3×3 keeps the corners and averages between them', () => {
    const out = Array.from(resizeBilinearHwc(grey2x2, 3, 3, true));
    // Row 0: 0, 50, 100; row 2: 200, 227.5, 255; row 1 is their mean.
    expect(out).toEqual([0, 50, 100, 100, 138.75, 177.5, 200, 227.5, 255]);
  });

  it('corners not aligned: 2×2 → 4×4 samples at x·(in/out), clamped at the far edge', () => {
    const out = Array.from(resizeBilinearHwc(grey2x2, 4, 4, false));
    // x positions 0, 0.5, 1, 1.5 → columns 0, 50, 100, 100 on row 0 (ceil clamps to the last pixel).
    expect(out.slice(0, 4)).toEqual([0, 50, 100, 100]);
    expect(out.slice(12, 16)).toEqual([200, 227.5, 255, 255]);
  });

  it('scales values and keeps RGB channels apart', () => {
    const rgb: Raster = { data: new Uint8Array([255, 0, 51, 255, 0, 51]), width: 2, height: 1, channels: 3 };
    const out = Array.from(resizeBilinearHwc(rgb, 1, 1, false, 1 / 255));
    expect(out.map((v) => Math.round(v * 1000) / 1000)).toEqual([1, 0, 0.2]);
  });

  it('hwcToChw makes planes', () => {
    const hwc = Float32Array.from([1, 2, 3, 4, 5, 6]); // two pixels, RGB
    expect(Array.from(hwcToChw(hwc, 2, 1, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('nonMaxSuppression (tf.image.nonMaxSuppression semantics)', () => {
  const boxes = [
    [0, 0, 10, 10],
    [1, 1, 11, 11], // IoU with the first: 81 / 119 ≈ 0.68
    [20, 20, 30, 30],
    [0, 0, 10, 10],
  ] as const;
  it('keeps the best of overlapping boxes, best first', () => {
    expect(nonMaxSuppression(boxes, [0.9, 0.8, 0.7, 0.1], 10, 0.5, 0.2)).toEqual([0, 2]);
  });
  it('keeps overlapping boxes under the IoU threshold, honours the score threshold and the cap', () => {
    expect(nonMaxSuppression(boxes, [0.9, 0.8, 0.7, 0.3], 10, 0.7, 0.2)).toEqual([0, 1, 2]);
    expect(nonMaxSuppression(boxes, [0.9, 0.8, 0.7, 0.3], 2, 0.7, 0.2)).toEqual([0, 1]);
    // Box 0 is not above the score threshold (0.2 > 0.2 is false), so box 3 (its twin) survives box 1.
    expect(nonMaxSuppression(boxes, [0.2, 0.8, 0.7, 0.3], 10, 0.7, 0.2)).toEqual([1, 2, 3]);
    expect(nonMaxSuppression(boxes, [0.2, 0.8, 0.7, 0.3], 10, 0.5, 0.2)).toEqual([1, 2]);
  });
});

describe('decodeNanodet', () => {
  it('decodes one confident cell into a pixel box with the arg-max distance bins', () => {
    const classes = 80;
    const bins = 11;
    const level = (side: number) => ({
      side,
      classes,
      scores: new Float32Array(side * side * classes),
      features: new Float32Array(side * side * 4 * bins),
      featureWidth: 4 * bins,
    });
    const l13 = level(13);
    // Cell (row 6, column 6) = index 84, class 16 ("dog") at 0.876.
    l13.scores[84 * classes + 16] = 0.876;
    // Edge distances (bins): left 2, top 3, right 4, bottom 1.
    [2, 3, 4, 1].forEach((b, e) => (l13.features[84 * 4 * bins + e * bins + b] = 5));
    const found = decodeNanodet(
      { levels: [l13, level(26), level(52)] },
      { inputSize: 416, width: 832, height: 416, minScore: 0.3, iouThreshold: 0.4, maxDetections: 20 },
    );
    // centre 6.5/13 = 0.5; bin step 13/1/416 = 0.03125, scaled by 2.5.
    const x = 0.5 - 2.5 * 2 * 0.03125;
    const y = 0.5 - 2.5 * 3 * 0.03125;
    const w = 0.5 + 2.5 * 4 * 0.03125 - x;
    const h = 0.5 + 2.5 * 1 * 0.03125 - y;
    expect(found).toEqual([
      {
        classIndex: 16,
        score: 0.88,
        box: [Math.trunc(x * 832), Math.trunc(y * 416), Math.trunc(w * 832), Math.trunc(h * 416)],
      },
    ]);
  });

  /**
   * One object (a car) in an image of 1000 × 500: box x 350–750, y 150–250 (fractions 0.35–0.75,
   * 0.3–0.5). At input side S, the stride-16 head sees it in the cell that holds its centre, with
   * each edge's distance from that cell's centre as the nearest whole number of bins (a bin is one
   * stride, × Human's 2.5·13/32). Decoding must give the box in image pixels at any S: exactly the
   * cell centre ± the bins, and so within half a bin per edge of the true box.
   */
  const K = (2.5 * 13) / 32;
  const W = 1000;
  const H = 500;
  const truth = { x0: 0.35, x1: 0.75, y0: 0.3, y1: 0.5 };
  const seenAt = (inputSize: number) => {
    const classes = 80;
    const bins = 11;
    const levels = nanodetGridSides(inputSize).map((side) => ({
      side,
      classes,
      scores: new Float32Array(side * side * classes),
      features: new Float32Array(side * side * 4 * bins),
      featureWidth: 4 * bins,
    }));
    const level = levels[1] as (typeof levels)[number];
    const g = level.side;
    const col = Math.floor(((truth.x0 + truth.x1) / 2) * g);
    const row = Math.floor(((truth.y0 + truth.y1) / 2) * g);
    const cx = (col + 0.5) / g;
    const cy = (row + 0.5) / g;
    const cell = row * g + col;
    level.scores[cell * classes + 2] = 0.9;
    const edgeBins = [cx - truth.x0, cy - truth.y0, truth.x1 - cx, truth.y1 - cy].map((d) =>
      Math.round((d * g) / K),
    );
    edgeBins.forEach((b, e) => (level.features[cell * 4 * bins + e * bins + b] = 1));
    const found = decodeNanodet(
      { levels },
      { inputSize, width: W, height: H, minScore: 0.3, iouThreshold: 0.4, maxDetections: 20 },
    );
    const [l, t, r, b] = edgeBins.map((n) => (n * K) / g) as [number, number, number, number];
    const expected = [
      Math.trunc((cx - l) * W),
      Math.trunc((cy - t) * H),
      Math.trunc((cx + r - (cx - l)) * W),
      Math.trunc((cy + b - (cy - t)) * H),
    ];
    return { found, expected, halfBin: (0.5 * K) / g };
  };

  it('derives the grids from the input side (S/32, S/16, S/8) and refuses sides that are not multiples of 32', () => {
    expect(nanodetGridSides(416)).toEqual([13, 26, 52]);
    expect(nanodetGridSides(352)).toEqual([11, 22, 44]);
    expect(nanodetGridSides(320)).toEqual([10, 20, 40]);
    expect(() => nanodetGridSides(300)).toThrow(/multiple of 32/);
  });

  it.each([416, 320])('decodes at input side %i to the box in original image pixels', (side) => {
    const { found, expected, halfBin } = seenAt(side);
    expect(found).toHaveLength(1);
    expect(found[0]?.classIndex).toBe(2);
    expect(found[0]?.box).toEqual(expected);
    const [x, y, w, h] = found[0]?.box as readonly number[] as [number, number, number, number];
    // Within half a bin per edge of the true box (+1 px of truncation).
    expect(Math.abs(x - truth.x0 * W)).toBeLessThanOrEqual(halfBin * W + 1);
    expect(Math.abs(y - truth.y0 * H)).toBeLessThanOrEqual(halfBin * H + 1);
    expect(Math.abs(x + w - truth.x1 * W)).toBeLessThanOrEqual(halfBin * W + 2);
    expect(Math.abs(y + h - truth.y1 * H)).toBeLessThanOrEqual(halfBin * H + 2);
  });

  it('refuses outputs whose grids do not fit the input side', () => {
    const level = (side: number) => ({
      side,
      classes: 80,
      scores: new Float32Array(side * side * 80),
      features: new Float32Array(side * side * 44),
      featureWidth: 44,
    });
    expect(() =>
      decodeNanodet(
        { levels: [level(13), level(26), level(52)] },
        { inputSize: 320, width: 10, height: 10, minScore: 0.3, iouThreshold: 0.4, maxDetections: 20 },
      ),
    ).toThrow(/does not fit input side 320/);
  });
});
