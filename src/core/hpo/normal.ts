/**
 * Standard normal helpers for the Parzen estimators: the CDF and its logarithm, accurate in the
 * tails (a kernel far from a candidate has a CDF near 0 or 1, and naive 1 − Φ loses every digit),
 * and the log of the mass between two points.
 *
 * Method: the Maclaurin series Φ(x) = ½ + φ(x)·Σ x^(2n+1)/(2n+1)!! for |x| ≤ 3, and the Laplace
 * continued fraction of the Mills ratio (1 − Φ(t))/φ(t) = 1/(t+1/(t+2/(t+3/(t+…)))) for t > 3,
 * evaluated with the modified Lentz algorithm. Both reach ~1e-15 relative accuracy.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log φ(z) for the standard normal density. */
export function normalLogPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** Mills ratio m(t) = (1 − Φ(t)) / φ(t) for t > 0 (used for t > 3). */
function millsRatio(t: number): number {
  // Modified Lentz for the continued fraction b0 + a1/(b1 + a2/(b2 + …)) with b_k = t, a_k = k
  // (a1 = 1). Result: 1 / (t + 1/(t + 2/(t + …))).
  const tiny = 1e-300;
  let f = t;
  let c = t;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = t + k * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = t + k / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** Φ(x) − ½ · 1/φ(x) series for moderate |x|. */
function seriesSum(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return sum;
}

/** The standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  if (x < -3) return Math.exp(normalLogPdf(x)) * millsRatio(-x);
  if (x > 3) return 1 - Math.exp(normalLogPdf(x)) * millsRatio(x);
  return 0.5 + Math.exp(normalLogPdf(x)) * seriesSum(x);
}

/** log Φ(x), finite far into the lower tail (e.g. x = −100). */
export function normalLogCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === -Infinity) return -Infinity;
  if (x === Infinity) return 0;
  if (x < -3) return normalLogPdf(x) + Math.log(millsRatio(-x));
  if (x > 3) return Math.log1p(-Math.exp(normalLogPdf(x)) * millsRatio(x));
  return Math.log(normalCdf(x));
}

/** log(Φ(b) − Φ(a)) for a < b, accurate when both lie in the same tail. */
export function normalLogMassBetween(a: number, b: number): number {
  if (!(a < b)) return -Infinity;
  // Reflect an upper-tail interval into the lower tail, where Φ keeps its relative precision.
  if (a >= 0) return normalLogMassBetween(-b, -a);
  if (b <= 0) {
    const lb = normalLogCdf(b);
    const la = normalLogCdf(a);
    return lb + Math.log1p(-Math.exp(la - lb));
  }
  // a < 0 < b: the mass is 1 minus two tails.
  return Math.log1p(-normalCdf(a) - normalCdf(-b));
}

/** log Σ exp(xᵢ) without overflow; −∞ for an empty list or all −∞. */
export function logSumExp(xs: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if ((xs[i] as number) > max) max = xs[i] as number;
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp((xs[i] as number) - max);
  return max + Math.log(s);
}
