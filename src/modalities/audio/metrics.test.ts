import { describe, expect, it } from 'vitest';
import type { DecodedAudio } from '../../core/ports/audio.js';
import { integratedLoudness, kWeightingFilters, signalMetrics } from './metrics.js';

const RATE = 16_000;
const sine = (hz: number, amplitude: number, seconds: number, rate = RATE): Float32Array =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate),
  );
const decoded = (samples: Float32Array): DecodedAudio => ({
  samples,
  sampleRate: RATE,
  probe: { container: 'wav', codec: 'pcm_s16le', sampleRate: 44_100, channels: 2, audioStreams: 1 },
});

describe('K-weighting', () => {
  it('reproduces the 48 kHz coefficients of ITU-R BS.1770-4 (tables 1 and 2)', () => {
    const [shelf, highPass] = kWeightingFilters(48_000);
    expect(shelf.b0).toBeCloseTo(1.53512485958697, 8);
    expect(shelf.b1).toBeCloseTo(-2.69169618940638, 8);
    expect(shelf.b2).toBeCloseTo(1.19839281085285, 8);
    expect(shelf.a1).toBeCloseTo(-1.69065929318241, 8);
    expect(shelf.a2).toBeCloseTo(0.73248077421585, 8);
    expect(highPass.a1).toBeCloseTo(-1.99004745483398, 8);
    expect(highPass.a2).toBeCloseTo(0.99007225036621, 8);
  });
});

describe('integratedLoudness', () => {
  it('reads a full-scale 997 Hz sine as −3.01 LUFS and scales with level (BS.1770 calibration)', () => {
    expect(integratedLoudness(sine(997, 1, 5), RATE)).toBeCloseTo(-3.01, 1);
    expect(integratedLoudness(sine(997, 0.1, 5), RATE)).toBeCloseTo(-23.01, 1);
  });

  it('gates out silence: a tone with long silence reads as the tone', () => {
    const s = new Float32Array(RATE * 10);
    s.set(sine(997, 0.1, 3), RATE * 4);
    expect(integratedLoudness(s, RATE)).toBeCloseTo(-23.01, 0);
  });

  it('is null for silence and for audio shorter than one 400 ms block', () => {
    expect(integratedLoudness(new Float32Array(RATE * 2), RATE)).toBeNull();
    expect(integratedLoudness(sine(997, 1, 0.3), RATE)).toBeNull();
  });
});

describe('signalMetrics', () => {
  it('reports RMS, peak, source format and no clipping for a clean sine', () => {
    const m = signalMetrics(decoded(sine(440, 0.5, 2)));
    expect(m.rmsDbfs).toBeCloseTo(-9.03, 1);
    expect(m.peakDbfs).toBeCloseTo(-6.02, 1);
    expect(m.clippingRatio).toBe(0);
    expect(m.durationSeconds).toBe(2);
    expect(m).toMatchObject({
      sampleRate: 44_100,
      channels: 2,
      codec: 'pcm_s16le',
      analysedSampleRate: RATE,
    });
  });

  it('measures clipping on a hard-clipped sine', () => {
    const clipped = sine(440, 2, 1).map((x) => Math.max(-1, Math.min(1, x)));
    const m = signalMetrics(decoded(clipped));
    // |2 sin θ| ≥ 0.99 for about 2/3 of a period.
    expect(m.clippingRatio).toBeGreaterThan(0.6);
    expect(m.clippingRatio).toBeLessThan(0.72);
    expect(m.peakDbfs).toBe(0);
  });

  it('gives null levels for digital silence', () => {
    const m = signalMetrics(decoded(new Float32Array(RATE)));
    expect(m.rmsDbfs).toBeNull();
    expect(m.peakDbfs).toBeNull();
    expect(m.integratedLufs).toBeNull();
  });
});
