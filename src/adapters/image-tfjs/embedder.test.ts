import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Raster } from '../../core/ports/image.js';
import { MOBILENET_EMBEDDING_DIM, MobileNetV2Embedder, WorkerImageEmbedder } from './embedder.js';
import { SharpImageDecoder } from '../media-sharp/index.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'kaleido-embedder-'));
const inProcess = new MobileNetV2Embedder({ cacheDir });
const worker = new WorkerImageEmbedder({ cacheDir });
const decoder = new SharpImageDecoder();
let dog: Raster;

const solid = (w: number, h: number, rgb: [number, number, number]): Raster => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { data, width: w, height: h, channels: 3 };
};
const mirrored = (r: Raster): Raster => {
  const data = new Uint8Array(r.data.length);
  for (let y = 0; y < r.height; y++)
    for (let x = 0; x < r.width; x++)
      data.set(
        r.data.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3),
        (y * r.width + (r.width - 1 - x)) * 3,
      );
  return { ...r, data };
};
const row = (m: Float32Array, i: number): Float32Array =>
  m.subarray(i * MOBILENET_EMBEDDING_DIM, (i + 1) * MOBILENET_EMBEDDING_DIM);
const cosine = (a: Float32Array, b: Float32Array): number => {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return d / Math.sqrt(na * nb);
};

beforeAll(async () => {
  await decoder.init();
  dog = await decoder.decode(new Uint8Array(readFileSync('test/fixtures/images/dog.jpg')), {
    channels: 3,
    maxSide: 448,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([inProcess.close(), worker.close(), decoder.close()]);
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('MobileNetV2 image embedder (frozen, GAP 1280-d)', () => {
  it('embeds a batch into rows of 1280 non-negative values, deterministically', async () => {
    const images = [dog, solid(64, 48, [200, 30, 30]), mirrored(dog)];
    const a = await inProcess.embed(images);
    expect(a).toHaveLength(3 * MOBILENET_EMBEDDING_DIM);
    // Global average pooling of ReLU6 activations: every value in [0, 6].
    expect(a.every((v) => v >= 0 && v <= 6)).toBe(true);
    const b = await inProcess.embed(images);
    expect(Array.from(b)).toEqual(Array.from(a));
    // One image alone gives the same row as inside a batch.
    expect(Array.from(await inProcess.embed([dog]))).toEqual(Array.from(row(a, 0)));
    // A photo and its mirror image are near neighbours; a flat red card is far from both.
    expect(cosine(row(a, 0), row(a, 2))).toBeGreaterThan(0.6);
    expect(cosine(row(a, 0), row(a, 1))).toBeLessThan(cosine(row(a, 0), row(a, 2)) - 0.3);
  }, 120_000);

  it('gives the same vectors in a worker thread as in the calling thread', async () => {
    const images = [dog, solid(32, 32, [10, 200, 90])];
    const here = await inProcess.embed(images);
    const there = await worker.embed(images);
    expect(Array.from(there)).toEqual(Array.from(here));
  }, 120_000);

  it('refuses a raster that is not RGB', async () => {
    const grey: Raster = { data: new Uint8Array(16), width: 4, height: 4, channels: 1 };
    await expect(inProcess.embed([grey])).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(worker.embed([grey])).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
  });
});
