/**
 * Half-precision (IEEE 754 binary16, OIP `FP16`) and bfloat16 (OIP `BF16`) conversions.
 *
 * JavaScript has no 16-bit float type, so tensors keep FP16/BF16 elements as raw bit patterns in a
 * Uint16Array (see tensor.ts); these functions convert between those bits and JS numbers.
 *
 * Encoding rounds the exact value of the JS number (a double) straight to the 16-bit format with
 * round-to-nearest, ties-to-even. Going through float32 first (as a `Math.fround` would) rounds
 * twice and can land one unit off on ties, so we do not. Overflow gives ±Infinity, values below half
 * the smallest subnormal give ±0, and every NaN becomes the canonical quiet NaN (a JS number cannot
 * carry a NaN payload reliably anyway). Decoding is exact: every FP16/BF16 value is a double.
 */

interface SmallFloatFormat {
  /** Number of explicit mantissa (fraction) bits. */
  readonly mantissaBits: number;
  /** Largest unbiased exponent of a normal number (= bias). */
  readonly maxExponent: number;
  /** Canonical quiet NaN bit pattern (sign clear). */
  readonly nan: number;
}

const FLOAT16: SmallFloatFormat = { mantissaBits: 10, maxExponent: 15, nan: 0x7e00 };
const BFLOAT16: SmallFloatFormat = { mantissaBits: 7, maxExponent: 127, nan: 0x7fc0 };

/** Rounds a non-negative number to an integer, ties to even (Math.round rounds ties up). */
function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor; // exact: v < 2^53 here, so the subtraction loses nothing
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** floor(log2(a)) for a finite a > 0, exactly (Math.log2 may be off by one near powers of two). */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

function encode(value: number, f: SmallFloatFormat): number {
  if (Number.isNaN(value)) return f.nan;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const abs = Math.abs(value);
  const exponentField = (1 << (15 - f.mantissaBits)) - 1; // all-ones exponent: Inf/NaN
  const infinity = sign | (exponentField << f.mantissaBits);
  if (abs === Infinity) return infinity;
  if (abs === 0) return sign;

  const minExponent = 1 - f.maxExponent;
  if (abs < 2 ** minExponent) {
    // Subnormal range: value = m × 2^(minExponent − mantissaBits). Scaling by a power of two is
    // exact, and m = 2^mantissaBits (after rounding up) is exactly the smallest normal's pattern.
    return sign | roundHalfEven(abs * 2 ** (f.mantissaBits - minExponent));
  }
  let e = exponentOf(abs);
  if (e > f.maxExponent) return infinity;
  // abs / 2^e is in [1, 2); the fraction scaled to mantissa units is exact in a double.
  let m = roundHalfEven((abs / 2 ** e - 1) * 2 ** f.mantissaBits);
  if (m === 2 ** f.mantissaBits) {
    m = 0;
    e += 1;
    if (e > f.maxExponent) return infinity;
  }
  return sign | ((e + f.maxExponent) << f.mantissaBits) | m;
}

function decode(bits: number, f: SmallFloatFormat): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponentField = (bits & 0x7fff) >> f.mantissaBits;
  const mantissa = bits & ((1 << f.mantissaBits) - 1);
  const maxField = (1 << (15 - f.mantissaBits)) - 1;
  if (exponentField === maxField) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponentField === 0) return sign * mantissa * 2 ** (1 - f.maxExponent - f.mantissaBits);
  return sign * (2 ** f.mantissaBits + mantissa) * 2 ** (exponentField - f.maxExponent - f.mantissaBits);
}

/** Number → IEEE binary16 bits (0..0xFFFF), round-to-nearest-even. */
export const toFloat16Bits = (value: number): number => encode(value, FLOAT16);

/** IEEE binary16 bits → number (exact). Only the low 16 bits of `bits` are read. */
export const fromFloat16Bits = (bits: number): number => decode(bits & 0xffff, FLOAT16);

/** Number → bfloat16 bits (0..0xFFFF), round-to-nearest-even. */
export const toBfloat16Bits = (value: number): number => encode(value, BFLOAT16);

/** bfloat16 bits → number (exact). Only the low 16 bits of `bits` are read. */
export const fromBfloat16Bits = (bits: number): number => decode(bits & 0xffff, BFLOAT16);

/** Largest finite FP16 value (0x7BFF). */
export const FLOAT16_MAX = 65504;
/** Largest finite BF16 value (0x7F7F). */
export const BFLOAT16_MAX = (2 - 2 ** -7) * 2 ** 127;
