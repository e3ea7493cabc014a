/**
 * Port: where hyperparameter studies are kept so that they survive a restart.
 *
 * A study record holds the study's specification (what to search, on which data, how to train),
 * the whole ask/tell state of the search (`Study.toJSON()`, core/hpo), and what came out of it (the
 * best trial, its evaluation report and the served model). Like the TrainingJobStore the port is
 * small (insert, get, update, list) so a SQL adapter is one table with a JSON column; what a study
 * does lives in the study runner (lifecycle/studies), not here.
 */
import type { Distribution } from '../hpo/distributions.js';
import type { StudyJSON } from '../hpo/study.js';
import type { JsonValue } from '../hpo/types.js';

export const StudyState = {
  /**
   * Media features (image, audio, video) of the data set are being computed in the background
   * (progress in `featurization`); trials start when they are ready. A restart resumes it.
   */
  FEATURIZING: 'featurizing',
  /** Trials are being asked, trained and told (or the study waits for running trials to end). */
  RUNNING: 'running',
  /** The search ended and the best trial was evaluated, exported, registered and served. */
  COMPLETED: 'completed',
  /** The search could not continue or its result could not be delivered (see `error`). */
  FAILED: 'failed',
} as const;
export type StudyState = (typeof StudyState)[keyof typeof StudyState];

export const isFinishedStudyState = (s: StudyState): boolean =>
  s === StudyState.COMPLETED || s === StudyState.FAILED;

/** A featuriser turns data set rows into the Float32 rows a head is trained on. */
export type FeaturizerSpec =
  | {
      /** Hashed bag of words over the text field (core/train/features.ts). */
      readonly type: 'hashed-bow';
      readonly dimensions: number;
      readonly bigrams: boolean;
    }
  | {
      /** The numeric and vector fields of the data set, in schema order. */
      readonly type: 'tabular';
    }
  | {
      /**
       * Frozen image embeddings of a file data set (ports/media-features.ts ImageEmbedder):
       * `model` names the encoder ("mobilenet_v2": MobileNetV2 global-average-pooled, 1280-d).
       */
      readonly type: 'image-embedding';
      readonly model: 'mobilenet_v2';
    }
  | {
      /**
       * Signal-processing audio features of a file data set, decoded to 16 kHz mono:
       * `log-mel-stats` (core/train/log-mel.ts, 116-d). Not a learned embedding.
       */
      readonly type: 'audio-features';
      readonly method: 'log-mel-stats';
    }
  | {
      /**
       * Frame and audio pooling of a file data set of videos: up to `maxFrames` frames sampled at
       * `fps` (ffmpeg), embedded by the `model` image encoder and mean-pooled (1280-d), then the
       * `audio` features of the audio track (log-mel-stats, 116-d; zeros when there is none) and
       * a has-audio flag (1 or 0): 1397 values.
       */
      readonly type: 'video-features';
      readonly model: 'mobilenet_v2';
      readonly audio: 'log-mel-stats';
      /** Frames sampled per second of video, in (0, 10]. */
      readonly fps: number;
      /** Most frames per video, 1–64 (the interval widens so that they cover longer videos). */
      readonly maxFrames: number;
    };

/** A data set version (name = the data set's id). */
export interface DatasetRef {
  readonly id: string;
  readonly version: number;
}

/**
 * A validated, fully resolved study specification (defaults filled in, the data set version
 * pinned), so that a study resumed after a restart trains exactly what it trained before.
 */
export interface StudySpec {
  readonly name: string;
  readonly direction: 'minimize' | 'maximize';
  /** Per-epoch validation metric that is the objective: 'valLoss', 'valAccuracy' or 'valMacroF1'. */
  readonly metric: 'valLoss' | 'valAccuracy' | 'valMacroF1';
  readonly sampler: { readonly type: string; readonly seed: number } & Record<string, JsonValue>;
  readonly pruner: { readonly type: string } & Record<string, JsonValue>;
  readonly nTrials: number;
  /** Trials training at the same time. */
  readonly concurrency: number;
  /** Parameter name → distribution; names are the trainer's knobs (see lifecycle/studies/spec.ts). */
  readonly searchSpace: Readonly<Record<string, Distribution>>;
  readonly dataset: DatasetRef;
  readonly featurizer: FeaturizerSpec;
  /** Fixed training settings every trial starts from (a partial TrainConfig, JSON). */
  readonly training: Readonly<Record<string, JsonValue>>;
  /** Registered model (and model repository entry) the best trial becomes. */
  readonly modelName: string;
  /** Alias pointed at the new version (default "champion"). */
  readonly alias: string;
  /**
   * Fairness evaluation of the best head when the data set declares sensitive attributes
   * (lifecycle/fairness.ts): thresholds (defaults parity difference ≤ 0.10, equalized odds ≤ 0.10,
   * impact ratio ≥ 0.8) and the favourable class. Absent: the defaults.
   */
  readonly fairness?: {
    readonly thresholds?: Readonly<Record<string, number>>;
    readonly positiveLabel?: string;
  };
}

export interface StudyRecord {
  /** Opaque, unique, stable (a UUID). */
  readonly id: string;
  /** The owner; absent on insert means the `system` tenant. Stores always return it. */
  readonly tenantId?: string;
  /** Unique among the tenant's studies; used in URLs and the CLI as an alternative to the id. */
  readonly name: string;
  readonly state: StudyState;
  readonly spec: StudySpec;
  /** The search state (`Study.toJSON()`), written after every ask and tell. */
  readonly study: StudyJSON;
  /** The parent tracking run of the study, when tracking is configured. */
  readonly runId: string | null;
  /** What the study produced; filled step by step while it finishes (each step is idempotent). */
  readonly result: Readonly<Record<string, JsonValue>> | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /**
   * Background featurisation of a media data set (state `featurizing`, then kept as a record of
   * what it took): files done of total, and whether the matrix came from the cache. Absent for
   * studies whose features are computed in-line (text, tabular) and for records older than it.
   */
  readonly featurization?: StudyFeaturization | null;
  /** Wall-clock milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export interface StudyFeaturization {
  /** The featuriser id (encoder, version and sampling parameters), as in the cache key. */
  readonly featurizer: string;
  readonly done: number;
  readonly total: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

export type StudyPatch = Partial<Omit<StudyRecord, 'id' | 'tenantId' | 'name' | 'spec' | 'createdAt'>>;

export interface StudyStore {
  /** ERR_ALREADY_EXISTS when the id, or the name within the study's tenant, is taken. */
  insert(study: StudyRecord): Promise<void>;
  /** With `tenantId`, only that tenant's study (another tenant's answers undefined, like a missing one). */
  get(id: string, tenantId?: string): Promise<StudyRecord | undefined>;
  /** Names are per tenant; `tenantId` defaults to the `system` tenant. */
  getByName(name: string, tenantId?: string): Promise<StudyRecord | undefined>;
  /**
   * Applies `patch` and returns the new record; ERR_NOT_FOUND for an unknown id. With
   * `expectedState`, the update only happens if the study is in that state (else ERR_INVALID_STATE).
   */
  update(id: string, patch: StudyPatch, expectedState?: StudyState): Promise<StudyRecord>;
  /** Studies ordered by createdAt, then id; optionally only those in `states` and of `tenantId`. */
  list(filter?: {
    readonly states?: readonly StudyState[];
    readonly tenantId?: string;
  }): Promise<StudyRecord[]>;
}
