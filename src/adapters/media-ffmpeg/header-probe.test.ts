import { describe, expect, it } from 'vitest';
import { headerProbe, parseFlacStreamInfo, parseWavPcm } from './header-probe.js';
import { wavFrames, wavToMono } from './wav-pcm.js';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const u16le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** A WAV: format tag, channels, rate, bits, then a data chunk declaring `declared` bytes and holding `data`. */
function wav(
  tag: number,
  channels: number,
  rate: number,
  bits: number,
  data: number[],
  declared = data.length,
): Uint8Array {
  const align = (channels * bits) / 8;
  return bytes(
    'RIFF',
    u32le(36 + data.length),
    'WAVE',
    'LIST', // an unrelated chunk first: the parser must walk past it
    u32le(3),
    [1, 2, 3, 0], // odd size + pad byte
    'fmt ',
    u32le(16),
    u16le(tag),
    u16le(channels),
    u32le(rate),
    u32le(rate * align),
    u16le(align),
    u16le(bits),
    'data',
    u32le(declared),
    data,
  );
}

/** fLaC + STREAMINFO: 4096-sample blocks, the given rate, channels, bits and total samples. */
function flac(rate: number, channels: number, bits: number, total: number): Uint8Array {
  const info = [0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0];
  info.push(
    (rate >> 12) & 0xff,
    (rate >> 4) & 0xff,
    ((rate & 0xf) << 4) | ((channels - 1) << 1) | ((bits - 1) >> 4),
  );
  info.push(
    (((bits - 1) & 0xf) << 4) | (Math.floor(total / 2 ** 32) & 0xf),
    ...[24, 16, 8, 0].map((s) => ((total % 2 ** 32) >>> s) & 0xff),
  );
  info.push(...new Array<number>(16).fill(0)); // MD5
  return bytes('fLaC', [0x80, 0, 0, 34], info, [0xff, 0xf8]);
}

describe('parseWavPcm / headerProbe (WAV)', () => {
  it('reads what ffprobe would report for 16-bit PCM, past other chunks', () => {
    const b = wav(1, 1, 16_000, 16, new Array<number>(32_000).fill(0));
    expect(headerProbe(b)).toEqual({
      container: 'wav',
      codec: 'pcm_s16le',
      sampleRate: 16_000,
      channels: 1,
      audioStreams: 1,
      bitRate: 256_000,
      declaredDurationSeconds: 1,
    });
  });

  it('names 8/24/32-bit integer and float PCM, and the format inside WAVE_FORMAT_EXTENSIBLE', () => {
    expect(parseWavPcm(wav(1, 2, 8000, 8, [128, 128]))?.codec).toBe('pcm_u8');
    expect(parseWavPcm(wav(1, 1, 8000, 24, [0, 0, 0]))?.codec).toBe('pcm_s24le');
    expect(parseWavPcm(wav(1, 1, 8000, 32, [0, 0, 0, 0]))?.codec).toBe('pcm_s32le');
    expect(parseWavPcm(wav(3, 1, 8000, 32, [0, 0, 0, 0]))?.codec).toBe('pcm_f32le');
    const ext = bytes(
      'RIFF',
      u32le(60),
      'WAVE',
      'fmt ',
      u32le(40),
      u16le(0xfffe),
      u16le(2),
      u32le(48_000),
      u32le(288_000),
      u16le(6),
      u16le(24),
      u16le(22),
      u16le(24),
      u32le(3),
      u16le(1),
      [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71],
      'data',
      u32le(6),
      [0, 0, 0, 0, 0, 0],
    );
    expect(parseWavPcm(ext)).toMatchObject({
      codec: 'pcm_s24le',
      channels: 2,
      sampleRate: 48_000,
      dataBytes: 6,
    });
  });

  it('answers undefined for what it cannot vouch for, so ffprobe runs', () => {
    expect(headerProbe(wav(2, 1, 8000, 4, [0, 0]))).toBeUndefined(); // MS ADPCM
    expect(headerProbe(wav(7, 1, 8000, 8, [0, 0]))).toBeUndefined(); // μ-law
    expect(headerProbe(wav(1, 1, 8000, 12, [0, 0]))).toBeUndefined(); // odd bit depth
    expect(headerProbe(wav(1, 1, 8000, 16, [0, 0]).subarray(0, 40))).toBeUndefined(); // no data chunk
    expect(headerProbe(bytes('RF64', u32le(0), 'WAVE'))).toBeUndefined();
    expect(headerProbe(bytes('this is not audio at all, not even close'))).toBeUndefined();
  });

  it('cuts the data to what was uploaded, and takes all of it after a streaming placeholder size', () => {
    const truncated = parseWavPcm(wav(1, 1, 16_000, 16, [1, 0, 2, 0], 32_000));
    expect(truncated).toMatchObject({ dataBytes: 4, declaredDurationSeconds: 1 });
    const streamed = parseWavPcm(wav(1, 1, 16_000, 16, [1, 0, 2, 0], 0xffffffff));
    expect(streamed).toMatchObject({ dataBytes: 4, declaredDurationSeconds: undefined });
  });
});

describe('wavToMono', () => {
  it('scales each sample format as ffmpeg does and averages two channels', () => {
    const s16 = wav(1, 1, 8000, 16, [...u16le(0x8000), ...u16le(0x4000), ...u16le(0xffff)]);
    expect(Array.from(wavToMono(s16, parseWavPcm(s16)!))).toEqual([-1, 0.5, -1 / 32768]);
    const u8 = wav(1, 1, 8000, 8, [0, 128, 255]);
    expect(Array.from(wavToMono(u8, parseWavPcm(u8)!))).toEqual([-1, 0, 127 / 128]);
    const s24 = wav(1, 1, 8000, 24, [0, 0, 0x80, 0xff, 0xff, 0x7f]);
    expect(Array.from(wavToMono(s24, parseWavPcm(s24)!))).toEqual([-1, Math.fround(8388607 / 8388608)]);
    const f32 = new Uint8Array(new Float32Array([0.25, -0.75]).buffer);
    const fw = wav(3, 1, 8000, 32, Array.from(f32));
    expect(Array.from(wavToMono(fw, parseWavPcm(fw)!))).toEqual([0.25, -0.75]);
    // Stereo: (L + R) / 2, frame by frame; a trailing half frame is ignored.
    const st = wav(1, 2, 8000, 16, [...u16le(0x4000), ...u16le(0), ...u16le(0x2000), ...u16le(0x2000), 1, 2]);
    const parsed = parseWavPcm(st)!;
    expect(wavFrames(parsed)).toBe(2);
    expect(Array.from(wavToMono(st, parsed))).toEqual([0.25, 0.25]);
  });
});

describe('parseFlacStreamInfo / headerProbe (FLAC)', () => {
  it('reads rate, channels, bits and the declared duration from STREAMINFO', () => {
    expect(parseFlacStreamInfo(flac(44_100, 2, 16, 441_000))).toEqual({
      sampleRate: 44_100,
      channels: 2,
      bitsPerSample: 16,
      totalSamples: 441_000,
    });
    // Six hours at 16 kHz needs the 33rd bit of the sample count.
    expect(headerProbe(flac(16_000, 1, 16, 6 * 3600 * 16_000 * 20))?.declaredDurationSeconds).toBe(
      6 * 3600 * 20,
    );
    expect(headerProbe(flac(16_000, 1, 16, 0))).toEqual({
      container: 'flac',
      codec: 'flac',
      sampleRate: 16_000,
      channels: 1,
      audioStreams: 1,
    });
  });

  it('answers undefined when the first block is not a well-formed STREAMINFO', () => {
    const bad = flac(16_000, 1, 16, 16_000);
    bad[4] = 0x84; // first block is a VORBIS_COMMENT
    expect(parseFlacStreamInfo(bad)).toBeUndefined();
    expect(parseFlacStreamInfo(flac(0, 1, 16, 16_000))).toBeUndefined();
    expect(parseFlacStreamInfo(flac(16_000, 1, 16, 16_000).subarray(0, 30))).toBeUndefined();
  });
});
