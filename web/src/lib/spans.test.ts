import { describe, expect, it } from 'vitest';
import { normalizeForSpans, segmentText } from './spans';

describe('segmentText', () => {
  it('cuts at every boundary, keeps every covering mark, and gives the text back', () => {
    const text = 'call Jane Doe now';
    const segs = segmentText(text, [
      { start: 5, end: 13, kind: 'pii', label: 'PERSON' },
      { start: 10, end: 17, kind: 'entity', label: 'X' },
    ]);
    expect(segs.map((s) => s.text)).toEqual(['call ', 'Jane ', 'Doe', ' now']);
    expect(segs.map((s) => s.marks.map((m) => m.kind))).toEqual([[], ['pii'], ['pii', 'entity'], ['entity']]);
    expect(segs.map((s) => s.text).join('')).toBe(text);
  });
  it('clamps marks to the text and drops empty or inverted ones', () => {
    const segs = segmentText('abc', [
      { start: 2, end: 99, kind: 'pii', label: 'A' },
      { start: 1, end: 1, kind: 'pii', label: 'B' },
      { start: 2, end: 0, kind: 'pii', label: 'C' },
    ]);
    expect(segs.map((s) => [s.text, s.marks.length])).toEqual([
      ['ab', 0],
      ['c', 1],
    ]);
  });
});

describe('normalizeForSpans', () => {
  it('applies the server normalisation: NFC and control characters removed, newlines kept', () => {
    expect(normalizeForSpans('e\u0301\u0007a\nb\t')).toBe('\u00e9a\nb\t');
  });
});
