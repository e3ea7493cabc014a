/**
 * Features of file data sets (images, audio) for training classifier heads on frozen encoders.
 *
 * - `image-embedding`: each file is decoded (ImageDecoder: EXIF-rotated RGB, longest side ≤ 448)
 *   and embedded by the ImageEmbedder (MobileNetV2 GAP, 1280-d, in a worker thread).
 * - `audio-features`: each file is decoded to 16 kHz mono (AudioDecoder, ffmpeg in a child process)
 *   and summarised by `log-mel-stats` (core/train/log-mel.ts, 116-d; signal processing, not learned).
 *
 * A data set version is immutable and both featurisers are deterministic, so the matrix of a
 * (version, featuriser) pair is computed once and cached as an artifact
 * (`datasets/blobs/features/<sha256 of the ordered file references>/<featuriser id>.f32`, Float32
 * little-endian, rows in data set order, with a JSON sidecar describing it). Twenty study trials, a restart and a second study
 * on the same data read the cache; concurrent requests for the same matrix share one computation.
 * The same code featurises single inputs for serving (`featurizeFiles`), so a served head sees
 * exactly the features it was trained on.
 */
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { AudioDecoder } from '../../core/ports/audio.js';
import type { DatasetRow, DatasetStore, DatasetVersion } from '../../core/ports/dataset-store.js';
import type { ImageDecoder, Raster } from '../../core/ports/image.js';
import type { ImageEmbedder } from '../../core/ports/media-features.js';
import type { FeaturizerSpec } from '../../core/ports/study-store.js';
import {
  LOG_MEL_SAMPLE_RATE,
  LOG_MEL_STATS,
  LOG_MEL_STATS_DIM,
  LOG_MEL_STATS_VERSION,
  logMelStats,
} from '../../core/train/log-mel.js';
import { sha256Hex } from './files.js';

export type MediaFeaturizerSpec = Extract<FeaturizerSpec, { type: 'image-embedding' | 'audio-features' }>;

export const isMediaFeaturizer = (spec: FeaturizerSpec): spec is MediaFeaturizerSpec =>
  spec.type === 'image-embedding' || spec.type === 'audio-features';

export interface MediaFeaturesOptions {
  readonly artifacts: ArtifactStore;
  readonly datasets: DatasetStore;
  readonly image?: { readonly decoder: ImageDecoder; readonly embedder: ImageEmbedder };
  readonly audio?: { readonly decoder: AudioDecoder };
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

export class MediaFeatures {
  private readonly options: MediaFeaturesOptions;
  private readonly inflight = new Map<string, Promise<FeatureMatrix>>();
  private readonly now: () => number;
  private imageReady: Promise<void> | undefined;
  private audioReady: Promise<void> | undefined;

  constructor(options: MediaFeaturesOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Identifier of the featuriser as configured here (encoder name and version): part of the cache key. */
  featurizerId(spec: MediaFeaturizerSpec): string {
    if (spec.type === 'image-embedding') {
      const e = this.imageDeps().embedder;
      return `image-embedding.${e.name}.${e.version}`;
    }
    return `audio-features.${LOG_MEL_STATS}.v${LOG_MEL_STATS_VERSION}.${LOG_MEL_SAMPLE_RATE}`;
  }

  dimensions(spec: MediaFeaturizerSpec): number {
    return spec.type === 'image-embedding' ? this.imageDeps().embedder.dimensions : LOG_MEL_STATS_DIM;
  }

  /** Whether this server can compute `spec` (the encoder and decoder are configured). */
  supports(spec: MediaFeaturizerSpec): boolean {
    return spec.type === 'image-embedding'
      ? this.options.image !== undefined
      : this.options.audio !== undefined;
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
   * The feature matrix of every row of a file data set version (rows in data set order): from the
   * artifact cache, or computed once and cached.
   */
  async forVersion(
    version: DatasetVersion,
    rows: readonly DatasetRow[],
    spec: MediaFeaturizerSpec,
  ): Promise<FeatureMatrix> {
    const field = version.schema.fileField;
    if (field === null) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `featurizer ${spec.type} needs a data set of files (one folder per class); ${version.name}@${version.version} has no file field`,
        { details: { field: 'featurizer', dataset: version.name } },
      );
    }
    const id = this.featurizerId(spec);
    // Keyed by what determines the matrix: the ordered file references (content hashes) and the
    // featuriser. Tenant-independent (two tenants' identical data share it, different data never
    // collide) and inside the data set area, so encryption at rest seals it like the data.
    const refs = rows.map((r) => String(r.fields[field]));
    const key = `datasets/blobs/features/${sha256Hex(new TextEncoder().encode(refs.join('\n')))}/${id}.f32`;
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const task = this.cachedOrComputed(key, id, version, rows, field, spec).finally(() =>
      this.inflight.delete(key),
    );
    this.inflight.set(key, task);
    return task;
  }

  private async cachedOrComputed(
    key: string,
    id: string,
    version: DatasetVersion,
    rows: readonly DatasetRow[],
    field: string,
    spec: MediaFeaturizerSpec,
  ): Promise<FeatureMatrix> {
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
    const step = spec.type === 'image-embedding' ? (this.options.imageBatch ?? 16) : 32;
    for (let start = 0; start < rows.length; start += step) {
      const end = Math.min(rows.length, start + step);
      try {
        const chunk = await this.featurizeFiles(spec, await files(start, end), start);
        x.set(chunk, start * dim);
      } catch (e) {
        throw this.rowError(e, rows, version);
      }
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

  /** Stops the image encoder's worker (decoders belong to their owners). */
  async close(): Promise<void> {
    await this.options.image?.embedder.close();
  }
}
