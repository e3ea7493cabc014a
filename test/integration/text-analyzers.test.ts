/**
 * The text analyzers with their real engines (cld3, wink, compromise, obscenity, the PII
 * recognizers) and the spam model served by the real serving stack: known answers on clear
 * inputs, and a fast, deterministic subset of the evaluation that fails CI on a regression
 * (language ID ≥ 97% on 440 UDHR paragraphs; spam F1 ≥ 0.95 on the whole held-out split).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaleidoError } from '../../src/core/errors.js';
import { createTextAnalyzers } from '../../src/modalities/text/registry.js';
import { loadSpamSplit, SPLIT_SEED } from '../../scripts/eval/spam-data.js';
import { scoreLanguage, scoreSpam } from '../../scripts/eval/text.js';
import { BUNDLED_MODELS, createTextStack, type TextStack } from '../../scripts/eval/text-stack.js';
import { sampleParagraphs, udhr44 } from '../../scripts/eval/udhr-data.js';

let stack: TextStack;

beforeAll(async () => {
  stack = await createTextStack();
});

afterAll(async () => {
  await stack.close();
});

const analyze = (text: string, task: 'language' | 'sentiment' | 'entities' | 'profanity' | 'spam') =>
  stack.analyzers.analyze(text, { tasks: [task] }).then((r) => r.results);

async function failure(p: Promise<unknown>): Promise<KaleidoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a KaleidoError');
}

describe('registry', () => {
  it('reports every analyzer available, with its method', () => {
    expect(stack.analyzers.status()).toEqual({
      language: { available: true },
      sentiment: { available: true },
      entities: { available: true },
      profanity: { available: true },
      spam: { available: true },
    });
    const methods = Object.fromEntries(stack.analyzers.infos().map((i) => [i.name, i.method]));
    expect(methods).toEqual({
      language: 'neural',
      sentiment: 'lexicon',
      entities: 'rules',
      profanity: 'rules',
      spam: 'trained',
    });
  });

  it('reports a missing engine or model as unavailable with a reason, and skips it', async () => {
    const partial = createTextAnalyzers({ inference: stack.inference, spam: { model: 'no_such_model' } });
    const status = await partial.init();
    expect(status.language).toEqual({
      available: false,
      reason: 'no language identification engine configured',
    });
    expect(status.spam.available).toBe(false);
    expect(status.spam.reason).toMatch(/no_such_model/);
    const r = await partial.analyze('hello world', { tasks: ['language', 'spam'] });
    expect(r.results).toEqual({});
    expect(Object.keys(r.skipped).sort()).toEqual(['language', 'spam']);
  });

  it('rejects bad input with clear errors', async () => {
    expect((await failure(stack.analyzers.analyze(42))).code).toBe('ERR_VALIDATION');
    expect((await failure(stack.analyzers.analyze('x'.repeat(100_001)))).code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect((await failure(stack.analyzers.analyze('hi', { tasks: ['ocr' as 'spam'] }))).code).toBe(
      'ERR_VALIDATION',
    );
    expect((await failure(stack.analyzers.analyze('hi', { signal: { aborted: true } }))).code).toBe(
      'ERR_CANCELLED',
    );
  });

  it('normalises once (NFC, control characters) and gives spans into the normalised text', async () => {
    const r = await stack.analyzers.analyze('Cafe\u0301\u0007 costs $5.', { tasks: ['entities'] });
    expect(r.text).toBe('Café costs $5.');
    const money = r.results.entities?.entities.find((e) => e.type === 'MONEY');
    expect(money).toMatchObject({ text: '$5' });
    expect(r.text.slice(money?.start, money?.end)).toBe('$5');
  });
});

describe('language', () => {
  it.each([
    ['en', 'The committee will publish its final report on the new railway line next spring.'],
    [
      'fr',
      'Le comité publiera son rapport final sur la nouvelle ligne de chemin de fer au printemps prochain.',
    ],
    [
      'de',
      'Der Ausschuss wird seinen Abschlussbericht über die neue Bahnstrecke im nächsten Frühjahr veröffentlichen.',
    ],
    ['es', 'El comité publicará su informe final sobre la nueva línea de ferrocarril la próxima primavera.'],
    ['ru', 'Комитет опубликует свой окончательный доклад о новой железнодорожной линии следующей весной.'],
    ['he', 'הוועדה תפרסם את הדוח הסופי שלה על קו הרכבת החדש באביב הבא.'],
  ])('identifies %s', async (language, text) => {
    const r = (await analyze(text, 'language')).language;
    expect(r?.language).toBe(language);
    expect(r?.isReliable).toBe(true);
    expect(r?.probability).toBeGreaterThan(0.9);
    expect(r?.languages[0]?.language).toBe(language);
  });

  it('lists the languages of mixed-script text and answers "und" for text without letters', async () => {
    const mixed = (
      await analyze(
        'Привет, как дела у тебя сегодня? This part of the message is written in English.',
        'language',
      )
    ).language;
    expect(mixed?.languages.map((l) => l.language).sort()).toEqual(['en', 'ru']);
    expect((await analyze('12345 !!! 67', 'language')).language).toMatchObject({
      language: 'und',
      isReliable: false,
      probability: 0,
    });
  });
});

describe('sentiment', () => {
  it.each([
    ['positive', 'I absolutely love this phone, the battery is excellent and the screen is beautiful.'],
    ['negative', 'This was a terrible, boring movie and the acting was awful.'],
    ['negative', 'The food was not good at all.'],
    ['neutral', 'The train leaves at seven.'],
  ])('labels %s', async (label, text) => {
    const r = (await analyze(text, 'sentiment')).sentiment;
    expect(r?.label).toBe(label);
    expect(r?.method).toBe('lexicon');
    expect(Math.sign(r?.score ?? NaN)).toBe(label === 'positive' ? 1 : label === 'negative' ? -1 : 0);
  });
});

describe('entities', () => {
  it('finds dates, times, money, percentages, e-mails, URLs, hashtags and mentions with exact spans', async () => {
    const text =
      'Write to jane.doe@example.org or see https://example.org/offer before 5 March 2024 at 10:30 am: $25.50, 15% off #deal @bob';
    const entities = (await analyze(text, 'entities')).entities?.entities ?? [];
    const found = entities.map((e) => [e.type, e.text]);
    for (const expected of [
      ['EMAIL', 'jane.doe@example.org'],
      ['URL', 'https://example.org/offer'],
      ['DATE', '5 March 2024'],
      ['TIME', '10:30 am'],
      ['MONEY', '$25.50'],
      ['PERCENT', '15%'],
      ['HASHTAG', '#deal'],
      ['MENTION', '@bob'],
    ]) {
      expect(found).toContainEqual(expected);
    }
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.text);
    const email = entities.find((e) => e.type === 'EMAIL');
    expect(email).toMatchObject({ start: 9, end: 29, pii: true });
    expect(email?.sources).toEqual(expect.arrayContaining(['wink-entities', 'pii']));
  });

  it('finds people, places and organisations (compromise) and keeps UTF-16 offsets after emoji', async () => {
    const text = '😀 Yesterday John Smith flew from London to Paris to meet Microsoft.';
    const entities = (await analyze(text, 'entities')).entities?.entities ?? [];
    expect(entities).toContainEqual(
      expect.objectContaining({ type: 'PERSON', text: 'John Smith', start: 13, end: 23 }),
    );
    expect(entities).toContainEqual(expect.objectContaining({ type: 'PLACE', text: 'London' }));
    expect(entities).toContainEqual(expect.objectContaining({ type: 'PLACE', text: 'Paris' }));
    expect(entities).toContainEqual(expect.objectContaining({ type: 'ORGANIZATION', text: 'Microsoft' }));
  });

  it('merges the PII phone recognizer and drops number fragments inside it', async () => {
    const text = 'Call me on +1 415 555 0100 tomorrow.';
    const entities = (await analyze(text, 'entities')).entities?.entities ?? [];
    expect(entities).toContainEqual(
      expect.objectContaining({ type: 'PHONE', text: '+1 415 555 0100', pii: true }),
    );
    expect(entities.filter((e) => e.type === 'CARDINAL')).toEqual([]);
  });
});

describe('profanity', () => {
  it('finds obfuscated profanity with spans and censors it in place', async () => {
    const text = 'What the fuuuck, you a$$hole.';
    const r = (await analyze(text, 'profanity')).profanity;
    expect(r?.profane).toBe(true);
    expect(r?.matches.map((m) => [m.start, m.end, m.term, m.text])).toEqual([
      [9, 15, 'fuck', 'fuuuck'],
      [21, 24, 'ass', 'a$$'],
    ]);
    expect(r?.censored).toBe('What the ******, you ***hole.');
    expect(r?.censored.length).toBe(text.length);
  });

  it('leaves clean text with look-alike words alone', async () => {
    const r = (await analyze('Scunthorpe is a town; we assessed the class and passed.', 'profanity'))
      .profanity;
    expect(r).toMatchObject({ profane: false, matches: [] });
  });
});

const SPAM_MAIL = `From: "Best Deals" <offers@cheap-pills-online.biz>
Subject: LOWEST PRICES on VIAGRA!!! Order now and SAVE 80%
Content-Type: text/html

<html><body><p>Dear Friend,</p><p>You have been selected to receive our EXCLUSIVE offer. Buy now and save 80% on all medications, no prescription needed!!! Click here: http://cheap-pills-online.biz/order to claim your FREE bonus. Limited time offer, act now! To be removed from our mailing list reply with REMOVE in the subject.</p></body></html>`;

const HAM_MAIL = `From: Alice Martin <alice@example.org>
Subject: Re: notes from Tuesday's design review
Content-Type: text/plain; charset=us-ascii

Hi Bob,

Thanks for sending the notes. I went through the patch for the config loader and left two comments on the list: the default for the cache directory should come from the environment, and the unit test for the parser needs a case with an empty file. Could you also rebase on the current branch before Thursday?

Cheers,
Alice`;

describe('spam (served model)', () => {
  it('classifies a clear spam and a clear ham e-mail', async () => {
    const spam = (await analyze(SPAM_MAIL, 'spam')).spam;
    expect(spam).toMatchObject({
      label: 'spam',
      model: 'spam_classifier',
      modelVersion: '1',
      threshold: 0.5,
    });
    expect(spam?.probability).toBeGreaterThan(0.9);
    const ham = (await analyze(HAM_MAIL, 'spam')).spam;
    expect(ham?.label).toBe('ham');
    expect(ham?.probability).toBeLessThan(0.1);
  });

  it('refuses a model trained with another featuriser version', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'kaleido-spam-'));
    cpSync(join(BUNDLED_MODELS, 'spam_classifier'), join(repo, 'spam_classifier'), { recursive: true });
    const configPath = join(repo, 'spam_classifier', 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { parameters: Record<string, string> };
    config.parameters['featuriser_version'] = '999';
    writeFileSync(configPath, JSON.stringify(config));
    const other = await createTextStack({ repository: repo });
    try {
      expect(other.analyzers.status().spam).toMatchObject({ available: false });
      expect(other.analyzers.status().spam.reason).toMatch(/featuriser version 999/);
    } finally {
      await other.close();
    }
  });
});

describe('evaluation subset (regression gate)', () => {
  it('identifies ≥ 97% of 440 seeded UDHR-44 paragraphs (10 per language)', async () => {
    const sample = sampleParagraphs(udhr44(), 10, 7);
    expect(sample).toHaveLength(440);
    const score = await scoreLanguage(stack, sample);
    expect(score.accuracy).toBeGreaterThanOrEqual(0.97);
  });

  it('reaches spam F1 ≥ 0.95 on the whole held-out split, which matches the committed split ids', async () => {
    const split = loadSpamSplit();
    const committed = JSON.parse(
      readFileSync(join(BUNDLED_MODELS, 'spam_classifier', 'split.json'), 'utf8'),
    ) as {
      seed: number;
      test: string[];
    };
    expect(committed.seed).toBe(SPLIT_SEED);
    expect(split.test.map((m) => m.key)).toEqual(committed.test);
    const score = await scoreSpam(stack, split.test);
    expect(score.samples).toBe(1171);
    expect(score.f1).toBeGreaterThanOrEqual(0.95);
  });
});
