/**
 * What a request body is, and whether its Content-Type may say so.
 *
 * The rule: the bytes decide (core/media/sniff.ts); a Content-Type that names a specific type
 * must agree with them, and may only *refine* what bytes cannot tell apart (an audio-only WebM or
 * MP4 sent as audio/webm, audio/mp4). A generic type (absent, application/octet-stream) defers to
 * the bytes. Disagreement is ERR_UNSUPPORTED_MEDIA_TYPE with `details.detected`.
 *
 * Text encodings (documented in the OpenAPI description of POST /v1/analyze): UTF-8 (BOM optional)
 * or UTF-16 with a BOM. A `charset` other than utf-8, us-ascii or utf-16(le|be) is refused with
 * 415; bytes that look like text but are not valid UTF-8 are refused with 400 naming the offset of
 * the first bad byte. Nothing is ever decoded "with replacement": a lossy guess would put text
 * the client did not send into spans and verdicts.
 */
import { KaleidoError } from '../core/errors.js';
import { sniff, type Sniffed, type SniffedText } from '../core/media/sniff.js';
import type { Modality } from '../core/ports/analyzer.js';

export interface ResolvedContent {
  readonly modality: Modality;
  /** The detected MIME type (refined by the header within a container family). */
  readonly mime: string;
  readonly sniffed: Exclude<Sniffed, { modality: 'unknown' }>;
}

export interface MediaType {
  /** `type/subtype`, lower case, without parameters. */
  readonly essence: string;
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a Content-Type header value (RFC 9110 §8.3.1); undefined when absent or malformed. */
export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const [head = '', ...rest] = header.split(';');
  const essence = head.trim().toLowerCase();
  const m = /^([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+*-]+)$/.exec(essence);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    const value = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (key !== '') params[key] = value;
  }
  return { essence, type: m[1] as string, subtype: m[2] as string, params };
}

/** Common non-canonical names for the types sniff() reports. */
const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/x-ms-bmp': 'image/bmp',
  'image/x-bmp': 'image/bmp',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mp3': 'audio/mpeg',
  'audio/mpeg3': 'audio/mpeg',
  'audio/x-mpeg': 'audio/mpeg',
  'audio/x-flac': 'audio/flac',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/x-aac': 'audio/aac',
  'audio/aacp': 'audio/aac',
  'audio/x-aiff': 'audio/aiff',
  'video/avi': 'video/x-msvideo',
  'video/msvideo': 'video/x-msvideo',
  'video/mkv': 'video/x-matroska',
  'video/x-mkv': 'video/x-matroska',
  'application/ogg': 'audio/ogg',
};

/** Containers that hold audio only or video: the header may choose the modality among these. */
const FAMILIES: readonly (readonly string[])[] = [
  ['audio/mp4', 'video/mp4', 'audio/3gpp', 'video/3gpp', 'audio/3gpp2', 'video/3gpp2'],
  ['audio/webm', 'video/webm', 'audio/x-matroska', 'video/x-matroska'],
  ['audio/ogg', 'video/ogg'],
];

const canonical = (essence: string): string => ALIASES[essence] ?? essence;

const sameFamily = (a: string, b: string): boolean => FAMILIES.some((f) => f.includes(a) && f.includes(b));

const GENERIC = new Set(['application/octet-stream', 'binary/octet-stream', 'application/x-binary']);
const TEXT_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', 'utf-16', 'utf-16le', 'utf-16be']);
const MEDIA_TYPES = new Set(['image', 'audio', 'video']);

const mismatch = (declared: string, detected: string, extra: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    `the content is ${detected}, but the Content-Type says ${declared}`,
    { details: { declared, detected, ...extra } },
  );

/**
 * Detects what `bytes` is and checks the declared Content-Type against it. Throws
 * ERR_VALIDATION (empty body, invalid UTF-8) or ERR_UNSUPPORTED_MEDIA_TYPE (unknown content,
 * disagreement, unsupported charset); `details.detected` always names what the bytes are.
 */
export function resolveContent(bytes: Uint8Array, declaredHeader?: string): ResolvedContent {
  if (bytes.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', 'the body is empty', { details: { field: 'body', bytes: 0 } });
  }
  const declared = parseMediaType(declaredHeader);
  if (declaredHeader !== undefined && declaredHeader.trim() !== '' && declared === undefined) {
    throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', `malformed Content-Type "${declaredHeader}"`, {
      details: { declared: declaredHeader, detected: sniff(bytes).mime },
    });
  }
  const s = sniff(bytes);
  const generic = declared === undefined || GENERIC.has(declared.essence);
  const declaredText = declared?.type === 'text';

  if (declaredText) {
    const charset = declared?.params['charset'];
    if (charset !== undefined && !TEXT_CHARSETS.has(charset)) {
      throw new KaleidoError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `charset ${charset} is not supported: send UTF-8, or UTF-16 with a byte-order mark`,
        { details: { declared: declared?.essence, charset, detected: s.mime } },
      );
    }
  }

  if (s.modality === 'unknown') {
    if (s.reason === 'invalid-utf8' && (generic || declaredText)) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `the text is not valid UTF-8 (first invalid byte at offset ${s.invalidAt ?? 0}): send UTF-8, or UTF-16 with a byte-order mark`,
        { details: { field: 'body', encoding: 'utf-8', offset: s.invalidAt ?? 0, detected: s.mime } },
      );
    }
    const what =
      s.reason === 'unsupported-format' ? `${s.mime}, which no analyzer reads` : 'not a recognised format';
    throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', `the content is ${what}`, {
      details: {
        detected: s.mime,
        reason: s.reason,
        ...(declared === undefined ? {} : { declared: declared.essence }),
      },
    });
  }

  if (generic) return { modality: s.modality, mime: s.mime, sniffed: s };
  const d = declared as MediaType;
  if (declaredText) {
    if (s.modality !== 'text') throw mismatch(d.essence, s.mime);
    return { modality: 'text', mime: s.mime, sniffed: s };
  }
  if (!MEDIA_TYPES.has(d.type)) throw mismatch(d.essence, s.mime);
  if (s.modality === 'text') throw mismatch(d.essence, s.mime);
  if (d.subtype === '*') {
    if (d.type !== s.modality) throw mismatch(d.essence, s.mime);
    return { modality: s.modality, mime: s.mime, sniffed: s };
  }
  const claim = canonical(d.essence);
  if (claim === s.mime) return { modality: s.modality, mime: s.mime, sniffed: s };
  if (sameFamily(claim, s.mime)) {
    // The bytes say "this container"; the header says which of its uses (audio-only MP4 …).
    return { modality: d.type as Modality, mime: claim, sniffed: s };
  }
  throw mismatch(d.essence, s.mime);
}

/** Decodes sniffed text: UTF-8 (validated by sniff) or UTF-16 by its BOM; fatal on bad input. */
export function decodeText(bytes: Uint8Array, sniffed: SniffedText): string {
  const body = bytes.subarray(sniffed.bomBytes);
  try {
    return new TextDecoder(sniffed.encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch (cause) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `the text is not valid ${sniffed.encoding.toUpperCase()}${
        sniffed.encoding !== 'utf-8' && body.length % 2 === 1 ? ' (odd number of bytes)' : ''
      }`,
      { details: { field: 'body', encoding: sniffed.encoding }, cause },
    );
  }
}
