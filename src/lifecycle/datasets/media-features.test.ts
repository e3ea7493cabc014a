import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsArtifactStore } from '../../adapters/artifacts-fs/index.js';
import { FfmpegDecoder } from '../../adapters/media-ffmpeg/index.js';
import { FfmpegVideoSampler } from '../../adapters/media-ffmpeg/ffmpeg-video.js';
import { SharpImageDecoder } from '../../adapters/media-sharp/index.js';
import type { AudioDecoder } from '../../core/ports/audio.js';
import type { Raster } from '../../core/ports/image.js';
import type { ImageEmbedder } from '../../core/ports/media-features.js';
import { LOG_MEL_STATS_DIM, logMelStats } from '../../core/train/log-mel.js';
import type { VideoSampler } from '../../modalities/video/types.js';
import { audioDataset, renderVideo, wav } from '../../../scripts/media-datasets.js';
import { loadTrainingSet } from '../studies/training-set.js';
import { MediaFeatures, videoFeaturesDim } from './media-features.js';
import { ArtifactDatasetStore } from './store.js';

const root = mkdtempSync(join(tmpdir(), 'kaleido-media-features-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The real ffmpeg decoder, counting its calls. */
function countingDecoder(): { decoder: AudioDecoder; calls: () => number } {
  const real = new FfmpegDecoder();
  let n = 0;
  const decoder: AudioDecoder = {
    name: real.name,
    get version() {
      return real.version;
    },
    init: () => real.init(),
    status: () => real.status(),
    probe: (input, options) => real.probe(input, options),
    decode: (input, options) => {
      n++;
      return real.decode(input, options);
    },
    close: () => real.close(),
  };
  return { decoder, calls: () => n };
}

const AUDIO = { type: 'audio-features', method: 'log-mel-stats' } as const;

describe('MediaFeatures: per-version feature matrices, computed once and cached', () => {
  const artifacts = createFsArtifactStore({ root: join(root, 'artifacts') });
  const datasets = new ArtifactDatasetStore({ artifacts });

  it('computes log-mel-stats rows in data set order, caches them, and reads the cache after a restart', async () => {
    const files = audioDataset(4, 9);
    const version = await datasets.register({
      name: 'noise',
      source: { format: 'files', files: files.map(([path, data]) => ({ path, data })) },
    });
    const rows = await datasets.rows('noise', version.version);
    const { decoder, calls } = countingDecoder();
    const media = new MediaFeatures({ artifacts, datasets, audio: { decoder } });

    const [first, concurrent] = await Promise.all([
      media.forVersion(version, rows, AUDIO),
      media.forVersion(version, rows, AUDIO),
    ]);
    expect(first.cached).toBe(false);
    expect(concurrent).toBe(first); // one computation for both callers
    expect(calls()).toBe(12);
    expect(first.dim).toBe(LOG_MEL_STATS_DIM);
    expect(first.x).toHaveLength(12 * LOG_MEL_STATS_DIM);
    // Row i is the features of the file row i references (rows are sorted by path).
    const byPath = new Map(files);
    for (const i of [0, 5, 11]) {
      const bytes = byPath.get(rows[i]?.fields['path'] as string) as Uint8Array;
      const decoded = await decoder.decode(bytes, { sampleRate: 16000 });
      expect(Array.from(first.x.subarray(i * LOG_MEL_STATS_DIM, (i + 1) * LOG_MEL_STATS_DIM))).toEqual(
        Array.from(logMelStats(decoded.samples, decoded.sampleRate)),
      );
    }
    const before = calls();
    const again = await media.forVersion(version, rows, AUDIO);
    expect(again.cached).toBe(true);
    expect(Array.from(again.x)).toEqual(Array.from(first.x));
    expect(calls()).toBe(before);

    // A new process (new service, same artifact store) decodes nothing.
    const second = countingDecoder();
    const restarted = new MediaFeatures({ artifacts, datasets, audio: { decoder: second.decoder } });
    const fromCache = await restarted.forVersion(version, rows, AUDIO);
    expect(fromCache.cached).toBe(true);
    expect(fromCache.info.rows).toBe(12);
    expect(second.calls()).toBe(0);

    // And the study loader uses it: train + validation + test rows of 116 features.
    const set = await loadTrainingSet(datasets, { id: 'noise' }, AUDIO, restarted);
    expect(set.data.dim).toBe(LOG_MEL_STATS_DIM);
    expect(set.data.train.y.length + (set.data.validation?.y.length ?? 0) + set.test.y.length).toBe(12);
  }, 60_000);

  it('names the file that cannot be decoded', async () => {
    const version = await datasets.register({
      name: 'broken-noise',
      source: {
        format: 'files',
        files: [
          { path: 'a/ok.wav', data: wav(new Float32Array(1600).fill(0.1)) },
          { path: 'b/bad.wav', data: new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4, 87, 65, 86, 69]) },
        ],
      },
      split: { validationFraction: 0, testFraction: 0 },
    });
    const media = new MediaFeatures({ artifacts, datasets, audio: { decoder: new FfmpegDecoder() } });
    await expect(
      media.forVersion(version, await datasets.rows('broken-noise', 1), AUDIO),
    ).rejects.toMatchObject({
      message: expect.stringContaining('b/bad.wav'),
      details: expect.objectContaining({ path: 'b/bad.wav', line: 2 }),
    });
  }, 60_000);

  it('refuses media featurisers the server has no encoder for, and data sets without files', async () => {
    const media = new MediaFeatures({ artifacts, datasets });
    await expect(
      loadTrainingSet(datasets, { id: 'noise' }, { type: 'image-embedding', model: 'mobilenet_v2' }, media),
    ).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    await expect(loadTrainingSet(datasets, { id: 'noise' }, AUDIO)).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    await datasets.register({
      name: 'texts',
      source: {
        format: 'jsonl',
        content: new TextEncoder().encode(
          Array.from({ length: 10 }, (_, i) =>
            JSON.stringify({ text: `t${i}`, label: i % 2 ? 'a' : 'b' }),
          ).join('\n'),
        ),
      },
    });
    const withAudio = new MediaFeatures({ artifacts, datasets, audio: { decoder: new FfmpegDecoder() } });
    await expect(loadTrainingSet(datasets, { id: 'texts' }, AUDIO, withAudio)).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringContaining('needs a data set of files'),
    });
  });
});

/**
 * A tiny deterministic image encoder for the pooling arithmetic (3-d: mean R, G, B / 255); the
 * real MobileNetV2 runs in the video e2e (test/e2e/lifecycle-video.test.ts).
 */
function meanColourEmbedder(): ImageEmbedder & { frames: () => number } {
  let n = 0;
  return {
    name: 'mean-rgb',
    version: '1',
    dimensions: 3,
    init: async () => undefined,
    embed: async (images: readonly Raster[]) => {
      const out = new Float32Array(images.length * 3);
      images.forEach((img, i) => {
        n++;
        const px = img.width * img.height;
        for (let p = 0; p < px; p++)
          for (let c = 0; c < 3; c++)
            out[i * 3 + c] = (out[i * 3 + c] as number) + (img.data[p * 3 + c] as number) / 255 / px;
      });
      return out;
    },
    close: async () => undefined,
    frames: () => n,
  };
}

const VIDEO = {
  type: 'video-features',
  model: 'mobilenet_v2',
  audio: 'log-mel-stats',
  fps: 2,
  maxFrames: 3,
} as const;

describe('MediaFeatures: video-features (frame + audio pooling)', () => {
  const artifacts = createFsArtifactStore({ root: join(root, 'video-artifacts') });
  const datasets = new ArtifactDatasetStore({ artifacts });
  const sampler = new FfmpegVideoSampler();
  const media = (embedder: ImageEmbedder, s: VideoSampler = sampler): MediaFeatures =>
    new MediaFeatures({
      artifacts,
      datasets,
      image: { decoder: new SharpImageDecoder(), embedder },
      video: { sampler: s, decoder: new FfmpegDecoder() },
    });

  it('mean-pools the sampled frames, appends the audio track’s log-mel-stats and a has-audio flag', async () => {
    const embedder = meanColourEmbedder();
    const m = media(embedder);
    expect(m.dimensions(VIDEO)).toBe(3 + LOG_MEL_STATS_DIM + 1);
    expect(videoFeaturesDim(1280)).toBe(1397);
    expect(m.featurizerId(VIDEO)).toBe(
      'video-features.mean-rgb.1.fps2.max3.side448.mean.log-mel-stats.v1.16000',
    );
    const withAudio = await renderVideo('faulty', 3);
    const silent = await renderVideo('slides', 4);
    // The generator is seeded and ffmpeg encodes bit-exact: same seed, same bytes.
    expect(Buffer.from(await renderVideo('faulty', 3)).equals(Buffer.from(withAudio))).toBe(true);
    const x = await m.featurizeFiles(VIDEO, [withAudio, silent]);
    const dim = m.dimensions(VIDEO);
    expect(x).toHaveLength(2 * dim);
    // 1.5 s at 2 fps: 3 frames each (maxFrames 3), all embedded in one call.
    expect(embedder.frames()).toBe(6);
    const sample = await sampler.sample(withAudio, { fps: 2, maxFrames: 3, maxSide: 448 });
    expect(sample.frames).toHaveLength(3);
    const pooled = [0, 1, 2].map(
      (c) =>
        sample.frames.reduce((s, f) => {
          let sum = 0;
          for (let p = 0; p < f.width * f.height; p++) sum += (f.rgb[p * 3 + c] as number) / 255;
          return s + sum / (f.width * f.height);
        }, 0) / sample.frames.length,
    );
    // Float32 sums in the embedder: equal to about 1e-4.
    for (let c = 0; c < 3; c++) expect(x[c]).toBeCloseTo(pooled[c] as number, 4);
    const direct = new FfmpegDecoder();
    await direct.init();
    const track = await direct.decode(withAudio, { sampleRate: 16000 });
    expect(Array.from(x.subarray(3, 3 + LOG_MEL_STATS_DIM))).toEqual(
      Array.from(logMelStats(track.samples, track.sampleRate)),
    );
    expect(x[dim - 1]).toBe(1);
    // No audio stream: zeros and a 0 flag; the frames (a white page) are brighter.
    const row2 = x.subarray(dim, 2 * dim);
    expect(Array.from(row2.subarray(3, dim)).every((v) => v === 0)).toBe(true);
    expect(row2[0]).toBeGreaterThan(0.3);
    await m.close();
  }, 60_000);

  it('reports progress per chunk, stops when its caller gives up, and resumes from the finished chunks', async () => {
    const files = [
      ...(await Promise.all([0, 1, 2, 3, 4].map((i) => renderVideo('running', 40 + i)))),
      ...(await Promise.all([0, 1, 2].map((i) => renderVideo('slides', 50 + i)))),
    ];
    const version = await datasets.register({
      name: 'clips',
      source: {
        format: 'files',
        files: files.map((data, i) => ({ path: `${i < 5 ? 'running' : 'slides'}/c${i}.mp4`, data })),
      },
    });
    const rows = await datasets.rows('clips', version.version);
    let sampled = 0;
    const counting: VideoSampler = {
      name: sampler.name,
      get version() {
        return sampler.version;
      },
      init: () => sampler.init(),
      status: () => sampler.status(),
      sample: (input, options) => {
        sampled++;
        return sampler.sample(input, options);
      },
      encodeFrame: (f) => sampler.encodeFrame(f),
      close: () => sampler.close(),
    };
    // Chunks of 4 videos: the caller gives up after the first one.
    const signal = { aborted: false };
    const seen: Array<[number, number]> = [];
    const first = media(meanColourEmbedder(), counting);
    await expect(
      first.forVersion(version, rows, VIDEO, {
        signal,
        onProgress: (done, total) => {
          seen.push([done, total]);
          signal.aborted = true;
        },
      }),
    ).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    expect(seen).toEqual([[4, 8]]);
    expect(sampled).toBe(4);
    const parts = await artifacts.list('datasets/blobs/features-parts/');
    expect(parts).toHaveLength(1);

    // A new process: the first chunk comes from its part, only the second is sampled.
    const progress: Array<[number, number]> = [];
    const again = media(meanColourEmbedder(), counting);
    const matrix = await again.forVersion(version, rows, VIDEO, {
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(matrix.cached).toBe(false);
    expect(sampled).toBe(8);
    expect(progress).toEqual([
      [4, 8],
      [8, 8],
    ]);
    // Identical to an uninterrupted computation, and the parts are gone.
    const fresh = await media(meanColourEmbedder()).featurizeFiles(
      VIDEO,
      await Promise.all(rows.map((r) => datasets.readFile(r.fields['file'] as string))),
    );
    expect(Array.from(matrix.x)).toEqual(Array.from(fresh));
    expect(await artifacts.list('datasets/blobs/features-parts/')).toHaveLength(0);
    const cached = await again.forVersion(version, rows, VIDEO);
    expect(cached.cached).toBe(true);
  }, 120_000);

  it('names the video that cannot be decoded, and needs a video decoder', async () => {
    const version = await datasets.register({
      name: 'bad-clips',
      source: {
        format: 'files',
        files: [
          { path: 'a/ok.mp4', data: await renderVideo('slides', 9) },
          { path: 'b/bad.mp4', data: new TextEncoder().encode('not a video at all') },
        ],
      },
      split: { validationFraction: 0, testFraction: 0 },
    });
    const rows = await datasets.rows('bad-clips', 1);
    await expect(media(meanColourEmbedder()).forVersion(version, rows, VIDEO)).rejects.toMatchObject({
      message: expect.stringContaining('b/bad.mp4'),
      details: expect.objectContaining({ path: 'b/bad.mp4' }),
    });
    const noVideo = new MediaFeatures({
      artifacts,
      datasets,
      image: { decoder: new SharpImageDecoder(), embedder: meanColourEmbedder() },
    });
    expect(noVideo.supports(VIDEO)).toBe(false);
    expect(() => noVideo.checkVersion(version, VIDEO)).toThrow(/no video decoder/);
  }, 60_000);
});
