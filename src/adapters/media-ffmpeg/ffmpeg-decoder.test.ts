/**
 * The decoder's header fast paths against the two-process path on the same bytes, with the real
 * ffmpeg: WAV decoded and resampled in process must give ffmpeg's samples (to within the
 * resamplers' difference), FLAC probed from its header must give them exactly, and bad inputs
 * must keep their error codes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKaleidoError } from '../../core/errors.js';
import { runProcess } from './child-process.js';
import { FfmpegDecoder } from './ffmpeg-decoder.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/audio/', import.meta.url));
let dir: string;
const fast = new FfmpegDecoder();
const slow = new FfmpegDecoder({ fastPaths: false });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-decoder-'));
  await fast.init();
  await slow.init();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pink noise plus a 1 kHz tone, `seconds` long, written by ffmpeg to a file (final header sizes). */
async function generate(
  rate: number,
  channels: number,
  codec: string,
  ext: string,
  seconds = 3,
  extra: readonly string[] = [],
): Promise<Uint8Array> {
  const file = join(dir, `g-${rate}-${channels}-${codec}-${extra.join('')}.${ext}`);
  const r = await runProcess({
    command: 'ffmpeg',
    args: [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `anoisesrc=d=${seconds}:c=pink:r=${rate}:a=0.3:seed=3`],
      ...['-f', 'lavfi', '-i', `sine=f=1000:d=${seconds}:r=${rate}`],
      // Stereo with different channels, so the downmix is tested too.
      ...['-filter_complex', `[0][1]amix=inputs=2${channels === 2 ? ',pan=stereo|c0=c0|c1=-0.5*c0' : ''}`],
      ...['-ac', String(channels), '-c:a', codec, ...extra, file],
    ],
    timeoutMs: 30_000,
    maxStdoutBytes: 1 << 20,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return new Uint8Array(readFileSync(file));
}

const snrDb = (ref: Float32Array, x: Float32Array): number => {
  let sig = 0;
  let err = 0;
  for (let i = 0; i < ref.length; i++) {
    sig += (ref[i] ?? 0) ** 2;
    err += ((ref[i] ?? 0) - (x[i] ?? 0)) ** 2;
  }
  return err === 0 ? Infinity : 10 * Math.log10(sig / err);
};

describe('FfmpegDecoder fast paths', () => {
  it.each([
    [8000, 1, 'pcm_s16le'],
    [16_000, 1, 'pcm_s16le'],
    [16_000, 2, 'pcm_u8'],
    [44_100, 2, 'pcm_s16le'],
    [48_000, 2, 'pcm_s24le'],
    [48_000, 1, 'pcm_f32le'],
    [22_050, 1, 'pcm_s32le'],
  ])('decodes a %i Hz, %i-channel %s WAV in process like ffmpeg does', async (rate, channels, codec) => {
    const bytes = await generate(rate, channels, codec, 'wav');
    const a = await fast.decode(bytes);
    const b = await slow.decode(bytes);
    expect(a.sampleRate).toBe(16_000);
    expect(a.samples.length).toBe(b.samples.length);
    expect(a.probe).toMatchObject({ container: 'wav', codec, sampleRate: rate, channels, audioStreams: 1 });
    expect(a.probe.declaredDurationSeconds).toBeCloseTo(b.probe.declaredDurationSeconds ?? 3, 3);
    expect(a.probe.bitRate).toBe(b.probe.bitRate);
    // The in-process resampler is built like swresample's default filter, edges included.
    expect(snrDb(b.samples, a.samples)).toBeGreaterThan(rate === 16_000 ? 1000 : 95);
    let worst = 0;
    for (let i = 0; i < a.samples.length; i++) {
      worst = Math.max(worst, Math.abs((a.samples[i] ?? 0) - (b.samples[i] ?? 0)));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it.each([
    [16_000, 1, ['-sample_fmt', 's16', '-compression_level', '0']],
    [16_000, 1, ['-sample_fmt', 's16', '-compression_level', '12']],
    [8000, 1, ['-sample_fmt', 's16']],
    [44_100, 2, ['-sample_fmt', 's16', '-compression_level', '5']],
    [48_000, 2, ['-sample_fmt', 's32', '-compression_level', '8']], // 24-bit FLAC
    [22_050, 2, ['-sample_fmt', 's16', '-compression_level', '3']],
  ])('decodes a %i Hz, %i-channel FLAC (%j) in process like ffmpeg does', async (rate, channels, extra) => {
    const bytes = await generate(rate, channels, 'flac', 'flac', 3, extra);
    const a = await fast.decode(bytes);
    const b = await slow.decode(bytes);
    expect(a.probe).toEqual({ ...b.probe, declaredDurationSeconds: 3 });
    expect(a.samples.length).toBe(b.samples.length);
    // The FLAC samples are bit-exact (integers); what differs is only the resampler, as for WAV.
    if (rate === 16_000) expect(a.samples).toEqual(b.samples);
    expect(snrDb(b.samples, a.samples)).toBeGreaterThan(rate === 16_000 ? 1000 : 95);
    let worst = 0;
    for (let i = 0; i < a.samples.length; i++) {
      worst = Math.max(worst, Math.abs((a.samples[i] ?? 0) - (b.samples[i] ?? 0)));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('decodes the committed FLAC fixtures exactly as ffmpeg does', async () => {
    for (const name of ['vad-stream.flac', 'spoken-email.flac']) {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, name)));
      const a = await fast.decode(bytes);
      const b = await slow.decode(bytes);
      expect(a.samples, name).toEqual(b.samples);
      expect(a.probe, name).toEqual(b.probe);
    }
  });

  it('keeps every error code: truncated, header only, too long, streaming WAV over the limit', async () => {
    const wav = await generate(48_000, 2, 'pcm_s16le', 'wav');
    const flac = await generate(16_000, 1, 'flac', 'flac');
    const codeOf = async (d: FfmpegDecoder, bytes: Uint8Array, max?: number): Promise<string> => {
      try {
        await d.decode(bytes, max === undefined ? {} : { maxDurationSeconds: max });
        return 'ok';
      } catch (e) {
        return isKaleidoError(e) ? e.code : String(e);
      }
    };
    const streaming = wav.slice();
    new DataView(streaming.buffer).setUint32(4, 0xffffffff, true);
    const dataAt = Buffer.from(streaming).indexOf('data');
    new DataView(streaming.buffer).setUint32(dataAt + 4, 0xffffffff, true);
    const corruptFlac = flac.slice();
    corruptFlac.fill(0x55, 200);
    const cases: [string, Uint8Array, number | undefined][] = [
      ['truncated WAV', wav.subarray(0, wav.length / 2), undefined],
      ['WAV header only', wav.subarray(0, dataAt + 8), undefined],
      ['WAV over the limit', wav, 2],
      ['streaming WAV over the limit', streaming, 2],
      ['streaming WAV', streaming, undefined],
      ['truncated FLAC', flac.subarray(0, flac.length / 2), undefined],
      ['FLAC over the limit', flac, 2],
      ['corrupt FLAC frames', corruptFlac, undefined],
      [
        'FLAC without a declared length, over the limit',
        new Uint8Array(readFileSync(join(FIXTURES, 'spoken-email.flac'))),
        2,
      ],
      [
        'six hours of FLAC',
        new Uint8Array(readFileSync(join(FIXTURES, 'six-hours-silence.flac'))),
        undefined,
      ],
    ];
    for (const [name, bytes, max] of cases) {
      const want = await codeOf(slow, bytes, max);
      expect({ name, code: await codeOf(fast, bytes, max) }).toEqual({ name, code: want });
    }
    expect(await codeOf(fast, wav, 2)).toBe('ERR_MEDIA_TOO_LONG');
    expect(await codeOf(fast, wav.subarray(0, wav.length / 2))).toBe('ERR_MEDIA_CORRUPT');
  });
});
