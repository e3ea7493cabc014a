import { describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../api/analyze';
import sample from '../fixtures/analysis-text.json';
import {
  boxesOf,
  captionsVtt,
  describeReason,
  labelScores,
  segmentsOf,
  textMarks,
  transcriptOf,
  videoTimelineOf,
} from './extract';

const response = sample as unknown as AnalysisResponse;

describe('textMarks', () => {
  it('marks PII (once, not again as entities), and the other entities', () => {
    const marks = textMarks(response.results);
    expect(marks.filter((m) => m.kind === 'pii').map((m) => m.label)).toEqual([
      'PHONE_NUMBER',
      'EMAIL_ADDRESS',
    ]);
    expect(marks.filter((m) => m.kind === 'entity').map((m) => m.label)).toEqual(['PERSON']);
  });
});

describe('describeReason', () => {
  it('states the action, direction, category, score against threshold, rule and source', () => {
    const reason = response.safety.reasons.find((r) => r.action === 'redact')!;
    expect(describeReason(reason)).toBe(
      'Redacted on the output: pii (PHONE_NUMBER) scored 100%, at or above the threshold of 50% (rule pii-redact-output, by kaleido-pii 1.0.0).',
    );
    expect(
      describeReason({
        type: 'analyzer-failure',
        direction: 'input',
        action: 'block',
        analyzer: 'text/profanity',
        error: 'crashed',
        escalated: true,
      }),
    ).toBe(
      'Blocked on the input: the text/profanity analyzer failed (crashed), and the policy fails closed.',
    );
    expect(
      describeReason({
        type: 'analyzer-failure',
        direction: 'input',
        action: 'block',
        analyzer: 'pii',
        error: 'skipped: dependency transcript skipped',
        escalated: true,
      }),
    ).toBe(
      'Blocked on the input: the pii analyzer did not run (skipped: dependency transcript skipped), and the policy fails closed.',
    );
  });
});

describe('labelScores', () => {
  it('reads lists and label → score maps, best first', () => {
    expect(labelScores({ classes: { Neutral: 0.1, Drawing: 0.85 } })).toEqual([
      { label: 'Drawing', score: 0.85 },
      { label: 'Neutral', score: 0.1 },
    ]);
    expect(labelScores({ categories: [{ category: 'spam', score: 0.4 }] })).toEqual([
      { label: 'spam', score: 0.4 },
    ]);
    expect(labelScores('nothing')).toEqual([]);
  });
});

describe('boxesOf', () => {
  it('finds objects, faces and OCR lines, keeping the raster OCR measured on', () => {
    const boxes = boxesOf({
      objects: { objects: [{ label: 'dog', score: 0.9, box: { x: 1, y: 2, width: 3, height: 4 } }] },
      faces: {
        faces: [{ score: 0.8, age: 31.6, expression: 'happy', box: { x: 0, y: 0, width: 5, height: 5 } }],
      },
      ocr: {
        text: 'hi',
        readAt: { width: 100, height: 50 },
        lines: [{ text: 'hi', confidence: 90, box: [10, 10, 20, 5] }],
      },
      quality: { width: 10 },
    });
    expect(boxes.map((b) => [b.step, b.label])).toEqual([
      ['objects', 'dog'],
      ['faces', 'face, ~32 y, happy'],
      ['ocr', 'hi'],
    ]);
    expect(boxes[2]!.space).toEqual({ width: 100, height: 50 });
  });
});

describe('transcripts and captions', () => {
  const results = {
    transcript: {
      text: 'hello world again',
      language: 'en-US',
      words: [
        { word: 'hello', start: 0.5, end: 0.9, confidence: 0.9 },
        { word: 'world', start: 1.0, end: 1.4 },
        { word: 'again', start: 3.0, end: 3.5 },
        { word: 'bad', start: 4, end: 3 },
      ],
    },
    vad: { segments: [{ start: 0.4, end: 1.5, probability: 0.97 }] },
  };
  it('reads timed words (dropping inverted ones) and segments', () => {
    const t = transcriptOf(results)!;
    expect(t.step).toBe('transcript');
    expect(t.words.map((w) => w.word)).toEqual(['hello', 'world', 'again']);
    expect(segmentsOf(results)).toEqual([{ step: 'vad', start: 0.4, end: 1.5, probability: 0.97 }]);
  });
  it('writes WebVTT cues, breaking at a pause over a second', () => {
    expect(captionsVtt(transcriptOf(results)!.words)).toBe(
      'WEBVTT\n\n00:00:00.500 --> 00:00:01.400\nhello world\n\n00:00:03.000 --> 00:00:03.500\nagain\n',
    );
  });
});

describe('a video result', () => {
  // The video pipeline's shape (src/analysis/video.ts), trimmed.
  const video = {
    scenes: { cuts: [{ time: 2, score: 0.9 }], durationSeconds: 4, method: 'scdet' },
    frames: {
      frames: [
        { index: 0, time: 0.52 },
        { index: 1, time: 1.52 },
        { index: 2, time: 2.52 },
      ],
    },
    segments: {
      segments: [
        {
          start: 0,
          end: 2,
          label: '0:00–0:02',
          objects: { person: 2 },
          faces: 0,
          text: ['HELLO'],
          summary: 'x',
          speech: 'the birch',
        },
        {
          start: 2,
          end: 4,
          label: '0:02–0:04',
          objects: {},
          faces: 1,
          text: [],
          summary: '0:02–0:04: a face',
        },
      ],
    },
    speech: {
      hasAudio: true,
      vad: { segments: [{ start: 0.3, end: 2.9, probability: 0.9 }] },
      transcript: {
        text: 'the birch',
        words: [
          { word: 'the', start: 0.3, end: 0.5 },
          { word: 'birch', start: 0.5, end: 0.9 },
        ],
      },
    },
  };

  it('reads the timeline: duration, cuts, sampled frames and per-scene segments', () => {
    const t = videoTimelineOf(video);
    expect(t).toMatchObject({ durationSeconds: 4, cuts: [2], frames: [0.52, 1.52, 2.52], withheld: false });
    expect(t?.segments[0]).toMatchObject({
      label: '0:00–0:02',
      objects: [{ label: 'person', count: 2 }],
      text: ['HELLO'],
      speech: 'the birch',
    });
    expect(t?.segments[1]?.speech).toBeUndefined();
    expect(videoTimelineOf({ transcript: { words: [] } })).toBeUndefined();
  });

  it('finds the nested transcript and voice activity, and leaves scene segments to the timeline', () => {
    expect(transcriptOf(video)?.words.map((w) => w.word)).toEqual(['the', 'birch']);
    expect(segmentsOf(video)).toEqual([{ step: 'speech', start: 0.3, end: 2.9, probability: 0.9 }]);
  });
});
