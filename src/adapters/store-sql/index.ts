export { metadataMigrations, MIGRATION_ID, type Migration } from './migrations.js';
export { migrationChecksum, runMigrations, validateMigrations, MIGRATION_LOCK } from './migrator.js';
export { compareCodePoints, compareVersions } from './ordering.js';
export {
  numberPlaceholders,
  type SqlClient,
  type SqlDialect,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
} from './sql-client.js';
export { SqlMetadataStore, type SqlMetadataStoreOptions } from './sql-metadata-store.js';
export { createSqlLifecycleStores, type SqlLifecycleStoresOptions } from './sql-lifecycle-stores.js';
export { SqlRegistryStore } from './sql-registry-store.js';
export { SqlTrackingStore } from './sql-tracking-store.js';
export { likeToGlob } from './sql-search.js';
