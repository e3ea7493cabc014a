/**
 * The spam classifier's featuriser: text (a raw RFC 5322 e-mail or plain text) → a hashed,
 * log-tf, L2-normalised bag of features. Pure and deterministic, shared by the training script
 * (scripts/train-spam.ts) and the analyzer (./spam.ts), so the model sees the same features at
 * training and at serving time: a change here changes the model's input and needs a retrain
 * (FEATURISER_VERSION is recorded in the model card and checked by the analyzer).
 *
 * Features (each string below is hashed into `dimensions` buckets with a signed hash):
 * - `w:<word>`  lower-cased words of subject + body (Unicode letters/digits, 2–24 chars)
 * - `b:<w1>_<w2>` word bigrams of the same stream
 * - `s:<word>`  subject words again, under their own namespace (a subject word weighs differently)
 * - `h:<field>:<value>` a few header facts when the text is an e-mail: sender domain, content
 *   type, presence of X-Mailer; only headers a user could plausibly paste, never relay paths
 *   (Received/Delivered-To), which in a public corpus identify the collector, not spam.
 * - `m:<fact>`  message shape: HTML body, number of URLs, share of upper-case letters, money
 *   amounts, "!!" runs, all bucketed so that one feature stands for a range.
 *
 * Hashing: 32-bit FNV-1a over the UTF-16 code units; the low bits pick the bucket and the top
 * bit the sign (the "signed hashing trick", Weinberger et al. 2009), so collisions cancel on
 * average instead of adding up.
 */

import { KaleidoError } from '../../core/errors.js';

/** Bump when the features change: a model trained with another version must not be served. */
export const FEATURISER_VERSION = 1;

export interface SparseVector {
  /** Bucket indices, ascending, unique. */
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export interface FeaturiserOptions {
  /** Number of hash buckets (a power of two). */
  readonly dimensions: number;
}

export interface ParsedMessage {
  readonly subject: string;
  readonly body: string;
  /** Header fields (lower-case names, unfolded values); empty when the text has no header. */
  readonly headers: ReadonlyMap<string, string>;
}

const HEADER_LINE = /^[A-Za-z][A-Za-z0-9-]*:[ \t]?/;
const MBOX_FROM = /^From \S+/;

/** Fields of which at least one must be present for a leading block to count as an e-mail header. */
const STANDARD_FIELDS = [
  'from',
  'to',
  'subject',
  'date',
  'received',
  'return-path',
  'message-id',
  'mime-version',
  'content-type',
  'delivered-to',
];

/**
 * Splits an e-mail into header and body. The text is an e-mail when everything before the first
 * blank line is header lines (or their continuations, or an mbox "From " line) and includes at
 * least one standard field; otherwise it is all body — so "Note: call me" is text, not a header.
 */
export function parseMessage(text: string): ParsedMessage {
  const headers = new Map<string, string>();
  const plain: ParsedMessage = { subject: '', body: text, headers: new Map() };
  const firstLine = /^[^\r\n]*/.exec(text)?.[0] ?? '';
  if (!HEADER_LINE.test(firstLine) && !MBOX_FROM.test(firstLine)) return plain;
  const blank = /\r?\n\r?\n/.exec(text);
  const head = blank === null ? text : text.slice(0, blank.index);
  const body = blank === null ? '' : text.slice(blank.index + blank[0].length);
  let current: string | undefined;
  for (const [i, line] of head.split(/\r?\n/).entries()) {
    if (/^[ \t]/.test(line) && current !== undefined) {
      headers.set(current, `${headers.get(current) ?? ''} ${line.trim()}`);
      continue;
    }
    if (i === 0 && MBOX_FROM.test(line)) continue;
    const colon = line.indexOf(':');
    if (colon <= 0 || !HEADER_LINE.test(line)) {
      if (/^[ \t]/.test(line)) continue;
      return plain;
    }
    current = line.slice(0, colon).toLowerCase();
    // The first occurrence wins (Subject, From appear once; Received many times and is unused).
    if (!headers.has(current)) headers.set(current, line.slice(colon + 1).trim());
    else current = undefined;
  }
  if (!STANDARD_FIELDS.some((f) => headers.has(f))) return plain;
  return { subject: headers.get('subject') ?? '', body, headers };
}

const BASE64_LINE = /^[A-Za-z0-9+/=]{60,}$/;

/**
 * Readable text of a body: quoted-printable soft breaks and escapes decoded, base64 blocks
 * (attachments, encoded parts) dropped, HTML tags and common entities removed.
 */
export function bodyText(body: string): { text: string; html: boolean; base64Lines: number } {
  let text = body;
  if (/=\r?\n|=[0-9A-F]{2}/.test(text)) {
    text = text
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  let base64Lines = 0;
  text = text
    .split(/\r?\n/)
    .filter((line) => {
      const b64 = BASE64_LINE.test(line.trim());
      if (b64) base64Lines++;
      return !b64;
    })
    .join('\n');
  const html = /<\s*(html|body|table|font|div|br|p|a\s)[^>]*>/i.test(text);
  if (html) {
    text = text
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<a\s[^>]*href\s*=\s*["']?([^"'\s>]+)[^>]*>/gi, ' $1 ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&nbsp;/gi, ' ')
      .replace(/&amp;/gi, '&')
      .replace(/&lt;/gi, '<')
      .replace(/&gt;/gi, '>')
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n) & 0xffff));
  }
  return { text, html, base64Lines };
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu;
const MAX_WORD = 24;

/** Lower-cased word tokens (2–24 code units; longer runs are cut, not dropped). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0].replace(/['’_-]+$/, '');
    if (w.length < 2) continue;
    // Digits are folded to "0" so that prices, phone numbers and ids share features.
    out.push((w.length > MAX_WORD ? w.slice(0, MAX_WORD) : w).replace(/\d/g, '0'));
  }
  return out;
}

const bucketOf = (n: number, edges: readonly number[]): number => {
  let i = 0;
  while (i < edges.length && n >= (edges[i] as number)) i++;
  return i;
};

/** The feature strings of a text, in order, with repeats (term frequency is counted later). */
export function featureStrings(text: string): string[] {
  const msg = parseMessage(text);
  const { text: body, html, base64Lines } = bodyText(msg.body);
  const stream = [...words(msg.subject), ...words(body)];
  const out: string[] = [];
  for (let i = 0; i < stream.length; i++) {
    out.push(`w:${stream[i] as string}`);
    if (i > 0) out.push(`b:${stream[i - 1] as string}_${stream[i] as string}`);
  }
  for (const w of words(msg.subject)) out.push(`s:${w}`);

  if (msg.headers.size > 0) {
    out.push('h:email');
    const from = msg.headers.get('from') ?? '';
    const domain = /@([A-Za-z0-9.-]+)/.exec(from)?.[1]?.toLowerCase();
    if (domain !== undefined) {
      const parts = domain.split('.').filter(Boolean);
      out.push(`h:from-tld:${parts.at(-1) ?? ''}`, `h:from-domain:${parts.slice(-2).join('.')}`);
    }
    const ctype = (msg.headers.get('content-type') ?? 'none').toLowerCase();
    out.push(`h:ctype:${/^[a-z]+\/[a-z0-9.+-]+/.exec(ctype)?.[0] ?? 'other'}`);
    const charset = /charset="?([a-z0-9_-]+)/.exec(ctype)?.[1];
    if (charset !== undefined) out.push(`h:charset:${charset}`);
    if (msg.headers.has('x-mailer')) out.push('h:x-mailer');
    if (msg.subject === '') out.push('h:no-subject');
    else if (/[A-Z]{4,}/.test(msg.subject) && msg.subject === msg.subject.toUpperCase())
      out.push('h:subject-caps');
    if (/!/.test(msg.subject)) out.push('h:subject-bang');
  }

  if (html) out.push('m:html');
  if (base64Lines > 0) out.push('m:base64');
  const urls = (body.match(/https?:\/\/|www\./gi) ?? []).length;
  out.push(`m:urls:${bucketOf(urls, [1, 2, 4, 8, 16])}`);
  const letters = body.match(/\p{L}/gu)?.length ?? 0;
  const upper = body.match(/\p{Lu}/gu)?.length ?? 0;
  if (letters > 0) out.push(`m:caps:${bucketOf(upper / letters, [0.05, 0.1, 0.2, 0.3, 0.5])}`);
  if (/[$€£]\s?\d/.test(body)) out.push('m:money');
  if (/!!/.test(body)) out.push('m:bangs');
  out.push(`m:len:${bucketOf(stream.length, [10, 30, 100, 300, 1000])}`);
  return out;
}

/** 32-bit FNV-1a over UTF-16 code units (both bytes of each unit). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h = Math.imul(h ^ (c & 0xff), 0x01000193);
    h = Math.imul(h ^ (c >>> 8), 0x01000193);
  }
  // A final avalanche (murmur3 fmix32) so that the low bits used for the bucket are well mixed.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Throws on a dimension that is not a power of two between 2^4 and 2^24. */
export function checkDimensions(dimensions: number): void {
  if (
    !Number.isInteger(dimensions) ||
    dimensions < 16 ||
    dimensions > 1 << 24 ||
    (dimensions & (dimensions - 1)) !== 0
  ) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `dimensions must be a power of two in [16, 2^24], got ${dimensions}`,
      {
        details: { field: 'dimensions', value: dimensions },
      },
    );
  }
}

/**
 * Hashed features of a text: per bucket Σ sign·(1 + ln tf) over the feature strings hashed there,
 * then L2-normalised.
 */
export function featurise(text: string, options: FeaturiserOptions): SparseVector {
  checkDimensions(options.dimensions);
  const mask = options.dimensions - 1;
  const tf = new Map<string, number>();
  for (const f of featureStrings(text)) tf.set(f, (tf.get(f) ?? 0) + 1);
  const acc = new Map<number, number>();
  for (const [f, n] of tf) {
    const h = fnv1a(f);
    const sign = h & 0x80000000 ? -1 : 1;
    const idx = h & mask;
    acc.set(idx, (acc.get(idx) ?? 0) + sign * (1 + Math.log(n)));
  }
  const indices = [...acc.keys()].sort((a, b) => a - b);
  let norm = 0;
  for (const i of indices) norm += (acc.get(i) as number) ** 2;
  norm = Math.sqrt(norm);
  const values = new Float32Array(indices.length);
  indices.forEach((i, k) => {
    values[k] = norm > 0 ? (acc.get(i) as number) / norm : 0;
  });
  return { indices: Int32Array.from(indices), values };
}

/** Writes a sparse vector into row `row` of a dense, zero-filled [rows, dimensions] buffer. */
export function scatterInto(dense: Float32Array, row: number, dimensions: number, v: SparseVector): void {
  const base = row * dimensions;
  for (let k = 0; k < v.indices.length; k++) dense[base + (v.indices[k] as number)] = v.values[k] as number;
}
