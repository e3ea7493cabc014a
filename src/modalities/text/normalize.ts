/**
 * Input normalisation shared by every text analyzer, so that all spans of one analysis refer to
 * the same string: Unicode NFC (a precomposed "é" and "e + ◌́" are one character to a reader and
 * must be to the lexicons), control characters removed (C0/C1 except tab, line feed, carriage
 * return; they carry no meaning and confuse tokenisers), and a length limit.
 */
import { KaleidoError } from '../../core/errors.js';

/** Default longest text accepted, in UTF-16 code units (≈ 100 KB of prose). */
export const DEFAULT_MAX_TEXT_LENGTH = 100_000;

export interface NormalizeOptions {
  readonly maxLength?: number;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Returns the normalised text. Throws ERR_VALIDATION when the input is not a string and
 * ERR_PAYLOAD_TOO_LARGE when it is longer than `maxLength` (checked before and after NFC, which
 * can lengthen a string).
 */
export function normalizeText(input: unknown, options: NormalizeOptions = {}): string {
  if (typeof input !== 'string') {
    throw new KaleidoError('ERR_VALIDATION', 'text must be a string', {
      details: { field: 'text', type: typeof input },
    });
  }
  const max = options.maxLength ?? DEFAULT_MAX_TEXT_LENGTH;
  const tooLong = (length: number): KaleidoError =>
    new KaleidoError('ERR_PAYLOAD_TOO_LARGE', `text is longer than ${max} characters`, {
      details: { field: 'text', length, maxLength: max },
    });
  if (input.length > max) throw tooLong(input.length);
  // Lone surrogates (invalid UTF-16) become U+FFFD, as String#toWellFormed does, so every later
  // step (UTF-8 encoding for cld3, regexes with the u flag) sees valid text.
  const text = input.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').replace(CONTROL, '');
  if (text.length > max) throw tooLong(text.length);
  return text;
}
