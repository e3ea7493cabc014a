/**
 * Features of file data sets (images, audio) for training classifier heads on frozen encoders.
 *
 * - `image-embedding`: each file is decoded (ImageDecoder: EXIF-rotated RGB, longest side ≤ 448)
 *   and embedded by the ImageEmbedder (MobileNetV2 GAP, 1280-d, in a worker thread).
 * - `audio-features`: each file is decoded to 16 kHz mono (AudioDecoder, ffmpeg in a child process)
 *   and summarised by `log-mel-stats` (core/train/log-mel.ts, 116-d; signal processing, not learned).
 * - `video-features`: frame and audio pooling. The VideoSampler (ffmpeg) samples at most
 *   `maxFrames` frames at `fps` (the interval widening to cover longer videos), each is embedded
 *   like an image and the embeddings are mean-pooled (1280-d); the audio track, when the file has
 *   one, is decoded and summarised by log-mel-stats (116-d, zeros without one); a last value is
 *   1 with an audio track and 0 without: 1280 + 116 + 1 = 1397 values per video.
 *
 * A data set version is immutable and both featurisers are deterministic, so the matrix of a
 * (version, featuriser) pair is computed once and cached as an artifact
 * (`datasets/blobs/features/<sha256 of the ordered file references>/<featuriser id>.f32`, Float32
 * little-endian, rows in data set order, with a JSON sidecar describing it). Twenty study trials, a restart and a second study
 * on the same data read the cache; concurrent requests for the same matrix share one computation.
 * The matrix is computed in chunks and each finished chunk is kept too
 * (`datasets/blobs/features-parts/…`, deleted once the whole matrix is written), so an
 * interrupted computation (a restart of a study that was featurising) resumes where it stopped.
 * Callers see the progress per chunk and may give up (a cancel signal); the computation stops
 * when every caller has.
 * The same code featurises single inputs for serving (`featurizeFiles`), so a served head sees
 * exactly the features it was trained on.
 */
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { AudioDecoder } from '../../core/ports/audio.js';
import type { DatasetRow, DatasetStore, DatasetVersion } from '../../core/ports/dataset-store.js';
import type { ImageDecoder, Raster } from '../../core/ports/image.js';
import type { CancelSignal } from '../../core/ports/inference.js';
import type { ImageEmbedder } from '../../core/ports/media-features.js';
import type { FeaturizerSpec } from '../../core/ports/study-store.js';
import type { VideoSampler } from '../../modalities/video/types.js';
import {
  LOG_MEL_SAMPLE_RATE,
  LOG_MEL_STATS,
  LOG_MEL_STATS_DIM,
  LOG_MEL_STATS_VERSION,
  logMelStats,
} from '../../core/train/log-mel.js';
import { sha256Hex } from './files.js';

export type MediaFeaturizerSpec = Extract<
  FeaturizerSpec,
  { type: 'image-embedding' | 'audio-features' | 'video-features' }
>;
export type VideoFeaturizerSpec = Extract<FeaturizerSpec, { type: 'video-features' }>;

export const isMediaFeaturizer = (spec: FeaturizerSpec): spec is MediaFeaturizerSpec =>
  spec.type === 'image-embedding' || spec.type === 'audio-features' || spec.type === 'video-features';

/** Defaults and bounds of `video-features` sampling (a 1–8 s clip gives 2–8 frames). */
export const VIDEO_FEATURES_DEFAULT_FPS = 2;
export const VIDEO_FEATURES_DEFAULT_MAX_FRAMES = 8;
export const VIDEO_FEATURES_MAX_FPS = 10;
export const VIDEO_FEATURES_MAX_FRAMES = 64;
/** Longest side of a sampled frame (as for images: the embedder resizes to 224×224). */
const VIDEO_FRAME_MAX_SIDE = 448;

/** Progress of one feature matrix: files featurised (or read from finished chunks) of all. */
export type FeatureProgress = (done: number, total: number) => void;

export interface ForVersionOptions {
  /** Called after every chunk (and once at the start with the chunks already cached). */
  readonly onProgress?: FeatureProgress;
  /** This caller gives up (ERR_CANCELLED at the next chunk); the work stops when every caller has. */
  readonly signal?: CancelSignal;
}

export interface MediaFeaturesOptions {
  readonly artifacts: ArtifactStore;
  readonly datasets: DatasetStore;
  readonly image?: { readonly decoder: ImageDecoder; readonly embedder: ImageEmbedder };
  readonly audio?: { readonly decoder: AudioDecoder };
  /**
   * Videos: frames from the sampler (with the file limits of video analysis), embedded by
   * `image.embedder`; the audio track decoded by `decoder` (which must accept video-sized inputs).
   */
  readonly video?: { readonly sampler: VideoSampler; readonly decoder: AudioDecoder };
  /** Images decoded and embedded per step (default 16). */
  readonly imageBatch?: number;
  /** Files decoded at once (default 2). */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/** What a computed (or cached) matrix took. */
export interface FeatureMatrixInfo {
  readonly key: string;
  readonly featurizer: string;
  readonly rows: number;
  readonly dim: number;
  /** Wall-clock milliseconds the computation took (when it was computed, not when read). */
  readonly computeMs: number;
  readonly createdAt: number;
}

export interface FeatureMatrix {
  readonly x: Float32Array;
  readonly dim: number;
  readonly info: FeatureMatrixInfo;
  /** True when read from the artifact cache. */
  readonly cached: boolean;
}

/** Largest side of a decoded image before the embedder resizes it to 224×224. */
const IMAGE_MAX_SIDE = 448;

interface Waiter {
  readonly onProgress?: FeatureProgress;
  readonly signal?: CancelSignal;
  readonly reject: (e: unknown) => void;
}

interface Inflight {
  readonly task: Promise<FeatureMatrix>;
  readonly waiters: Set<Waiter>;
  done: number;
  total: number;
}

const cancelled = (what: string): KaleidoError =>
  new KaleidoError('ERR_CANCELLED', `featurisation of ${what} was cancelled`, {
    details: { featurizer: what },
  });

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Length of a `video-features` row for an image encoder of `embedding` dimensions. */
export const videoFeaturesDim = (embedding: number): number => embedding + LOG_MEL_STATS_DIM + 1;

export class MediaFeatures {
  private readonly options: MediaFeaturesOptions;
  private readonly inflight = new Map<string, Inflight>();
  private readonly now: () => number;
  private imageReady: Promise<void> | undefined;
  private audioReady: Promise<void> | undefined;
  private videoReady: Promise<void> | undefined;

  constructor(options: MediaFeaturesOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Identifier of the featuriser as configured here (encoder name and version): part of the cache key. */
  featurizerId(spec: MediaFeaturizerSpec): string {
    const audio = `${LOG_MEL_STATS}.v${LOG_MEL_STATS_VERSION}.${LOG_MEL_SAMPLE_RATE}`;
    if (spec.type === 'image-embedding') {
      const e = this.imageDeps().embedder;
      return `image-embedding.${e.name}.${e.version}`;
    }
    if (spec.type === 'video-features') {
      const e = this.videoDeps().embedder;
      // Everything that changes the vectors: encoder build, sampling and the audio features.
      return `video-features.${e.name}.${e.version}.fps${spec.fps}.max${spec.maxFrames}.side${VIDEO_FRAME_MAX_SIDE}.mean.${audio}`;
    }
    return `audio-features.${audio}`;
  }

  dimensions(spec: MediaFeaturizerSpec): number {
    if (spec.type === 'image-embedding') return this.imageDeps().embedder.dimensions;
    if (spec.type === 'video-features') return videoFeaturesDim(this.videoDeps().embedder.dimensions);
    return LOG_MEL_STATS_DIM;
  }

  /** Whether this server can compute `spec` (the encoder and decoder are configured). */
  supports(spec: MediaFeaturizerSpec): boolean {
    if (spec.type === 'image-embedding') return this.options.image !== undefined;
    if (spec.type === 'video-features')
      return this.options.video !== undefined && this.options.image !== undefined;
    return this.options.audio !== undefined;
  }

  /** Rows per chunk: the unit of progress, of resumption and of one embedder call. */
  private chunkSize(spec: MediaFeaturizerSpec): number {
    if (spec.type === 'image-embedding') return this.options.imageBatch ?? 16;
    // A chunk of videos embeds up to 4 × maxFrames frames in one call.
    if (spec.type === 'video-features') return 4;
    return 32;
  }

  private imageDeps(): NonNullable<MediaFeaturesOptions['image']> {
    const image = this.options.image;
    if (image === undefined) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        'image embeddings are not available: no image encoder is configured',
        {
          details: { featurizer: 'image-embedding' },
        },
      );
    }
    return image;
  }

  private videoDeps(): {
    sampler: VideoSampler;
    decoder: AudioDecoder;
    embedder: ImageEmbedder;
  } {
    const video = this.options.video;
    const image = this.options.image;
    if (video === undefined || image === undefined) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `video features are not available: no ${video === undefined ? 'video decoder' : 'image encoder'} is configured`,
        { details: { featurizer: 'video-features' } },
      );
    }
    return { sampler: video.sampler, decoder: video.decoder, embedder: image.embedder };
  }

  private audioDeps(): NonNullable<MediaFeaturesOptions['audio']> {
    const audio = this.options.audio;
    if (audio === undefined) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        'audio features are not available: no audio decoder is configured',
        {
          details: { featurizer: 'audio-features' },
        },
      );
    }
    return audio;
  }

  /**
   * Checks, without featurising anything, that `spec` can run here on `version` (a data set of
   * files, the encoder and decoders configured); returns the file field.
   */
  checkVersion(version: DatasetVersion, spec: MediaFeaturizerSpec): string {
    this.featurizerId(spec); // ERR_UNAVAILABLE without the encoder
    if (!this.supports(spec)) {
      throw new KaleidoError('ERR_UNAVAILABLE', `featurizer ${spec.type} is not available on this server`, {
        details: { field: 'featurizer' },
      });
    }
    const field = version.schema.fileField;
    if (field === null) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `featurizer ${spec.type} needs a data set of files (one folder per class); ${version.name}@${version.version} has no file field`,
        { details: { field: 'featurizer', dataset: version.name } },
      );
    }
    return field;
  }

  /**
   * The feature matrix of every row of a file data set version (rows in data set order): from the
   * artifact cache, or computed once and cached.
   */
  async forVersion(
    version: DatasetVersion,
    rows: readonly DatasetRow[],
    spec: MediaFeaturizerSpec,
    options: ForVersionOptions = {},
    retried = false,
  ): Promise<FeatureMatrix> {
    const field = this.checkVersion(version, spec);
    const id = this.featurizerId(spec);
    // Keyed by what determines the matrix: the ordered file references (content hashes) and the
    // featuriser. Tenant-independent (two tenants' identical data share it, different data never
    // collide) and inside the data set area, so encryption at rest seals it like the data.
    const refs = rows.map((r) => String(r.fields[field]));
    const hash = sha256Hex(new TextEncoder().encode(refs.join('\n')));
    const key = `datasets/blobs/features/${hash}/${id}.f32`;
    const parts = `datasets/blobs/features-parts/${hash}/${id}`;
    let entry = this.inflight.get(key);
    if (entry === undefined) {
      const waiters = new Set<Waiter>();
      const created: Inflight = {
        waiters,
        done: 0,
        total: rows.length,
        task: Promise.resolve().then(() =>
          this.cachedOrComputed({
            key,
            parts,
            id,
            version,
            rows,
            field,
            spec,
            waiters,
            progress: (done) => {
              created.done = done;
              for (const w of waiters) w.onProgress?.(done, rows.length);
            },
          }),
        ),
      };
      entry = created;
      this.inflight.set(key, entry);
      entry.task.then(
        () => this.inflight.delete(key),
        () => this.inflight.delete(key),
      );
    }
    const shared = entry;
    return new Promise<FeatureMatrix>((resolve, reject) => {
      const waiter: Waiter = {
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        reject,
      };
      shared.waiters.add(waiter);
      if (shared.done > 0) options.onProgress?.(shared.done, shared.total);
      shared.task.then(
        (m) => {
          shared.waiters.delete(waiter);
          resolve(m);
        },
        (e: unknown) => {
          const joined = shared.waiters.delete(waiter);
          // Joined a computation that every earlier caller had just given up: start it again
          // (the inflight entry is gone by now; finished chunks are read back).
          if (
            joined &&
            !retried &&
            isKaleidoError(e) &&
            e.code === 'ERR_CANCELLED' &&
            options.signal?.aborted !== true
          ) {
            this.forVersion(version, rows, spec, options, true).then(resolve, reject);
            return;
          }
          reject(e);
        },
      );
    });
  }

  /**
   * Before each chunk: callers whose signal is aborted are let go (ERR_CANCELLED); when none is
   * left the computation itself stops (its finished chunks stay cached).
   */
  private checkWaiters(waiters: Set<Waiter>, id: string): void {
    for (const w of [...waiters]) {
      if (w.signal?.aborted === true) {
        waiters.delete(w);
        w.reject(cancelled(id));
      }
    }
    if (waiters.size === 0) throw cancelled(id);
  }

  private async cachedOrComputed(job: {
    readonly key: string;
    readonly parts: string;
    readonly id: string;
    readonly version: DatasetVersion;
    readonly rows: readonly DatasetRow[];
    readonly field: string;
    readonly spec: MediaFeaturizerSpec;
    readonly waiters: Set<Waiter>;
    readonly progress: (done: number) => void;
  }): Promise<FeatureMatrix> {
    const { key, parts, id, version, rows, field, spec, waiters } = job;
    const dim = this.dimensions(spec);
    const { artifacts, datasets } = this.options;
    if ((await artifacts.stat(key)) !== undefined && (await artifacts.stat(`${key}.json`)) !== undefined) {
      const info = JSON.parse(
        new TextDecoder().decode(await artifacts.get(`${key}.json`)),
      ) as FeatureMatrixInfo;
      const bytes = await artifacts.get(key);
      if (info.rows === rows.length && info.dim === dim && bytes.byteLength === rows.length * dim * 4) {
        const x = new Float32Array(rows.length * dim);
        new Uint8Array(x.buffer).set(bytes);
        job.progress(rows.length);
        return { x, dim, info, cached: true };
      }
      // A sidecar that does not match (an interrupted write, another encoder build): recompute.
    }
    const started = this.now();
    const files = async (from: number, to: number): Promise<Uint8Array[]> =>
      mapLimit(rows.slice(from, to), this.options.concurrency ?? 2, async (row) => {
        const ref = row.fields[field];
        if (typeof ref !== 'string') {
          throw new KaleidoError('ERR_VALIDATION', `row ${row.line} has no file reference in "${field}"`, {
            details: { line: row.line, field },
          });
        }
        return datasets.readFile(ref);
      });
    const x = new Float32Array(rows.length * dim);
    const step = this.chunkSize(spec);
    const partKey = (start: number, end: number): string => `${parts}/${step}-${start}-${end}.f32`;
    for (let start = 0; start < rows.length; start += step) {
      const end = Math.min(rows.length, start + step);
      const part = partKey(start, end);
      // A chunk finished before an interruption (same rows, same featuriser: same key).
      if ((await artifacts.stat(part))?.size === (end - start) * dim * 4) {
        const bytes = await artifacts.get(part);
        new Uint8Array(x.buffer, start * dim * 4, (end - start) * dim * 4).set(bytes);
        job.progress(end);
        continue;
      }
      this.checkWaiters(waiters, id);
      try {
        const chunk = await this.featurizeFiles(spec, await files(start, end), start);
        x.set(chunk, start * dim);
        await artifacts.put(part, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (e) {
        throw this.rowError(e, rows, version);
      }
      job.progress(end);
    }
    const info: FeatureMatrixInfo = {
      key,
      featurizer: id,
      rows: rows.length,
      dim,
      computeMs: this.now() - started,
      createdAt: this.now(),
    };
    // Matrix first, sidecar last: a sidecar is only ever next to a complete matrix.
    await artifacts.put(key, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    await artifacts.put(`${key}.json`, new TextEncoder().encode(JSON.stringify(info)));
    // The parts are redundant now; a failed delete only leaves bytes the next run overwrites.
    for (let start = 0; start < rows.length; start += step) {
      await artifacts.delete(partKey(start, Math.min(rows.length, start + step))).catch(() => false);
    }
    return { x, dim, info, cached: false };
  }

  private rowError(e: unknown, rows: readonly DatasetRow[], version: DatasetVersion): unknown {
    if (!isKaleidoError(e)) return e;
    const index = typeof e.details?.['index'] === 'number' ? e.details['index'] : undefined;
    const row = index === undefined ? undefined : rows[index];
    if (row === undefined) return e;
    const path = typeof row.fields['path'] === 'string' ? row.fields['path'] : undefined;
    return new KaleidoError(
      e.code,
      `data set ${version.name}@${version.version}, file ${path ?? `row ${row.line}`}: ${e.message}`,
      { cause: e, details: { ...e.details, line: row.line, ...(path === undefined ? {} : { path }) } },
    );
  }

  /**
   * Featurises encoded files (row-major files.length × dimensions). Failures carry
   * `details.index` = `offset` + the file's position.
   */
  async featurizeFiles(
    spec: MediaFeaturizerSpec,
    files: readonly Uint8Array[],
    offset = 0,
  ): Promise<Float32Array> {
    const tagged = async <T>(i: number, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (e) {
        if (isKaleidoError(e)) {
          throw new KaleidoError(e.code, e.message, {
            cause: e,
            details: { ...e.details, index: offset + i },
          });
        }
        throw e;
      }
    };
    const limit = this.options.concurrency ?? 2;
    if (spec.type === 'image-embedding') {
      const { decoder, embedder } = this.imageDeps();
      this.imageReady ??= Promise.all([decoder.init(), embedder.init()]).then(
        () => undefined,
        (e: unknown) => {
          this.imageReady = undefined;
          throw e;
        },
      );
      await this.imageReady;
      const rasters: Raster[] = await mapLimit(files, limit, (f, i) =>
        tagged(i, () => decoder.decode(f, { channels: 3, maxSide: IMAGE_MAX_SIDE })),
      );
      return embedder.embed(rasters);
    }
    if (spec.type === 'video-features') return this.featurizeVideos(spec, files, tagged);
    const { decoder } = this.audioDeps();
    this.audioReady ??= decoder.init().catch((e: unknown) => {
      this.audioReady = undefined;
      throw e;
    });
    await this.audioReady;
    const vectors = await mapLimit(files, limit, (f, i) =>
      tagged(i, async () => {
        const audio = await decoder.decode(f, { sampleRate: LOG_MEL_SAMPLE_RATE });
        return logMelStats(audio.samples, audio.sampleRate);
      }),
    );
    const out = new Float32Array(files.length * LOG_MEL_STATS_DIM);
    vectors.forEach((v, i) => out.set(v, i * LOG_MEL_STATS_DIM));
    return out;
  }

  private async featurizeVideos(
    spec: VideoFeaturizerSpec,
    files: readonly Uint8Array[],
    tagged: <T>(i: number, run: () => Promise<T>) => Promise<T>,
  ): Promise<Float32Array> {
    const { sampler, decoder, embedder } = this.videoDeps();
    const image = this.options.image as NonNullable<MediaFeaturesOptions['image']>;
    this.videoReady ??= Promise.all([
      sampler.init(),
      decoder.init(),
      image.decoder.init(),
      embedder.init(),
    ]).then(
      () => undefined,
      (e: unknown) => {
        this.videoReady = undefined;
        throw e;
      },
    );
    await this.videoReady;
    const limit = this.options.concurrency ?? 2;
    const decoded = await mapLimit(files, limit, (f, i) =>
      tagged(i, async () => {
        const sample = await sampler.sample(f, {
          fps: spec.fps,
          maxFrames: spec.maxFrames,
          maxSide: VIDEO_FRAME_MAX_SIDE,
        });
        if (sample.frames.length === 0) {
          throw new KaleidoError('ERR_MEDIA_CORRUPT', 'no frame could be decoded from the video', {
            details: { featurizer: 'video-features' },
          });
        }
        // No audio stream: zeros and a 0 flag (a track that fails to decode is an error).
        const audio =
          sample.probe.audio === undefined
            ? null
            : await decoder
                .decode(f, { sampleRate: LOG_MEL_SAMPLE_RATE })
                .then((a) => logMelStats(a.samples, a.sampleRate));
        return { frames: sample.frames, audio };
      }),
    );
    // One embedder call for every frame of the chunk, then a mean per video.
    const rasters: Raster[] = decoded.flatMap((d) =>
      d.frames.map((fr) => ({ data: fr.rgb, width: fr.width, height: fr.height, channels: 3 as const })),
    );
    const embeddings = await embedder.embed(rasters);
    const e = embedder.dimensions;
    const dim = videoFeaturesDim(e);
    const out = new Float32Array(files.length * dim);
    let frame = 0;
    decoded.forEach((d, i) => {
      const row = out.subarray(i * dim, (i + 1) * dim);
      for (let k = 0; k < d.frames.length; k++, frame++) {
        const v = embeddings.subarray(frame * e, (frame + 1) * e);
        for (let j = 0; j < e; j++) row[j] = (row[j] as number) + (v[j] as number);
      }
      for (let j = 0; j < e; j++) row[j] = (row[j] as number) / d.frames.length;
      if (d.audio !== null) {
        row.set(d.audio, e);
        row[dim - 1] = 1;
      }
    });
    return out;
  }

  /** Stops the image encoder's worker (decoders belong to their owners). */
  async close(): Promise<void> {
    await this.options.image?.embedder.close();
  }
}
