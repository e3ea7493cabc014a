import { describe, expect, it } from 'vitest';
import { runProcess } from './child-process.js';
import { encodeRgbPng } from './png.js';

describe('encodeRgbPng', () => {
  it('writes a PNG that an independent decoder (ffmpeg) reads back pixel for pixel', async () => {
    const width = 7; // odd sizes: no row padding may creep in
    const height = 5;
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37 + 11) % 256;
    const png = encodeRgbPng(rgb, width, height);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const r = await runProcess({
      command: 'ffmpeg',
      args: [
        '-v',
        'error',
        '-f',
        'png_pipe',
        '-i',
        'pipe:0',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ],
      stdin: png,
      timeoutMs: 10_000,
      maxStdoutBytes: 1 << 20,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(new Uint8Array(Buffer.concat(r.stdout))).toEqual(rgb);
  });

  it('refuses a buffer that does not match the size', () => {
    expect(() => encodeRgbPng(new Uint8Array(10), 2, 2)).toThrow(/needs 12 bytes/);
    expect(() => encodeRgbPng(new Uint8Array(0), 0, 2)).toThrow(/positive integers/);
  });
});
