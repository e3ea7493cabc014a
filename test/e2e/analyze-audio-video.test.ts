/**
 * POST /v1/analyze with audio and video, end to end through the real server (startKaleido, the
 * production composition root): ffmpeg decoding, silero_vad served from models/bundled,
 * pocketsphinx, the image analyzers on video frames, and the default moderation policy.
 *
 * The media are generated here with flite and ffmpeg (deterministic for a given installation),
 * so the expectations are known answers by construction: what was said, where the cut is.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/adapters/media-ffmpeg/child-process.js';
import {
  BUNDLED_REPOSITORY,
  FIXTURE_REPOSITORY,
  startTestServer,
  type TestServer,
} from '../helpers/kaleido-server.js';

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field.
  readonly body: any;
}

async function post(base: string, body: Uint8Array, contentType?: string, query = ''): Promise<Answer> {
  const res = await fetch(`${base}/v1/analyze${query}`, {
    method: 'POST',
    body,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  });
  return { status: res.status, body: await res.json() };
}

async function run(command: string, args: readonly string[]): Promise<void> {
  const r = await runProcess({ command, args, timeoutMs: 30_000, maxStdoutBytes: 1 << 20 });
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
// The rms voice; pocketsphinx hears this one as "... john at example dot com today".
const EMAIL_SENTENCE = 'You can email john at example dot com today.';
const VIDEO_SENTENCE = 'The birch canoe slid on the smooth planks.';

let dir: string;
let server: TestServer;
const media: Record<string, Uint8Array> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-av-'));
  const f = (name: string): string => join(dir, name);
  await run('flite', ['-voice', 'rms', '-t', EMAIL_SENTENCE, '-o', f('email.wav')]);
  await run('flite', ['-voice', 'rms', '-t', VIDEO_SENTENCE, '-o', f('video-speech.wav')]);
  // Half a second of silence either side, so the VAD has speech boundaries to find.
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-i', f('email.wav')],
    ...['-af', 'adelay=500:all=1,apad=pad_dur=0.5', '-ar', '16000', '-ac', '1', f('email-padded.wav')],
  ]);
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    f('email-padded.wav'),
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    f('email.mp3'),
  ]);
  // 4 s, two scenes (red "HELLO KALEIDO" then blue "SECOND SCENE", the cut at 2.0 s), speech from 0.3 s.
  const scene = (colour: string, text: string): string =>
    `color=c=${colour}:s=640x360:r=25:d=2,drawtext=fontfile=${FONT}:text='${text}':fontsize=56:fontcolor=white:x=(w-tw)/2:y=(h-th)/2`;
  await run('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', scene('red', 'HELLO KALEIDO')],
    ...['-f', 'lavfi', '-i', scene('blue', 'SECOND SCENE')],
    ...['-i', f('video-speech.wav')],
    '-filter_complex',
    '[0:v][1:v]concat=n=2:v=1:a=0[v];[2:a]adelay=300:all=1,apad=whole_dur=4[a]',
    ...['-map', '[v]', '-map', '[a]', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-t', '4', '-movflags', '+faststart', f('clip.mp4')],
  ]);
  // An MP4 with an audio stream only: its bytes say video/mp4 (brand isom), it holds no video.
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    f('email.wav'),
    '-c:a',
    'aac',
    '-f',
    'mp4',
    f('audio-only.mp4'),
  ]);
  for (const name of ['email-padded.wav', 'email.mp3', 'clip.mp4', 'audio-only.mp4'])
    media[name] = readFileSync(f(name));

  server = await startTestServer({
    repositories: [FIXTURE_REPOSITORY, BUNDLED_REPOSITORY],
    startupModels: ['silero_vad', 'spam_classifier'],
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/analyze: audio', () => {
  it('a WAV: VAD segments, a transcript with word times, and spoken PII redacted by the policy', async () => {
    const r = await post(server.httpUrl, media['email-padded.wav'] as Uint8Array, 'audio/wav');
    expect(r.status).toBe(200);
    const b = r.body;
    expect(b).toMatchObject({ modality: 'audio', mime: 'audio/wav', pipeline: 'audio-default' });
    expect(b.stages.filter((s: { status: string }) => s.status !== 'ok')).toEqual([]);
    expect(b.results.signal.durationSeconds).toBeGreaterThan(3);
    const segs = b.results.vad.segments as { start: number; end: number }[];
    expect(segs.length).toBeGreaterThanOrEqual(1);
    // Speech starts after the 0.5 s of padding and ends before the trailing 0.5 s.
    expect(segs[0]?.start).toBeGreaterThan(0.3);
    expect(b.results.vad.speechRatio).toBeGreaterThan(0.5);
    expect(b.results.vad.speechRatio).toBeLessThan(1);
    const t = b.results.transcript;
    expect(t.words.length).toBeGreaterThan(4);
    for (const w of t.words) expect(w.end).toBeGreaterThanOrEqual(w.start);
    // The spoken address became written form, was found, and the policy redacted it on the way out.
    expect(b.results.pii).toEqual([expect.objectContaining({ entity: 'EMAIL_ADDRESS', redacted: true })]);
    expect(b.safety.redacted).toBe(true);
    expect(b.safety.reasons.map((x: { ruleId?: string }) => x.ruleId)).toContain('pii-redact-output');
    expect(t.text).toContain('<EMAIL_ADDRESS>');
    expect(t.text).not.toContain('example');
    expect(JSON.stringify(t.words)).not.toContain('example');
    expect(t.words.filter((w: { redacted?: boolean }) => w.redacted === true).length).toBeGreaterThanOrEqual(
      4,
    );
    expect(b.text).not.toContain('john@example.com');
    expect(b.text).toMatch(/today/);
  }, 30_000);

  it('an MP3 decodes to the same speech', async () => {
    const r = await post(
      server.httpUrl,
      media['email.mp3'] as Uint8Array,
      'audio/mpeg',
      '?pipeline=audio-transcribe',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ modality: 'audio', mime: 'audio/mpeg', pipeline: 'audio-transcribe' });
    expect(r.body.results.vad.segments.length).toBeGreaterThanOrEqual(1);
    expect(r.body.results.transcript.words.length).toBeGreaterThan(4);
    expect(r.body.results.signal).toBeUndefined();
  }, 30_000);

  it('audio sent as text/plain is refused with 415 naming what the bytes are', async () => {
    const r = await post(server.httpUrl, media['email-padded.wav'] as Uint8Array, 'text/plain');
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { declared: 'text/plain', detected: 'audio/wav' },
    });
  });

  it('an empty body is 400', async () => {
    const r = await post(server.httpUrl, new Uint8Array(0), 'audio/wav');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'ERR_VALIDATION' });
  });
});

describe('POST /v1/analyze: video', () => {
  it('a two-scene clip with speech: the cut, time segments, on-screen text and transcript words', async () => {
    const r = await post(server.httpUrl, media['clip.mp4'] as Uint8Array, 'video/mp4');
    expect(r.status).toBe(200);
    const b = r.body;
    expect(b).toMatchObject({ modality: 'video', mime: 'video/mp4', pipeline: 'video-default' });
    const notOk = b.stages
      .filter((s: { status: string }) => s.status !== 'ok')
      .map((s: { name: string }) => s.name);
    expect(notOk).toEqual([]);
    // Exactly one cut, at the 2.0 s boundary (to one frame at 25 fps).
    expect(b.results.scenes.cuts).toHaveLength(1);
    expect(Math.abs(b.results.scenes.cuts[0].time - 2)).toBeLessThanOrEqual(0.04);
    // 1 fps over 4 s: 4 frames, two per scene; the second of each scene looks the same and is reused.
    expect(b.results.frames.frames.map((f: { time: number }) => f.time)).toEqual([0.52, 1.52, 2.52, 3.52]);
    expect(b.results.frames.analysed).toBe(2);
    // Every sampled frame was classified for the safety verdict (a reused frame shares its score).
    expect(b.results.nsfw.frames).toHaveLength(4);
    expect(b.results.nsfw.maxSexual).toBeLessThan(0.5);
    expect(b.safety.scores.map((x: { category: string }) => x.category)).toContain('sexual');
    const segs = b.results.segments.segments;
    expect(segs.map((s: { label: string }) => s.label)).toEqual(['0:00–0:02', '0:02–0:04']);
    expect(segs[0].text.join(' ')).toContain('HELLO');
    expect(segs[1].text.join(' ')).toContain('SECOND');
    expect(segs[0].summary).toMatch(/^0:00–0:02: .*text: "HELLO KALEIDO"/);
    // Speech: words with times on the video's timeline, spread over both segments.
    const words = b.results.speech.transcript.words as { word: string; start: number }[];
    expect(words.length).toBeGreaterThan(3);
    expect(words[0]?.start).toBeGreaterThanOrEqual(0.2);
    expect(segs.some((s: { speech?: string }) => (s.speech ?? '').length > 0)).toBe(true);
    expect(b.results.speech.vad.segments.length).toBeGreaterThanOrEqual(1);
    expect(b.safety.action).not.toBe('block');
  }, 60_000);

  it('a file with no video stream is refused with 415 and says what it holds', async () => {
    const r = await post(server.httpUrl, media['audio-only.mp4'] as Uint8Array);
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { reason: 'no-video-stream', streams: ['audio'] },
    });
    expect(r.body.error.message).toMatch(/no video stream/);
  });

  it('the same file declared as audio/mp4 is analysed as audio', async () => {
    const r = await post(
      server.httpUrl,
      media['audio-only.mp4'] as Uint8Array,
      'audio/mp4',
      '?pipeline=audio-transcribe',
    );
    expect(r.status).toBe(200);
    expect(r.body.modality).toBe('audio');
  }, 30_000);

  it('a zero-length video body is 400', async () => {
    const r = await post(server.httpUrl, new Uint8Array(0), 'video/mp4');
    expect(r.status).toBe(400);
  });
});
