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
