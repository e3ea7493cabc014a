import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BFLOAT16_MAX,
  FLOAT16_MAX,
  fromBfloat16Bits,
  fromFloat16Bits,
  toBfloat16Bits,
  toFloat16Bits,
} from './fp16.js';

/** float32 bit pattern → number, for building bf16 known answers from float32 layouts. */
const f32 = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

describe('FP16 (IEEE binary16)', () => {
  const knownAnswers: [number, number][] = [
    [0, 0x0000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [-65504, 0xfbff],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
    [0.333251953125, 0x3555],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ];

  it.each(knownAnswers)('%d ↔ bits %i', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
    expect(fromFloat16Bits(bits)).toBe(value);
  });

  it('keeps the sign of zero', () => {
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is exactly halfway between 0x3C00 and 0x3C01: ties go to the even mantissa.
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01);
    // Subnormal ties: 2^-25 is halfway between 0 and the smallest subnormal.
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000);
    expect(toFloat16Bits(-(2 ** -25))).toBe(0x8000);
    expect(toFloat16Bits(2 ** -25 * 1.0000001)).toBe(0x0001);
    expect(toFloat16Bits(3 * 2 ** -25)).toBe(0x0002);
    // Rounding up out of the subnormal range lands on the smallest normal.
    expect(toFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400);
    // Rounding up a mantissa of all ones carries into the exponent.
    expect(toFloat16Bits(2 - 2 ** -12)).toBe(0x4000);
  });

  it('overflows to infinity at the rounding threshold', () => {
    expect(toFloat16Bits(65519.99)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // tie between 65504 (odd) and 2^16: goes up
    expect(toFloat16Bits(1e300)).toBe(0x7c00);
    expect(toFloat16Bits(-1e300)).toBe(0xfc00);
    expect(FLOAT16_MAX).toBe(fromFloat16Bits(0x7bff));
  });

  it('maps NaN to the canonical quiet NaN and decodes every NaN pattern to NaN', () => {
    expect(toFloat16Bits(NaN)).toBe(0x7e00);
    expect(fromFloat16Bits(0x7c01)).toBeNaN();
    expect(fromFloat16Bits(0xfe00)).toBeNaN();
  });

  it('underflows tiny values to signed zero', () => {
    expect(toFloat16Bits(1e-300)).toBe(0x0000);
    expect(toFloat16Bits(-Number.MIN_VALUE)).toBe(0x8000);
  });

  it('round-trips every one of the 65536 bit patterns (NaNs canonicalised)', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      const value = fromFloat16Bits(bits);
      if (toFloat16Bits(value) !== (Number.isNaN(value) ? 0x7e00 : bits)) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds any double to the nearest half value (no closer neighbour exists)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -70000, max: 70000 }), (x) => {
        const bits = toFloat16Bits(x);
        const back = fromFloat16Bits(bits);
        if (Number.isFinite(back)) {
          // The result is the nearest half: no other half value is strictly closer.
          const up = fromFloat16Bits(bits + 1);
          const down = fromFloat16Bits(bits - 1);
          const err = Math.abs(back - x);
          if (Number.isFinite(up) && (bits & 0x7fff) !== 0x7fff)
            expect(Math.abs(up - x)).toBeGreaterThanOrEqual(err);
          if ((bits & 0x7fff) !== 0) expect(Math.abs(down - x)).toBeGreaterThanOrEqual(err);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('BF16 (bfloat16)', () => {
  const knownAnswers: [number, number][] = [
    [1, 0x3f80],
    [-1, 0xbf80],
    [3.140625, 0x4049],
    [2 ** -126, 0x0080], // smallest normal
    [2 ** -133, 0x0001], // smallest subnormal
    [BFLOAT16_MAX, 0x7f7f],
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
  ];

  it.each(knownAnswers)('%d ↔ bits %i', (value, bits) => {
    expect(toBfloat16Bits(value)).toBe(bits);
    expect(fromBfloat16Bits(bits)).toBe(value);
  });

  it('is the upper half of float32 when exact, rounding ties to even otherwise', () => {
    expect(toBfloat16Bits(f32(0x40490fdb))).toBe(0x4049); // π rounds down
    expect(toBfloat16Bits(f32(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(toBfloat16Bits(f32(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(toBfloat16Bits(f32(0x3f808001))).toBe(0x3f81); // just above the tie
  });

  it('handles zero sign, NaN and overflow', () => {
    expect(toBfloat16Bits(-0)).toBe(0x8000);
    expect(toBfloat16Bits(NaN)).toBe(0x7fc0);
    expect(fromBfloat16Bits(0x7fc1)).toBeNaN();
    expect(toBfloat16Bits(3.4e38)).toBe(0x7f80); // above the largest bf16 halfway point
    expect(toBfloat16Bits(1e300)).toBe(0x7f80);
  });

  it('round-trips every one of the 65536 bit patterns (NaNs canonicalised)', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      const value = fromBfloat16Bits(bits);
      if (toBfloat16Bits(value) !== (Number.isNaN(value) ? 0x7fc0 : bits)) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });
});
