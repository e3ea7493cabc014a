/**
 * From a data set version to what the trainer and the evaluation need: featurised train and
 * validation rows (TrainingData) and the held-out test rows, with the featuriser that made them.
 * Also the one place a training job is submitted from a data set (the REST API and the CLI's
 * `kaleido train` use it), so jobs and study trials featurise the same way.
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  DatasetRow,
  DatasetSchema,
  DatasetSplitIndices,
  DatasetStore,
  DatasetVersion,
} from '../../core/ports/dataset-store.js';
import type { FeaturizerSpec } from '../../core/ports/study-store.js';
import type { PublishTarget, TrainingJobRecord } from '../../core/ports/training-jobs.js';
import type { LabelledFeatures, TrainConfig, TrainingData } from '../../core/train/types.js';
import {
  hashedTextFeatures,
  tabularFeatures,
  trainingDataFromDataset,
  type Featurizer,
} from '../datasets/features.js';
import { isMediaFeaturizer, type ForVersionOptions, type MediaFeatures } from '../datasets/media-features.js';
import type { PrepareTrainingData, TrainingJobs } from '../training/training-jobs.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import { NAME, parseFeaturizer, parseTraining } from './spec.js';

export interface TrainingSet {
  readonly version: DatasetVersion;
  readonly featurizer: FeaturizerSpec;
  readonly data: TrainingData;
  /** The data set's test split (may have no rows when the data set was registered without one). */
  readonly test: LabelledFeatures;
}

/** Text data sets get a hashed bag of words; everything else its numeric columns. */
export function defaultFeaturizer(schema: DatasetSchema): FeaturizerSpec {
  return schema.textField !== null
    ? { type: 'hashed-bow', dimensions: 1024, bigrams: false }
    : { type: 'tabular' };
}

export function featurizerOf(spec: FeaturizerSpec): Featurizer {
  if (isMediaFeaturizer(spec)) {
    // Image and audio features are computed asynchronously (and cached) by MediaFeatures.
    throw new KaleidoError('ERR_UNAVAILABLE', `featurizer ${spec.type} is not available on this server`, {
      details: { field: 'featurizer' },
    });
  }
  return spec.type === 'tabular'
    ? tabularFeatures
    : hashedTextFeatures({ dimensions: spec.dimensions, bigrams: spec.bigrams });
}

/** A short description of a featuriser for job descriptions. */
const featurizerLabel = (spec: FeaturizerSpec): string =>
  spec.type === 'hashed-bow'
    ? `hashed-bow ${spec.dimensions}`
    : spec.type === 'image-embedding'
      ? `image-embedding ${spec.model}`
      : spec.type === 'audio-features'
        ? `audio-features ${spec.method}`
        : spec.type === 'video-features'
          ? `video-features ${spec.model}+${spec.audio} ${spec.fps} fps ≤${spec.maxFrames} frames`
          : spec.type;

/**
 * A data set version and featuriser checked and resolved, its rows and split read, but nothing
 * featurised yet: what a study checks before it is stored (media features are then computed in
 * the background).
 */
export interface ResolvedTrainingSet {
  readonly version: DatasetVersion;
  readonly featurizer: FeaturizerSpec;
  readonly rows: readonly DatasetRow[];
  readonly split: DatasetSplitIndices;
}

/** Resolves the version (the latest when `version` is omitted) and checks the featuriser on it. */
export async function resolveTrainingSet(
  datasets: DatasetStore,
  ref: { readonly id: string; readonly version?: number },
  featurizer?: FeaturizerSpec,
  media?: MediaFeatures,
): Promise<ResolvedTrainingSet> {
  const version = await datasets.get(ref.id, ref.version);
  const spec = featurizer ?? defaultFeaturizer(version.schema);
  if (isMediaFeaturizer(spec)) {
    if (media === undefined || !media.supports(spec)) featurizerOf(spec); // throws ERR_UNAVAILABLE
    (media as MediaFeatures).checkVersion(version, spec);
  }
  const [rows, split] = await Promise.all([
    datasets.rows(version.name, version.version),
    datasets.splitIndices(version.name, version.version),
  ]);
  return { version, featurizer: spec, rows, split };
}

/** Whether the featuriser is computed in the background (media) rather than in-line. */
export const featurizesInBackground = (spec: FeaturizerSpec): boolean => isMediaFeaturizer(spec);

/** Featurises a resolved set: media features from the cache or computed (with progress), others in-line. */
export async function featurizeTrainingSet(
  resolved: ResolvedTrainingSet,
  media?: MediaFeatures,
  options: ForVersionOptions = {},
): Promise<TrainingSet> {
  const { version, featurizer: spec, rows, split } = resolved;
  let featurize: Featurizer;
  if (isMediaFeaturizer(spec)) {
    if (media === undefined || !media.supports(spec)) featurizerOf(spec); // throws ERR_UNAVAILABLE
    // Computed once per data set version and featuriser, then read from the artifact cache.
    const matrix = await (media as MediaFeatures).forVersion(version, rows, spec, options);
    featurize = () => ({ x: matrix.x, dim: matrix.dim });
  } else {
    featurize = featurizerOf(spec);
  }
  const { data, test } = trainingDataFromDataset(rows, version.schema, version.classes, split, featurize);
  return { version, featurizer: spec, data, test };
}

/** Loads and featurises a data set version (the latest when `version` is omitted). */
export async function loadTrainingSet(
  datasets: DatasetStore,
  ref: { readonly id: string; readonly version?: number },
  featurizer?: FeaturizerSpec,
  media?: MediaFeatures,
  options: ForVersionOptions = {},
): Promise<TrainingSet> {
  return featurizeTrainingSet(await resolveTrainingSet(datasets, ref, featurizer, media), media, options);
}

/** `POST /v1/training-jobs`: train one head on a data set version. */
export interface DatasetJobRequest {
  readonly dataset: { readonly id: string; readonly version?: number };
  readonly featurizer?: FeaturizerSpec;
  readonly config: Partial<TrainConfig>;
  readonly publish?: PublishTarget;
  readonly description?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const invalid = (field: string, message: string): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', `${field} ${message}`, { details: { field } });

/** Validates the body of a training-job request (the trainer validates the config values). */
export function parseDatasetJobRequest(raw: unknown): DatasetJobRequest {
  if (!isObject(raw)) throw invalid('(body)', 'must be a JSON object {dataset, config, …}');
  for (const k of Object.keys(raw)) {
    if (!['dataset', 'featurizer', 'config', 'publish', 'description'].includes(k)) {
      throw invalid(k, 'is not a known field');
    }
  }
  const ds = raw['dataset'];
  if (!isObject(ds) || typeof ds['id'] !== 'string' || !NAME.test(ds['id'])) {
    throw invalid('dataset', 'must be {id: <data set name>, version?}');
  }
  const version = ds['version'];
  if (
    version !== undefined &&
    version !== null &&
    (!Number.isSafeInteger(version) || (version as number) < 1)
  ) {
    throw invalid('dataset.version', 'must be a positive integer');
  }
  const publish = raw['publish'];
  if (publish !== undefined && publish !== null) {
    if (!isObject(publish) || typeof publish['modelName'] !== 'string' || !NAME.test(publish['modelName'])) {
      throw invalid('publish', 'must be {modelName, version?}');
    }
  }
  const description = raw['description'];
  if (description !== undefined && (typeof description !== 'string' || description.length > 1000)) {
    throw invalid('description', 'must be a string of at most 1000 characters');
  }
  return {
    dataset: { id: ds['id'], ...(typeof version === 'number' ? { version } : {}) },
    ...(raw['featurizer'] === undefined || raw['featurizer'] === null
      ? {}
      : { featurizer: parseFeaturizer(raw['featurizer']) }),
    config: parseTraining(raw['config'], 'config') as Partial<TrainConfig>,
    ...(publish === undefined || publish === null
      ? {}
      : {
          publish: {
            modelName: (publish as Record<string, unknown>)['modelName'] as string,
            ...(typeof (publish as Record<string, unknown>)['version'] === 'number'
              ? { version: (publish as Record<string, unknown>)['version'] as number }
              : {}),
          },
        }),
    ...(typeof description === 'string' ? { description } : {}),
  };
}

/**
 * Featurises the data set version and queues a training job on it. Media featurisers are checked
 * here and computed in the background: the job is returned at once in state `featurizing`
 * (TrainingJobs.submitFeaturizing, with `datasetJobPreparer` as its hook).
 */
export async function submitDatasetJob(
  deps: { readonly datasets: DatasetStore; readonly jobs: TrainingJobs; readonly media?: MediaFeatures },
  request: DatasetJobRequest,
): Promise<TrainingJobRecord> {
  const resolved = await resolveTrainingSet(deps.datasets, request.dataset, request.featurizer, deps.media);
  if (isMediaFeaturizer(resolved.featurizer)) {
    const v = resolved.version;
    return deps.jobs.submitFeaturizing({
      source: {
        dataset: { id: v.name, version: v.version },
        featurizer: resolved.featurizer as unknown as Record<string, unknown>,
      },
      featurizer: (deps.media as MediaFeatures).featurizerId(resolved.featurizer),
      total: resolved.rows.length,
      config: { standardize: true, ...request.config },
      ...(request.publish === undefined ? {} : { publish: request.publish }),
      description:
        request.description ?? `dataset ${v.name}@${v.version} (${featurizerLabel(resolved.featurizer)})`,
      tenantId: deps.datasets.tenantId,
    });
  }
  const set = await featurizeTrainingSet(resolved, deps.media);
  const featurizer = featurizerLabel(set.featurizer);
  return deps.jobs.submit({
    data: set.data,
    // Sparse hashed text is trained as it is unless the client asks otherwise (see TrainConfig).
    config: { standardize: set.featurizer.type !== 'hashed-bow', ...request.config },
    ...(request.publish === undefined ? {} : { publish: request.publish }),
    description: request.description ?? `dataset ${set.version.name}@${set.version.version} (${featurizer})`,
    // The job belongs to the data set's tenant (the store is that tenant's view).
    tenantId: deps.datasets.tenantId,
  });
}

/**
 * The TrainingJobs `prepare` hook: the data of a job submitted `featurizing` by submitDatasetJob,
 * from its recorded source (data set version and featuriser), with progress and cancellation.
 */
export function datasetJobPreparer(datasets: DatasetStore, media?: MediaFeatures): PrepareTrainingData {
  return async (job, options) => {
    const source = job.spec.source;
    if (source === undefined) {
      throw new KaleidoError('ERR_INTERNAL', `training job ${job.id} has no data source to featurise`, {
        details: { id: job.id },
      });
    }
    const set = await loadTrainingSet(
      datasets.forTenant(job.tenantId ?? SYSTEM_TENANT),
      source.dataset,
      parseFeaturizer(source.featurizer),
      media,
      options,
    );
    return set.data;
  };
}
