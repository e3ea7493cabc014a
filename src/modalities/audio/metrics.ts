/**
 * Signal metrics of decoded mono PCM: RMS and sample-peak level (dBFS), clipping, and integrated
 * loudness per ITU-R BS.1770-4 (the measure EBU R128 uses), computed here in TypeScript rather than
 * by a second ffmpeg pass (`ebur128` filter), so one decode serves every analyzer.
 *
 * BS.1770 specifies the K-weighting filter (a high-shelf "pre-filter" modelling the head, then an
 * RLB high-pass) by biquad coefficients at 48 kHz. For other rates the same analogue prototype is
 * re-derived with the bilinear transform from its published parameters (shelf: f0 ≈ 1681.97 Hz,
 * gain ≈ +4.0 dB, Q ≈ 0.7072; high-pass: f0 ≈ 38.135 Hz, Q ≈ 0.5003), which reproduces the 48 kHz
 * coefficients of the standard to ~1e-8 and is how libebur128 and pyloudnorm handle any rate.
 *
 * The measure is of the 16 kHz mono downmix that every analyzer sees: content above 8 kHz is gone,
 * and a stereo file's channels are averaged first (BS.1770 sums channel powers instead), so a
 * stereo source with identical channels reads ~3 LU lower here than a stereo meter shows.
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzeContext, Analyzer, AnalyzerInfo } from '../../core/ports/analyzer.js';
import type { DecodedAudio } from '../../core/ports/audio.js';
import { checkCancelled } from './common.js';
import type { AudioAnalysisInput, SignalResult } from './types.js';

export interface SignalOptions {
  /** |x| at or above this counts as clipped (default 0.99 of full scale). */
  readonly clipThreshold?: number;
}

interface Biquad {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/** The two K-weighting stages for a sample rate (see the module comment). */
export function kWeightingFilters(sampleRate: number): readonly [Biquad, Biquad] {
  // Stage 1: high shelf.
  let f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (gainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf: Biquad = {
    b0: (vh + (vb * k) / q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  // Stage 2: RLB high-pass (numerator 1, -2, 1 as in the standard; its gain is normalised by the
  // −0.691 dB constant of the loudness formula).
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  const highPass: Biquad = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  return [shelf, highPass];
}

/** K-weighted squared samples, summed per 100 ms step (blocks are 4 steps, 75% overlap). */
function weightedStepEnergies(
  samples: Float32Array,
  sampleRate: number,
): { sums: Float64Array; step: number } {
  const [s, h] = kWeightingFilters(sampleRate);
  const step = Math.round(sampleRate / 10);
  const steps = Math.floor(samples.length / step);
  const sums = new Float64Array(steps);
  // Direct form I, both stages, in doubles.
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  let z1 = 0;
  let z2 = 0;
  for (let j = 0; j < steps; j++) {
    let acc = 0;
    for (let i = j * step; i < (j + 1) * step; i++) {
      const x = samples[i] as number;
      const y = s.b0 * x + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2;
      x2 = x1;
      x1 = x;
      const z = h.b0 * y + h.b1 * y1 + h.b2 * y2 - h.a1 * z1 - h.a2 * z2;
      y2 = y1;
      y1 = y;
      z2 = z1;
      z1 = z;
      acc += z * z;
    }
    sums[j] = acc;
  }
  return { sums, step };
}

const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;
const loudness = (meanSquare: number): number => -0.691 + 10 * Math.log10(meanSquare);

/** Gated integrated loudness (LUFS) of mono PCM; null when nothing passes the absolute gate. */
export function integratedLoudness(samples: Float32Array, sampleRate: number): number | null {
  const { sums, step } = weightedStepEnergies(samples, sampleRate);
  const blockSamples = 4 * step;
  const blocks: number[] = [];
  for (let i = 0; i + 4 <= sums.length; i++) {
    const z =
      ((sums[i] as number) + (sums[i + 1] as number) + (sums[i + 2] as number) + (sums[i + 3] as number)) /
      blockSamples;
    if (z > 0 && loudness(z) > ABSOLUTE_GATE_LUFS) blocks.push(z);
  }
  if (blocks.length === 0) return null;
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const relativeGate = loudness(mean(blocks)) + RELATIVE_GATE_LU;
  const kept = blocks.filter((z) => loudness(z) > relativeGate);
  return kept.length === 0 ? null : loudness(mean(kept));
}

const dbfs = (linear: number): number | null => (linear > 0 ? 20 * Math.log10(linear) : null);
const round2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);

export function signalMetrics(audio: DecodedAudio, options: SignalOptions = {}): SignalResult {
  const threshold = options.clipThreshold ?? 0.99;
  const { samples, sampleRate, probe } = audio;
  let sumSquares = 0;
  let peak = 0;
  let clipped = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i] as number;
    const a = Math.abs(x);
    sumSquares += x * x;
    if (a > peak) peak = a;
    if (a >= threshold) clipped++;
  }
  const n = samples.length;
  return {
    durationSeconds: n / sampleRate,
    sampleRate: probe.sampleRate,
    channels: probe.channels,
    codec: probe.codec,
    container: probe.container,
    ...(probe.bitRate === undefined ? {} : { bitRate: probe.bitRate }),
    analysedSampleRate: sampleRate,
    rmsDbfs: round2(n > 0 ? dbfs(Math.sqrt(sumSquares / n)) : null),
    peakDbfs: round2(dbfs(peak)),
    integratedLufs: round2(integratedLoudness(samples, sampleRate)),
    clippingRatio: n > 0 ? clipped / n : 0,
    clippedSamples: clipped,
  };
}

/** The signal analyzer: level, loudness and clipping of the decoded audio (pure arithmetic). */
export class SignalAnalyzer implements Analyzer<AudioAnalysisInput, SignalResult> {
  readonly info: AnalyzerInfo = {
    name: 'signal',
    task: 'signal-metrics',
    modality: 'audio',
    model: 'bs1770-loudness',
    version: 'ITU-R BS.1770-4',
    method: 'rules',
  };

  constructor(private readonly options: SignalOptions = {}) {
    const t = options.clipThreshold;
    if (t !== undefined && !(t > 0 && t <= 1)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'clipThreshold must be in (0, 1]', {
        details: { field: 'clipThreshold', value: t },
      });
    }
  }

  init(): Promise<void> {
    return Promise.resolve();
  }

  // async, so that cancellation is a rejection like every other analyzer's failures.
  async analyze(input: AudioAnalysisInput, ctx?: AnalyzeContext): Promise<SignalResult> {
    checkCancelled(ctx, 'signal');
    return signalMetrics(input.audio, this.options);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
