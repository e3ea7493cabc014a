/**
 * Content sniffing: what a body *is*, from its bytes alone. File names and Content-Type headers
 * are claims a client makes; the magic bytes are what a decoder will actually see, so the
 * modality is decided here and a header may only agree with it (see analysis/content.ts).
 *
 * Pure and bounded: container signatures read at most the first few hundred bytes; only the
 * plain-text decision scans the whole body, once, stopping at the first byte that rules text out
 * (random binary is rejected within a few bytes).
 *
 * Known limits, on purpose: WebM/Matroska, MP4 and Ogg can hold audio only; without parsing the
 * track list we report the container's usual modality (video for WebM/Matroska/MP4, audio for
 * Ogg unless a Theora header is visible) and let a Content-Type of the same container family
 * refine it (audio/webm, audio/mp4).
 */
import type { Modality } from '../ports/analyzer.js';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** A format that one of the modalities analyses. */
export interface SniffedMedia {
  readonly modality: Exclude<Modality, 'text'>;
  readonly mime: string;
}

/** Text: valid UTF-8 (optionally with a BOM) or UTF-16 with a BOM. */
export interface SniffedText {
  readonly modality: 'text';
  readonly mime: 'text/plain';
  readonly encoding: TextEncoding;
  /** Bytes of byte-order mark at the start (0, 2 or 3): decoding starts after them. */
  readonly bomBytes: number;
}

export const UnknownReason = {
  /** Zero bytes. */
  EMPTY: 'empty',
  /** A recognised format no modality analyses (PDF, ZIP …); `mime` names it. */
  UNSUPPORTED_FORMAT: 'unsupported-format',
  /** Looks like text (no NUL, few control bytes) but is not valid UTF-8: `invalidAt` is the offset. */
  INVALID_UTF8: 'invalid-utf8',
  /** Nothing recognisable. */
  BINARY: 'binary',
} as const;
export type UnknownReason = (typeof UnknownReason)[keyof typeof UnknownReason];

export interface SniffedUnknown {
  readonly modality: 'unknown';
  /** `application/octet-stream` unless a non-analysable format was recognised. */
  readonly mime: string;
  readonly reason: UnknownReason;
  /** For `invalid-utf8`: byte offset of the first byte that is not valid UTF-8. */
  readonly invalidAt?: number;
}

export type Sniffed = SniffedMedia | SniffedText | SniffedUnknown;

const ascii = (b: Uint8Array, offset: number, s: string): boolean => {
  if (b.length < offset + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[offset + i] !== s.charCodeAt(i)) return false;
  return true;
};

const bytesAt = (b: Uint8Array, offset: number, sig: readonly number[]): boolean => {
  if (b.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[offset + i] !== sig[i]) return false;
  return true;
};

/** Index of an ASCII string within the first `limit` bytes, or -1. */
const indexOfAscii = (b: Uint8Array, s: string, limit: number): number => {
  const end = Math.min(b.length, limit) - s.length;
  for (let i = 0; i <= end; i++) if (ascii(b, i, s)) return i;
  return -1;
};

const u32le = (b: Uint8Array, o: number): number =>
  ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;

const u32be = (b: Uint8Array, o: number): number =>
  (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;

const media = (modality: SniffedMedia['modality'], mime: string): SniffedMedia => ({ modality, mime });

const unknown = (
  reason: UnknownReason,
  mime = 'application/octet-stream',
  invalidAt?: number,
): SniffedUnknown => ({
  modality: 'unknown',
  mime,
  reason,
  ...(invalidAt === undefined ? {} : { invalidAt }),
});

// ---------------------------------------------------------------------------------------------
// Images

/** BITMAPINFOHEADER family sizes: "BM" alone is far too common at the start of text ("BMW"). */
const BMP_DIB_SIZES: ReadonlySet<number> = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function sniffImage(b: Uint8Array): SniffedMedia | undefined {
  if (bytesAt(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return media('image', 'image/png');
  if (bytesAt(b, 0, [0xff, 0xd8, 0xff])) return media('image', 'image/jpeg');
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return media('image', 'image/gif');
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return media('image', 'image/webp');
  if (ascii(b, 0, 'BM') && b.length >= 26 && BMP_DIB_SIZES.has(u32le(b, 14))) {
    return media('image', 'image/bmp');
  }
  if (bytesAt(b, 0, [0x49, 0x49, 0x2a, 0x00]) || bytesAt(b, 0, [0x4d, 0x4d, 0x00, 0x2a])) {
    return media('image', 'image/tiff');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// MPEG audio frame headers (ISO/IEC 11172-3, 13818-3; ADTS in 13818-7)

const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const SAMPLE_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};

/**
 * Length in bytes of the Layer III frame whose header is at `o`, or undefined when the four
 * bytes are not a valid Layer III header (reserved version, bad bitrate or sample-rate index).
 */
function mp3FrameLength(b: Uint8Array, o: number): number | undefined {
  const b1 = b[o + 1];
  const b2 = b[o + 2];
  if (b[o] !== 0xff || b1 === undefined || b2 === undefined || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  if (version === 1 || layer !== 1) return undefined; // reserved version; only Layer III
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const kbps = (version === 3 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS)[bitrateIndex] as number;
  const rate = (SAMPLE_RATES[version] as readonly number[])[rateIndex] as number;
  const padding = (b2 >> 1) & 1;
  return Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / rate) + padding;
}

/**
 * A bare MPEG audio stream (no ID3 tag): one valid frame header, and when the body is long enough
 * to hold the next frame, a valid header there too. Two chained headers make a false positive on
 * arbitrary binary very unlikely; a single one is accepted only for bodies shorter than a frame.
 */
function isMp3Stream(b: Uint8Array): boolean {
  const first = mp3FrameLength(b, 0);
  if (first === undefined) return false;
  if (b.length < first + 4) return true;
  return mp3FrameLength(b, first) !== undefined;
}

/** ADTS (raw AAC): 12-bit sync, layer 00, valid sampling index, frame length ≥ header. */
function isAdts(b: Uint8Array): boolean {
  const b1 = b[1];
  const b2 = b[2];
  if (b[0] !== 0xff || b1 === undefined || b2 === undefined || (b1 & 0xf6) !== 0xf0) return false;
  if (((b2 >> 2) & 0xf) > 12) return false;
  if (b.length < 6) return true;
  const frameLength = (((b[3] as number) & 0x03) << 11) | ((b[4] as number) << 3) | ((b[5] as number) >> 5);
  return frameLength >= 7;
}

// ---------------------------------------------------------------------------------------------
// Audio and video containers

/** ISO BMFF major brands (ftyp) → MIME type; anything else with an ftyp box is treated as MP4. */
const FTYP_BRANDS: Readonly<Record<string, SniffedMedia | SniffedUnknown>> = {
  'M4A ': media('audio', 'audio/mp4'),
  'M4B ': media('audio', 'audio/mp4'),
  'M4P ': media('audio', 'audio/mp4'),
  'F4A ': media('audio', 'audio/mp4'),
  'qt  ': media('video', 'video/quicktime'),
  '3gp4': media('video', 'video/3gpp'),
  '3gp5': media('video', 'video/3gpp'),
  '3gp6': media('video', 'video/3gpp'),
  '3g2a': media('video', 'video/3gpp2'),
  // Still images in an ISO BMFF box structure: recognised, but no video decoder should get them.
  heic: unknown('unsupported-format', 'image/heic'),
  heix: unknown('unsupported-format', 'image/heic'),
  mif1: unknown('unsupported-format', 'image/heif'),
  msf1: unknown('unsupported-format', 'image/heif'),
  avif: unknown('unsupported-format', 'image/avif'),
};

function sniffIsoBmff(b: Uint8Array): Sniffed | undefined {
  if (ascii(b, 4, 'ftyp')) {
    const size = u32be(b, 0);
    // A real ftyp box holds size, type, major brand and minor version, plus a short list of
    // compatible brands; the bound keeps text that happens to contain "ftyp" out.
    if (size < 16 || size > 4096) return undefined;
    const brand = String.fromCharCode(...b.subarray(8, 12));
    return FTYP_BRANDS[brand] ?? media('video', 'video/mp4');
  }
  // Old QuickTime files start with a movie or media-data atom and no ftyp.
  if ((ascii(b, 4, 'moov') || ascii(b, 4, 'mdat') || ascii(b, 4, 'wide')) && u32be(b, 0) >= 8) {
    return media('video', 'video/quicktime');
  }
  return undefined;
}

/** EBML header: the DocType string decides WebM vs Matroska. */
function sniffEbml(b: Uint8Array): SniffedMedia | undefined {
  if (!bytesAt(b, 0, [0x1a, 0x45, 0xdf, 0xa3])) return undefined;
  const docType = indexOfAscii(b, 'webm', 64);
  return docType >= 0 ? media('video', 'video/webm') : media('video', 'video/x-matroska');
}

function sniffAudioVideo(b: Uint8Array): Sniffed | undefined {
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return media('audio', 'audio/wav');
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return media('video', 'video/x-msvideo');
  if (ascii(b, 0, 'FORM') && (ascii(b, 8, 'AIFF') || ascii(b, 8, 'AIFC')))
    return media('audio', 'audio/aiff');
  if (ascii(b, 0, 'fLaC')) return media('audio', 'audio/flac');
  if (ascii(b, 0, 'OggS')) {
    // The first page carries the first stream's identification header.
    return indexOfAscii(b, 'theora', 80) >= 0 ? media('video', 'video/ogg') : media('audio', 'audio/ogg');
  }
  // ID3v2 tag: "ID3", major version 2–4, revision < 0xFF.
  if (ascii(b, 0, 'ID3') && b.length >= 10 && (b[3] ?? 0) >= 2 && (b[3] ?? 0) <= 4 && b[4] !== 0xff) {
    return media('audio', 'audio/mpeg');
  }
  if (isMp3Stream(b)) return media('audio', 'audio/mpeg');
  if (isAdts(b)) return media('audio', 'audio/aac');
  return sniffIsoBmff(b) ?? sniffEbml(b);
}

// ---------------------------------------------------------------------------------------------
// Formats we recognise only to name them in a refusal.

const OTHER_FORMATS: ReadonlyArray<{ readonly sig: readonly number[]; readonly mime: string }> = [
  { sig: [0x25, 0x50, 0x44, 0x46, 0x2d], mime: 'application/pdf' }, // %PDF-
  { sig: [0x50, 0x4b, 0x03, 0x04], mime: 'application/zip' },
  { sig: [0x1f, 0x8b], mime: 'application/gzip' },
  { sig: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], mime: 'application/x-7z-compressed' },
  { sig: [0x7f, 0x45, 0x4c, 0x46], mime: 'application/x-elf' },
  { sig: [0x00, 0x00, 0x01, 0x00], mime: 'image/x-icon' },
];

// ---------------------------------------------------------------------------------------------
// Text

/**
 * C0 control bytes that do not occur in text: everything below 0x20 except tab, LF, VT, FF, CR
 * and ESC (ANSI colour codes in logs). A NUL in particular means binary or UTF-16 without BOM.
 */
const isBinaryControl = (c: number): boolean =>
  c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0b && c !== 0x0c && c !== 0x0d && c !== 0x1b;

/**
 * Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF, no truncated sequence at the end), or -1 when valid. `binaryAt` reports the
 * first binary control byte instead, since that rules text out entirely.
 */
function scanUtf8(b: Uint8Array, from: number): { invalidAt: number; binaryAt: number } {
  let i = from;
  const n = b.length;
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x80) {
      if (isBinaryControl(c)) return { invalidAt: -1, binaryAt: i };
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return { invalidAt: i, binaryAt: -1 };
    }
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return { invalidAt: i, binaryAt: -1 };
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { invalidAt: i, binaryAt: -1 };
    i += need + 1;
  }
  return { invalidAt: -1, binaryAt: -1 };
}

/** True when the rest of a body would still pass as text apart from its UTF-8 error (Latin-1 …). */
function looksLikeText(b: Uint8Array, from: number): boolean {
  const end = Math.min(b.length, from + 4096);
  for (let i = from; i < end; i++) if (isBinaryControl(b[i] as number)) return false;
  return true;
}

function sniffText(b: Uint8Array): SniffedText | SniffedUnknown {
  if (bytesAt(b, 0, [0xff, 0xfe, 0x00, 0x00]) || bytesAt(b, 0, [0x00, 0x00, 0xfe, 0xff])) {
    return unknown('unsupported-format', 'text/plain; charset=utf-32');
  }
  if (bytesAt(b, 0, [0xff, 0xfe]))
    return { modality: 'text', mime: 'text/plain', encoding: 'utf-16le', bomBytes: 2 };
  if (bytesAt(b, 0, [0xfe, 0xff]))
    return { modality: 'text', mime: 'text/plain', encoding: 'utf-16be', bomBytes: 2 };
  const bom = bytesAt(b, 0, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  const { invalidAt, binaryAt } = scanUtf8(b, bom);
  if (binaryAt >= 0) return unknown('binary');
  if (invalidAt >= 0) {
    return looksLikeText(b, invalidAt)
      ? unknown('invalid-utf8', 'application/octet-stream', invalidAt)
      : unknown('binary');
  }
  return { modality: 'text', mime: 'text/plain', encoding: 'utf-8', bomBytes: bom };
}

/** What `bytes` is, from its content alone. */
export function sniff(bytes: Uint8Array): Sniffed {
  if (bytes.length === 0) return unknown('empty');
  const found = sniffImage(bytes) ?? sniffAudioVideo(bytes);
  if (found !== undefined) return found;
  for (const f of OTHER_FORMATS) if (bytesAt(bytes, 0, f.sig)) return unknown('unsupported-format', f.mime);
  return sniffText(bytes);
}
