/**
 * Port: the metadata store (SQLite embedded, PostgreSQL scaled out; same migrations, same queries).
 *
 * It holds the durable, queryable state of the platform. Today that is the serving layer's view of
 * model versions and their lifecycle events; later migrations add registry, runs, studies, tenants
 * and audit tables behind the same `migrate()`.
 *
 * Every adapter must pass test/conformance/metadata-store.suite.ts.
 */
import type { ModelState } from './inference.js';

export interface ModelVersionRecord {
  readonly model: string;
  readonly version: string;
  readonly state: ModelState;
  /** Why the version is in this state (empty when READY); Triton's `reason`. */
  readonly reason: string;
  /** Hex sha256 of the model artifact that was (or is being) loaded. */
  readonly sha256?: string;
  readonly sizeBytes?: number;
  /** Triton platform string, e.g. "onnxruntime_onnx". */
  readonly platform?: string;
  /** Milliseconds since the Unix epoch of the last write. */
  readonly updatedAt: number;
}

export const ModelEventType = {
  LOAD_REQUESTED: 'load-requested',
  LOADED: 'loaded',
  LOAD_FAILED: 'load-failed',
  UNLOADED: 'unloaded',
  RELOADED: 'reloaded',
} as const;
export type ModelEventType = (typeof ModelEventType)[keyof typeof ModelEventType];

export interface ModelEvent {
  /** Assigned by the store; strictly increasing in the order events become visible to readers. */
  readonly id: number;
  readonly model: string;
  readonly version?: string;
  readonly type: ModelEventType;
  /** Milliseconds since the Unix epoch. */
  readonly at: number;
  /** Any JSON object; round-trips exactly (key order, unicode, nesting). */
  readonly detail: Record<string, unknown>;
}

export type ModelVersionUpsert = Omit<ModelVersionRecord, 'updatedAt'> & { readonly updatedAt?: number };

export interface ModelEventQuery {
  /** Only events of this model. */
  readonly model?: string;
  /** Only events with `id > afterId` (paging cursor: pass the last id of the previous page). */
  readonly afterId?: number;
  /** Page size, 1..MAX_EVENT_PAGE (default DEFAULT_EVENT_PAGE). */
  readonly limit?: number;
}

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 1000;

export interface MetadataStore {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Applies pending migrations in order, each in its own transaction, and records them (id,
   * checksum) in `schema_migrations`. Idempotent; safe to run from several processes at once.
   * Rejects with ERR_SCHEMA_MISMATCH, applying nothing, when the checksum of an already applied
   * migration differs from this build's.
   */
  migrate(): Promise<{ applied: string[] }>;
  /**
   * Inserts or replaces the row of (model, version). Writes are whole-row and the last one to
   * commit wins; `updatedAt` defaults to the store's clock.
   */
  upsertModelVersion(r: ModelVersionUpsert): Promise<void>;
  getModelVersion(model: string, version: string): Promise<ModelVersionRecord | undefined>;
  /**
   * Ordered by model (code point order), then version: integer versions first in numeric order,
   * then other versions in code point order.
   */
  listModelVersions(model?: string): Promise<ModelVersionRecord[]>;
  /** Appends an event and returns its id. */
  appendModelEvent(e: Omit<ModelEvent, 'id'>): Promise<number>;
  /** Events in ascending id order. */
  listModelEvents(q: ModelEventQuery): Promise<ModelEvent[]>;
  /** Resolves when the database answers a trivial query; rejects with ERR_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Releases connections; idempotent. Later calls reject with ERR_UNAVAILABLE. */
  close(): Promise<void>;
}
