/**
 * A minimal PNG encoder for 8-bit RGB frames (colour type 2), so a sampled video frame can go
 * through the image analyzers, which take encoded bytes (OCR decodes its own copy from them).
 * Lossless on purpose: a JPEG round trip would blur exactly the small print OCR needs.
 *
 * Rows use filter type 0 (none) and deflate level 1: frames are encoded once and decoded once
 * a few milliseconds later, so speed matters more than size.
 */
import { crc32, deflateSync } from 'node:zlib';
import { KaleidoError } from '../../core/errors.js';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  // The CRC covers the chunk type and data, not the length.
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes `rgb` (row-major, 3 bytes a pixel, no padding) as a PNG. */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new KaleidoError('ERR_VALIDATION', 'PNG width and height must be positive integers', {
      details: { field: 'size', width, height },
    });
  }
  const stride = width * 3;
  if (rgb.length !== stride * height) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `an RGB frame of ${width}×${height} needs ${stride * height} bytes`,
      {
        details: { field: 'rgb', bytes: rgb.length, expected: stride * height },
      },
    );
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  // compression 0 (deflate), filter method 0, interlace 0: the remaining bytes stay zero.
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const idat = deflateSync(raw, { level: 1 });
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
