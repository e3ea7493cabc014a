import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsArtifactStore } from '../../adapters/artifacts-fs/index.js';
import { FfmpegDecoder } from '../../adapters/media-ffmpeg/index.js';
import type { AudioDecoder } from '../../core/ports/audio.js';
import { LOG_MEL_STATS_DIM, logMelStats } from '../../core/train/log-mel.js';
import { audioDataset, wav } from '../../../scripts/media-datasets.js';
import { loadTrainingSet } from '../studies/training-set.js';
import { MediaFeatures } from './media-features.js';
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
