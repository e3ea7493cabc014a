/**
 * Featurisation cost and its effect on the event loop (docs/lifecycle.md, "Per-modality results").
 *
 *   npx tsx bench/media-features.ts [--images 32] [--clips 32]
 *
 * For the image embedder in the calling thread and in a worker thread, and for log-mel-stats over
 * ffmpeg-decoded WAVs, it reports wall time per file and the event loop's delay meanwhile
 * (gaps of a 2 ms interval timer beyond its period: p50 / p99 / max, ms) — what a request arriving during a data
 * set's featurisation would wait before being looked at. Files come from scripts/media-datasets.ts.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MobileNetV2Embedder, WorkerImageEmbedder } from '../src/adapters/image-tfjs/embedder.js';
import { FfmpegDecoder } from '../src/adapters/media-ffmpeg/index.js';
import { SharpImageDecoder } from '../src/adapters/media-sharp/index.js';
import { createFsArtifactStore } from '../src/adapters/artifacts-fs/index.js';
import { ArtifactDatasetStore } from '../src/lifecycle/datasets/index.js';
import { MediaFeatures } from '../src/lifecycle/datasets/media-features.js';
import { audioDataset, imageDataset } from '../scripts/media-datasets.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/**
 * Runs `run` while a 2 ms interval timer ticks and reports the gaps between ticks beyond the
 * interval (p50 / p99 / max, ms): how long a request arriving meanwhile would wait for the loop.
 */
async function measure(label: string, n: number, run: () => Promise<unknown>): Promise<void> {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(Math.max(0, now - last - 2));
    last = now;
  }, 2);
  const t = performance.now();
  await run();
  const ms = performance.now() - t;
  clearInterval(timer);
  gaps.push(Math.max(0, performance.now() - last - 2));
  gaps.sort((a, b) => a - b);
  const q = (p: number): string =>
    (gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] ?? 0).toFixed(1);
  console.log(`| ${label} | ${n} | ${(ms / n).toFixed(1)} | ${q(0.5)} | ${q(0.99)} | ${q(1)} |`);
}

const images = (await imageDataset(Math.ceil(arg('images', 32) / 3), 3)).map(([, d]) => d);
const clips = audioDataset(Math.ceil(arg('clips', 32) / 3), 3).map(([, d]) => d);
const artifacts = createFsArtifactStore({ root: join(tmpdir(), `kaleido-bench-media-${process.pid}`) });
const datasets = new ArtifactDatasetStore({ artifacts });
const cacheDir = join(tmpdir(), 'kaleido-tfjs-cache');
const image = { type: 'image-embedding', model: 'mobilenet_v2' } as const;
const audio = { type: 'audio-features', method: 'log-mel-stats' } as const;

console.log(
  `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]?.toFixed(1)}, Node ${process.version}`,
);
console.log('| featuriser | files | ms per file | loop delay p50 | p99 | max |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [label, embedder] of [
  ['image-embedding, calling thread', new MobileNetV2Embedder({ cacheDir })],
  ['image-embedding, worker thread', new WorkerImageEmbedder({ cacheDir })],
] as const) {
  const media = new MediaFeatures({
    artifacts,
    datasets,
    image: { decoder: new SharpImageDecoder(), embedder },
  });
  await media.featurizeFiles(image, images.slice(0, 1)); // load + warm-up outside the measurement
  await measure(label, images.length, () => media.featurizeFiles(image, images));
  await media.close();
}
const media = new MediaFeatures({ artifacts, datasets, audio: { decoder: new FfmpegDecoder() } });
await media.featurizeFiles(audio, clips.slice(0, 1));
await measure('audio-features (ffmpeg + log-mel-stats)', clips.length, () =>
  media.featurizeFiles(audio, clips),
);
