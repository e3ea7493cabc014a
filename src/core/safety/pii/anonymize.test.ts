import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { NodePiiCrypto } from '../../../adapters/crypto-node/index.js';
import { KaleidoError } from '../../errors.js';
import { anonymize, deanonymize } from './anonymize.js';
import type { Finding, PiiCrypto } from './types.js';

const crypto = new NodePiiCrypto();
const key32 = new Uint8Array(32).map((_, i) => i + 1);
const hashKey = new TextEncoder().encode('0123456789abcdef0123456789abcdef');

const f = (entity: Finding['entity'], start: number, end: number, score = 0.9): Finding => ({
  entity,
  start,
  end,
  score,
  recognizer: 'test',
});

const text = 'Call Ann Lee at +1 415 555 2671 or ann@example.com.';
const findings = [f('PERSON', 5, 12), f('PHONE_NUMBER', 16, 31), f('EMAIL_ADDRESS', 35, 50)];

describe('anonymize', () => {
  it('replaces with entity tags by default and reports both span sets', () => {
    const r = anonymize(text, findings);
    expect(r.text).toBe('Call <PERSON> at <PHONE_NUMBER> or <EMAIL_ADDRESS>.');
    for (const it of r.items) {
      expect(r.text.slice(it.start, it.end)).toBe(it.replacement);
      expect(text.slice(it.sourceStart, it.sourceEnd).length).toBe(it.sourceEnd - it.sourceStart);
    }
    expect(r.items.map((i) => [i.sourceStart, i.sourceEnd])).toEqual([
      [5, 12],
      [16, 31],
      [35, 50],
    ]);
  });

  it('applies per-entity operators with a default', () => {
    const r = anonymize(text, findings, {
      PERSON: { type: 'replace', newValue: '[name]' },
      PHONE_NUMBER: { type: 'mask', maskingChar: '#', charsToMask: 6, fromEnd: true },
      DEFAULT: { type: 'redact' },
    });
    expect(r.text).toBe('Call [name] at +1 415 55###### or .');
    expect(r.items.map((i) => i.operator)).toEqual(['replace', 'mask', 'redact']);
  });

  it('masks by code point, so emoji are not split', () => {
    const t = 'x \u{1F600}\u{1F600}ab y';
    const r = anonymize(t, [f('PERSON', 2, 8)], { PERSON: { type: 'mask', charsToMask: 3 } });
    expect(r.text).toBe('x ***b y');
  });

  it('hashes with HMAC-SHA-256 (deterministic, keyed, optionally truncated)', () => {
    const ssn = 'SSN 536-90-1234';
    const a = anonymize(ssn, [f('US_SSN', 4, 15)], { US_SSN: { type: 'hash', key: hashKey } }, crypto);
    const b = anonymize(ssn, [f('US_SSN', 4, 15)], { US_SSN: { type: 'hash', key: hashKey } }, crypto);
    expect(a.text).toBe(b.text);
    expect(a.items[0]!.replacement).toMatch(/^[0-9a-f]{64}$/);
    expect(a.items[0]!.replacement).toBe(
      Buffer.from(crypto.hmacSha256(hashKey, new TextEncoder().encode('536-90-1234'))).toString('hex'),
    );
    const other = anonymize(
      ssn,
      [f('US_SSN', 4, 15)],
      { US_SSN: { type: 'hash', key: new Uint8Array(16).fill(7) } },
      crypto,
    );
    expect(other.text).not.toBe(a.text);
    const short = anonymize(
      ssn,
      [f('US_SSN', 4, 15)],
      { US_SSN: { type: 'hash', key: hashKey, encoding: 'base64', truncate: 12 } },
      crypto,
    );
    expect(short.items[0]!.replacement).toMatch(/^[A-Za-z0-9+/]{12}$/);
  });

  it('encrypts reversibly; deanonymize restores the text and spans', () => {
    const r = anonymize(
      text,
      findings,
      { DEFAULT: { type: 'encrypt', key: key32 }, PERSON: { type: 'replace' } },
      crypto,
    );
    expect(r.text).not.toContain('ann@example.com');
    expect(r.items[1]!.replacement).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = deanonymize(r.text, r.items, { DEFAULT: key32 }, crypto);
    expect(back.text).toBe('Call <PERSON> at +1 415 555 2671 or ann@example.com.');
    for (const it of back.items) expect(back.text.slice(it.start, it.end)).toBe(it.replacement);
    // Same plaintext twice gives different ciphertexts (random IV).
    const again = anonymize(text, findings, { DEFAULT: { type: 'encrypt', key: key32 } }, crypto);
    expect(again.items[2]!.replacement).not.toBe(r.items[2]!.replacement);
  });

  it('detects tampering, wrong keys and edited texts', () => {
    const r = anonymize(text, [findings[2]!], { EMAIL_ADDRESS: { type: 'encrypt', key: key32 } }, crypto);
    const item = r.items[0]!;
    const flipped = item.replacement[10] === 'A' ? 'B' : 'A';
    const tampered = r.text.slice(0, item.start + 10) + flipped + r.text.slice(item.start + 11);
    const tamperedItem = { ...item, replacement: tampered.slice(item.start, item.end) };
    expect(() => deanonymize(tampered, [tamperedItem], { DEFAULT: key32 }, crypto)).toThrow(
      /failed authentication/,
    );
    expect(() => deanonymize(r.text, r.items, { DEFAULT: new Uint8Array(32) }, crypto)).toThrow(KaleidoError);
    expect(() => deanonymize('edited ' + r.text, r.items, { DEFAULT: key32 }, crypto)).toThrow(/edited/);
    expect(() => deanonymize(r.text, r.items, {}, crypto)).toThrow(/no decryption key/);
  });

  it('resolves overlapping findings before replacing', () => {
    const r = anonymize('abcdefghij', [f('PERSON', 0, 5, 0.6), f('LOCATION', 3, 8, 0.9)]);
    expect(r.text).toBe('abc<LOCATION>ij');
    expect(r.items).toHaveLength(1);
  });

  it('validates findings and operators', () => {
    expect(() => anonymize('abc', [f('PERSON', 2, 9)])).toThrow(/outside the text/);
    expect(() => anonymize('abc', [], { PERSON: { type: 'mask', maskingChar: '**' } })).toThrow(
      /maskingChar/,
    );
    expect(() => anonymize('abc', [], { PERSON: { type: 'mask', charsToMask: -1 } })).toThrow(/charsToMask/);
    expect(() => anonymize('abc', [], { PERSON: { type: 'hash', key: new Uint8Array(8) } }, crypto)).toThrow(
      /16 bytes/,
    );
    expect(() =>
      anonymize('abc', [], { PERSON: { type: 'hash', key: hashKey, truncate: 4 } }, crypto),
    ).toThrow(/truncate/);
    expect(() => anonymize('abc', [], { PERSON: { type: 'hash', key: hashKey } })).toThrow(/PiiCrypto/);
    expect(() =>
      anonymize('abc', [], { PERSON: { type: 'encrypt', key: new Uint8Array(16) } }, crypto),
    ).toThrow(/32 bytes/);
    expect(() => anonymize('abc', [], { PERSON: { type: 'rot13' } as never })).toThrow(/unknown operator/);
  });

  it('keep leaves the value and lists it', () => {
    const r = anonymize(text, findings, { DEFAULT: { type: 'keep' } });
    expect(r.text).toBe(text);
    expect(r.items).toHaveLength(3);
  });

  it('never leaves the original value for replace, mask, redact or hash', () => {
    // Values start with a letter outside hex and base64-safe filler is not produced by the
    // operators, so the value can only appear if the operator leaked it.
    const value = fc.stringMatching(/^[g-z][a-z0-9]{3,20}$/);
    const filler = fc.stringMatching(/^[ .,;!?]{0,10}$/);
    const op = fc.constantFrom<'replace' | 'mask' | 'redact' | 'hash'>('replace', 'mask', 'redact', 'hash');
    const c: PiiCrypto = crypto;
    fc.assert(
      fc.property(filler, value, filler, op, (pre, v, post, kind) => {
        const t = pre + v + post;
        const operator =
          kind === 'hash'
            ? ({ type: 'hash', key: hashKey } as const)
            : kind === 'mask'
              ? ({ type: 'mask' } as const)
              : kind === 'redact'
                ? ({ type: 'redact' } as const)
                : ({ type: 'replace' } as const);
        const r = anonymize(t, [f('PERSON', pre.length, pre.length + v.length)], { PERSON: operator }, c);
        expect(r.text).not.toContain(v);
        expect(r.text.startsWith(pre)).toBe(true);
        expect(r.text.endsWith(post)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('mask with keepLast', () => {
  it('masks every letter and digit but the last N, whatever the grouping', () => {
    const text = 'card 4111 1111 1111 1111 and 4111-1111-1111-1111';
    const a = text.indexOf('4111 ');
    const b = text.indexOf('4111-');
    const out = anonymize(
      text,
      [
        { entity: 'CREDIT_CARD', start: a, end: a + 19, score: 1, recognizer: 'test' },
        { entity: 'CREDIT_CARD', start: b, end: b + 19, score: 1, recognizer: 'test' },
      ],
      { CREDIT_CARD: { type: 'mask', keepLast: 4 } },
    );
    expect(out.text).toBe('card **** **** **** 1111 and ****-****-****-1111');
  });
});
