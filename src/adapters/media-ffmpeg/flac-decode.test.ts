/**
 * The in-process FLAC decoder: bit-exact integers against ffmpeg's s16 output, and FlacError (so
 * the caller falls back to ffmpeg) on everything that is not a clean file.
 */
import { describe, expect, it } from 'vitest';
import { runProcess } from './child-process.js';
import { decodeFlac, FlacError } from './flac-decode.js';

async function ffmpeg(args: readonly string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const r = await runProcess({
    command: 'ffmpeg',
    args: ['-v', 'error', ...args],
    ...(stdin ? { stdin } : {}),
    timeoutMs: 30_000,
    maxStdoutBytes: 1 << 24,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return new Uint8Array(Buffer.concat(r.stdout));
}

/** 2 s of pink noise plus a tone, as FLAC on a pipe (STREAMINFO without a sample count). */
const flacOf = (channels: number, extra: readonly string[] = []): Promise<Uint8Array> =>
  ffmpeg([
    ...[
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=d=2:c=pink:r=16000:a=0.4:seed=5',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=2:r=16000',
    ],
    ...[
      '-filter_complex',
      `[0][1]amix=inputs=2,pan=${channels}c|${['c0=c0', 'c1=-0.3*c0', 'c2=0.1*c0'].slice(0, channels).join('|')}`,
    ],
    ...['-ac', String(channels), '-sample_fmt', 's16', ...extra, '-f', 'flac', 'pipe:1'],
  ]);

const rejects = async (b: Uint8Array, maxSeconds = 60): Promise<string> => {
  try {
    await decodeFlac(b, { maxSeconds });
    return 'decoded';
  } catch (e) {
    return e instanceof FlacError ? 'FlacError' : String(e);
  }
};

describe('decodeFlac', () => {
  it('gives ffmpeg’s integer samples exactly, mono and stereo (mean of the channels)', async () => {
    for (const channels of [1, 2]) {
      const flac = await flacOf(channels);
      const s16 = await ffmpeg(['-i', 'pipe:0', '-f', 's16le', 'pipe:1'], flac);
      const ints = new Int16Array(s16.buffer, s16.byteOffset, s16.byteLength / 2);
      const pcm = await decodeFlac(flac, { maxSeconds: 60 });
      expect(pcm).toMatchObject({ sampleRate: 16_000, channels, bitsPerSample: 16 });
      expect(pcm.mono.length).toBe(32_000);
      const want = Float32Array.from({ length: 32_000 }, (_, i) =>
        channels === 1 ? (ints[i] ?? 0) / 32768 : ((ints[2 * i] ?? 0) + (ints[2 * i + 1] ?? 0)) / 65536,
      );
      expect(pcm.mono).toEqual(want);
    }
  });

  it('throws FlacError on a damaged frame, a cut-off file, three channels and a long file', async () => {
    const flac = await flacOf(1);
    const damaged = flac.slice();
    const mid = Math.floor(flac.length / 2);
    damaged[mid] = (damaged[mid] ?? 0) ^ 0x10; // one bit in the middle of a frame
    expect(await rejects(damaged)).toBe('FlacError');
    expect(await rejects(flac.subarray(0, Math.floor(flac.length * 0.7)))).toBe('FlacError');
    expect(await rejects(await flacOf(3))).toBe('FlacError');
    expect(await rejects(flac, 1)).toBe('FlacError'); // 2 s, over a 1 s in-process limit
    expect(await rejects(flac)).toBe('decoded');
  });
});
