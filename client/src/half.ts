/**
 * FP16 (IEEE 754 binary16) and BF16 (bfloat16) conversions between JS numbers and 16-bit patterns.
 *
 * Numbers are rounded straight from float64 with round-to-nearest-even. Going through a Float32Array
 * first would round twice and could land one ulp off for values near a half-way point.
 */

interface Format {
  readonly mantissaBits: number;
  readonly bias: number;
  /** Biased exponent value reserved for Inf/NaN (all ones). */
  readonly maxExponent: number;
}

const FP16: Format = { mantissaBits: 10, bias: 15, maxExponent: 31 };
const BF16: Format = { mantissaBits: 7, bias: 127, maxExponent: 255 };
const SIGN_BIT = 0x8000;

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function encode(value: number, f: Format): number {
  const infinity = f.maxExponent << f.mantissaBits;
  // A quiet NaN: exponent all ones, top mantissa bit set (0x7e00 for FP16, 0x7fc0 for BF16).
  if (Number.isNaN(value)) return infinity | (1 << (f.mantissaBits - 1));
  const sign = value < 0 || Object.is(value, -0) ? SIGN_BIT : 0;
  const magnitude = Math.abs(value);
  if (magnitude === Infinity) return sign | infinity;

  const minNormalExponent = 1 - f.bias;
  if (magnitude < 2 ** minNormalExponent) {
    // Subnormal (or zero): the mantissa counts units of 2^(minNormalExponent - mantissaBits).
    // Rounding up to 2^mantissaBits yields the smallest normal's bit pattern, which is correct.
    return sign | roundHalfEven(magnitude * 2 ** (f.mantissaBits - minNormalExponent));
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 can be off by one right at powers of two; fix it exactly.
  if (2 ** exponent > magnitude) exponent -= 1;
  else if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  if (exponent + f.bias >= f.maxExponent) return sign | infinity;
  const mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 2 ** f.mantissaBits);
  // A mantissa that rounds up to 2^mantissaBits carries into the exponent (possibly up to Inf).
  const bits = ((exponent + f.bias) << f.mantissaBits) + mantissa;
  return sign | Math.min(bits, infinity);
}

function decode(bits: number, f: Format): number {
  const sign = bits & SIGN_BIT ? -1 : 1;
  const exponent = (bits >> f.mantissaBits) & f.maxExponent;
  const mantissa = bits & ((1 << f.mantissaBits) - 1);
  if (exponent === f.maxExponent) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** (1 - f.bias - f.mantissaBits);
  return sign * (1 + mantissa / 2 ** f.mantissaBits) * 2 ** (exponent - f.bias);
}

/** The FP16 bit pattern nearest to `value` (round-to-nearest-even; overflow gives ±Infinity). */
export const toFloat16Bits = (value: number): number => encode(value, FP16);
/** The number an FP16 bit pattern stands for (exact). */
export const fromFloat16Bits = (bits: number): number => decode(bits & 0xffff, FP16);
/** The BF16 bit pattern nearest to `value` (round-to-nearest-even; overflow gives ±Infinity). */
export const toBfloat16Bits = (value: number): number => encode(value, BF16);
/** The number a BF16 bit pattern stands for (exact). */
export const fromBfloat16Bits = (bits: number): number => decode(bits & 0xffff, BF16);
