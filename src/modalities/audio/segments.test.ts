import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { speechSegments, totalSeconds } from './segments.js';

const F = 0.032;
/** Frames from a compact spec: each char is one frame, digits = probability tenths ("9" = 0.9). */
const frames = (spec: string): number[] => [...spec].map((c) => Number(c) / 10);

describe('speechSegments', () => {
  const opts = {
    onThreshold: 0.6,
    offThreshold: 0.4,
    minSpeechSeconds: 0.2,
    minSilenceSeconds: 0.1,
    padSeconds: 0,
  };

  it('enters at the on threshold and leaves after min silence below the off threshold', () => {
    // 5 silent frames, 10 speech frames (with a dip to 0.5: above off, so no exit), 6 silent.
    const p = frames('00000' + '9999599999' + '000000');
    const s = speechSegments(p, F, p.length * F, opts);
    expect(s).toHaveLength(1);
    expect(s[0]?.start).toBeCloseTo(5 * F, 3);
    expect(s[0]?.end).toBeCloseTo(15 * F, 3);
    expect(s[0]?.probability).toBeCloseTo(0.86, 2);
  });

  it('bridges pauses shorter than min silence and splits on longer ones', () => {
    // 2 quiet frames (64 ms < 100 ms) inside the first run; 5 quiet frames (160 ms) split.
    const p = frames('0' + '99999900999999' + '00000' + '9999999' + '0');
    const s = speechSegments(p, F, p.length * F, opts);
    expect(s.map((x) => [x.start, x.end])).toEqual([
      [0.032, 0.48],
      [0.64, 0.864],
    ]);
  });

  it('drops speech shorter than min speech', () => {
    const p = frames('000' + '999' + '000000' + '99999999' + '000');
    const s = speechSegments(p, F, p.length * F, opts);
    expect(s).toHaveLength(1);
    expect(s[0]?.start).toBeCloseTo(12 * F, 3);
  });

  it('never starts below the on threshold', () => {
    expect(speechSegments(frames('5555555555555555'), F, 16 * F, opts)).toEqual([]);
  });

  it('pads within the audio and merges segments the padding joins', () => {
    const p = frames('99999999' + '0000' + '99999999');
    const s = speechSegments(p, F, p.length * F, { ...opts, padSeconds: 0.1 });
    expect(s).toHaveLength(1);
    expect(s[0]?.start).toBe(0);
    expect(s[0]?.end).toBeCloseTo(p.length * F, 3);
    expect(totalSeconds(s)).toBeCloseTo(p.length * F, 3);
  });

  it('closes a segment still open at the end', () => {
    const p = frames('0000' + '99999999' + '00');
    const s = speechSegments(p, F, p.length * F, opts);
    expect(s[0]?.end).toBeCloseTo(12 * F, 3);
  });

  it('rejects inconsistent thresholds', () => {
    expect(() => speechSegments([], F, 1, { onThreshold: 0.4, offThreshold: 0.5 })).toThrow(KaleidoError);
    expect(() => speechSegments([], F, 1, { onThreshold: 1.5 })).toThrow(/onThreshold/);
    expect(() => speechSegments([], F, 1, { padSeconds: -1 })).toThrow(/padSeconds/);
  });
});
