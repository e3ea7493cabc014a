import { describe, expect, it } from 'vitest';
import { canResample, createResampler, resample } from './resample.js';

const sine = (hz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate),
  );

/** Amplitude of the `hz` component (single-bin DFT over the middle, edges left out). */
function amplitudeAt(x: Float32Array, hz: number, rate: number): number {
  const from = Math.floor(x.length / 4);
  const n = Math.floor(x.length / 2);
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const v = x[from + i] ?? 0;
    re += v * Math.cos((2 * Math.PI * hz * (from + i)) / rate);
    im += v * Math.sin((2 * Math.PI * hz * (from + i)) / rate);
  }
  return (2 * Math.hypot(re, im)) / n;
}

const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

/** Frequency from upward zero crossings over the middle of the signal. */
function zeroCrossingHz(x: Float32Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = Math.floor(x.length / 4); i < (3 * x.length) / 4; i++) {
    const a = x[i - 1] ?? 0;
    const b = x[i] ?? 0;
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  const first = crossings[0] ?? 0;
  const last = crossings[crossings.length - 1] ?? 0;
  return ((crossings.length - 1) * rate) / (last - first);
}

describe('resample', () => {
  it('keeps a 1 kHz sine at 1 kHz and at its amplitude from 48 kHz to 16 kHz', () => {
    const out = resample(sine(1000, 48_000, 1), 48_000, 16_000);
    expect(out.length).toBe(16_000);
    expect(Math.abs(zeroCrossingHz(out, 16_000) - 1000)).toBeLessThan(0.01);
    expect(Math.abs(amplitudeAt(out, 1000, 16_000) - 0.5)).toBeLessThan(0.001);
    // Sample by sample it is the sine sampled at 16 kHz (inside the edges).
    const ideal = sine(1000, 16_000, 1);
    let worst = 0;
    for (let i = 100; i < out.length - 100; i++)
      worst = Math.max(worst, Math.abs((out[i] ?? 0) - (ideal[i] ?? 0)));
    expect(worst).toBeLessThan(1e-4);
  });

  it('keeps the pass band from 44.1 kHz and 8 kHz too', () => {
    const down = resample(sine(3000, 44_100, 1), 44_100, 16_000);
    expect(down.length).toBe(16_000);
    expect(Math.abs(amplitudeAt(down, 3000, 16_000) - 0.5)).toBeLessThan(0.002);
    const up = resample(sine(1000, 8000, 1), 8000, 16_000);
    expect(up.length).toBe(16_000);
    expect(Math.abs(amplitudeAt(up, 1000, 16_000) - 0.5)).toBeLessThan(0.002);
    // Upsampling makes no image of the tone at 8000 − 1000 Hz.
    expect(amplitudeAt(up, 7000, 16_000)).toBeLessThan(1e-3);
  });

  it('leaves DC exactly DC, to the last sample', () => {
    for (const from of [8000, 22_050, 44_100, 48_000]) {
      const out = resample(new Float32Array(from).fill(0.3), from, 16_000);
      for (const v of out) expect(Math.abs(v - 0.3)).toBeLessThan(1e-6);
    }
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    // 12 kHz would alias to 4 kHz, 20 kHz to 4 kHz, 9 kHz to 7 kHz with naive decimation.
    for (const [hz, alias] of [
      [9000, 7000],
      [12_000, 4000],
      [20_000, 4000],
    ] as const) {
      const out = resample(sine(hz, 48_000, 1), 48_000, 16_000);
      expect(amplitudeAt(out, alias, 16_000), `${hz} Hz`).toBeLessThan(0.5 * 1e-3); // ≥ 60 dB down
      expect(rms(out.subarray(200, -200)), `${hz} Hz`).toBeLessThan(0.5 * 1e-3);
    }
    // Naive decimation (every third sample) would keep the 12 kHz tone at full amplitude: the
    // check above can fail.
    const naive = sine(12_000, 48_000, 1).filter((_, i) => i % 3 === 0);
    expect(amplitudeAt(naive, 4000, 16_000)).toBeGreaterThan(0.4);
  });

  it('is a copy when the rates are equal, and refuses rates with too many phases', () => {
    const x = sine(440, 16_000, 0.1);
    const y = resample(x, 16_000, 16_000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    expect(canResample(44_100, 16_000)).toBe(true);
    expect(canResample(44_101, 16_000)).toBe(false);
    expect(() => createResampler(44_101, 16_000)).toThrow(RangeError);
    expect(createResampler(48_000, 16_000).outputLength(48_001)).toBe(16_001);
  });
});
