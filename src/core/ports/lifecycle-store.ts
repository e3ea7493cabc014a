/**
 * The tracking and registry stores share one database connection (and so one in-memory SQLite
 * database when the URL is sqlite::memory:); this bundle owns it.
 */
import type { RegistryStore } from './registry-store.js';
import type { TrackingStore } from './tracking-store.js';

export interface LifecycleStores {
  readonly dialect: 'sqlite' | 'postgres';
  readonly tracking: TrackingStore;
  readonly registry: RegistryStore;
  /** Applies pending metadata migrations (the same list as MetadataStore.migrate). */
  migrate(): Promise<{ applied: string[] }>;
  ping(): Promise<void>;
  /** Releases the connection; idempotent. Later calls reject with ERR_UNAVAILABLE. */
  close(): Promise<void>;
}
