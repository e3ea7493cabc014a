import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareVersions } from './ordering.js';

describe('compareCodePoints', () => {
  it('orders like UTF-8 bytes, astral characters after U+FFFF', () => {
    const sorted = ['\u{1F600}', '\uFF21', 'b', 'B', 'a', 'é', ''].sort(compareCodePoints);
    expect(sorted).toEqual(['', 'B', 'a', 'b', 'é', '\uFF21', '\u{1F600}']);
    const bytes = sorted.map((s) => Buffer.from(s, 'utf8'));
    for (let i = 1; i < bytes.length; i++) {
      expect(Buffer.compare(bytes[i - 1] as Buffer, bytes[i] as Buffer)).toBeLessThan(0);
    }
  });

  it('puts a prefix first', () => {
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
  });
});

describe('compareVersions', () => {
  it('sorts integers numerically before other strings', () => {
    expect(['10', 'beta', '2', '1', 'alpha', '002', '9'].sort(compareVersions)).toEqual([
      '1',
      '002',
      '2',
      '9',
      '10',
      'alpha',
      'beta',
    ]);
  });

  it('handles integers longer than Number can hold', () => {
    expect(compareVersions('18446744073709551617', '18446744073709551616')).toBeGreaterThan(0);
  });
});
