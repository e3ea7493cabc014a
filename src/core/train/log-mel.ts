/**
 * `log-mel-stats`: a fixed, signal-processing audio embedding (no learned weights; there is no
 * audio encoder model on this machine). Over 16 kHz mono PCM:
 *
 * - frames of 25 ms (400 samples), hop 10 ms, Hann window, 512-point FFT, power spectrum;
 * - 40 triangular mel bands (HTK mel scale, 20 Hz – 8 kHz, Slaney-style area normalisation off:
 *   unit-height triangles), log(energy + 1e-10);
 * - 13 MFCCs = orthonormal DCT-II of the 40 log-mel energies;
 * - per frame also: spectral centroid (Hz), 85 % roll-off (Hz), spectral flatness (geometric /
 *   arithmetic mean of the power spectrum), zero-crossing rate and RMS level (dBFS).
 *
 * The clip's vector is the mean and standard deviation over frames of each: 40 + 40 log-mel,
 * 13 + 13 MFCC, 2 × 5 spectral = 116 values (LOG_MEL_STATS_DIM), then frequencies are in kHz so all
 * values are O(1)…O(10). Means capture timbre and level, standard deviations capture temporal
 * structure (impulses, modulation). Clips shorter than one frame are zero-padded to one frame.
 * Deterministic and pure (core): the same samples always give the same vector.
 */

export const LOG_MEL_STATS = 'log-mel-stats';
export const LOG_MEL_STATS_VERSION = '1';
export const LOG_MEL_SAMPLE_RATE = 16000;
export const MEL_BANDS = 40;
export const MFCC_COUNT = 13;
const FRAME = 400;
const HOP = 160;
const NFFT = 512;
const BINS = NFFT / 2 + 1;
const F_MIN = 20;
const F_MAX = 8000;
const SPECTRAL = 5;
export const LOG_MEL_STATS_DIM = 2 * (MEL_BANDS + MFCC_COUNT + SPECTRAL);

const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number): number => 700 * (10 ** (m / 2595) - 1);

/** Centre frequency (Hz) of each mel band. */
export function melBandCentres(bands = MEL_BANDS, fMin = F_MIN, fMax = F_MAX): number[] {
  const lo = hzToMel(fMin);
  const hi = hzToMel(fMax);
  return Array.from({ length: bands }, (_, b) => melToHz(lo + ((b + 1) * (hi - lo)) / (bands + 1)));
}

/** Triangular filters over the FFT bins: weights[b] is a Float64Array of BINS. */
function melFilterbank(sampleRate: number): Float64Array[] {
  const lo = hzToMel(F_MIN);
  const hi = hzToMel(Math.min(F_MAX, sampleRate / 2));
  const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) =>
    melToHz(lo + (i * (hi - lo)) / (MEL_BANDS + 1)),
  );
  const binHz = sampleRate / NFFT;
  return Array.from({ length: MEL_BANDS }, (_, b) => {
    const [l, c, r] = [edges[b] as number, edges[b + 1] as number, edges[b + 2] as number];
    const w = new Float64Array(BINS);
    for (let k = 0; k < BINS; k++) {
      const f = k * binHz;
      if (f > l && f < r) w[k] = f <= c ? (f - l) / (c - l) : (r - f) / (r - c);
    }
    return w;
  });
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const cos = Math.cos(step * k);
        const sin = Math.sin(step * k);
        const a = start + k;
        const b = a + half;
        const tr = (re[b] as number) * cos - (im[b] as number) * sin;
        const ti = (re[b] as number) * sin + (im[b] as number) * cos;
        re[b] = (re[a] as number) - tr;
        im[b] = (im[a] as number) - ti;
        re[a] = (re[a] as number) + tr;
        im[a] = (im[a] as number) + ti;
      }
    }
  }
}

const banks = new Map<number, Float64Array[]>();

/** Per-frame features: log-mel (40), MFCC (13), spectral (5) — rows of 58 values. */
export function logMelFrames(samples: Float32Array, sampleRate = LOG_MEL_SAMPLE_RATE): Float64Array[] {
  let bank = banks.get(sampleRate);
  if (bank === undefined) {
    bank = melFilterbank(sampleRate);
    banks.set(sampleRate, bank);
  }
  const window = Float64Array.from(
    { length: FRAME },
    (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME),
  );
  const count = Math.max(1, 1 + Math.floor((samples.length - FRAME) / HOP));
  const re = new Float64Array(NFFT);
  const im = new Float64Array(NFFT);
  const power = new Float64Array(BINS);
  const logMel = new Float64Array(MEL_BANDS);
  const binHz = sampleRate / NFFT;
  const frames: Float64Array[] = [];
  for (let f = 0; f < count; f++) {
    const start = f * HOP;
    re.fill(0);
    im.fill(0);
    let zc = 0;
    let energy = 0;
    let prev = 0;
    for (let i = 0; i < FRAME; i++) {
      const s = samples[start + i] ?? 0;
      energy += s * s;
      if (i > 0 && s >= 0 !== prev >= 0) zc++;
      prev = s;
      re[i] = s * (window[i] as number);
    }
    fft(re, im);
    let total = 0;
    let weighted = 0;
    let logSum = 0;
    for (let k = 0; k < BINS; k++) {
      const p = (re[k] as number) ** 2 + (im[k] as number) ** 2;
      power[k] = p;
      total += p;
      weighted += p * k * binHz;
      logSum += Math.log(p + 1e-20);
    }
    let cumulative = 0;
    let rolloff = 0;
    for (let k = 0; k < BINS; k++) {
      cumulative += power[k] as number;
      if (cumulative >= 0.85 * total) {
        rolloff = k * binHz;
        break;
      }
    }
    for (let b = 0; b < MEL_BANDS; b++) {
      const w = bank[b] as Float64Array;
      let e = 0;
      for (let k = 0; k < BINS; k++) e += (w[k] as number) * (power[k] as number);
      logMel[b] = Math.log(e + 1e-10);
    }
    const row = new Float64Array(MEL_BANDS + MFCC_COUNT + SPECTRAL);
    row.set(logMel, 0);
    for (let c = 0; c < MFCC_COUNT; c++) {
      let sum = 0;
      for (let b = 0; b < MEL_BANDS; b++)
        sum += (logMel[b] as number) * Math.cos((Math.PI * c * (b + 0.5)) / MEL_BANDS);
      row[MEL_BANDS + c] = sum * Math.sqrt((c === 0 ? 1 : 2) / MEL_BANDS);
    }
    const s = MEL_BANDS + MFCC_COUNT;
    row[s] = total > 0 ? weighted / total / 1000 : 0;
    row[s + 1] = rolloff / 1000;
    row[s + 2] = total > 0 ? Math.exp(logSum / BINS) / (total / BINS) : 0;
    row[s + 3] = zc / (FRAME - 1);
    row[s + 4] = (10 * Math.log10(energy / FRAME + 1e-10)) / 10;
    frames.push(row);
  }
  return frames;
}

/** The clip's `log-mel-stats` vector (LOG_MEL_STATS_DIM values): per-feature mean, then std, over frames. */
export function logMelStats(samples: Float32Array, sampleRate = LOG_MEL_SAMPLE_RATE): Float32Array {
  const frames = logMelFrames(samples, sampleRate);
  const width = MEL_BANDS + MFCC_COUNT + SPECTRAL;
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (const row of frames) {
    for (let j = 0; j < width; j++) {
      const v = row[j] as number;
      mean[j] = (mean[j] as number) + v;
      sq[j] = (sq[j] as number) + v * v;
    }
  }
  const out = new Float32Array(LOG_MEL_STATS_DIM);
  const n = frames.length;
  for (let j = 0; j < width; j++) {
    const m = (mean[j] as number) / n;
    out[j] = m;
    out[width + j] = Math.sqrt(Math.max(0, (sq[j] as number) / n - m * m));
  }
  return out;
}
