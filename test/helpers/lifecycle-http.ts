/**
 * What the lifecycle e2e tests share: a JSON (or raw-body) caller for one server, and the client
 * side of media featurisation — the same MediaFeatures the server trains with, in the test process,
 * so a test can featurise new files exactly as training did and ask a champion over OIP.
 */
import { join } from 'node:path';
import { FfmpegDecoder } from '../../src/adapters/media-ffmpeg/index.js';
import { FfmpegVideoSampler } from '../../src/adapters/media-ffmpeg/ffmpeg-video.js';
import { SharpImageDecoder } from '../../src/adapters/media-sharp/index.js';
import { createFsArtifactStore } from '../../src/adapters/artifacts-fs/index.js';
import { MobileNetV2Embedder } from '../../src/adapters/image-tfjs/embedder.js';
import { ArtifactDatasetStore } from '../../src/lifecycle/datasets/index.js';
import { MediaFeatures } from '../../src/lifecycle/datasets/media-features.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep reads of wire JSON in assertions
export type Json = Record<string, any>;

export type JsonCall = (
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
) => Promise<{ status: number; json: Json }>;

/** Calls `baseUrl()` (read at each call: a restarted server has a new port); JSON or raw bodies. */
export const jsonCaller =
  (baseUrl: () => string): JsonCall =>
  async (method, path, body, contentType = 'application/json') => {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            headers: { 'content-type': contentType },
            body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
          }),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };

/** Image, audio and video featurisers with their caches under `scratch`. */
export const clientMediaFeatures = (scratch: string): MediaFeatures =>
  new MediaFeatures({
    artifacts: createFsArtifactStore({ root: join(scratch, 'artifacts') }),
    datasets: new ArtifactDatasetStore({ artifacts: createFsArtifactStore({ root: join(scratch, 'ds') }) }),
    image: {
      decoder: new SharpImageDecoder(),
      embedder: new MobileNetV2Embedder({ cacheDir: join(scratch, 'cache') }),
    },
    audio: { decoder: new FfmpegDecoder() },
    video: { sampler: new FfmpegVideoSampler(), decoder: new FfmpegDecoder() },
  });
