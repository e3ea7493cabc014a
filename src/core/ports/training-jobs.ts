/**
 * Ports of the training service: where job state is kept (TrainingJobStore: in memory now, SQL
 * with the registry later) and where a trained head goes to be served (HeadPublisher: the ONNX
 * exporter writing into a model repository).
 *
 * The store is deliberately small (insert, get, update, list) so that a SQL adapter is one table
 * with a JSON column; job semantics (what transitions are allowed) live in the service, not here.
 */
import type { EpochMetrics, StopReason, TrainConfig, TrainedHead } from '../train/types.js';

export const TrainingJobState = {
  /**
   * The job's media features (image, audio, video) are being computed in the background
   * (`featurization` holds the progress); it is queued when they are ready. A restart resumes it.
   */
  FEATURIZING: 'featurizing',
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
} as const;
export type TrainingJobState = (typeof TrainingJobState)[keyof typeof TrainingJobState];

export const isFinishedJobState = (s: TrainingJobState): boolean =>
  s === TrainingJobState.SUCCEEDED || s === TrainingJobState.FAILED || s === TrainingJobState.CANCELLED;

/** Where a trained head should be served from (a model repository name and an optional version). */
export interface PublishTarget {
  readonly modelName: string;
  /** Omitted: one more than the highest existing version (1 for a new model). */
  readonly version?: number;
}

export interface PublishedModel {
  readonly modelName: string;
  readonly version: number;
  /** Lowercase hex sha256 of the written model file. */
  readonly sha256: string;
  /** Where it was written (a path or URI, for operators). */
  readonly location: string;
}

/** What a job trains: everything needed to run (or rerun after a crash) without the caller. */
export interface TrainingJobSpec {
  /** Free text for people (e.g. "sentiment head on dataset reviews@3"). */
  readonly description?: string;
  /**
   * Artifact key of the encoded TrainingData (content-addressed: it never changes). Empty for a
   * job created `featurizing`: its key is the record's `dataKey` once the features are ready.
   */
  readonly dataKey: string;
  /** What a `featurizing` job featurises: the data set version and featuriser (JSON). */
  readonly source?: {
    readonly dataset: { readonly id: string; readonly version: number };
    readonly featurizer: Readonly<Record<string, unknown>>;
  };
  readonly config: TrainConfig;
  readonly publish?: PublishTarget;
}

export interface TrainingJobResult {
  /** Artifact key of the encoded head (core/train/codec.ts). */
  readonly headKey: string;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly stopReason: StopReason;
  /** Metrics of the kept epoch. */
  readonly metrics: EpochMetrics | null;
  readonly model: PublishedModel | null;
}

export interface TrainingJobRecord {
  readonly id: string;
  /** The owner; absent on insert means the `system` tenant. Stores always return it. */
  readonly tenantId?: string;
  readonly state: TrainingJobState;
  readonly spec: TrainingJobSpec;
  /** Wall-clock milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Worker starts so far (a resume after a crash is another attempt). */
  readonly attempts: number;
  /** Metrics of every completed epoch (up to the last durable checkpoint). */
  readonly history: readonly EpochMetrics[];
  /** Artifact key of the last durable checkpoint, or null before the first epoch. */
  readonly checkpointKey: string | null;
  readonly result: TrainingJobResult | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** The data key of a job created `featurizing`, set when its features are ready. */
  readonly dataKey?: string | null;
  /** Background featurisation: files done of total (see `FEATURIZING`); absent for other jobs. */
  readonly featurization?: {
    readonly featurizer: string;
    readonly done: number;
    readonly total: number;
    readonly startedAt: number;
    readonly finishedAt: number | null;
  } | null;
}

export type TrainingJobPatch = Partial<Omit<TrainingJobRecord, 'id' | 'tenantId' | 'spec' | 'createdAt'>>;

export interface TrainingJobStore {
  /** ERR_ALREADY_EXISTS when the id is taken. */
  insert(job: TrainingJobRecord): Promise<void>;
  /** With `tenantId`, only that tenant's job (another tenant's answers undefined, like a missing one). */
  get(id: string, tenantId?: string): Promise<TrainingJobRecord | undefined>;
  /**
   * Applies `patch` and returns the new record; ERR_NOT_FOUND for an unknown id. With
   * `expectedState`, the update only happens if the job is in that state (else ERR_INVALID_STATE),
   * so two writers cannot both move a job out of the same state (compare-and-set).
   */
  update(id: string, patch: TrainingJobPatch, expectedState?: TrainingJobState): Promise<TrainingJobRecord>;
  /**
   * Jobs ordered by createdAt, then id; optionally only those in `states` and of `tenantId`
   * (without it: every tenant's, for the service's own recovery after a restart).
   */
  list(filter?: {
    readonly states?: readonly TrainingJobState[];
    readonly tenantId?: string;
  }): Promise<TrainingJobRecord[]>;
}

export interface HeadPublisher {
  /** Exports the head to a servable model and writes it; returns where it went. */
  publish(head: TrainedHead, target: PublishTarget): Promise<PublishedModel>;
}
