import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/safety/pii/index.js';
import { presentTranscript, redactedText, writtenTranscript, type AudioTranscript } from './audio.js';
import type { Disclosure } from './types.js';

const words = (s: string): string[] => s.split(' ');

describe('writtenTranscript', () => {
  it('writes spoken e-mail addresses and maps every spoken word to its written span', () => {
    const w = words('please write to john dot smith at example dot co dot uk today');
    const r = writtenTranscript(w);
    expect(r.text).toBe('please write to john.smith@example.co.uk today');
    const email = r.text.indexOf('john');
    // "john" … "uk" (9 spoken words) all point at the address.
    for (let i = 3; i <= 11; i++)
      expect(r.spans[i]).toEqual({ start: email, end: email + 'john.smith@example.co.uk'.length });
    expect(r.text.slice(r.spans[12]?.start, r.spans[12]?.end)).toBe('today');
  });

  it('writes runs of three or more spoken digits as a number, and leaves short counts alone', () => {
    expect(writtenTranscript(words('call four one five five five five one two three four now')).text).toBe(
      'call 4155551234 now',
    );
    expect(writtenTranscript(words('i have two dogs and one cat')).text).toBe('i have two dogs and one cat');
  });

  it('needs a known top-level domain and a name on each side of "at"', () => {
    expect(writtenTranscript(words('meet me at home dot later')).text).toBe('meet me at home dot later');
    expect(writtenTranscript(words('look at example dot com')).text).toBe('look@example.com');
    expect(writtenTranscript(words('at example dot com')).text).toBe('at example dot com');
    expect(writtenTranscript([]).text).toBe('');
  });
});

describe('redaction of transcripts', () => {
  const t: AudioTranscript = {
    ...(() => {
      const w = ['mail', 'john', 'at', 'example', 'dot', 'com', 'now'];
      const r = writtenTranscript(w);
      return {
        text: r.text,
        spans: r.spans,
        words: w.map((word, i) => ({ word, start: i, end: i + 0.9 })),
      };
    })(),
    language: 'en-US',
    recognisedSeconds: 7,
    speechOnly: true,
    engine: 'test',
    engineVersion: '1',
  };
  const at = t.text.indexOf('john');
  const end = at + 'john@example.com'.length;
  const finding: Finding = {
    entity: 'EMAIL_ADDRESS',
    start: at,
    end,
    score: 1,
    recognizer: 'test',
  } as Finding;

  it('replaces redacted ranges by the entity found there and hides the spoken words', () => {
    const d: Disclosure = { withhold: false, wholeTextRedacted: false, redacted: [{ start: at, end }] };
    expect(redactedText(t.text, d, [finding])).toBe('mail <EMAIL_ADDRESS> now');
    expect(redactedText(t.text, d)).toBe('mail <REDACTED> now');
    const p = presentTranscript(t, d, [finding]);
    expect(p['text']).toBe('mail <EMAIL_ADDRESS> now');
    expect(p['redacted']).toBe(true);
    const shown = p['words'] as { word?: string; redacted?: boolean }[];
    expect(shown.map((w) => w.word ?? '*')).toEqual(['mail', '*', '*', '*', '*', '*', 'now']);
    expect(JSON.stringify(p)).not.toMatch(/john|example/);
  });

  it('a blocked transcript keeps word times and nothing of what was said', () => {
    const d: Disclosure = { withhold: true, wholeTextRedacted: false, redacted: [] };
    const p = presentTranscript(t, d, []);
    expect(p['text']).toBeUndefined();
    expect(p['redacted']).toBe(true);
    expect((p['words'] as unknown[]).length).toBe(7);
    expect(JSON.stringify(p)).not.toMatch(/mail|john|now/);
    expect(redactedText(t.text, d)).toBeUndefined();
  });

  it('a clear transcript is returned as written', () => {
    const d: Disclosure = { withhold: false, wholeTextRedacted: false, redacted: [] };
    const p = presentTranscript(t, d, []);
    expect(p['text']).toBe('mail john@example.com now');
    expect(p['redacted']).toBeUndefined();
  });
});
