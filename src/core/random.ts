/**
 * A small, seeded, portable pseudo-random number generator for core code (sampling, splits,
 * simulations). Everything random in `src/core` goes through `Rng` so that a result is a pure
 * function of its seed: Math.random is never used.
 *
 * Generator: xoshiro128** 1.0 (Blackman & Vigna, 2018) — 128 bits of state, period 2^128 − 1,
 * passes BigCrush, and needs only 32-bit integer maths (Math.imul), which JavaScript does fast
 * without BigInt. The state is filled from the seed with splitmix32 (the 32-bit variant of
 * Steele/Lea/Flood's SplitMix), as the xoshiro authors recommend, so that similar seeds (0, 1,
 * 2 …) give unrelated streams and the all-zero state cannot occur.
 */
import { KaleidoError } from './errors.js';

/** The serialisable state of an `Rng` (four unsigned 32-bit words). */
export type RngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** One splitmix32 step: advances `x` by the golden-ratio increment and returns a mixed word. */
function splitmix32(x: number): { next: number; out: number } {
  const next = (x + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { next, out: z >>> 0 };
}

/** Murmur3's 32-bit finaliser: a bijective avalanche mix of one word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Folds a list of seed parts (integers and strings) into one 32-bit seed. Used to derive
 * independent streams such as (study seed, trial number, parameter name) without any shared
 * mutable generator, so a result does not depend on the order in which streams are consumed.
 */
export function deriveSeed(...parts: ReadonlyArray<number | string>): number {
  let h = 0x243f6a88; // π's fractional bits: an arbitrary non-zero start.
  for (const part of parts) {
    if (typeof part === 'number') {
      if (!Number.isFinite(part)) {
        throw new KaleidoError('ERR_VALIDATION', 'seed parts must be finite numbers', {
          details: { field: 'seed', value: String(part) },
        });
      }
      // Mix both 32-bit halves so seeds above 2^32 (and negative ones) stay distinct.
      const lo = part >>> 0;
      const hi = Math.floor(part / TWO_POW_32) >>> 0;
      h = fmix32(h ^ lo);
      h = fmix32((h + 0x9e3779b9) ^ hi);
    } else {
      // A type tag keeps deriveSeed(1) and deriveSeed('1') apart.
      h = fmix32(h ^ 0x5bd1e995);
      for (let i = 0; i < part.length; i++) h = fmix32(Math.imul(h ^ part.charCodeAt(i), 0x01000193));
      h = fmix32(h ^ part.length);
    }
  }
  return h;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The second normal deviate of the last Box–Muller pair, kept for the next call. */
  private spareNormal: number | undefined;

  /** Seeds the generator; any finite number is accepted (it is folded to 32 bits with `deriveSeed`). */
  constructor(seed: number) {
    let x = deriveSeed(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = splitmix32(x);
      x = r.next;
      words.push(r.out);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    // splitmix32 is a bijection per step, but guard the (astronomically unlikely) all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator that continues exactly from a saved `state()`. */
  static fromState(state: RngState): Rng {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)) {
      throw new KaleidoError('ERR_VALIDATION', 'an Rng state is four unsigned 32-bit integers', {
        details: { field: 'state' },
      });
    }
    if (state.every((w) => w === 0)) {
      throw new KaleidoError('ERR_VALIDATION', 'the all-zero state is not a valid xoshiro state', {
        details: { field: 'state' },
      });
    }
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state;
    return rng;
  }

  /** The current state (restoring it with `fromState` resumes the same sequence; a pending normal spare is dropped). */
  state(): RngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** The next raw 32-bit output, as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** A double uniform on [0, 1) with the full 53 bits of precision. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** A double uniform on [low, high). */
  uniform(low: number, high: number): number {
    if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high)) {
      throw new KaleidoError('ERR_VALIDATION', 'uniform needs finite bounds with low ≤ high', {
        details: { low, high },
      });
    }
    // low + (high − low)·u can round up to `high` itself; keep the half-open promise.
    const x = low + (high - low) * this.random();
    return x < high ? x : low;
  }

  /**
   * An integer uniform on [low, high] (both inclusive), without modulo bias: a 32-bit word (or a
   * 53-bit double for wider ranges) is redrawn when it falls in the incomplete last block.
   */
  int(low: number, high: number): number {
    if (!(Number.isSafeInteger(low) && Number.isSafeInteger(high) && low <= high)) {
      throw new KaleidoError('ERR_VALIDATION', 'int needs safe integer bounds with low ≤ high', {
        details: { low, high },
      });
    }
    const span = high - low + 1;
    if (span > TWO_POW_53) {
      throw new KaleidoError('ERR_VALIDATION', 'int supports ranges of at most 2^53 values', {
        details: { low, high },
      });
    }
    if (span <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % span);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return low + (x % span);
      }
    }
    const limit = Math.floor(TWO_POW_53 / span) * span;
    for (;;) {
      const x = Math.floor(this.random() * TWO_POW_53);
      if (x < limit) return low + (x % span);
    }
  }

  /**
   * A standard normal deviate (Marsaglia's polar form of Box–Muller): it avoids trigonometric
   * calls and returns the pair's second value on the next call.
   */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.random() - 1;
      v = 2 * this.random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + sd * u * f;
  }

  /** One element of a non-empty array, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'choice needs a non-empty array', { details: { length: 0 } });
    }
    return items[this.int(0, items.length - 1)] as T;
  }

  /** An index drawn with probability proportional to non-negative `weights` (not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new KaleidoError('ERR_VALIDATION', 'weights must be finite and non-negative', {
          details: { weight: w },
        });
      }
      total += w;
    }
    if (!(total > 0)) {
      throw new KaleidoError('ERR_VALIDATION', 'weights must not all be zero', { details: { total } });
    }
    let r = this.random() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    // Rounding can leave r ≥ 0 after the loop: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return i;
    return weights.length - 1;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
