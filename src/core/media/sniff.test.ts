import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sniff } from './sniff.js';

const bytes = (...parts: Array<string | number[]>): Uint8Array => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return new Uint8Array(out);
};
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const u32le = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const u32be = (v: number): number[] => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sniff: images', () => {
  it.each([
    ['png', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a], zeros(8)), 'image/png'],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], zeros(8)), 'image/jpeg'],
    ['gif87a', bytes('GIF87a', zeros(6)), 'image/gif'],
    ['gif89a', bytes('GIF89a', zeros(6)), 'image/gif'],
    ['webp', bytes('RIFF', u32le(100), 'WEBPVP8 '), 'image/webp'],
    ['bmp', bytes('BM', u32le(1000), zeros(4), u32le(54), u32le(40), zeros(8)), 'image/bmp'],
    ['tiff le', bytes('II', [0x2a, 0x00], u32le(8)), 'image/tiff'],
    ['tiff be', bytes('MM', [0x00, 0x2a], u32be(8)), 'image/tiff'],
  ])('%s', (_name, data, mime) => {
    expect(sniff(data)).toEqual({ modality: 'image', mime });
  });

  it('"BM" at the start of text is not a bitmap', () => {
    expect(sniff(utf8('BMW and Audi are car makers; this sentence is long enough.')).modality).toBe('text');
  });
});

describe('sniff: audio and video', () => {
  // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 144 * 128000 / 44100 = 417 bytes a frame.
  const frame = [0xff, 0xfb, 0x90, 0x00];
  const mp3 = bytes(frame, zeros(413), frame, zeros(100));

  it.each([
    ['wav', bytes('RIFF', u32le(36), 'WAVEfmt '), 'audio', 'audio/wav'],
    ['avi', bytes('RIFF', u32le(36), 'AVI LIST'), 'video', 'video/x-msvideo'],
    ['mp3 with ID3', bytes('ID3', [3, 0, 0], zeros(4), frame), 'audio', 'audio/mpeg'],
    ['mp3 frames', mp3, 'audio', 'audio/mpeg'],
    ['aac adts', bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]), 'audio', 'audio/aac'],
    ['ogg vorbis', bytes('OggS', zeros(24), [0x01], 'vorbis', zeros(8)), 'audio', 'audio/ogg'],
    ['ogg theora', bytes('OggS', zeros(24), [0x80], 'theora', zeros(8)), 'video', 'video/ogg'],
    ['flac', bytes('fLaC', zeros(8)), 'audio', 'audio/flac'],
    ['m4a', bytes(u32be(24), 'ftypM4A ', zeros(4), 'M4A mp42'), 'audio', 'audio/mp4'],
    ['mp4', bytes(u32be(24), 'ftypisom', zeros(4), 'isomiso2'), 'video', 'video/mp4'],
    ['mov', bytes(u32be(20), 'ftypqt  ', zeros(4), 'qt  '), 'video', 'video/quicktime'],
    ['old mov', bytes(u32be(1000), 'moov', zeros(8)), 'video', 'video/quicktime'],
    [
      'webm',
      bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84], 'webm'),
      'video',
      'video/webm',
    ],
    [
      'matroska',
      bytes([0x1a, 0x45, 0xdf, 0xa3, 0xa3, 0x42, 0x82, 0x88], 'matroska', zeros(4)),
      'video',
      'video/x-matroska',
    ],
  ])('%s', (_name, data, modality, mime) => {
    expect(sniff(data)).toEqual({ modality, mime });
  });

  it('one MP3-like header followed by garbage where the next frame should be is not MP3', () => {
    const fake = bytes(frame, zeros(413), [0x00, 0x01, 0x02, 0x03], zeros(100));
    expect(sniff(fake).modality).toBe('unknown');
  });

  it('a reserved MPEG version or a bad bitrate index is not MP3', () => {
    expect(sniff(bytes([0xff, 0xeb, 0x90, 0x00], zeros(10))).modality).toBe('unknown'); // version 01
    expect(sniff(bytes([0xff, 0xfb, 0xf0, 0x00], zeros(10))).modality).toBe('unknown'); // bitrate 15
  });

  it('HEIF/AVIF stills in ISO boxes are recognised but not analysed as video', () => {
    expect(sniff(bytes(u32be(24), 'ftypavif', zeros(4), 'avifmif1'))).toEqual({
      modality: 'unknown',
      mime: 'image/avif',
      reason: 'unsupported-format',
    });
  });

  it('text containing "ftyp" at offset 4 is still text', () => {
    expect(sniff(utf8('abcdftyp is not a video')).modality).toBe('text');
  });
});

describe('sniff: text', () => {
  it('plain ASCII and UTF-8 with emoji and CJK', () => {
    expect(sniff(utf8('Hello, world.\n'))).toEqual({
      modality: 'text',
      mime: 'text/plain',
      encoding: 'utf-8',
      bomBytes: 0,
    });
    expect(sniff(utf8('Grüße 👋 日本語\r\n\tend'))).toMatchObject({ modality: 'text', encoding: 'utf-8' });
  });

  it('BOMs decide UTF-8 / UTF-16 and say how many bytes to skip', () => {
    expect(sniff(bytes([0xef, 0xbb, 0xbf], 'hi'))).toMatchObject({ encoding: 'utf-8', bomBytes: 3 });
    expect(sniff(bytes([0xff, 0xfe], [0x68, 0, 0x69, 0]))).toMatchObject({
      encoding: 'utf-16le',
      bomBytes: 2,
    });
    expect(sniff(bytes([0xfe, 0xff], [0, 0x68, 0, 0x69]))).toMatchObject({
      encoding: 'utf-16be',
      bomBytes: 2,
    });
  });

  it('UTF-32 is named but refused', () => {
    expect(sniff(bytes([0xff, 0xfe, 0, 0], [0x68, 0, 0, 0]))).toMatchObject({
      modality: 'unknown',
      reason: 'unsupported-format',
    });
  });

  it('Latin-1 text is invalid UTF-8 at the first accented byte', () => {
    const latin1 = bytes('caf', [0xe9], ' au lait');
    expect(sniff(latin1)).toEqual({
      modality: 'unknown',
      mime: 'application/octet-stream',
      reason: 'invalid-utf8',
      invalidAt: 3,
    });
  });

  it.each([
    ['overlong slash', [0xc0, 0xaf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['truncated at the end', [0xe2, 0x82]],
    ['lone continuation', [0x80]],
  ])('rejects %s', (_name, seq) => {
    expect(sniff(bytes('ok ', seq))).toMatchObject({ reason: 'invalid-utf8', invalidAt: 3 });
  });

  it('NUL and other control bytes make it binary', () => {
    expect(sniff(bytes('abc', [0], 'def'))).toMatchObject({ modality: 'unknown', reason: 'binary' });
    expect(sniff(bytes([0x68, 0, 0x69, 0]))).toMatchObject({ reason: 'binary' }); // UTF-16 without BOM
  });

  it('empty input', () => {
    expect(sniff(new Uint8Array(0))).toEqual({
      modality: 'unknown',
      mime: 'application/octet-stream',
      reason: 'empty',
    });
  });

  it('names non-analysable formats', () => {
    expect(sniff(bytes('%PDF-1.7\n'))).toMatchObject({
      mime: 'application/pdf',
      reason: 'unsupported-format',
    });
    expect(sniff(bytes('PK', [3, 4], zeros(10)))).toMatchObject({ mime: 'application/zip' });
  });

  it('agrees with TextDecoder(fatal) on every UTF-8 verdict (property)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (data) => {
        const r = sniff(data);
        let valid = true;
        try {
          decoder.decode(data);
        } catch {
          valid = false;
        }
        if (r.modality === 'text' && r.encoding === 'utf-8') expect(valid).toBe(true);
        if (r.modality === 'unknown' && r.reason === 'invalid-utf8') expect(valid).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('every well-formed string without control characters is text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (s) => {
        // eslint-disable-next-line no-control-regex -- stripping control characters is the point.
        const clean = s.replace(/[\u0000-\u001f]/g, ' ');
        const r = sniff(utf8(`${clean} — text`));
        expect(r.modality).toBe('text');
      }),
      { numRuns: 500 },
    );
  });
});
