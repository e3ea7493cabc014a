import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { DEFAULT_JSON_LIMITS, parseJsonLimited } from './json-limits.js';

function errorOf(f: () => unknown): KaleidoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KaleidoError);
    return e as KaleidoError;
  }
  throw new Error('expected a KaleidoError');
}

describe('parseJsonLimited', () => {
  it('parses valid JSON from a string and from UTF-8 bytes (with or without a BOM)', () => {
    const text = '{"a":[1,2,{"b":"ü"}],"c":null}';
    const expected = { a: [1, 2, { b: 'ü' }], c: null };
    expect(parseJsonLimited(text, { maxDepth: 3 })).toEqual(expected);
    expect(parseJsonLimited(new TextEncoder().encode(text), { maxDepth: 3 })).toEqual(expected);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    expect(parseJsonLimited(withBom, { maxDepth: 3 })).toEqual(expected);
    expect(parseJsonLimited('42')).toBe(42);
  });

  it('accepts nesting exactly at the limit and rejects one level deeper', () => {
    expect(parseJsonLimited('[[[]]]', { maxDepth: 3 })).toEqual([[[]]]);
    const e = errorOf(() => parseJsonLimited('[[[[]]]]', { maxDepth: 3 }));
    expect(e.code).toBe('ERR_INVALID_JSON');
    expect(e.details).toEqual({ maxDepth: 3 });
    expect(errorOf(() => parseJsonLimited('{"a":{"b":{"c":{}}}}', { maxDepth: 3 })).code).toBe(
      'ERR_INVALID_JSON',
    );
  });

  it('ignores brackets inside strings, including escaped quotes', () => {
    const text = '{"s":"[[[[[\\"{{{{","t":["\\\\"]}';
    expect(parseJsonLimited(text, { maxDepth: 2 })).toEqual({ s: '[[[[["{{{{', t: ['\\'] });
  });

  it('rejects a 1 MB nesting bomb quickly without overflowing the stack', () => {
    const bomb = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const started = performance.now();
    const e = errorOf(() => parseJsonLimited(bomb, DEFAULT_JSON_LIMITS));
    expect(e.code).toBe('ERR_INVALID_JSON');
    expect(e.details).toEqual({ maxDepth: DEFAULT_JSON_LIMITS.maxDepth });
    expect(performance.now() - started).toBeLessThan(1000);
    // An unterminated bomb is caught by the same scan.
    expect(
      errorOf(() => parseJsonLimited(new TextEncoder().encode('{"a":' + '['.repeat(1_000_000)))).code,
    ).toBe('ERR_INVALID_JSON');
  });

  it("reports malformed JSON with the parser's message and no stack details", () => {
    const e = errorOf(() => parseJsonLimited('{"a":1,}', { maxDepth: 8 }));
    expect(e.code).toBe('ERR_INVALID_JSON');
    expect(e.message).toMatch(/^invalid JSON: /);
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(e.details).toBeUndefined();
    expect(errorOf(() => parseJsonLimited('', { maxDepth: 8 })).code).toBe('ERR_INVALID_JSON');
    expect(errorOf(() => parseJsonLimited('NaN', { maxDepth: 8 })).code).toBe('ERR_INVALID_JSON');
  });

  it('rejects bytes that are not UTF-8', () => {
    const e = errorOf(() => parseJsonLimited(new Uint8Array([0x22, 0xff, 0x22]), { maxDepth: 8 }));
    expect(e.code).toBe('ERR_INVALID_JSON');
    expect(e.message).toMatch(/UTF-8/);
  });

  it('counts array elements and object members against maxElements', () => {
    // 3 elements in the outer array, 2 members in the object, 0 in the empty array = 5.
    const text = '[1, {"a": 2, "b": [ ]}, "x,y"]';
    expect(parseJsonLimited(text, { maxDepth: 4, maxElements: 5 })).toEqual([1, { a: 2, b: [] }, 'x,y']);
    const e = errorOf(() => parseJsonLimited(text, { maxDepth: 4, maxElements: 4 }));
    expect(e.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect(e.details).toEqual({ maxElements: 4 });
    expect(parseJsonLimited('[]', { maxDepth: 1, maxElements: 0 })).toEqual([]);
    expect(errorOf(() => parseJsonLimited('[0]', { maxDepth: 1, maxElements: 0 })).code).toBe(
      'ERR_PAYLOAD_TOO_LARGE',
    );
  });
});
