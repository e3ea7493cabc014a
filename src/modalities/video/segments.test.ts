import { describe, expect, it } from 'vitest';
import { buildSegments, countPhrase, formatTime, plural, segmentBounds } from './segments.js';

describe('video segments', () => {
  it('formats times as m:ss and h:mm:ss', () => {
    expect(formatTime(0)).toBe('0:00');
    expect(formatTime(4.9)).toBe('0:04');
    expect(formatTime(125)).toBe('2:05');
    expect(formatTime(3725)).toBe('1:02:05');
  });

  it('counts objects in English', () => {
    expect(countPhrase('dog', 1)).toBe('a dog');
    expect(countPhrase('umbrella', 1)).toBe('an umbrella');
    expect(countPhrase('person', 2)).toBe('2 people');
    expect(plural('traffic light')).toBe('traffic lights');
    expect(plural('bus')).toBe('buses');
    expect(plural('teddy bear')).toBe('teddy bears');
    expect(plural('butterfly')).toBe('butterflies');
    expect(plural('sheep')).toBe('sheep');
  });

  it('cuts the timeline at scene changes, ignoring cuts closer than the minimum', () => {
    const b = segmentBounds(10, [
      { time: 4, score: 0.9 },
      { time: 4.2, score: 0.5 }, // a flash right after the cut
      { time: 9, score: 0.8 },
      { time: 9.8, score: 0.6 }, // too close to the end
    ]);
    expect(b).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 9 },
      { start: 9, end: 10 },
    ]);
    expect(segmentBounds(3, [])).toEqual([{ start: 0, end: 3 }]);
  });

  it('gathers objects (most seen at once), faces, text and speech per segment, and summarises', () => {
    const segs = buildSegments(
      9,
      [{ time: 4, score: 0.8 }],
      [
        { index: 0, time: 0.5, objects: ['person'], faces: 1, text: ['OPEN DAILY'] },
        { index: 1, time: 1.5, objects: ['person', 'person', 'dog'], faces: 2, text: ['OPEN DAILY', ''] },
        { index: 2, time: 5.5, objects: [], faces: 0, text: [undefined] },
      ],
      [
        { word: 'the', start: 0.5, end: 0.7 },
        { word: 'shop', start: 0.8, end: 1.1 },
        { word: undefined, start: 4.5, end: 4.7 },
        { word: undefined, start: 4.7, end: 4.9 },
        { word: 'later', start: 5.0, end: 5.4 },
        // Its middle (4.05) is after the cut: it belongs to the second segment.
        { word: 'so', start: 3.9, end: 4.2 },
      ],
    );
    expect(segs).toHaveLength(2);
    expect(segs[0]).toMatchObject({
      start: 0,
      end: 4,
      label: '0:00–0:04',
      frames: [0, 1],
      objects: { person: 2, dog: 1 },
      faces: 2,
      text: ['OPEN DAILY'],
      speech: 'the shop',
      summary: '0:00–0:04: 2 people, a dog; text: "OPEN DAILY"; speech: the shop',
    });
    expect(segs[1]).toMatchObject({
      label: '0:04–0:09',
      text: ['<REDACTED>'],
      speech: 'so <REDACTED> later',
    });
    expect(segs[1]?.summary).toBe('0:04–0:09: text: "<REDACTED>"; speech: so <REDACTED> later');
  });

  it('says when a segment has no sampled frame, and mentions faces only without people', () => {
    const segs = buildSegments(
      6,
      [{ time: 3, score: 0.9 }],
      [{ index: 0, time: 4, objects: [], faces: 1, text: [] }],
      [],
    );
    expect(segs[0]?.summary).toBe('0:00–0:03: no sampled frame');
    expect(segs[1]?.summary).toBe('0:03–0:06: a face');
  });
});
