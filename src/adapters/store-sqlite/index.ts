/**
 * The embedded metadata store: one SQLite file under the data directory (or ":memory:").
 */
import type { LifecycleStores } from '../../core/ports/lifecycle-store.js';
import type { MetadataStore } from '../../core/ports/metadata-store.js';
import {
  SqlMetadataStore,
  createSqlLifecycleStores,
  type SqlLifecycleStoresOptions,
  type SqlMetadataStoreOptions,
} from '../store-sql/index.js';
import { SqliteClient, type SqliteClientOptions } from './sqlite-client.js';

export type SqliteMetadataStoreOptions = SqliteClientOptions & SqlMetadataStoreOptions;

/** Opens (creating if needed) the database file; call migrate() before use. */
export function createSqliteMetadataStore(options: SqliteMetadataStoreOptions): MetadataStore {
  return new SqlMetadataStore(new SqliteClient(options), options);
}

/**
 * The tracking and registry stores on their own connection to the same file (the per-file gate
 * keeps this process's connections out of each other's transactions). With ":memory:" the
 * database is private to this bundle.
 */
export function createSqliteLifecycleStores(
  options: SqliteClientOptions & SqlLifecycleStoresOptions,
): LifecycleStores {
  return createSqlLifecycleStores(new SqliteClient(options), options);
}

export { SqliteClient, toSqliteStoreError, type SqliteClientOptions } from './sqlite-client.js';
