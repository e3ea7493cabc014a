/**
 * Small, linear-time text helpers shared by the recognizers and the analyzer. Recognizers scan
 * with these instead of large regexes so that every pass is O(n) with a small constant, whatever
 * the input (no backtracking on adversarial strings).
 */

const ALNUM = /[\p{L}\p{N}]/u;

/** True for a letter or digit in any script (one UTF-16 unit is enough for the BMP scripts we scan). */
export const isAlnum = (ch: string | undefined): boolean => ch !== undefined && ALNUM.test(ch);

export const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

export const isAsciiLetter = (ch: string | undefined): boolean =>
  ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));

export const isHexDigit = (ch: string | undefined): boolean =>
  ch !== undefined && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'));

/** A token boundary before `i`: start of text or a non-alphanumeric character. */
export const boundaryBefore = (text: string, i: number): boolean => i === 0 || !isAlnum(text[i - 1]);

/** A token boundary at `i` (exclusive end): end of text or a non-alphanumeric character. */
export const boundaryAfter = (text: string, i: number): boolean => i >= text.length || !isAlnum(text[i]);

/** Normalize a context phrase or window: lower case, words of letters/digits/'#', single spaces. */
export function normalizeWords(text: string): string {
  return (text.toLowerCase().match(/[\p{L}\p{N}#]+/gu) ?? []).join(' ');
}

/**
 * Up to `count` words before `start` (lower case, space separated), looking back at most
 * `maxChars` characters so the cost per finding is bounded.
 */
export function wordsBefore(text: string, start: number, count: number, maxChars = 120): string {
  if (count <= 0) return '';
  const from = Math.max(0, start - maxChars);
  const words = normalizeWords(text.slice(from, start)).split(' ').filter(Boolean);
  // A word cut by the window edge would be a fragment: drop it unless the window is the text start.
  if (from > 0 && isAlnum(text[from - 1]) && words.length > 0) words.shift();
  return words.slice(-count).join(' ');
}

/** Up to `count` words after `end`, with the same bounds as `wordsBefore`. */
export function wordsAfter(text: string, end: number, count: number, maxChars = 120): string {
  if (count <= 0) return '';
  const to = Math.min(text.length, end + maxChars);
  const words = normalizeWords(text.slice(end, to)).split(' ').filter(Boolean);
  if (to < text.length && isAlnum(text[to]) && words.length > 0) words.pop();
  return words.slice(0, count).join(' ');
}

/** Whether a normalized word window contains any of the (normalized) phrases as whole words. */
export function containsPhrase(window: string, phrases: readonly string[]): string | undefined {
  if (window === '') return undefined;
  const padded = ` ${window} `;
  for (const phrase of phrases) {
    const p = normalizeWords(phrase);
    if (p !== '' && padded.includes(` ${p} `)) return phrase;
  }
  return undefined;
}

/** Common TLDs that are also file extensions; "logo@2x.png" is an image name, not an address. */
const FILE_EXTENSION_TLDS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'bmp',
  'css',
  'ico',
  'tif',
  'tiff',
]);

/**
 * A DNS host name as used in e-mail addresses and URLs: 2+ labels of 1–63 letters, digits and
 * inner hyphens, total ≤ 253, and an alphabetic (or IDNA 'xn--') top-level label of 2–63
 * characters that is not a file extension.
 */
export function isValidHostname(host: string): boolean {
  if (host.length < 4 || host.length > 253) return false;
  const labels = host.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length < 1 || label.length > 63) return false;
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) return false;
  }
  const tld = labels[labels.length - 1]!.toLowerCase();
  const alphabetic = /^[a-z]{2,63}$/.test(tld) || /^xn--[a-z0-9-]{1,59}$/.test(tld);
  return alphabetic && !FILE_EXTENSION_TLDS.has(tld);
}
