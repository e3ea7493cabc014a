import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../core/errors.js';
import { decodeText, parseMediaType, resolveContent } from './content.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const MP4 = new Uint8Array([
  0,
  0,
  0,
  24,
  ...'ftypisom'.split('').map((c) => c.charCodeAt(0)),
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf(fn: () => unknown): KaleidoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a KaleidoError');
}

describe('parseMediaType', () => {
  it('splits essence and parameters, case-insensitively', () => {
    expect(parseMediaType('Text/Plain; Charset="UTF-8"')).toEqual({
      essence: 'text/plain',
      type: 'text',
      subtype: 'plain',
      params: { charset: 'utf-8' },
    });
    expect(parseMediaType(undefined)).toBeUndefined();
    expect(parseMediaType('not a type')).toBeUndefined();
  });
});

describe('resolveContent', () => {
  it('trusts the bytes when the header is absent or generic', () => {
    expect(resolveContent(PNG)).toMatchObject({ modality: 'image', mime: 'image/png' });
    expect(resolveContent(PNG, 'application/octet-stream')).toMatchObject({ modality: 'image' });
    expect(resolveContent(text('hi'), undefined)).toMatchObject({ modality: 'text', mime: 'text/plain' });
  });

  it('accepts a header that agrees, including aliases and wildcards', () => {
    expect(resolveContent(PNG, 'image/png').modality).toBe('image');
    expect(resolveContent(PNG, 'image/*').modality).toBe('image');
    expect(resolveContent(text('hi'), 'text/markdown; charset=utf-8').modality).toBe('text');
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    expect(resolveContent(jpeg, 'image/jpg').mime).toBe('image/jpeg');
  });

  it('lets the header pick audio for an audio-only MP4 (same container), never across containers', () => {
    expect(resolveContent(MP4)).toMatchObject({ modality: 'video', mime: 'video/mp4' });
    expect(resolveContent(MP4, 'audio/mp4')).toMatchObject({ modality: 'audio', mime: 'audio/mp4' });
    expect(resolveContent(MP4, 'audio/x-m4a')).toMatchObject({ modality: 'audio' });
    expect(errorOf(() => resolveContent(MP4, 'audio/mpeg')).details).toMatchObject({
      declared: 'audio/mpeg',
      detected: 'video/mp4',
    });
  });

  it.each([
    ['PNG as text', PNG, 'text/plain', 'image/png'],
    ['PNG as JPEG', PNG, 'image/jpeg', 'image/png'],
    ['PNG as video', PNG, 'video/*', 'image/png'],
    ['text as image', text('hello'), 'image/png', 'text/plain'],
    ['text as a form', text('a=b'), 'application/x-www-form-urlencoded', 'text/plain'],
  ])('refuses %s with 415 and the detected type', (_n, bytes, declared, detected) => {
    const e = errorOf(() => resolveContent(bytes, declared));
    expect(e.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(e.details).toMatchObject({ detected });
  });

  it('refuses empty bodies (400), invalid UTF-8 (400 with the offset), foreign charsets and unknown bytes (415)', () => {
    expect(errorOf(() => resolveContent(new Uint8Array(0), 'text/plain')).code).toBe('ERR_VALIDATION');
    const latin1 = new Uint8Array([0x61, 0x62, 0xe9]);
    expect(errorOf(() => resolveContent(latin1)).details).toMatchObject({ offset: 2, encoding: 'utf-8' });
    expect(errorOf(() => resolveContent(latin1, 'text/plain')).code).toBe('ERR_VALIDATION');
    // Declared as an image, Latin-1 text is simply not an image.
    expect(errorOf(() => resolveContent(latin1, 'image/png')).code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(
      errorOf(() => resolveContent(text('x'), 'text/plain; charset=windows-1252')).details,
    ).toMatchObject({
      charset: 'windows-1252',
    });
    expect(errorOf(() => resolveContent(new Uint8Array([0, 1, 2, 3]))).details).toMatchObject({
      detected: 'application/octet-stream',
      reason: 'binary',
    });
    expect(errorOf(() => resolveContent(text('%PDF-1.4\n'))).details).toMatchObject({
      detected: 'application/pdf',
    });
    expect(errorOf(() => resolveContent(PNG, 'image png')).code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('decodeText', () => {
  it('decodes UTF-16 by its BOM and refuses an odd byte count', () => {
    const le = new Uint8Array([0xff, 0xfe, 0x68, 0, 0xe9, 0]);
    expect(decodeText(le, { modality: 'text', mime: 'text/plain', encoding: 'utf-16le', bomBytes: 2 })).toBe(
      'hé',
    );
    const be = new Uint8Array([0xfe, 0xff, 0, 0x68, 0]);
    const e = errorOf(() =>
      decodeText(be, { modality: 'text', mime: 'text/plain', encoding: 'utf-16be', bomBytes: 2 }),
    );
    expect(e.code).toBe('ERR_VALIDATION');
    expect(e.message).toContain('odd number of bytes');
  });

  it('skips a UTF-8 BOM', () => {
    const b = new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]);
    expect(decodeText(b, { modality: 'text', mime: 'text/plain', encoding: 'utf-8', bomBytes: 3 })).toBe(
      'hi',
    );
  });
});
