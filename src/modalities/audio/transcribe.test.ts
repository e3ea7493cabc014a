import { describe, expect, it } from 'vitest';
import type { RecognizedWord, SpeechRecognizer } from '../../core/ports/audio.js';
import { joinWindows, speechWindows, toOriginalTime, TranscriptionAnalyzer } from './transcribe.js';

const RATE = 16_000;

/** A recogniser that reports one word per non-silent 0.1 s run of the joined PCM it receives. */
class LoudRunRecognizer implements SpeechRecognizer {
  readonly name = 'fake';
  readonly version = '1';
  readonly language = 'en-US';
  readonly sampleRate = RATE;
  readonly model = 'energy runs';
  received: Float32Array | undefined;
  init = (): Promise<void> => Promise.resolve();
  status = () => ({ available: true });
  close = (): Promise<void> => Promise.resolve();
  recognize(samples: Float32Array): Promise<RecognizedWord[]> {
    this.received = samples;
    const words: RecognizedWord[] = [];
    let start = -1;
    for (let i = 0; i <= samples.length; i++) {
      const loud = i < samples.length && Math.abs(samples[i] as number) > 0.1;
      if (loud && start < 0) start = i;
      if (!loud && start >= 0) {
        words.push({ word: `w${words.length}`, start: start / RATE, end: i / RATE, confidence: 0.9 });
        start = -1;
      }
    }
    return Promise.resolve(words);
  }
}

describe('speech windows', () => {
  it('pads, clamps and merges', () => {
    expect(
      speechWindows(
        [
          { start: 0.05, end: 1 },
          { start: 1.2, end: 2 },
          { start: 5, end: 9.9 },
        ],
        0.15,
        10,
      ),
    ).toEqual([
      { start: 0, end: 2.15 },
      { start: 4.85, end: 10 },
    ]);
  });

  it('maps joined times back to the original timeline', () => {
    const samples = new Float32Array(RATE * 10);
    const { joined, pieces } = joinWindows(
      samples,
      RATE,
      [
        { start: 1, end: 2 },
        { start: 5, end: 6 },
      ],
      0.5,
    );
    expect(joined.length).toBe(RATE * 2.5);
    expect(toOriginalTime(0.25, pieces)).toBeCloseTo(1.25, 6);
    expect(toOriginalTime(1.75, pieces)).toBeCloseTo(5.25, 6);
    // Inside the gap: clamped to the end of the piece before it.
    expect(toOriginalTime(1.2, pieces)).toBeCloseTo(2, 6);
  });
});

describe('TranscriptionAnalyzer', () => {
  // Loud bursts at 1.0–1.3 s and 6.0–6.2 s of a 10 s clip; the rest is silence.
  const samples = new Float32Array(RATE * 10);
  samples.fill(0.5, RATE * 1, RATE * 1.3);
  samples.fill(0.5, RATE * 6, RATE * 6.2);
  const audio = {
    samples,
    sampleRate: RATE,
    probe: { container: 'wav', codec: 'pcm_s16le', sampleRate: RATE, channels: 1, audioStreams: 1 },
  };

  it('decodes only the speech segments and reports words on the original timeline', async () => {
    const fake = new LoudRunRecognizer();
    const t = new TranscriptionAnalyzer(fake, { segmentPadSeconds: 0.1, gapSeconds: 0.3 });
    await t.init();
    const r = await t.analyze({
      audio,
      speech: [
        { start: 0.9, end: 1.4, probability: 0.9 },
        { start: 5.9, end: 6.3, probability: 0.9 },
      ],
    });
    expect(r.speechOnly).toBe(true);
    expect(fake.received?.length).toBe(Math.round(RATE * (0.7 + 0.6 + 0.3)));
    expect(r.recognisedSeconds).toBeCloseTo(1.6, 3);
    expect(r.words.map((w) => [w.word, w.start, w.end])).toEqual([
      ['w0', 1, 1.3],
      ['w1', 6, 6.2],
    ]);
    expect(r.text).toBe('w0 w1');
  });

  it('decodes everything without VAD segments, and nothing when the VAD found no speech', async () => {
    const fake = new LoudRunRecognizer();
    const t = new TranscriptionAnalyzer(fake);
    await t.init();
    const whole = await t.analyze({ audio });
    expect(whole.speechOnly).toBe(false);
    expect(whole.words).toHaveLength(2);
    const none = await t.analyze({ audio, speech: [] });
    expect(none.words).toEqual([]);
    expect(none.recognisedSeconds).toBe(0);
  });

  it('is unavailable before init and honours cancellation', async () => {
    const t = new TranscriptionAnalyzer(new LoudRunRecognizer());
    await expect(t.analyze({ audio })).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    await t.init();
    await expect(t.analyze({ audio }, { signal: { aborted: true } })).rejects.toMatchObject({
      code: 'ERR_CANCELLED',
    });
  });
});
