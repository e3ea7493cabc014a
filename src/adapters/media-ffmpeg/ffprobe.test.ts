import { describe, expect, it } from 'vitest';
import { checkPositiveOptions, ffmpegVersion, ffprobeBeside } from './ffprobe.js';

describe('shared ffmpeg checks', () => {
  it('finds ffprobe beside a configured ffmpeg, else on PATH', () => {
    expect(ffprobeBeside('ffmpeg')).toBe('ffprobe');
    expect(ffprobeBeside('/opt/ff/bin/ffmpeg')).toBe('/opt/ff/bin/ffprobe');
    expect(ffprobeBeside('/opt/ff/bin/ffmpeg-6')).toBe('/opt/ff/bin/ffprobe-6');
  });

  it('refuses limits that are not positive numbers, naming the field', () => {
    expect(() => checkPositiveOptions('audio', [['timeoutMs', 1]])).not.toThrow();
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkPositiveOptions('video', [['maxInputBytes', bad]])).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_CONFIG', details: { field: 'maxInputBytes', value: bad } }),
      );
    }
  });

  it("answers the installed ffmpeg's version, and a missing program with an install hint", async () => {
    expect(await ffmpegVersion('ffmpeg', 'ffprobe')).toMatch(/^\d|^n\d|\w/);
    await expect(ffmpegVersion('/nonexistent/ffmpeg', 'ffprobe')).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
      message: expect.stringContaining('install ffmpeg') as string,
    });
  });
});
