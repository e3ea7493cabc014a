import { describe, expect, it } from 'vitest';
import { parseTimedWords, toPcm16 } from './pocketsphinx-recognizer.js';

describe('parseTimedWords', () => {
  it('keeps words with times and posteriors, drops fillers and pronunciation variants', () => {
    const out = [
      'he was not an illness those young man',
      '<s> 0.000 0.060 0.999500',
      '<sil> 0.070 0.200 0.694306',
      'he 0.210 0.320 0.998701',
      'was(2) 0.330 0.540 0.999800',
      '[SPEECH] 0.980 1.100 0.535598',
      '++NOISE++ 1.100 1.105 0.5',
      'man 2.330 2.790 0.905008',
      '</s> 2.800 2.970 1.000000',
    ].join('\n');
    expect(parseTimedWords(out)).toEqual([
      { word: 'he', start: 0.21, end: 0.32, confidence: 0.998701 },
      { word: 'was', start: 0.33, end: 0.54, confidence: 0.9998 },
      { word: 'man', start: 2.33, end: 2.79, confidence: 0.905008 },
    ]);
  });

  it('returns nothing for output without word lines', () => {
    expect(parseTimedWords('')).toEqual([]);
    expect(parseTimedWords('hello world\n')).toEqual([]);
  });
});

describe('toPcm16', () => {
  it('converts to little-endian 16-bit, clamping out-of-range samples', () => {
    const b = toPcm16(Float32Array.from([0, 1, -1, 0.5, 2, -3]));
    const v = new DataView(b.buffer);
    expect([0, 1, 2, 3, 4, 5].map((i) => v.getInt16(i * 2, true))).toEqual([
      0, 32767, -32767, 16384, 32767, -32767,
    ]);
  });
});
