import { describe, expect, it } from 'vitest';
import { mp3DeclaredSeconds, oggIsTruncated, sniffContainer, wavDeclaredSeconds } from './container.js';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u32be = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** A WAV header: 16 kHz mono 16-bit (byte rate 32000) with the given data-chunk size. */
const wavHeader = (dataBytes: number): Uint8Array =>
  bytes(
    'RIFF',
    u32le(36 + dataBytes),
    'WAVE',
    'fmt ',
    u32le(16),
    [1, 0, 1, 0],
    u32le(16_000),
    u32le(32_000),
    [2, 0, 16, 0],
    'data',
    u32le(dataBytes),
  );

describe('sniffContainer', () => {
  it('names the common audio containers from their magic bytes', () => {
    expect(sniffContainer(wavHeader(0))).toBe('wav');
    expect(sniffContainer(bytes('OggS', [0, 2]))).toBe('ogg');
    expect(sniffContainer(bytes('fLaC', [0]))).toBe('flac');
    expect(sniffContainer(bytes([0, 0, 0, 32], 'ftypM4A '))).toBe('mp4');
    expect(sniffContainer(bytes('ID3', [4, 0]))).toBe('mp3');
    expect(sniffContainer(bytes([0xff, 0xfb, 0x90, 0x44]))).toBe('mpeg-audio');
    expect(sniffContainer(bytes([0x1a, 0x45, 0xdf, 0xa3]))).toBe('matroska');
  });

  it('names nothing for text or random bytes', () => {
    expect(sniffContainer(bytes('hello world'))).toBeUndefined();
    expect(sniffContainer(bytes([1, 2, 3, 4, 5, 6]))).toBeUndefined();
    expect(sniffContainer(new Uint8Array(0))).toBeUndefined();
  });
});

describe('wavDeclaredSeconds', () => {
  it('divides the data size by the byte rate', () => {
    expect(wavDeclaredSeconds(wavHeader(64_000))).toBe(2);
    // Six hours at 16 kHz 16-bit mono, declared by a 44-byte header.
    expect(wavDeclaredSeconds(wavHeader(21_600 * 32_000))).toBe(21_600);
  });

  it('declares nothing for streaming placeholders (espeak-ng, sox to a pipe) or non-WAV input', () => {
    expect(wavDeclaredSeconds(wavHeader(0))).toBeUndefined();
    expect(wavDeclaredSeconds(wavHeader(0x7ffff000))).toBeUndefined();
    expect(wavDeclaredSeconds(wavHeader(0xffffffff))).toBeUndefined();
    expect(wavDeclaredSeconds(bytes('OggS'))).toBeUndefined();
  });
});

describe('mp3DeclaredSeconds', () => {
  it('reads the frame count of a Xing/Info header (MPEG-1 Layer III, stereo)', () => {
    // Header 0xFFFB9044: MPEG-1, Layer III, 128 kbit/s, 44.1 kHz, stereo → side info 32 bytes.
    const frame = bytes(
      [0xff, 0xfb, 0x90, 0x44],
      new Array<number>(32).fill(0),
      'Info',
      u32be(1),
      u32be(1000),
    );
    expect(mp3DeclaredSeconds(frame)).toBeCloseTo((1000 * 1152) / 44_100, 6);
    // After an ID3v2 tag of 5 bytes.
    const tagged = bytes('ID3', [4, 0, 0, 0, 0, 0, 5], [1, 2, 3, 4, 5], [...frame]);
    expect(mp3DeclaredSeconds(tagged)).toBeCloseTo((1000 * 1152) / 44_100, 6);
  });

  it('declares nothing without a Xing header or a frame count', () => {
    expect(
      mp3DeclaredSeconds(bytes([0xff, 0xfb, 0x90, 0x44], new Array<number>(64).fill(0))),
    ).toBeUndefined();
    expect(
      mp3DeclaredSeconds(
        bytes([0xff, 0xfb, 0x90, 0x44], new Array<number>(32).fill(0), 'Xing', u32be(0), u32be(9)),
      ),
    ).toBeUndefined();
  });
});

describe('oggIsTruncated', () => {
  /** One Ogg page with `body` bytes of payload; headerType 4 marks end of stream. */
  const page = (headerType: number, body: number): number[] => [
    ...bytes('OggS'),
    0,
    headerType,
    ...new Array<number>(20).fill(0),
    1,
    body,
    ...new Array<number>(body).fill(7),
  ];

  it('accepts complete streams that end with an end-of-stream page', () => {
    expect(oggIsTruncated(Uint8Array.from([...page(2, 10), ...page(0, 30), ...page(4, 5)]))).toBe(false);
  });

  it('flags a missing end-of-stream page and a page cut in the middle', () => {
    expect(oggIsTruncated(Uint8Array.from([...page(2, 10), ...page(0, 30)]))).toBe(true);
    const whole = Uint8Array.from([...page(2, 10), ...page(4, 30)]);
    expect(oggIsTruncated(whole.subarray(0, whole.length - 3))).toBe(true);
  });

  it('ignores other formats', () => {
    expect(oggIsTruncated(wavHeader(10))).toBe(false);
  });
});
