import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../errors.js';
import { PiiAnalyzer, resolveOverlaps } from './analyzer.js';
import { defaultRecognizers } from './recognizers/index.js';
import type { Finding, PhoneValidator, Recognizer } from './types.js';

// Structural stand-in for libphonenumber (the real adapter has its own tests): any 10-digit
// NANP-looking number with a valid area/exchange first digit is "valid".
const nanp: PhoneValidator = {
  validate: (candidate) => {
    const d = candidate.replace(/\D/g, '').replace(/^1(?=\d{10}$)/, '');
    return /^[2-9]\d{2}[2-9]\d{6}$/.test(d)
      ? { e164: `+1${d}`, region: 'US', nationalGroups: [3, 3, 4] }
      : undefined;
  },
};
const analyzer = new PiiAnalyzer({ recognizers: defaultRecognizers({ phoneValidator: nanp }) });

const fixed = (
  name: string,
  findings: Omit<Finding, 'recognizer'>[],
  extra: Partial<Recognizer> = {},
): Recognizer => ({
  name,
  entities: [...new Set(findings.map((f) => f.entity))],
  analyze: () => findings.map((f) => ({ ...f, recognizer: name })),
  ...extra,
});

describe('PiiAnalyzer', () => {
  it('returns findings sorted by start with their text', () => {
    const text = 'Mail ann@example.com, card 4111 1111 1111 1111, SSN 536-90-1234.';
    const out = analyzer.analyze(text);
    expect(out.map((f) => [f.entity, f.text])).toEqual([
      ['EMAIL_ADDRESS', 'ann@example.com'],
      ['CREDIT_CARD', '4111 1111 1111 1111'],
      ['US_SSN', '536-90-1234'],
    ]);
    for (const f of out) expect(text.slice(f.start, f.end)).toBe(f.text);
  });

  it('lifts a low score with a context word before it (Presidio-style)', () => {
    expect(analyzer.analyze('ref 536901234')).toEqual([]);
    const out = analyzer.analyze('my social security number is 536901234');
    expect(out).toHaveLength(1);
    expect(out[0]!.entity).toBe('US_SSN');
    expect(out[0]!.score).toBeCloseTo(0.65);
    expect(out[0]!.explanation).toMatch(/context word 'social security/);
  });

  it('can also look for context words after a finding', () => {
    const text = 'Record: 1985-03-12 (date of birth).';
    expect(analyzer.analyze(text, { entities: ['DATE_OF_BIRTH'] })).toEqual([]);
    const after = new PiiAnalyzer({ recognizers: defaultRecognizers(), contextWordsAfter: 3 });
    expect(after.analyze(text, { entities: ['DATE_OF_BIRTH'] }).map((f) => f.text)).toEqual(['1985-03-12']);
  });

  it('lowers look-alikes with a negative context word', () => {
    expect(analyzer.analyze('call (415) 555-2671')).toHaveLength(1);
    expect(analyzer.analyze('SKU (415) 555-2671')).toEqual([]);
    expect(analyzer.analyze('firmware version 10.0.0.1')).toEqual([]);
    expect(analyzer.analyze('host 10.0.0.1')).toHaveLength(1);
  });

  it('filters by entity, threshold and allow list', () => {
    const text = 'ann@example.com 4111111111111111';
    expect(analyzer.analyze(text, { entities: ['CREDIT_CARD'] }).map((f) => f.entity)).toEqual([
      'CREDIT_CARD',
    ]);
    expect(analyzer.analyze(text, { scoreThreshold: 0.93 }).map((f) => f.entity)).toEqual(['EMAIL_ADDRESS']);
    expect(analyzer.analyze(text, { allowList: ['ann@example.com'] }).map((f) => f.entity)).toEqual([
      'CREDIT_CARD',
    ]);
  });

  it('resolves overlaps by score, then length, then start', () => {
    const a = new PiiAnalyzer({
      recognizers: [
        fixed('A', [
          { entity: 'PERSON', start: 0, end: 10, score: 0.7 },
          { entity: 'LOCATION', start: 12, end: 15, score: 0.6 },
        ]),
        fixed('B', [
          { entity: 'LOCATION', start: 5, end: 8, score: 0.9 },
          { entity: 'URL', start: 12, end: 20, score: 0.6 },
        ]),
      ],
    });
    expect(a.analyze('x'.repeat(20)).map((f) => [f.entity, f.start, f.end])).toEqual([
      ['LOCATION', 5, 8],
      ['URL', 12, 20],
    ]);
    expect(resolveOverlaps([])).toEqual([]);
  });

  it('rejects bad input and bad configuration with KaleidoErrors', () => {
    expect(() => analyzer.analyze(42 as unknown as string)).toThrow(KaleidoError);
    expect(() => analyzer.analyze('x', { entities: ['NOPE' as 'URL'] })).toThrow(/unknown PII entity/);
    expect(() => new PiiAnalyzer({ recognizers: [], scoreThreshold: 2 })).toThrow(/scoreThreshold/);
    expect(() => new PiiAnalyzer({ recognizers: [], contextWordsBefore: -1 })).toThrow(/contextWordsBefore/);
    const dup = fixed('A', []);
    expect(() => new PiiAnalyzer({ recognizers: [dup, dup] })).toThrow(/two recognizers/);
    const small = new PiiAnalyzer({ recognizers: [], maxTextLength: 5 });
    expect(() => small.analyze('123456')).toThrow(expect.objectContaining({ code: 'ERR_PAYLOAD_TOO_LARGE' }));
    const broken = new PiiAnalyzer({
      recognizers: [fixed('Bad', [{ entity: 'URL', start: 3, end: 99, score: 1 }])],
    });
    expect(() => broken.analyze('short')).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
  });

  it('lists supported entities', () => {
    expect(analyzer.supportedEntities).toContain('PHONE_NUMBER');
    expect(new PiiAnalyzer({ recognizers: defaultRecognizers() }).supportedEntities).not.toContain(
      'PHONE_NUMBER',
    );
  });

  it('never throws on arbitrary text and keeps spans in bounds and disjoint', () => {
    const piiish = fc.constantFrom(
      ' ',
      '.',
      '-',
      ':',
      '@',
      '/',
      '+',
      '(',
      ')',
      '0',
      '1',
      '4',
      '9',
      'a',
      'F',
      'x',
      'GB82',
      'bc1',
      '0x',
      'http://',
      'www.',
      'John ',
      'Paris',
      '%',
      '\u{1F600}',
      '\u00e9',
      '\n',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(piiish, { maxLength: 80 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        const out = analyzer.analyze(t);
        let lastEnd = 0;
        for (const f of out) {
          expect(f.start).toBeGreaterThanOrEqual(lastEnd);
          expect(f.end).toBeLessThanOrEqual(t.length);
          expect(f.start).toBeLessThan(f.end);
          expect(f.score).toBeGreaterThanOrEqual(0);
          expect(f.score).toBeLessThanOrEqual(1);
          lastEnd = f.end;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays fast on long adversarial inputs (no catastrophic backtracking)', () => {
    const adversarial = [
      '1-'.repeat(25_000),
      '1 '.repeat(25_000),
      'a@'.repeat(25_000),
      ':'.repeat(50_000),
      '1.'.repeat(25_000),
      'http://a'.repeat(6_000),
      '=http://x.com/'.repeat(3_500),
      ')'.repeat(10) + 'https://example.com/' + ')'.repeat(50_000),
      'John '.repeat(10_000),
      'Aa '.repeat(16_000),
      '12 March '.repeat(5_000),
      '4111111111111111'.repeat(3_000),
      'GB82'.repeat(12_000),
      'ab'.repeat(25_000),
      '0x'.repeat(25_000),
    ];
    for (const text of adversarial) {
      const t0 = performance.now();
      analyzer.analyze(text);
      const ms = performance.now() - t0;
      // ~50 KB each; linear scanners take a few ms. A quadratic one would take seconds.
      expect(ms, `input starting ${JSON.stringify(text.slice(0, 16))}`).toBeLessThan(1500);
    }
  });
});
