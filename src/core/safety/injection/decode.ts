/**
 * Decoders for payloads smuggled past a text filter: base64 / base64url, hex, ROT13, Unicode tag
 * characters, and invisible characters. Each is lenient about form (a blob pasted from anywhere)
 * and strict about meaning: a decode only counts when it yields readable text.
 */

const B64_VALUE = (() => {
  const table = new Int16Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table['+'.charCodeAt(0)] = 62;
  table['-'.charCodeAt(0)] = 62; // base64url
  table['/'.charCodeAt(0)] = 63;
  table['_'.charCodeAt(0)] = 63; // base64url
  return table;
})();

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bytesToText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Text that a person could read: at least 8 characters, ≥ 90% letters, digits, punctuation or
 * spaces, and at least one space (instructions are sentences; hashes and keys are not).
 */
export function isReadable(text: string): boolean {
  if (text.length < 8 || !/\s/u.test(text)) return false;
  let ok = 0;
  for (const ch of text) if (/[\p{L}\p{N}\p{P}\p{Zs}\n\t]/u.test(ch)) ok++;
  return ok / [...text].length >= 0.9;
}

/** Standard or URL-safe base64, padding optional; undefined unless it decodes to readable UTF-8. */
export function decodeBase64Text(blob: string): string | undefined {
  const body = blob.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? (B64_VALUE[c] ?? -1) : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  const text = bytesToText(out.subarray(0, n));
  return text !== undefined && isReadable(text) ? text : undefined;
}

/** Hex digits, optionally separated by spaces, colons or `\x`; undefined unless readable UTF-8. */
export function decodeHexText(blob: string): string | undefined {
  const digits = blob.replace(/\\x|[\s:]/g, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  const text = bytesToText(out);
  return text !== undefined && isReadable(text) ? text : undefined;
}

/** ROT13 of ASCII letters; everything else, and every offset, unchanged. */
export function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/**
 * Unicode tag characters (U+E0000–U+E007F) mirror ASCII and render as nothing: the "ASCII
 * smuggling" channel. Returns the hidden ASCII and where the tag run sits in the text.
 */
export function decodeTagRuns(text: string): Array<{ start: number; end: number; hidden: string }> {
  const runs: Array<{ start: number; end: number; hidden: string }> = [];
  let current: { start: number; end: number; hidden: string } | undefined;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    if (cp >= 0xe0000 && cp <= 0xe007f) {
      current ??= { start: i, end: i, hidden: '' };
      current.end = i + width;
      const ascii = cp - 0xe0000;
      if (ascii >= 0x20 && ascii < 0x7f) current.hidden += String.fromCharCode(ascii);
    } else if (current !== undefined) {
      runs.push(current);
      current = undefined;
    }
    i += width;
  }
  if (current !== undefined) runs.push(current);
  return runs;
}

/**
 * Characters that render as nothing and can split a keyword ("ig\u200Bnore") or reorder text:
 * zero-width space, LRM/RLM, word joiner and invisible operators, BOM (not at the start), the
 * Mongolian vowel separator, soft hyphen, and bidi embeddings/overrides/isolates. ZWJ and ZWNJ
 * are left out: emoji sequences and Persian or Indic scripts use them legitimately.
 */
const INVISIBLE =
  /[\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/gu;

/**
 * The text without invisible and tag characters, and for each position of the cleaned text the
 * offset of the same character in the original (one past the end maps to `text.length`).
 */
export function stripInvisible(text: string): { cleaned: string; map: number[]; removed: number } {
  const map: number[] = [];
  let cleaned = '';
  let removed = 0;
  let last = 0;
  for (const m of text.matchAll(INVISIBLE)) {
    if (m.index === 0 && m[0] === '\ufeff') continue; // a leading BOM is only an encoding marker
    for (let i = last; i < m.index; i++) map.push(i);
    cleaned += text.slice(last, m.index);
    last = m.index + m[0].length;
    removed++;
  }
  for (let i = last; i < text.length; i++) map.push(i);
  cleaned += text.slice(last);
  map.push(text.length);
  return { cleaned, map, removed };
}
