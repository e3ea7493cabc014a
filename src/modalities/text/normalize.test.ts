import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { normalizeText } from './normalize.js';

describe('normalizeText', () => {
  it('applies NFC, removes control characters but keeps tab and newlines', () => {
    expect(normalizeText('Cafe\u0301\u0000\u0007\u009f\tx\r\ny')).toBe('Café\tx\r\ny');
  });

  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    expect(normalizeText('a\uD800b😀')).toBe('a\uFFFDb😀');
  });

  it('rejects non-strings and over-long text', () => {
    expect(() => normalizeText(3)).toThrow(KaleidoError);
    try {
      normalizeText('abcd', { maxLength: 3 });
      expect.unreachable();
    } catch (e) {
      expect((e as KaleidoError).code).toBe('ERR_PAYLOAD_TOO_LARGE');
    }
  });
});
