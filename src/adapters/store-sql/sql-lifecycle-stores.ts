/**
 * The tracking and registry stores over one SqlClient, with the migrations and the lifecycle of
 * the connection. The SQLite and PostgreSQL factories only supply the client.
 */
import { KaleidoError } from '../../core/errors.js';
import type { LifecycleStores } from '../../core/ports/lifecycle-store.js';
import { metadataMigrations, type Migration } from './migrations.js';
import { runMigrations } from './migrator.js';
import type { SqlClient } from './sql-client.js';
import { SqlRegistryStore } from './sql-registry-store.js';
import { SqlTrackingStore } from './sql-tracking-store.js';

export interface SqlLifecycleStoresOptions {
  /** Wall clock in ms since the epoch for the migration history (default Date.now). */
  readonly now?: () => number;
  /** The schema history (default: metadataMigrations, shared with the MetadataStore). */
  readonly migrations?: readonly Migration[];
}

export function createSqlLifecycleStores(
  client: SqlClient,
  options: SqlLifecycleStoresOptions = {},
): LifecycleStores {
  const now = options.now ?? Date.now;
  const migrations = options.migrations ?? metadataMigrations;
  let closed = false;
  const open = (): SqlClient => {
    if (closed) throw new KaleidoError('ERR_UNAVAILABLE', 'the lifecycle store is closed');
    return client;
  };
  return {
    dialect: client.dialect,
    tracking: new SqlTrackingStore(open),
    registry: new SqlRegistryStore(open),
    migrate: async () => runMigrations(open(), migrations, now),
    ping: async () => {
      await open().query('SELECT 1 AS ok');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
