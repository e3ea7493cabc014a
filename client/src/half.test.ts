import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from './half.js';

describe('FP16', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite
    [65519.99, 0x7bff], // just below the half-way point to infinity
    [65520, 0x7c00], // the half-way point rounds (to even) to infinity
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half of it: ties to even (0)
    [3 * 2 ** -25, 0x0002], // 1.5 units: ties to even (2)
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even mantissa wins
    [1 + 3 * 2 ** -11, 0x3c02],
    [2047.9999, 0x6800], // rounds up across the exponent boundary to 2048
  ])('toFloat16Bits(%d) = %i', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  it('encodes NaN as the canonical quiet NaN', () => {
    expect(toFloat16Bits(NaN)).toBe(0x7e00);
    expect(fromFloat16Bits(0x7e00)).toBeNaN();
    expect(fromFloat16Bits(0xfc01)).toBeNaN();
  });

  it('decodes known patterns', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0x7bff)).toBe(65504);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x8000)).toBe(-0);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
    expect(fromFloat16Bits(0x3555)).toBe(0.333251953125);
  });

  it('round-trips every one of the 65536 bit patterns that is not NaN', () => {
    for (let bits = 0; bits <= 0xffff; bits++) {
      const value = fromFloat16Bits(bits);
      if (Number.isNaN(value)) continue;
      if (toFloat16Bits(value) !== bits) throw new Error(`pattern ${bits.toString(16)} came back different`);
    }
  });

  it('always picks the nearest representable value', () => {
    fc.assert(
      fc.property(fc.double({ min: -70000, max: 70000, noNaN: true }), (value) => {
        const bits = toFloat16Bits(value);
        const chosen = fromFloat16Bits(bits);
        if (!Number.isFinite(chosen)) return Math.abs(value) >= 65520;
        // Neighbours one ulp away on either side are never strictly closer.
        for (const neighbour of [bits - 1, bits + 1]) {
          const other = fromFloat16Bits(neighbour & 0xffff);
          if (
            Number.isFinite(other) &&
            Math.sign(other) === Math.sign(chosen) &&
            Math.abs(other - value) < Math.abs(chosen - value)
          ) {
            return false;
          }
        }
        return true;
      }),
    );
  });
});

describe('BF16', () => {
  /** The usual float32 → bfloat16 rounding on the float32 bit pattern (round-to-nearest-even). */
  const referenceBf16 = (value: number): number => {
    const bits = new Uint32Array(new Float32Array([value]).buffer)[0] as number;
    return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
  };

  it.each([
    [1, 0x3f80],
    [-1, 0xbf80],
    [0, 0x0000],
    [3.140625, 0x4049],
    [Infinity, 0x7f80],
    [3.4e38, 0x7f80], // above the largest finite bfloat16 after rounding
  ])('toBfloat16Bits(%d) = %i', (value, bits) => {
    expect(toBfloat16Bits(value)).toBe(bits);
  });

  it('matches float32 bit rounding for every float32 value', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(toBfloat16Bits(value)).toBe(referenceBf16(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes exactly and round-trips non-NaN patterns', () => {
    expect(fromBfloat16Bits(0x3f80)).toBe(1);
    expect(fromBfloat16Bits(0x4049)).toBe(3.140625);
    expect(toBfloat16Bits(NaN)).toBe(0x7fc0);
    expect(fromBfloat16Bits(0x7fc0)).toBeNaN();
    for (let bits = 0; bits <= 0xffff; bits += 7) {
      const value = fromBfloat16Bits(bits);
      if (!Number.isNaN(value)) expect(toBfloat16Bits(value)).toBe(bits);
    }
  });
});
