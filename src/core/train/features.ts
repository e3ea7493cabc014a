/**
 * Deterministic feature builders for heads that have no encoder yet: hashed bag of words for text,
 * and a documented synthetic tabular set for demonstrations and tests.
 */
import { KaleidoError } from '../errors.js';
import { deriveSeed, Rng } from '../random.js';

export interface HashedBagOfWordsOptions {
  /** Number of hash buckets (the feature dimension). */
  readonly dimensions: number;
  /** Also hash adjacent word pairs ("not good"), which carry negation and short phrases. */
  readonly bigrams?: boolean;
}

/** Lowercased runs of letters, digits and apostrophes (Unicode-aware). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

/** 32-bit FNV-1a over the UTF-16 code units of `s` (stable across platforms and versions). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Hashed bag of words (the "hashing trick"): each token (and bigram) is hashed to a bucket with a
 * sign taken from another hash bit, so that collisions cancel on average instead of piling up;
 * counts are damped as 1 + ln(tf) and each row is L2-normalised, so long and short texts are
 * comparable. Rows are written into one row-major Float32Array of texts.length × dimensions.
 */
export function hashedBagOfWords(texts: readonly string[], options: HashedBagOfWordsOptions): Float32Array {
  const dim = options.dimensions;
  if (!Number.isSafeInteger(dim) || dim < 2 || dim > 1 << 24) {
    throw new KaleidoError('ERR_VALIDATION', 'dimensions must be an integer in [2, 2^24]', {
      details: { field: 'dimensions', value: dim },
    });
  }
  const out = new Float32Array(texts.length * dim);
  const counts = new Map<number, number>();
  texts.forEach((text, row) => {
    if (typeof text !== 'string') {
      throw new KaleidoError('ERR_VALIDATION', `texts[${row}] must be a string`, { details: { row } });
    }
    counts.clear();
    const tokens = tokenize(text);
    const add = (feature: string): void => {
      const h = fnv1a32(feature);
      // Bucket from the hash modulo dim, sign from the top bit (independent of the bucket bits
      // for power-of-two dims). Key = signed bucket index + 1 (0 would lose its sign).
      const key = (h & 0x80000000 ? -1 : 1) * ((h % dim) + 1);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    for (let i = 0; i < tokens.length; i++) {
      add(`w:${tokens[i] as string}`);
      if (options.bigrams === true && i + 1 < tokens.length)
        add(`b:${tokens[i] as string} ${tokens[i + 1] as string}`);
    }
    const base = row * dim;
    const values = new Float64Array(dim);
    for (const [key, tf] of counts) {
      const bucket = Math.abs(key) - 1;
      values[bucket] = (values[bucket] as number) + Math.sign(key) * (1 + Math.log(tf));
    }
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (values[j] as number) * (values[j] as number);
    norm = Math.sqrt(norm);
    if (norm > 0) for (let j = 0; j < dim; j++) out[base + j] = (values[j] as number) / norm;
  });
  return out;
}

/**
 * "Two moons" (as scikit-learn's make_moons): two interleaving half circles in 2-D, class 0 the
 * upper arc centred at (0, 0), class 1 the lower arc centred at (1, 0.5), plus Gaussian noise of
 * standard deviation `noise`; then `extraNoiseDims` pure-noise columns (N(0, 1)) so the set has
 * uninformative features as real tabular data does. Not linearly separable: logistic regression
 * tops out near 86–88 %, an MLP reaches the high 90s at noise 0.1. Rows alternate between the
 * classes (balanced).
 */
export function makeMoons(
  rows: number,
  options: { noise?: number; extraNoiseDims?: number; seed?: number } = {},
): { x: Float32Array; y: Int32Array; dim: number } {
  if (!Number.isSafeInteger(rows) || rows < 2) {
    throw new KaleidoError('ERR_VALIDATION', 'rows must be an integer ≥ 2', { details: { rows } });
  }
  const noise = options.noise ?? 0.1;
  const extra = options.extraNoiseDims ?? 0;
  const dim = 2 + extra;
  const rng = new Rng(deriveSeed(options.seed ?? 0, 'moons'));
  const x = new Float32Array(rows * dim);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const cls = i % 2;
    const t = Math.PI * rng.random();
    const px = cls === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const py = cls === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    x[i * dim] = px + rng.normal(0, noise);
    x[i * dim + 1] = py + rng.normal(0, noise);
    for (let j = 2; j < dim; j++) x[i * dim + j] = rng.normal();
    y[i] = cls;
  }
  return { x, y, dim };
}
