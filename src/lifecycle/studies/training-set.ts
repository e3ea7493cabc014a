/**
 * From a data set version to what the trainer and the evaluation need: featurised train and
 * validation rows (TrainingData) and the held-out test rows, with the featuriser that made them.
 * Also the one place a training job is submitted from a data set (the REST API and the CLI's
 * `kaleido train` use it), so jobs and study trials featurise the same way.
 */
import { KaleidoError } from '../../core/errors.js';
import type { DatasetSchema, DatasetStore, DatasetVersion } from '../../core/ports/dataset-store.js';
import type { FeaturizerSpec } from '../../core/ports/study-store.js';
import type { PublishTarget, TrainingJobRecord } from '../../core/ports/training-jobs.js';
import type { LabelledFeatures, TrainConfig, TrainingData } from '../../core/train/types.js';
import {
  hashedTextFeatures,
  tabularFeatures,
  trainingDataFromDataset,
  type Featurizer,
} from '../datasets/features.js';
import { isMediaFeaturizer, type MediaFeatures } from '../datasets/media-features.js';
import type { TrainingJobs } from '../training/training-jobs.js';
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
        : spec.type;

/** Loads and featurises a data set version (the latest when `version` is omitted). */
export async function loadTrainingSet(
  datasets: DatasetStore,
  ref: { readonly id: string; readonly version?: number },
  featurizer?: FeaturizerSpec,
  media?: MediaFeatures,
): Promise<TrainingSet> {
  const version = await datasets.get(ref.id, ref.version);
  const spec = featurizer ?? defaultFeaturizer(version.schema);
  const [rows, split] = await Promise.all([
    datasets.rows(version.name, version.version),
    datasets.splitIndices(version.name, version.version),
  ]);
  let featurize: Featurizer;
  if (isMediaFeaturizer(spec)) {
    if (media === undefined || !media.supports(spec)) featurizerOf(spec); // throws ERR_UNAVAILABLE
    // Computed once per data set version and featuriser, then read from the artifact cache.
    const matrix = await (media as MediaFeatures).forVersion(version, rows, spec);
    featurize = () => ({ x: matrix.x, dim: matrix.dim });
  } else {
    featurize = featurizerOf(spec);
  }
  const { data, test } = trainingDataFromDataset(rows, version.schema, version.classes, split, featurize);
  return { version, featurizer: spec, data, test };
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

/** Featurises the data set version and queues a training job on it. */
export async function submitDatasetJob(
  deps: { readonly datasets: DatasetStore; readonly jobs: TrainingJobs; readonly media?: MediaFeatures },
  request: DatasetJobRequest,
): Promise<TrainingJobRecord> {
  const set = await loadTrainingSet(deps.datasets, request.dataset, request.featurizer, deps.media);
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
