/**
 * face-api in its worker thread answers as the in-thread engine does, keeps the caller's raster,
 * and refuses work once closed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/helpers/kaleido-server.js';
import { KaleidoError } from '../../core/errors.js';
import type { Raster } from '../../core/ports/image.js';
import { SharpImageDecoder } from '../media-sharp/index.js';
import { FaceApiFaces } from './face-api-faces.js';
import { WorkerFaceApiFaces } from './face-worker.js';

const decoder = new SharpImageDecoder();
const inThread = new FaceApiFaces();
const worker = new WorkerFaceApiFaces();
let photo: Raster;

beforeAll(async () => {
  await decoder.init();
  const bytes = readFileSync(
    join(REPO_ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo', 'sample1.jpg'),
  );
  photo = await decoder.decode(new Uint8Array(bytes), { channels: 3, maxSide: 1024 });
  await Promise.all([inThread.init(), worker.init()]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([inThread.close(), worker.close(), decoder.close()]);
});

describe('WorkerFaceApiFaces', () => {
  it('has the identity of the in-thread engine and is available after init', () => {
    expect([worker.name, worker.version, worker.model]).toEqual([
      inThread.name,
      inThread.version,
      inThread.model,
    ]);
    expect(worker.status()).toEqual({ available: true });
  });

  it('finds the same three faces as the in-thread engine, and leaves the raster intact', async () => {
    const before = photo.data.length;
    const [a, b] = [await inThread.detect(photo), await worker.detect(photo)];
    expect(b).toHaveLength(3);
    expect(b).toEqual(a);
    expect(photo.data.length).toBe(before);
  }, 60_000);

  it('refuses to detect once closed', async () => {
    const w = new WorkerFaceApiFaces({ detector: 'tiny' });
    await w.init();
    await w.close();
    expect(w.status()).toEqual({ available: false, reason: 'closed' });
    await expect(w.detect(photo)).rejects.toBeInstanceOf(KaleidoError);
  }, 60_000);
});
