/** The analyzers' own logic (mapping, merging, censoring, lifecycle) over fake engines. */
import { describe, expect, it } from 'vitest';
import type {
  EntityEngine,
  LanguageIdentifierEngine,
  ProfanityEngine,
  SentimentEngine,
} from '../../core/ports/analyzer.js';
import {
  censor,
  EntityAnalyzer,
  LanguageAnalyzer,
  ProfanityAnalyzer,
  SentimentAnalyzer,
  sentimentLabel,
  toIsoLanguage,
} from './analyzers.js';

const lifecycle = { version: '1', init: () => Promise.resolve(), close: () => Promise.resolve() };

describe('language', () => {
  it('maps legacy and script-suffixed codes to ISO 639-1', () => {
    expect(toIsoLanguage('iw')).toEqual({ language: 'he' });
    expect(toIsoLanguage('ru-Latn')).toEqual({ language: 'ru', script: 'Latn' });
    expect(toIsoLanguage('fil')).toEqual({ language: 'fil' });
  });

  it('refuses to run before init and answers und without letters', async () => {
    const engine: LanguageIdentifierEngine = {
      ...lifecycle,
      name: 'fake',
      identify: () => ({ code: 'iw', probability: 0.9, isReliable: true, proportion: 1 }),
      languages: () => [{ code: 'iw', probability: 0.9, isReliable: true, proportion: 1 }],
    };
    const a = new LanguageAnalyzer(engine);
    await expect(a.analyze('שלום')).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    await a.init();
    expect(await a.analyze('שלום')).toMatchObject({ language: 'he', languages: [{ language: 'he' }] });
    expect(await a.analyze('123')).toMatchObject({ language: 'und', probability: 0 });
    await expect(a.analyze('x', { signal: { aborted: true } })).rejects.toMatchObject({
      code: 'ERR_CANCELLED',
    });
  });
});

describe('sentiment', () => {
  it('labels by sign with an optional neutral band', async () => {
    expect(sentimentLabel(0.2)).toBe('positive');
    expect(sentimentLabel(-0.01)).toBe('negative');
    expect(sentimentLabel(0)).toBe('neutral');
    expect(sentimentLabel(0.04, 0.05)).toBe('neutral');
    const engine: SentimentEngine = { ...lifecycle, name: 'fake', polarity: () => -0.5 };
    const a = new SentimentAnalyzer(engine);
    await a.init();
    expect(await a.analyze('bad')).toEqual({ label: 'negative', score: -0.5, method: 'lexicon' });
    expect(() => new SentimentAnalyzer(engine, { neutralBand: 1 })).toThrow();
  });
});

describe('entities', () => {
  it('merges identical spans from several engines, drops numeric fragments, sorts by position', async () => {
    const a1: EntityEngine = {
      ...lifecycle,
      name: 'a',
      types: ['EMAIL', 'CARDINAL'],
      entities: () => [
        { type: 'CARDINAL', start: 13, end: 16 },
        { type: 'EMAIL', start: 0, end: 5 },
      ],
    };
    const a2: EntityEngine = {
      ...lifecycle,
      name: 'b',
      types: ['EMAIL', 'PHONE'],
      entities: () => [
        { type: 'EMAIL', start: 0, end: 5 },
        { type: 'PHONE', start: 9, end: 20 },
      ],
    };
    const a = new EntityAnalyzer([a1, a2]);
    await a.init();
    const text = 'a@b.c call 555 123 4567';
    const { entities } = await a.analyze(text);
    expect(entities.map((e) => [e.type, e.start, e.end, e.sources])).toEqual([
      ['EMAIL', 0, 5, ['a', 'b']],
      ['PHONE', 9, 20, ['b']],
    ]);
    expect(entities[0]?.text).toBe('a@b.c');
  });

  it('rejects an engine span outside the text', async () => {
    const bad: EntityEngine = {
      ...lifecycle,
      name: 'bad',
      types: ['X'],
      entities: () => [{ type: 'X', start: 2, end: 99 }],
    };
    const a = new EntityAnalyzer([bad]);
    await a.init();
    await expect(a.analyze('short')).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    expect(() => new EntityAnalyzer([])).toThrow();
  });
});

describe('profanity', () => {
  it('censors per UTF-16 unit so offsets still line up', async () => {
    expect(censor('ab😀cd', [{ start: 2, end: 4 }])).toBe('ab**cd');
    const engine: ProfanityEngine = {
      ...lifecycle,
      name: 'fake',
      matches: () => [{ start: 4, end: 8, term: 'darn' }],
    };
    const a = new ProfanityAnalyzer(engine);
    await a.init();
    expect(await a.analyze('oh, darn it')).toEqual({
      profane: true,
      matches: [{ start: 4, end: 8, term: 'darn', text: 'darn' }],
      censored: 'oh, **** it',
    });
  });
});
