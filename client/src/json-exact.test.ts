import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from './json-exact.js';

describe('parseJsonExact', () => {
  it('keeps integers beyond 2^53 exact as bigint', () => {
    expect(parseJsonExact('[9007199254740993, -9223372036854775808, 18446744073709551615]')).toEqual([
      9007199254740993n,
      -9223372036854775808n,
      18446744073709551615n,
    ]);
  });

  it('keeps safe integers, fractions and exponents as numbers', () => {
    expect(parseJsonExact('[9007199254740991, 1.5, 1e400, -0, 2E-3]')).toEqual([
      9007199254740991,
      1.5,
      Infinity,
      -0,
      0.002,
    ]);
  });

  it('parses objects, strings with escapes, literals and whitespace like JSON.parse', () => {
    const text = ' { "a" : [true, false, null, "x\\"\\u00e9\\n"], "__proto__": {"b": {}}, "c": [] } ';
    const exact = parseJsonExact(text) as Record<string, unknown>;
    expect(exact).toEqual(JSON.parse(text));
    expect(Object.keys(exact)).toEqual(['a', '__proto__', 'c']);
    expect(Object.getPrototypeOf(exact)).toBe(Object.prototype);
  });

  it('agrees with JSON.parse on arbitrary JSON, up to the bigints it keeps exact', () => {
    // Only unsafe integers may differ, and only by being bigint where JSON.parse rounded to a double.
    const roundBigInts = (value: unknown): unknown =>
      typeof value === 'bigint'
        ? Number(value)
        : Array.isArray(value)
          ? value.map(roundBigInts)
          : typeof value === 'object' && value !== null
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundBigInts(v)]))
            : value;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(roundBigInts(parseJsonExact(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it.each(['', '[1,]', '{"a" 1}', '[1 2]', '"abc', '01', '[1] x', 'nul', '{"a":1,}', '{1:2}'])(
    'rejects %j',
    (text) => {
      expect(() => parseJsonExact(text)).toThrow(SyntaxError);
    },
  );
});
