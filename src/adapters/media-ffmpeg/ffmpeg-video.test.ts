import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKaleidoError } from '../../core/errors.js';
import { runProcess } from './child-process.js';
import {
  FfmpegVideoSampler,
  frameSize,
  parseRational,
  parseSampleLog,
  samplingPlan,
} from './ffmpeg-video.js';

async function make(args: readonly string[]): Promise<Uint8Array> {
  const r = await runProcess({
    command: 'ffmpeg',
    args: ['-v', 'error', ...args],
    timeoutMs: 30_000,
    maxStdoutBytes: 16 << 20,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return new Uint8Array(Buffer.concat(r.stdout));
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isKaleidoError(e) ? e.code : String(e);
  }
}

describe('pure helpers', () => {
  it('parses rationals', () => {
    expect(parseRational('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRational('25/1')).toBe(25);
    expect(parseRational('0/0')).toBeUndefined();
    expect(parseRational(undefined)).toBeUndefined();
  });

  it('scales frames so the longest side fits', () => {
    expect(frameSize(1920, 1080, 640)).toEqual({ width: 640, height: 360 });
    expect(frameSize(1080, 1920, 640)).toEqual({ width: 360, height: 640 });
    expect(frameSize(320, 240, 640)).toEqual({ width: 320, height: 240 });
  });

  it('samples mid-interval and widens the interval so maxFrames cover the whole video', () => {
    expect(samplingPlan(10, 1, 60)).toEqual({ intervalSeconds: 1, firstSeconds: 0.5 });
    expect(samplingPlan(600, 1, 60)).toEqual({ intervalSeconds: 10, firstSeconds: 5 });
    expect(samplingPlan(0.4, 1, 60)).toEqual({ intervalSeconds: 1, firstSeconds: 0.2 });
    expect(samplingPlan(undefined, 2, 60)).toEqual({ intervalSeconds: 0.5, firstSeconds: 0.25 });
  });

  it('reads frame times and cuts from the filter log', () => {
    const log = [
      '[Parsed_showinfo_3 @ 0x1] config in time_base: 1/12800, frame_rate: 25/1',
      '[Parsed_showinfo_3 @ 0x1] n:   0 pts:   6656 pts_time:0.52    pos: 1 fmt:rgb24',
      '[Parsed_metadata_6 @ 0x2] frame:0    pts:25600   pts_time:2',
      '[Parsed_metadata_6 @ 0x2] lavfi.scene_score=0.423771',
      'frame=2 fps=0.0 [Parsed_showinfo_3 @ 0x1] n:   1 pts:  19456 pts_time:1.52    pos: 2',
    ].join('\n');
    expect(parseSampleLog(log, 'Parsed_showinfo_3', 'Parsed_metadata_6')).toEqual({
      frameTimes: [0.52, 1.52],
      scenes: [{ time: 2, score: 0.423771 }],
    });
  });
});

describe('FfmpegVideoSampler (real ffmpeg)', () => {
  const sampler = new FfmpegVideoSampler();
  let clip: Uint8Array;
  let audioOnly: Uint8Array;

  beforeAll(async () => {
    await sampler.init();
    // 3 s: 1.5 s red then 1.5 s blue, 25 fps, as fragmented MP4 on a pipe.
    clip = await make([
      ...['-f', 'lavfi', '-i', 'color=c=red:s=320x240:r=25:d=1.5'],
      ...['-f', 'lavfi', '-i', 'color=c=blue:s=320x240:r=25:d=1.5'],
      ...['-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]', '-map', '[v]'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...['-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4', 'pipe:1'],
    ]);
    audioOnly = await make([
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac'],
      ...['-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4', 'pipe:1'],
    ]);
  }, 30_000);

  afterAll(() => sampler.close());

  it('probes, samples frames mid-interval, and finds the cut at the frame it happens', async () => {
    const s = await sampler.sample(clip, { fps: 2, maxSide: 160 });
    expect(s.probe.video).toMatchObject({
      codec: 'h264',
      width: 320,
      height: 240,
      rotation: 0,
      frameRate: 25,
    });
    expect(s.probe.audio).toBeUndefined();
    expect(s.frames.map((f) => f.time)).toEqual([0.28, 0.76, 1.28, 1.76, 2.28, 2.76]);
    const first = s.frames[0];
    expect(first).toMatchObject({ width: 160, height: 120 });
    expect(first?.rgb.length).toBe(160 * 120 * 3);
    // Red before the cut, blue after (limited-range YUV round trip: not exactly 255).
    expect(first?.rgb[0]).toBeGreaterThan(240);
    expect(s.frames[3]?.rgb[2]).toBeGreaterThan(240);
    expect(s.scenes).toHaveLength(1);
    // 1.5 s at 25 fps is 37.5 frames: the blue scene starts with frame 38, at 1.52 s.
    expect(s.scenes[0]?.time).toBe(1.52);
    expect(s.intervalSeconds).toBe(0.5);
    const png = sampler.encodeFrame(s.frames[0] as NonNullable<typeof first>);
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  });

  it('caps the frames: at most maxFrames, spread over the video', async () => {
    const s = await sampler.sample(clip, { fps: 10, maxFrames: 3, maxSide: 32 });
    expect(s.frames).toHaveLength(3);
    // The clip holds 76 frames (3.04 s): three samples, one every 3.04 / 3 s.
    expect(s.intervalSeconds).toBeCloseTo(1.013, 3);
    // Each sample is the first frame at or after its grid time (frames are 40 ms apart).
    s.frames.forEach((f, k) => {
      const grid = s.intervalSeconds / 2 + k * s.intervalSeconds;
      expect(f.time).toBeGreaterThanOrEqual(grid - 0.001);
      expect(f.time).toBeLessThanOrEqual(grid + 0.041);
    });
  });

  it('refuses a file without a video stream with 415 and the reason', async () => {
    await expect(sampler.sample(audioOnly)).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { reason: 'no-video-stream', streams: ['audio'] },
    });
  });

  it('enforces duration, size and option limits, and refuses junk', async () => {
    const short = new FfmpegVideoSampler({ maxDurationSeconds: 2 });
    await short.init();
    expect(await code(short.sample(clip))).toBe('ERR_MEDIA_TOO_LONG');
    const small = new FfmpegVideoSampler({ maxInputBytes: 100 });
    await small.init();
    expect(await code(small.sample(clip))).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect(await code(sampler.sample(new Uint8Array(0)))).toBe('ERR_VALIDATION');
    expect(await code(sampler.sample(clip, { fps: 0 }))).toBe('ERR_VALIDATION');
    expect(await code(sampler.sample(new TextEncoder().encode('not a video at all, just words')))).toBe(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    // A truncated MP4: the container is recognised, the data is not all there.
    expect(await code(sampler.sample(clip.subarray(0, 2000)))).toMatch(
      /ERR_MEDIA_CORRUPT|ERR_UNSUPPORTED_MEDIA_TYPE/,
    );
  });

  it('is unavailable with the reason when ffmpeg is missing', async () => {
    const missing = new FfmpegVideoSampler({ ffmpegPath: '/nonexistent/ffmpeg' });
    expect(await code(missing.init())).toBe('ERR_UNAVAILABLE');
    expect(missing.status()).toMatchObject({ available: false });
    expect(await code(missing.sample(clip))).toBe('ERR_UNAVAILABLE');
  });
});
