/**
 * Port: experiment tracking in MLflow's vocabulary (experiments, runs, params, metrics with steps,
 * tags). Times are milliseconds since the Unix epoch, as in MLflow.
 *
 * The store guards integrity that needs a transaction (unique names, parameters that never change
 * once logged, runs only in active experiments, atomic batches); shapes and limits of the input
 * are checked by the tracking service (src/lifecycle/tracking.ts) before they get here.
 * Every adapter must pass test/conformance/tracking-store.suite.ts.
 */

export const LifecycleStage = { ACTIVE: 'active', DELETED: 'deleted' } as const;
export type LifecycleStage = (typeof LifecycleStage)[keyof typeof LifecycleStage];

export const RunStatus = {
  RUNNING: 'RUNNING',
  SCHEDULED: 'SCHEDULED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** Which lifecycle stages a search returns (MLflow's ViewType). */
export const ViewType = { ACTIVE_ONLY: 'ACTIVE_ONLY', DELETED_ONLY: 'DELETED_ONLY', ALL: 'ALL' } as const;
export type ViewType = (typeof ViewType)[keyof typeof ViewType];

/** Lineage recorded as run tags, so MLflow clients can read and search them like any tag. */
export const LineageTag = {
  DATASET_VERSION: 'kaleido.dataset.version',
  CODE_VERSION: 'kaleido.code.version',
  PARENT_STUDY: 'kaleido.parent.study',
  PARENT_RUN_ID: 'mlflow.parentRunId',
} as const;

export interface Tag {
  readonly key: string;
  readonly value: string;
}
export type Param = Tag;

export interface Metric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface Experiment {
  /** A decimal integer as a string (MLflow's shape); "0" is the Default experiment. */
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: LifecycleStage;
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly tags: readonly Tag[];
}

export interface RunInfo {
  /** 32 lowercase hex digits. */
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime?: number;
  readonly lifecycleStage: LifecycleStage;
  readonly artifactUri: string;
}

export interface Run {
  readonly info: RunInfo;
  /** Metrics hold the latest value per key (highest step, then timestamp, then value). */
  readonly data: {
    readonly metrics: readonly Metric[];
    readonly params: readonly Param[];
    readonly tags: readonly Tag[];
  };
}

/** Comparison operators of the search filter subset. */
export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE';

/**
 * One conjunct of a parsed search filter (`metrics.loss < 0.1 AND tags.team = 'x'`). `attribute`
 * keys are limited per search to a fixed set of columns; the store maps them to SQL itself.
 */
export interface FilterClause {
  readonly kind: 'metric' | 'param' | 'tag' | 'attribute';
  readonly key: string;
  readonly op: FilterOp;
  readonly value: string | number;
}

export interface OrderClause {
  readonly kind: 'metric' | 'param' | 'tag' | 'attribute';
  readonly key: string;
  readonly ascending: boolean;
}

export interface NewExperiment {
  readonly name: string;
  /** Given, or derived from the id the store assigns (the default location names the experiment id). */
  readonly artifactLocation: string | ((experimentId: string) => string);
  readonly tags: readonly Tag[];
  readonly time: number;
}

export interface NewRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly artifactUri: string;
  readonly tags: readonly Tag[];
}

export interface RunUpdate {
  readonly status?: RunStatus;
  readonly endTime?: number;
  readonly runName?: string;
}

export interface ExperimentSearch {
  readonly viewType: ViewType;
  /** Attribute keys: name, creation_time, last_update_time, experiment_id; and tags. */
  readonly filter: readonly FilterClause[];
  readonly orderBy: readonly OrderClause[];
  readonly maxResults: number;
  readonly offset: number;
}

export interface RunSearch {
  readonly experimentIds: readonly string[];
  readonly viewType: ViewType;
  /** Attribute keys: status, run_name, run_id, user_id, start_time, end_time. */
  readonly filter: readonly FilterClause[];
  readonly orderBy: readonly OrderClause[];
  readonly maxResults: number;
  readonly offset: number;
}

export interface Page<T> {
  readonly items: T[];
  /** The offset of the next page; absent on the last page. */
  readonly nextOffset?: number;
}

export interface RunBatch {
  readonly metrics: readonly Metric[];
  readonly params: readonly Param[];
  readonly tags: readonly Tag[];
}

/**
 * A store is a view of one tenant: every query it runs is restricted to `tenantId` (experiments
 * carry the tenant; runs, params, metrics and tags inherit it from their experiment), and names are
 * unique per tenant. Another tenant's experiment or run is answered exactly like a missing one.
 * The view an adapter hands out first is the `system` tenant's; `forTenant` gives the others.
 */
export interface TrackingStore {
  readonly tenantId: string;
  /** The same store, restricted to `tenantId` (a well-formed tenant id; see core/security). */
  forTenant(tenantId: string): TrackingStore;
  /** ERR_ALREADY_EXISTS when the name is taken (deleted experiments keep their name). */
  createExperiment(e: NewExperiment): Promise<Experiment>;
  /**
   * Creates the Default experiment with id "0" unless one with that id or name exists; returns
   * whichever experiment is named "Default" or has id "0" (id first).
   */
  ensureDefaultExperiment(artifactLocation: string, time: number): Promise<Experiment>;
  getExperiment(experimentId: string): Promise<Experiment | undefined>;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  searchExperiments(q: ExperimentSearch): Promise<Page<Experiment>>;
  /** ERR_NOT_FOUND when absent; ERR_ALREADY_EXISTS when the new name is taken. */
  renameExperiment(experimentId: string, newName: string, time: number): Promise<void>;
  /** Soft delete / restore; runs of the experiment follow it. ERR_NOT_FOUND when absent. */
  setExperimentStage(experimentId: string, stage: LifecycleStage, time: number): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag, time: number): Promise<void>;

  /** ERR_NOT_FOUND for an unknown experiment, ERR_INVALID_STATE for a deleted one. */
  createRun(r: NewRun): Promise<Run>;
  getRun(runId: string): Promise<Run | undefined>;
  /** ERR_NOT_FOUND when absent. Returns the updated info. */
  updateRun(runId: string, update: RunUpdate): Promise<RunInfo>;
  setRunStage(runId: string, stage: LifecycleStage): Promise<void>;
  /**
   * Atomic: all of it is recorded or none. Parameters are immutable: logging a key again with the
   * same value is a no-op, with another value ERR_ALREADY_EXISTS (details.reason
   * "param-already-logged"). Tags are overwritten. ERR_NOT_FOUND for an unknown run,
   * ERR_INVALID_STATE for a deleted run.
   */
  logBatch(runId: string, batch: RunBatch): Promise<void>;
  deleteRunTag(runId: string, key: string): Promise<void>;
  /** Every logged value of one metric, ordered by step, then timestamp, then logging order. */
  getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults: number; offset: number },
  ): Promise<Page<Metric>>;
  searchRuns(q: RunSearch): Promise<Page<Run>>;
}
