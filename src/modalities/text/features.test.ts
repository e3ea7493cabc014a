import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { bodyText, featureStrings, featurise, fnv1a, parseMessage, scatterInto, words } from './features.js';

describe('parseMessage', () => {
  it('splits header and body, unfolds continuation lines, keeps the first occurrence', () => {
    const m = parseMessage('From: a@b.com\r\nSubject: Hello\r\n  world\r\nSubject: again\r\n\r\nBody text\n');
    expect(m.subject).toBe('Hello world');
    expect(m.headers.get('from')).toBe('a@b.com');
    expect(m.body).toBe('Body text\n');
  });

  it('treats text without a standard header block as body', () => {
    expect(parseMessage('Note: call me back.\nThanks').headers.size).toBe(0);
    expect(parseMessage('Note: call me\n\nlater').body).toBe('Note: call me\n\nlater');
    expect(parseMessage('From someone@x Mon Jan 1\nTo: b@c.d\n\nhi').headers.get('to')).toBe('b@c.d');
    expect(parseMessage('Just a sentence.\n\nAnd another.')).toEqual({
      subject: '',
      body: 'Just a sentence.\n\nAnd another.',
      headers: new Map(),
    });
  });
});

describe('bodyText', () => {
  it('decodes quoted-printable, drops base64 blocks and strips HTML', () => {
    const b64 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3';
    const r = bodyText(
      `<html><body><p>Caf=C3=A9 soft=\nbreak <a href="http://x.biz/y">here</a></p>&amp;</body></html>\n${b64}\n`,
    );
    expect(r.html).toBe(true);
    expect(r.base64Lines).toBe(1);
    expect(r.text).toContain('softbreak');
    expect(r.text).toContain('http://x.biz/y');
    expect(r.text).toContain('&');
    expect(r.text).not.toContain('<p>');
  });
});

describe('words and features', () => {
  it('lower-cases, folds digits and drops 1-character tokens', () => {
    expect(words("Win $1000 NOW, it's a deal")).toEqual(['win', '0000', 'now', "it's", 'deal']);
  });

  it('emits word, bigram, subject, header and shape features', () => {
    const f = featureStrings(
      'From: x@spam.biz\nSubject: FREE MONEY\nContent-Type: text/html\n\n<html><p>Click http://a.biz $5!!</p></html>',
    );
    expect(f).toEqual(
      expect.arrayContaining([
        'w:free',
        'b:free_money',
        's:money',
        'h:from-tld:biz',
        'h:ctype:text/html',
        'h:subject-caps',
        'm:html',
        'm:money',
        'm:bangs',
      ]),
    );
  });

  it('hashes deterministically into an L2-normalised sparse vector', () => {
    expect(fnv1a('abc')).toBe(fnv1a('abc'));
    expect(fnv1a('abc')).not.toBe(fnv1a('abd'));
    const v = featurise('hello hello world', { dimensions: 1024 });
    expect(featurise('hello hello world', { dimensions: 1024 })).toEqual(v);
    const norm = Math.sqrt(v.values.reduce((a, x) => a + x * x, 0));
    expect(norm).toBeCloseTo(1, 6);
    expect([...v.indices]).toEqual([...v.indices].sort((a, b) => a - b));
    for (const i of v.indices) expect(i).toBeLessThan(1024);
    const dense = new Float32Array(2 * 1024);
    scatterInto(dense, 1, 1024, v);
    expect(dense.slice(0, 1024).every((x) => x === 0)).toBe(true);
    expect(dense[1024 + (v.indices[0] as number)]).toBe(v.values[0]);
  });

  it('reduces empty text to its shape features and rejects a bad dimension', () => {
    expect(featureStrings('')).toEqual(['m:urls:0', 'm:len:0']);
    expect(featurise('', { dimensions: 16 }).indices.length).toBeLessThanOrEqual(2);
    expect(() => featurise('x', { dimensions: 1000 })).toThrow(KaleidoError);
  });
});
