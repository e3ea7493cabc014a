/**
 * The embedded metadata store: one SQLite file under the data directory (or ":memory:").
 */
import type { MetadataStore } from '../../core/ports/metadata-store.js';
import { SqlMetadataStore, type SqlMetadataStoreOptions } from '../store-sql/index.js';
import { SqliteClient, type SqliteClientOptions } from './sqlite-client.js';

export type SqliteMetadataStoreOptions = SqliteClientOptions & SqlMetadataStoreOptions;

/** Opens (creating if needed) the database file; call migrate() before use. */
export function createSqliteMetadataStore(options: SqliteMetadataStoreOptions): MetadataStore {
  return new SqlMetadataStore(new SqliteClient(options), options);
}

export { SqliteClient, toSqliteStoreError, type SqliteClientOptions } from './sqlite-client.js';
