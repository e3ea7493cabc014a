/**
 * The audio analyzers with their real adapters: ffmpeg/ffprobe decoding, the bundled silero_vad
 * served by the real serving stack, and pocketsphinx. Inputs are generated on the fly with
 * ffmpeg and flite (known tone, known sentence) or committed under test/fixtures/audio.
 *
 * ffmpeg, flite and pocketsphinx are required (scripts/setup.sh installs them): when one is
 * missing these tests fail — they never skip — so CI cannot pass without the audio stack.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PocketsphinxRecognizer } from '../../src/adapters/asr-pocketsphinx/index.js';
import { runProcess } from '../../src/adapters/media-ffmpeg/child-process.js';
import { FfmpegDecoder } from '../../src/adapters/media-ffmpeg/index.js';
import { KaleidoError } from '../../src/core/errors.js';
import { createAudioAnalyzers } from '../../src/modalities/audio/registry.js';
import type { TimeRange } from '../../src/modalities/audio/types.js';
import {
  createAudioStack,
  frameAccuracy,
  synthesize,
  synthesizeWav,
  trimSilence,
  type AudioStack,
} from '../../scripts/eval/audio-data.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/audio/', import.meta.url));
const RATE = 16_000;

let stack: AudioStack;
/** WAV (44.1 kHz stereo) of 1 s of 440 Hz at −6 dBFS followed by a flite sentence. */
let toneAndSpeech: Uint8Array;
let toneAndSpeechSeconds: number;

/**
 * Runs ffmpeg with `input` on stdin and returns the file it writes (extension `ext`). A real file,
 * not a pipe, so headers carry their final sizes (WAV data size, MP3 Xing frame count, MP4 moov)
 * as in files that users upload.
 */
async function ffmpeg(args: readonly string[], ext: string, input?: Uint8Array): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-audio-'));
  try {
    const file = join(dir, `out.${ext}`);
    const r = await runProcess({
      command: 'ffmpeg',
      args: ['-v', 'error', '-y', ...args, file],
      ...(input ? { stdin: input } : {}),
      timeoutMs: 30_000,
      maxStdoutBytes: 1 << 20,
    });
    if (r.exitCode !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 16 kHz mono float PCM → WAV bytes (16-bit), built here so the test controls every sample. */
function wav(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string): void => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  tag(0, 'RIFF');
  v.setUint32(4, 36 + samples.length * 2, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, RATE, true);
  v.setUint32(28, RATE * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  tag(36, 'data');
  v.setUint32(40, samples.length * 2, true);
  samples.forEach((x, i) => v.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, x)) * 32767), true));
  return out;
}

async function failure(p: Promise<unknown>): Promise<{ error: KaleidoError; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
  } catch (e) {
    if (e instanceof KaleidoError) return { error: e, ms: performance.now() - t0 };
    throw e;
  }
  throw new Error('expected a KaleidoError');
}

/** Zero crossings per second of a pure tone = 2 × its frequency. */
const toneFrequency = (x: Float32Array): number => {
  let crossings = 0;
  for (let i = 1; i < x.length; i++) if ((x[i - 1] as number) < 0 !== (x[i] as number) < 0) crossings++;
  return crossings / 2 / (x.length / RATE);
};

beforeAll(async () => {
  stack = await createAudioStack();
  const speech = await synthesizeWav('Open the door and turn on the light.', 'flite:rms');
  toneAndSpeech = await ffmpeg(
    [
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*440*t):c=stereo:s=44100:d=1',
      '-i',
      'pipe:0',
      '-filter_complex',
      '[1:a]aresample=44100,aformat=channel_layouts=stereo[s];[0:a][s]concat=n=2:v=0:a=1',
      '-c:a',
      'pcm_s16le',
    ],
    'wav',
    speech,
  );
  toneAndSpeechSeconds = (await stack.decoder.decode(toneAndSpeech)).samples.length / RATE;
}, 30_000);

afterAll(async () => {
  await stack.close();
});

describe('availability', () => {
  it('has ffmpeg, silero_vad and pocketsphinx available (a missing tool fails here, loudly)', () => {
    expect(stack.analyzers.status()).toEqual({
      signal: { available: true },
      vad: { available: true },
      transcript: { available: true },
      // This stack configures no command recogniser (soundswallower has its own tests:
      // src/adapters/asr-soundswallower, test/e2e/analyze-hf-commands.test.ts).
      commands: { available: false, reason: 'no command recogniser configured' },
    });
    const methods = Object.fromEntries(stack.analyzers.infos().map((i) => [i.name, i.method]));
    expect(methods).toEqual({ signal: 'rules', vad: 'neural', transcript: 'trained' });
    expect(stack.decoder.version).toMatch(/\d/);
  });

  it('reports a missing ffmpeg or pocketsphinx as unavailable with the reason', async () => {
    const noFfmpeg = createAudioAnalyzers({
      decoder: new FfmpegDecoder({ ffmpegPath: '/nonexistent/ffmpeg' }),
    });
    const s1 = await noFfmpeg.init();
    expect(s1.signal.available).toBe(false);
    expect(s1.signal.reason).toMatch(/ffmpeg.*not found/);
    expect((await failure(noFfmpeg.analyze(toneAndSpeech))).error.code).toBe('ERR_UNAVAILABLE');

    const noAsr = createAudioAnalyzers({
      decoder: new FfmpegDecoder(),
      recognizer: new PocketsphinxRecognizer({ program: 'no-such-pocketsphinx' }),
    });
    const s2 = await noAsr.init();
    expect(s2.signal).toEqual({ available: true });
    expect(s2.vad).toEqual({ available: false, reason: 'no inference service configured for the VAD model' });
    expect(s2.transcript.available).toBe(false);
    expect(s2.transcript.reason).toMatch(/no-such-pocketsphinx was not found/);
    const r = await noAsr.analyze(toneAndSpeech, { tasks: ['signal', 'transcript'] });
    expect(Object.keys(r.results)).toEqual(['signal']);
    expect(Object.keys(r.skipped)).toEqual(['transcript']);
  });
});

describe('decoding', () => {
  it.each([
    ['wav', 'wav', ['-c:a', 'pcm_s16le']],
    ['mp3', 'mp3', ['-c:a', 'libmp3lame', '-b:a', '128k']],
    ['ogg', 'ogg', ['-c:a', 'libvorbis']],
    ['flac', 'flac', ['-c:a', 'flac']],
    ['opus', 'opus', ['-c:a', 'libopus']],
  ])('decodes %s to 16 kHz mono with the tone and the speech intact', async (_name, ext, args) => {
    const encoded = await ffmpeg(['-i', 'pipe:0', ...args], ext, toneAndSpeech);
    const { samples, sampleRate, probe } = await stack.decoder.decode(encoded);
    expect(sampleRate).toBe(RATE);
    expect(probe.channels).toBe(2);
    expect(Math.abs(samples.length / RATE - toneAndSpeechSeconds)).toBeLessThan(0.08);
    // The middle of the first second is the 440 Hz tone at half scale (−6 dBFS).
    const tone = samples.subarray(Math.round(0.2 * RATE), Math.round(0.8 * RATE));
    expect(toneFrequency(tone)).toBeGreaterThan(435);
    expect(toneFrequency(tone)).toBeLessThan(445);
    const peak = tone.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(peak).toBeGreaterThan(0.45);
    expect(peak).toBeLessThan(0.55);
    // And speech energy after it.
    const rest = samples.subarray(Math.round(1.2 * RATE));
    expect(Math.sqrt(rest.reduce((s, x) => s + x * x, 0) / rest.length)).toBeGreaterThan(0.01);
  });

  it('decodes an M4A whose index (moov) comes after 0.5 MB of media data, from a pipe', async () => {
    // ffmpeg writes moov last unless told otherwise (to a seekable file).
    const moovLast = await ffmpeg(
      ['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=44100:duration=40', '-c:a', 'aac', '-b:a', '96k'],
      'm4a',
    );
    expect(moovLast.length).toBeGreaterThan(400_000);
    const decoded = await stack.decoder.decode(moovLast);
    expect(decoded.samples.length / RATE).toBeCloseTo(40, 1);
    const f = toneFrequency(decoded.samples.subarray(RATE, 2 * RATE));
    expect(Math.abs(f - 300)).toBeLessThan(3);
  });
});

describe('bad input', () => {
  const cut = (b: Uint8Array, fraction: number): Uint8Array => b.subarray(0, Math.floor(b.length * fraction));

  it('gives each bad input its error code, fast', async () => {
    const encode = (ext: string, codec: string): Promise<Uint8Array> =>
      ffmpeg(['-i', 'pipe:0', '-c:a', codec], ext, toneAndSpeech);
    const mp3 = await encode('mp3', 'libmp3lame');
    const flac = await encode('flac', 'flac');
    const ogg = await encode('ogg', 'libvorbis');
    const videoOnly = await ffmpeg(
      ['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5:duration=1', '-c:v', 'mpeg4'],
      'mkv',
    );
    const junk = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    const cases: [string, Uint8Array, string][] = [
      ['zero-length', new Uint8Array(0), 'ERR_VALIDATION'],
      ['random bytes', junk, 'ERR_UNSUPPORTED_MEDIA_TYPE'],
      [
        'a text file',
        new TextEncoder().encode('this is not audio\n'.repeat(50)),
        'ERR_UNSUPPORTED_MEDIA_TYPE',
      ],
      ['video without audio', videoOnly, 'ERR_UNSUPPORTED_MEDIA_TYPE'],
      ['truncated WAV', cut(toneAndSpeech, 0.5), 'ERR_MEDIA_CORRUPT'],
      ['truncated MP3', cut(mp3, 0.5), 'ERR_MEDIA_CORRUPT'],
      ['truncated FLAC', cut(flac, 0.5), 'ERR_MEDIA_CORRUPT'],
      ['truncated Ogg', cut(ogg, 0.6), 'ERR_MEDIA_CORRUPT'],
      // A header that declares 1 s of audio, and no data after it.
      ['a WAV header only', wav(new Float32Array(RATE)).subarray(0, 44), 'ERR_MEDIA_CORRUPT'],
      [
        'six hours of audio',
        new Uint8Array(readFileSync(join(FIXTURES, 'six-hours-silence.flac'))),
        'ERR_MEDIA_TOO_LONG',
      ],
    ];
    for (const [name, bytes, code] of cases) {
      const { error, ms } = await failure(stack.analyzers.analyze(bytes)).catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
      expect({ name, code: error.code }).toEqual({ name, code });
      expect(ms, name).toBeLessThan(5_000);
    }
  }, 60_000);

  it('caps the decoded duration even when the container declares none, and the input size', async () => {
    const opus = await ffmpeg(['-i', 'pipe:0', '-c:a', 'libopus'], 'opus', toneAndSpeech);
    const short = new FfmpegDecoder({ maxDurationSeconds: 1.5 });
    await short.init();
    const tooLong = await failure(short.decode(opus));
    expect(tooLong.error.code).toBe('ERR_MEDIA_TOO_LONG');
    expect(tooLong.error.details).toMatchObject({ maxDurationSeconds: 1.5 });
    const small = new FfmpegDecoder({ maxInputBytes: 1000 });
    await small.init();
    expect((await failure(small.decode(opus))).error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect((await failure(stack.analyzers.analyze(opus, { signal: { aborted: true } }))).error.code).toBe(
      'ERR_CANCELLED',
    );
  });
});

describe('voice activity', () => {
  it('finds the one speech segment of a sentence padded with 1 s of silence (±150 ms)', async () => {
    const speech = trimSilence(
      (await synthesize('The birch canoe slid on the smooth planks.', 'flite:slt')).samples,
    );
    const padded = new Float32Array(speech.length + 2 * RATE);
    padded.set(speech, RATE);
    const r = await stack.analyzers.analyze(wav(padded), { tasks: ['vad'] });
    const segments = r.results.vad?.segments ?? [];
    expect(segments).toHaveLength(1);
    expect(Math.abs((segments[0]?.start ?? 0) - 1)).toBeLessThanOrEqual(0.15);
    expect(Math.abs((segments[0]?.end ?? 0) - (1 + speech.length / RATE))).toBeLessThanOrEqual(0.15);
    expect(r.results.vad?.speechRatio).toBeGreaterThan(0.4);
    expect(r.results.vad?.model).toBe('silero_vad');
  });

  it('reaches ≥ 97% frame accuracy on the committed speech/noise stream', async () => {
    const labels = JSON.parse(readFileSync(join(FIXTURES, 'vad-stream.json'), 'utf8')) as {
      durationSeconds: number;
      speech: TimeRange[];
    };
    const r = await stack.analyzers.analyze(new Uint8Array(readFileSync(join(FIXTURES, 'vad-stream.flac'))), {
      tasks: ['vad', 'signal'],
    });
    const score = frameAccuracy(r.results.vad?.segments ?? [], labels.speech, labels.durationSeconds);
    expect(score.frames).toBeGreaterThan(900);
    expect(score.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(r.results.vad?.segments.length).toBe(labels.speech.length);
  });

  it('finds the same segments whether ffmpeg or the in-process WAV path decodes (16, 44.1, 48 kHz)', async () => {
    const viaFfmpeg = createAudioAnalyzers({
      decoder: new FfmpegDecoder({ fastPaths: false }),
      inference: stack.inference,
    });
    await viaFfmpeg.init();
    try {
      const flac = new Uint8Array(readFileSync(join(FIXTURES, 'vad-stream.flac')));
      for (const args of [
        ['-c:a', 'pcm_s16le'],
        ['-ar', '44100', '-ac', '2', '-c:a', 'pcm_s16le'],
        ['-ar', '48000', '-c:a', 'pcm_f32le'],
      ]) {
        const bytes = await ffmpeg(['-i', 'pipe:0', ...args], 'wav', flac);
        const fast = await stack.analyzers.analyze(bytes, { tasks: ['vad'] });
        const slow = await viaFfmpeg.analyze(bytes, { tasks: ['vad'] });
        expect(fast.results.vad?.segments.length, args.join(' ')).toBeGreaterThanOrEqual(5);
        expect(fast.results.vad?.segments, args.join(' ')).toEqual(slow.results.vad?.segments);
        expect(fast.results.vad?.frames).toBe(slow.results.vad?.frames);
      }
    } finally {
      await viaFfmpeg.close();
    }
  }, 60_000);
});

describe('speech to text', () => {
  it('transcribes a clear sentence with ordered word times inside the audio', async () => {
    const r = await stack.analyzers.analyze(toneAndSpeech, { tasks: ['vad', 'transcript'] });
    const t = r.results.transcript;
    expect(t?.speechOnly).toBe(true);
    for (const w of ['open', 'door', 'turn', 'light']) expect(t?.text.split(' ')).toContain(w);
    const words = t?.words ?? [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      expect(w?.start).toBeGreaterThanOrEqual(1); // after the 1 s tone
      expect(w?.end).toBeLessThanOrEqual(toneAndSpeechSeconds + 0.01);
      expect(w?.end ?? 0).toBeGreaterThan(w?.start ?? 0);
      if (i > 0) expect(w?.start).toBeGreaterThanOrEqual(words[i - 1]?.start ?? 0);
      expect(w?.confidence).toBeGreaterThanOrEqual(0);
    }
    expect(t?.language).toBe('en-US');
  }, 30_000);
});

describe('signal metrics', () => {
  it('matches ffmpeg’s EBU R128 meter on the same 16 kHz mono audio, and reports level and format', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'vad-stream.flac')));
    const r = await stack.analyzers.analyze(bytes, { tasks: ['signal'] });
    const s = r.results.signal;
    const meter = await runProcess({
      command: 'ffmpeg',
      args: ['-nostdin', '-hide_banner', '-i', 'pipe:0', '-af', 'ebur128', '-f', 'null', '-'],
      stdin: bytes,
      timeoutMs: 30_000,
      maxStdoutBytes: 1 << 20,
      maxStderrBytes: 1 << 22,
      keepStderr: 'tail',
    });
    // The summary at the end of the log: "Integrated loudness: I: -19.2 LUFS".
    const summary = meter.stderr.slice(meter.stderr.lastIndexOf('Integrated loudness'));
    const integrated = Number(/I:\s+(-?\d+(?:\.\d+)?) LUFS/.exec(summary)?.[1]);
    expect(Number.isFinite(integrated)).toBe(true);
    expect(Math.abs((s?.integratedLufs ?? 0) - integrated)).toBeLessThanOrEqual(0.3);
    expect(s).toMatchObject({
      codec: 'flac',
      container: 'flac',
      sampleRate: RATE,
      channels: 1,
      clippedSamples: 0,
    });
    expect(s?.peakDbfs).toBeLessThan(0);
    expect(s?.rmsDbfs).toBeLessThan(s?.peakDbfs ?? 0);
  });
});
