/**
 * The scaled-out metadata store: PostgreSQL through a `pg` connection pool, with the same
 * migrations and queries as the SQLite store.
 */
import type { LifecycleStores } from '../../core/ports/lifecycle-store.js';
import type { MetadataStore } from '../../core/ports/metadata-store.js';
import {
  SqlMetadataStore,
  createSqlLifecycleStores,
  type SqlLifecycleStoresOptions,
  type SqlMetadataStoreOptions,
} from '../store-sql/index.js';
import { PostgresClient, type PostgresClientOptions } from './postgres-client.js';

export type PostgresMetadataStoreOptions = PostgresClientOptions & SqlMetadataStoreOptions;

/** Creates the pool (connections open lazily); call migrate() before use. */
export function createPostgresMetadataStore(options: PostgresMetadataStoreOptions): MetadataStore {
  return new SqlMetadataStore(new PostgresClient(options), options);
}

/** The tracking and registry stores on their own pool (same database and schema). */
export function createPostgresLifecycleStores(
  options: PostgresClientOptions & SqlLifecycleStoresOptions,
): LifecycleStores {
  return createSqlLifecycleStores(new PostgresClient(options), options);
}

export {
  PostgresClient,
  advisoryLockKey,
  toPostgresStoreError,
  type PostgresClientOptions,
} from './postgres-client.js';
