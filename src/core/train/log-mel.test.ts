import { describe, expect, it } from 'vitest';
import { LOG_MEL_STATS_DIM, MEL_BANDS, MFCC_COUNT, logMelStats, melBandCentres } from './log-mel.js';

const SR = 16000;
const tone = (hz: number, seconds = 1, amplitude = 0.5): Float32Array =>
  Float32Array.from({ length: SR * seconds }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / SR));
const argmax = (xs: ArrayLike<number>, from: number, to: number): number => {
  let best = from;
  for (let i = from; i < to; i++) if ((xs[i] as number) > (xs[best] as number)) best = i;
  return best - from;
};
const S = MEL_BANDS + MFCC_COUNT; // first spectral feature (mean block)

describe('log-mel-stats', () => {
  it('has the documented size and is deterministic', () => {
    const x = tone(440);
    const a = logMelStats(x);
    expect(a).toHaveLength(LOG_MEL_STATS_DIM);
    expect(LOG_MEL_STATS_DIM).toBe(116);
    expect(Array.from(logMelStats(x))).toEqual(Array.from(a));
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it.each([250, 1000, 3000, 6000])(
    'a pure %d Hz tone peaks in the mel band whose centre is nearest',
    (hz) => {
      const v = logMelStats(tone(hz));
      const centres = melBandCentres();
      const nearest = argmax(
        centres.map((c) => -Math.abs(Math.log(c / hz))),
        0,
        MEL_BANDS,
      );
      expect(Math.abs(argmax(v, 0, MEL_BANDS) - nearest)).toBeLessThanOrEqual(1);
      // Spectral centroid (kHz) and 85 % roll-off sit at the tone; zero-crossing rate = 2f / fs.
      expect(v[S] as number).toBeCloseTo(hz / 1000, 1);
      expect(Math.abs((v[S + 1] as number) - hz / 1000)).toBeLessThan(0.07);
      expect(v[S + 3] as number).toBeCloseTo((2 * hz) / SR, 2);
      // A steady tone: the log-mel energy of its band barely moves over time.
      expect(v[MEL_BANDS + MFCC_COUNT + 5 + argmax(v, 0, MEL_BANDS)] as number).toBeLessThan(0.1);
    },
  );

  it('reads the level: RMS of a 0.5 sine is -9.03 dBFS (stored / 10); 6 dB quieter halves the amplitude', () => {
    const loud = logMelStats(tone(1000, 1, 0.5));
    const quiet = logMelStats(tone(1000, 1, 0.25));
    expect((loud[S + 4] as number) * 10).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 1);
    expect(((loud[S + 4] as number) - (quiet[S + 4] as number)) * 10).toBeCloseTo(6.02, 1);
  });

  it('white noise is spectrally flat, a tone is not; impulses raise the temporal spread', () => {
    let seed = 1;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const noise = Float32Array.from({ length: SR }, () => 0.3 * rand());
    expect(logMelStats(noise)[S + 2] as number).toBeGreaterThan(0.4);
    expect(logMelStats(tone(1000))[S + 2] as number).toBeLessThan(0.05);
    const clicks = tone(1000, 1, 0.1);
    for (let t = 0; t < SR; t += 1600)
      for (let i = 0; i < 40; i++) clicks[t + i] = (clicks[t + i] as number) + 0.8 * Math.exp(-i / 8);
    const spread = (v: Float32Array): number => {
      const std = v.subarray(MEL_BANDS + MFCC_COUNT + 5, 2 * MEL_BANDS + MFCC_COUNT + 5);
      return std.reduce((a, b) => a + b, 0) / MEL_BANDS;
    };
    expect(spread(logMelStats(clicks))).toBeGreaterThan(3 * spread(logMelStats(tone(1000, 1, 0.1))));
  });

  it('handles a clip shorter than one frame', () => {
    const v = logMelStats(new Float32Array(100).fill(0.1));
    expect(v).toHaveLength(LOG_MEL_STATS_DIM);
    expect(v.every(Number.isFinite)).toBe(true);
  });
});
