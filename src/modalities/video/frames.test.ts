import { describe, expect, it } from 'vitest';
import { frameSignature, planFrames, signatureDistance } from './frames.js';

const W = 64;
const H = 36;
/** A solid frame, optionally with a white box of `box` pixels square in the top-left corner. */
function frame(index: number, time: number, rgb: [number, number, number], box = 0) {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      const white = x < box && y < box;
      data[p] = white ? 255 : rgb[0];
      data[p + 1] = white ? 255 : rgb[1];
      data[p + 2] = white ? 255 : rgb[2];
    }
  }
  return { index, time, width: W, height: H, rgb: data };
}

describe('frame signatures', () => {
  it('are mean colours on a 16 × 16 grid, and the distance is their mean absolute difference', () => {
    const red = frameSignature(frame(0, 0, [255, 0, 0]));
    expect(red.length).toBe(16 * 16 * 3);
    expect(red[0]).toBeCloseTo(1, 6);
    expect(red[1]).toBeCloseTo(0, 6);
    const blue = frameSignature(frame(0, 0, [0, 0, 255]));
    // Red → blue changes two of three channels by 1 everywhere: 2/3.
    expect(signatureDistance(red, blue)).toBeCloseTo(2 / 3, 6);
    expect(signatureDistance(red, red)).toBe(0);
  });

  it('refuses mismatched data', () => {
    expect(() => frameSignature({ width: 2, height: 2, rgb: new Uint8Array(5) })).toThrow(/does not match/);
    expect(() => signatureDistance(new Float32Array(3), new Float32Array(6))).toThrow(/differ/);
  });
});

describe('planFrames', () => {
  it('reuses results for near-identical frames, not across a cut, and not after a visible change', () => {
    const frames = [
      frame(0, 0.5, [200, 0, 0]),
      frame(1, 1.5, [201, 0, 0]), // noise-level change: reuse 0
      frame(2, 2.5, [201, 0, 0], 20), // a caption-sized box appears: analyse
      frame(3, 3.5, [201, 0, 0], 20), // same as 2 but a cut at 3.0 lies between: analyse
      frame(4, 4.5, [201, 0, 0], 20), // same as 3, no cut: reuse 3
    ];
    const plan = planFrames(frames, [{ time: 3, score: 0.5 }]);
    expect(plan.map((p) => p.reuses)).toEqual([undefined, 0, undefined, undefined, 3]);
    expect(plan[2]?.distance).toBeGreaterThan(0.02);
  });

  it('threshold 0 analyses every frame; a threshold outside [0, 1) is a configuration error', () => {
    const frames = [frame(0, 0.5, [9, 9, 9]), frame(1, 1.5, [9, 9, 9])];
    expect(planFrames(frames, [], 0).every((p) => p.reuses === undefined)).toBe(true);
    expect(() => planFrames(frames, [], 1)).toThrow(/threshold/);
  });
});
