/**
 * Port: the model registry in MLflow's vocabulary (registered models, model versions, aliases),
 * with two things MLflow lacks: every alias move is appended to a history (who, when, from, to),
 * so "which version held `champion` at time T" has an answer, and versions carry their OIP
 * signature, a metrics snapshot, the artifact's sha256 and a model card.
 *
 * Versions are immutable once created except for description, tags and the one-way status
 * transition out of PENDING_REGISTRATION. Version numbers are assigned per model, start at 1 and
 * are never reused, even after a version or the whole model is deleted.
 * Every adapter must pass test/conformance/registry-store.suite.ts.
 */
import type { TensorMetadata } from '../tensor.js';
import type { FilterClause, OrderClause, Page, Tag } from './tracking-store.js';

export const ModelVersionStatus = {
  PENDING_REGISTRATION: 'PENDING_REGISTRATION',
  FAILED_REGISTRATION: 'FAILED_REGISTRATION',
  READY: 'READY',
} as const;
export type ModelVersionStatus = (typeof ModelVersionStatus)[keyof typeof ModelVersionStatus];

/** The model's inputs and outputs as OIP tensor metadata (-1 marks a variable dimension). */
export interface ModelSignature {
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

export interface AliasRef {
  readonly alias: string;
  readonly version: string;
}

export interface RegisteredModel {
  readonly name: string;
  readonly description: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly tags: readonly Tag[];
  /** Sorted by alias. */
  readonly aliases: readonly AliasRef[];
  /** The highest existing version number, if any version exists. */
  readonly latestVersion?: string;
}

export interface ModelVersion {
  readonly name: string;
  /** A decimal integer as a string (MLflow's shape). */
  readonly version: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly description: string;
  readonly userId: string;
  readonly source: string;
  readonly runId?: string;
  readonly runLink?: string;
  readonly status: ModelVersionStatus;
  readonly statusMessage: string;
  readonly signature?: ModelSignature;
  /** Evaluation metrics at registration time (a snapshot: later runs do not change it). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Lowercase hex sha256 of the model artifact. */
  readonly sha256?: string;
  /** Any JSON object (intended use, data, evaluation, limitations …); round-trips exactly. */
  readonly modelCard?: Readonly<Record<string, unknown>>;
  readonly tags: readonly Tag[];
  /** Aliases pointing at this version, sorted. */
  readonly aliases: readonly string[];
}

/** One entry of the append-only alias history; fromVersion/toVersion absent = no version. */
export interface AliasMove {
  /** Increases in commit order. */
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  readonly actor: string;
  /** Never earlier than the previous move of the same alias (clock skew is clamped). */
  readonly at: number;
}

export interface NewRegisteredModel {
  readonly name: string;
  readonly description: string;
  readonly tags: readonly Tag[];
  readonly time: number;
}

export type NewModelVersion = Omit<
  ModelVersion,
  'version' | 'creationTime' | 'lastUpdatedTime' | 'aliases'
> & { readonly time: number };

export interface ModelVersionUpdate {
  readonly description?: string;
  /** Only PENDING_REGISTRATION → READY | FAILED_REGISTRATION; anything else is ERR_INVALID_STATE. */
  readonly status?: ModelVersionStatus;
  readonly statusMessage?: string;
}

export interface RegisteredModelSearch {
  /** Attribute keys: name; and tags. */
  readonly filter: readonly FilterClause[];
  /** Attribute keys: name, creation_timestamp, last_updated_timestamp. */
  readonly orderBy: readonly OrderClause[];
  readonly maxResults: number;
  readonly offset: number;
}

export interface ModelVersionSearch {
  /** Attribute keys: name, version, run_id, source, status; and tags. */
  readonly filter: readonly FilterClause[];
  /** Attribute keys: name, version, creation_timestamp, last_updated_timestamp. */
  readonly orderBy: readonly OrderClause[];
  readonly maxResults: number;
  readonly offset: number;
}

export interface AliasHistoryQuery {
  readonly alias?: string;
  /** Only moves with `id > afterId` (paging cursor). */
  readonly afterId?: number;
  readonly limit: number;
}

/**
 * A store is a view of one tenant: registered models carry the tenant, versions, tags, aliases and
 * the alias history inherit it, and model names are unique per tenant (two tenants may both have a
 * model "spam", with separate version numbers and aliases). Another tenant's model is answered
 * exactly like a missing one. The view an adapter hands out first is the `system` tenant's.
 */
export interface RegistryStore {
  readonly tenantId: string;
  /** The same store, restricted to `tenantId`. */
  forTenant(tenantId: string): RegistryStore;
  /** ERR_ALREADY_EXISTS when the name is taken. */
  createRegisteredModel(m: NewRegisteredModel): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined>;
  searchRegisteredModels(q: RegisteredModelSearch): Promise<Page<RegisteredModel>>;
  updateRegisteredModel(
    name: string,
    update: { description: string },
    time: number,
  ): Promise<RegisteredModel>;
  /**
   * Deletes the model, its versions, tags and aliases. The alias history is kept, with one entry
   * per alias that was removed, so questions about the past still have answers.
   */
  deleteRegisteredModel(name: string, actor: string, time: number): Promise<void>;
  setRegisteredModelTag(name: string, tag: Tag, time: number): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string, time: number): Promise<void>;

  /** Assigns the next version number atomically. ERR_NOT_FOUND for an unknown model. */
  createModelVersion(v: NewModelVersion): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion | undefined>;
  updateModelVersion(
    name: string,
    version: string,
    update: ModelVersionUpdate,
    time: number,
  ): Promise<ModelVersion>;
  /** Aliases on the version are removed first (recorded in the history). */
  deleteModelVersion(name: string, version: string, actor: string, time: number): Promise<void>;
  setModelVersionTag(name: string, version: string, tag: Tag, time: number): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string, time: number): Promise<void>;
  searchModelVersions(q: ModelVersionSearch): Promise<Page<ModelVersion>>;

  /**
   * Points `alias` at `version` and appends the move to the history in one transaction; moves of
   * one model serialise, so the history and the final state agree with the commit order. Setting
   * an alias to the version it already has records nothing and returns undefined.
   */
  setAlias(
    name: string,
    alias: string,
    version: string,
    actor: string,
    time: number,
  ): Promise<AliasMove | undefined>;
  /** Removes the alias (recorded); undefined when it was not set. ERR_NOT_FOUND for an unknown model. */
  deleteAlias(name: string, alias: string, actor: string, time: number): Promise<AliasMove | undefined>;
  /** The version the alias points at now. */
  getAlias(name: string, alias: string): Promise<string | undefined>;
  /** The version the alias pointed at, at time `at` (the last move with `at <= time`). */
  aliasAt(name: string, alias: string, at: number): Promise<string | undefined>;
  /** Moves of one model in ascending id order. */
  aliasHistory(name: string, q: AliasHistoryQuery): Promise<AliasMove[]>;
}
