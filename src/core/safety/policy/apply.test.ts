import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../errors.js';
import type { PiiCrypto } from '../pii/types.js';
import type { Decision, PolicyPii, Redaction } from './index.js';
import { contentForStorage, resolvePiiOperators } from './index.js';

const decision = (action: Decision['action'], redactions: Redaction[]): Decision => ({
  action,
  direction: 'output',
  policy: { id: 'p', version: '1' },
  reasons: [],
  scores: [],
  modelVersions: [],
  failClosed: false,
  redactions,
});

/** A stand-in crypto: deterministic, not secure; only the plumbing is under test here. */
const fakeCrypto: PiiCrypto = {
  hmacSha256: (key, data) =>
    new Uint8Array(32).map((_, i) => (key[i % key.length]! + (data[i % data.length] ?? 0) + i) & 0xff),
  aesGcmEncrypt: (_key, plain) => new Uint8Array([...new Uint8Array(12), ...plain, ...new Uint8Array(16)]),
  aesGcmDecrypt: (_key, blob) => blob.subarray(12, blob.length - 16),
};

describe('contentForStorage', () => {
  const text = 'Mail me at ann@example.com, you idiot.';

  it('never returns blocked content', () => {
    const out = contentForStorage(
      decision('block', [{ ruleId: 'x', category: 'pii', entity: 'EMAIL_ADDRESS', start: 11, end: 26 }]),
      text,
    );
    expect(out).toEqual({ withheld: true, action: 'block' });
    expect(JSON.stringify(out)).not.toContain('ann@');
  });

  it('returns the text unchanged when nothing is to be redacted', () => {
    expect(contentForStorage(decision('flag', []), text)).toEqual({ withheld: false, text, redacted: false });
  });

  it('rewrites a PII span with its entity operator and other spans with a category label', () => {
    const d = decision('redact', [
      { ruleId: 'pii', category: 'pii', entity: 'EMAIL_ADDRESS', start: 11, end: 26 },
      { ruleId: 'insult', category: 'harassment', start: 32, end: 37 },
    ]);
    expect(contentForStorage(d, text)).toEqual({
      withheld: false,
      text: 'Mail me at <EMAIL_ADDRESS>, you [REDACTED:harassment].',
      redacted: true,
    });
    const masked = contentForStorage(d, text, {
      operators: { EMAIL_ADDRESS: { type: 'mask', maskingChar: '#', charsToMask: 3 } },
    });
    expect(masked).toMatchObject({ text: 'Mail me at ###@example.com, you [REDACTED:harassment].' });
  });

  it('merges overlapping spans into one label and ignores empty spans', () => {
    const d = decision('review', [
      { ruleId: 'a', category: 'spam', start: 0, end: 7 },
      { ruleId: 'b', category: 'pii', entity: 'EMAIL_ADDRESS', start: 5, end: 26 },
      { ruleId: 'c', category: 'spam', start: 30, end: 30 },
    ]);
    expect(contentForStorage(d, text)).toMatchObject({ text: '[REDACTED:pii,spam], you idiot.' });
  });

  it('replaces the whole text for a span-less redaction', () => {
    expect(contentForStorage(decision('redact', [{ ruleId: 'w', category: 'toxicity' }]), text)).toEqual({
      withheld: false,
      text: '[REDACTED:toxicity]',
      redacted: true,
    });
  });

  it('rejects spans outside the text', () => {
    const d = decision('redact', [{ ruleId: 'x', category: 'spam', start: 0, end: 99 }]);
    expect(() => contentForStorage(d, text)).toThrow(KaleidoError);
  });
});

describe('resolvePiiOperators', () => {
  const pii: PolicyPii = {
    entities: {
      DEFAULT: { type: 'replace' },
      US_SSN: { type: 'hash', keyRef: 'pii-hash', encoding: 'hex', truncate: 12 },
      CREDIT_CARD: { type: 'encrypt', keyRef: 'pii-enc' },
    },
  };
  const keys: Record<string, Uint8Array> = {
    'pii-hash': new Uint8Array(32).fill(7),
    'pii-enc': new Uint8Array(32).fill(9),
  };

  it('resolves key references into operators the anonymizer runs', () => {
    const ops = resolvePiiOperators(pii, (ref) => keys[ref]);
    expect(ops.DEFAULT).toEqual({ type: 'replace' });
    expect(ops.US_SSN).toEqual({ type: 'hash', key: keys['pii-hash'], encoding: 'hex', truncate: 12 });
    expect(ops.CREDIT_CARD).toEqual({ type: 'encrypt', key: keys['pii-enc'] });
    const d = decision('redact', [{ ruleId: 'pii', category: 'pii', entity: 'US_SSN', start: 4, end: 15 }]);
    const out = contentForStorage(d, 'SSN 123-45-6789.', { operators: ops, crypto: fakeCrypto });
    expect(out).toMatchObject({ withheld: false, redacted: true });
    expect((out as { text: string }).text).toMatch(/^SSN [0-9a-f]{12}\.$/);
    expect(resolvePiiOperators(undefined)).toEqual({});
  });

  it('fails on an unknown key, naming the field', () => {
    try {
      resolvePiiOperators(pii, (ref) => (ref === 'pii-hash' ? keys[ref] : undefined));
      expect.unreachable();
    } catch (e) {
      expect((e as KaleidoError).code).toBe('ERR_BAD_CONFIG');
      expect((e as KaleidoError).details?.field).toBe('pii.entities.CREDIT_CARD.keyRef');
    }
  });
});
